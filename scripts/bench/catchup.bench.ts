// catchup.bench: the CPU a Paxos catch-up costs per entry, receiving and serving CATCHUP chunks
// (issue 11 hole 3). The measuring program is processors/paxos/catchupcost.ts (scripts know
// protocols only through the registry), run here as a child process; this writes the `catchup`
// section of docs/benchmarks.md from its JSON. BENCH_CATCHUP_CHUNKS and BENCH_CATCHUP_REPS pass on.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { repoPath } from '../repo.js';
import { machine, writeSection } from './sections.js';

interface Row {
  readonly total: number;
  readonly parts: [string, number][];
}

interface Result {
  readonly chunks: number;
  readonly entries: number;
  readonly perRound: number;
  readonly interval: number;
  readonly reps: number;
  readonly receive: Row;
  readonly serve: Row;
  readonly rxGc: string;
  readonly txGc: string;
}

function row(label: string, r: Row, gc: string): string {
  return `| ${label} | **${r.total.toFixed(2)}** | ${r.parts.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')} | ${gc} |`;
}

function main(): void {
  const load = loadavg()[0] ?? 0;
  const out = execFileSync(process.execPath, [repoPath('dist', 'processors', 'paxos', 'catchupcost.js')], { encoding: 'utf8' });
  const r = JSON.parse(out) as Result;
  process.stderr.write(
    `bench catchup: receive ${r.receive.total.toFixed(2)} µs/entry (${r.rxGc} per M), serve ${r.serve.total.toFixed(2)} µs/entry (${r.txGc} per M)\n`,
  );
  writeSection(
    'catchup',
    `### Paxos catch-up CPU per entry (generated ${new Date().toISOString().slice(0, 10)})

Machine: ${machine()}; 1-minute load ${load.toFixed(1)} at the start.

Command: \`npm run bench catchup\` (scripts/bench/catchup.bench.ts running processors/paxos/catchupcost.ts;
\`BENCH_CATCHUP_CHUNKS\`, \`BENCH_CATCHUP_REPS\`). One process, no network: ${r.chunks} CATCHUP chunks of
${r.entries / r.chunks} entries (${r.entries} entries, ${r.perRound} per round of \`-l ${r.interval}\`) through what a resumed
rank's driver does with them, and a leader serving them from its window. Process CPU (user + system, the collector
included) per entry, median of ${r.reps} repetitions after one warm-up. The count of minor collections follows the
bytes allocated more than the machine's load (14–21 per million entries received across loads 2–7); their time (wall) does not.

| path | µs CPU / entry | split (µs / entry) | collections per million entries |
|---|---|---|---|
${row('receive (rank 2: decode, validate, step, log bytes, write)', r.receive, r.rxGc)}
${row('serve (leader: answer LATEs from its window, encode)', r.serve, r.txGc)}
`,
  );
}

main();
