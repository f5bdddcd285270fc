// paxos.bench: the simple Paxos lab end to end, as a teacher would run it: `csplab run` starts
// 5 rank processes over TCP on this machine, then `csplab check` grades their logs. The
// headline is the throughput measure: the best rank's distinct commits ÷ `-t`, at
// `-o 1 -l 1000000 -t 5` (L so large that no round stops early: every slot imposes for its whole
// second). Also the lab's own high run (-l 10000) and a 60 s run for memory over time. Every
// run must pass the checker (exit 0), or the benchmark fails. Logs go to a temp dir, removed after.
// Writes the `paxos` section of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, writeSection } from './sections.js';

const CLI = fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));

interface Case {
  readonly label: string;
  readonly args: string[];
  readonly t: number;
  readonly runs: number;
}

// BENCH_PAXOS_LONG=0 skips the 60 s run (it writes ~1 GB of logs before they are removed).
const LONG = process.env.BENCH_PAXOS_LONG !== '0';

const CASES: Case[] = [
  { label: 'high pressure `-o 1 -l 1000000 -t 5`', args: ['-o', '1', '-l', '1000000', '-t', '5'], t: 5, runs: 3 },
  { label: 'lab high `-o 1 -l 10000 -t 5`', args: ['-o', '1', '-l', '10000', '-t', '5'], t: 5, runs: 1 },
  ...(LONG ? [{ label: 'long `-o 1 -l 1000000 -t 60`', args: ['-o', '1', '-l', '1000000', '-t', '60'], t: 60, runs: 1 }] : []),
];

interface RankSummary {
  rank: number;
  commits: number;
  summary?: { cpuUserMs: number; cpuSystemMs: number; maxRssKiB: number };
}

interface Run {
  load: number;
  commits: number[];
  cpuS: number[];
  rssMiB: number[];
  best: number;
}

// A base port far from the defaults (10000) and from the other benchmarks; each run moves on,
// so a socket of the previous run still closing never collides with the next.
let nextPort = 23_400;

function runOnce(c: Case): Run {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-paxos-'));
  try {
    const load = loadavg()[0]!;
    const port = nextPort;
    nextPort += 100;
    const run = spawnSync(process.execPath, [CLI, 'run', ...c.args, '--log-dir', dir, '--base-port', String(port), '--quiet', '--clean'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) throw new Error(`csplab run ${c.args.join(' ')} exited ${run.status}: ${run.stderr.slice(-2000)}`);
    const check = spawnSync(process.execPath, [CLI, 'check', '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (check.status !== 0) throw new Error(`csplab check failed (exit ${check.status}) after run ${c.args.join(' ')}:\n${check.stdout.slice(-2000)}`);
    const ranks = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ranks: RankSummary[] }).ranks;
    ranks.sort((a, b) => a.rank - b.rank);
    const commits = ranks.map((r) => r.commits);
    const cpuS = ranks.map((r) => (r.summary ? (r.summary.cpuUserMs + r.summary.cpuSystemMs) / 1000 : NaN));
    const rssMiB = ranks.map((r) => (r.summary ? r.summary.maxRssKiB / 1024 : NaN));
    return { load, commits, cpuS, rssMiB, best: Math.max(...commits) / c.t };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const k = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));

function main(): void {
  const rows: string[] = [];
  const summary: string[] = [];
  for (const c of CASES) {
    const runs: Run[] = [];
    for (let i = 0; i < c.runs; i++) {
      const r = runOnce(c);
      runs.push(r);
      process.stderr.write(`bench paxos: ${c.label} run ${i + 1}: ${k(r.best)} commits/s, commits ${r.commits.join('/')}, load ${r.load.toFixed(1)}\n`);
      const spread = Math.min(...r.commits) / Math.max(...r.commits);
      rows.push(
        `| ${c.label} #${i + 1} | ${r.load.toFixed(1)} | **${k(r.best)}** | ${r.commits.join(' / ')} | ${(100 * spread).toFixed(1)}% | ${r.cpuS.map((x) => x.toFixed(1)).join(' / ')} | ${r.rssMiB.map((x) => x.toFixed(0)).join(' / ')} |`,
      );
    }
    const bests = runs.map((r) => r.best);
    const maxRss = Math.max(...runs.flatMap((r) => r.rssMiB));
    summary.push(`- ${c.label}: median **${k(median(bests))} commits/s** over ${c.runs} run(s) (${bests.map(k).join(', ')}); peak RSS of any rank ${maxRss.toFixed(0)} MiB.`);
  }
  writeSection(
    'paxos',
    `## Simple Paxos lab, 5 ranks over TCP (\`paxos\`)

Command: \`npm run bench paxos\` (scripts/bench/paxos.bench.ts): each run is
\`csplab run <flags> --log-dir <tmp> --base-port <23400+> --quiet --clean\` with the default \`--window\` and \`--batch\`, then
\`csplab check --dir <tmp>\`, which must exit 0 (every run below passed). Counts, CPU (user + system) and peak RSS come from
the run's summary.json. commits/s = the best rank's distinct commits ÷ \`-t\`.
Machine: ${machine()}. The 1-minute load average is taken just before each run: other work shares these 2 cores, so
compare runs only at similar load, and prefer the median.

${summary.join('\n')}

| run | load | best commits/s | commits per rank (0–4) | min/max | CPU s per rank | peak RSS MiB per rank |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Reference (Go, design/paxos.md): 433–687 commits/s (median 573) at \`-l 10000\`, slowest rank ~60% of the best.
Issue gate: ≥ 3,000 commits/s with counts within 10%; aim: ≥ 10,000, within 1%, RSS ≤ 150 MB.
`,
  );
}

main();
