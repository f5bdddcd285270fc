// faults.bench: the fault matrix. For each protocol, one `csplab run` per fault scenario of
// docs/faults.md, graded by `csplab check --json`, with each rank's commit timeline read back from
// its instance log: commits/s before, during and after the fault, and how long the affected rank
// took to commit again once the fault ended. Every row must pass the checker (and a long pause
// must end with the paused rank caught up); a failing row keeps its logs and fails the benchmark.
// Writes the `faults` section of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitsOf, countBetween, type Commit } from '../../cmd/testing/timeline.js';
import { runCluster } from './cluster-run.js';
import { machine, writeSection } from './sections.js';

const CLI = fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));

interface Scenario {
  readonly name: string;
  /** args: the fault flags, added to the protocol's base flags. */
  readonly args: string[];
  /** base: replaces the protocol's base flags (the long-pause rows run longer and harder). */
  readonly base?: string[];
  /** catchUp: the affected rank must end with at least this share of the best rank's commits. */
  readonly catchUp?: number;
}

interface Protocol {
  readonly name: string;
  readonly base: string[];
  readonly longPause: string[];
}

const PROTOCOLS: Protocol[] = [
  { name: 'paxos', base: ['-o', '1', '-l', '10000', '-t', '10'], longPause: ['-o', '1', '-l', '1000000', '-t', '30'] },
  {
    name: 'traft',
    base: ['--protocol', 'traft', '-o', '1', '-l', '10000', '-t', '10'],
    longPause: ['--protocol', 'traft', '-o', '1', '-l', '10000', '-t', '30'],
  },
];

function scenarios(p: Protocol): Scenario[] {
  return [
    { name: 'none (baseline)', args: [] },
    { name: 'kill a follower', args: ['--kill', '4@3'] },
    { name: 'kill the leader, restart it', args: ['--kill', 'leader@3', '--restart', 'killed@5'] },
    { name: 'kill 2 of 5', args: ['--kill', '3@3', '--kill', '4@3'] },
    { name: 'pause the leader 2 s', args: ['--pause', 'leader@3:2'] },
    { name: 'pause a rank 20 s', args: ['--pause', '2@5:20'], base: p.longPause, catchUp: 0.9 },
    { name: 'partition the leader 3 s', args: ['--partition', 'leader@3:3'] },
    { name: '--drop 0.1', args: ['--drop', '0.1'] },
    { name: '--dup 0.1', args: ['--dup', '0.1'] },
    { name: '--delay 50±25', args: ['--delay', '50±25'] },
    { name: 'late start of one rank', args: ['--start', '4@3'] },
    // --eager is a Paxos flag (rounds run ahead of the slot clock); TRaft has no rounds to hurry.
    ...(p.name === 'paxos'
      ? [{ name: '--eager, kill the leader, restart it', args: ['--eager', '--kill', 'leader@3', '--restart', 'killed@5'] }]
      : []),
  ];
}

interface Resolved {
  action: string;
  rank: number | null;
  atMs: number;
  appliedAtMs: number;
  resumedAtMs?: number;
  untilMs?: number;
  groups?: number[][];
}

interface RunFile {
  startAtMs: number;
  t: number;
  ranks: number;
  resolved?: Resolved[];
}

/** Window: the fault's span in ms after the start ([fromMs, untilMs)); untilMs is the run's end for a kill that is never undone. */
interface Window {
  fromMs: number;
  untilMs: number;
  /** affected: the rank whose next commit after untilMs is the recovery time (restarted, resumed, started, cut off). */
  affected: number | null;
  /** endsInRun: the fault is undone before the end (so "after" and recovery exist). */
  endsInRun: boolean;
}

function faultWindow(run: RunFile): Window | null {
  const faults = run.resolved ?? [];
  if (faults.length === 0) return null;
  const endMs = run.t * 1000;
  const fromMs = Math.min(...faults.map((f) => f.appliedAtMs));
  // A kill lasts until its rank's restart, or to the end of the run.
  const restartOf = (rank: number | null): number | undefined => faults.find((f) => f.action === 'restart' && f.rank === rank)?.appliedAtMs;
  let untilMs = fromMs;
  let endsInRun = true;
  let affected: number | null = null;
  for (const f of faults) {
    if (f.action === 'kill') {
      const restart = restartOf(f.rank);
      if (restart === undefined) endsInRun = false;
      untilMs = Math.max(untilMs, restart ?? endMs);
      affected ??= f.rank;
      continue;
    }
    untilMs = Math.max(untilMs, f.resumedAtMs ?? f.untilMs ?? f.appliedAtMs);
    affected = f.rank;
  }
  return { fromMs, untilMs: endsInRun ? untilMs : endMs, affected, endsInRun };
}

interface Row {
  protocol: string;
  scenario: string;
  commits: number[];
  rates: [number, number, number] | null;
  overall: number;
  recoveryMs: number | null;
  rules: string;
  /** affected: the rank the fault hit (resolved), whose catch-up the long pause grades. */
  affected: number | null;
  caughtUp: number | null;
  pass: boolean;
  load: number;
}

/** bestRate is the best rank's commits per second in [fromMs, untilMs) after the start. */
function bestRate(timelines: Commit[][], startAtMs: number, fromMs: number, untilMs: number): number {
  if (untilMs <= fromMs) return NaN;
  const counts = timelines.map((c) => countBetween(c, startAtMs + fromMs, startAtMs + untilMs));
  return (Math.max(...counts) * 1000) / (untilMs - fromMs);
}

function rulesOf(dir: string): string {
  const r = spawnSync(process.execPath, [CLI, 'check', '--dir', dir, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  try {
    const result = JSON.parse(r.stdout) as { rules: { rule: number; verdict: string }[] };
    return result.rules.map((x) => `${x.rule}${x.verdict === 'pass' ? '✓' : '✗'}`).join(' ');
  } catch {
    return `check exit ${r.status}`;
  }
}

function inspectRun(dir: string, row: Row): void {
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunFile;
  const timelines = Array.from({ length: run.ranks }, (_, r) => {
    try {
      return commitsOf(dir, r);
    } catch {
      return [];
    }
  });
  row.rules = rulesOf(dir);
  const w = faultWindow(run);
  const endMs = run.t * 1000;
  if (w !== null) {
    row.rates = [
      bestRate(timelines, run.startAtMs, 0, w.fromMs),
      bestRate(timelines, run.startAtMs, w.fromMs, w.untilMs),
      bestRate(timelines, run.startAtMs, w.untilMs, endMs),
    ];
    // A fault that is undone: the affected rank's next commit after it ends. A kill that stays:
    // the survivors' next commit after it (how long the cluster stood still).
    const after = run.startAtMs + (w.endsInRun ? w.untilMs : w.fromMs);
    const watched = w.endsInRun && w.affected !== null ? [timelines[w.affected] ?? []] : timelines.filter((_, r) => r !== w.affected);
    const next = Math.min(...watched.map((c) => c.find((x) => x.atMs >= after)?.atMs ?? Infinity));
    row.recoveryMs = Number.isFinite(next) ? next - after : null;
    row.affected = w.affected;
  }
}

async function runRow(p: Protocol, s: Scenario, port: number): Promise<Row> {
  const args = [...(s.base ?? p.base), ...s.args, '--seed', '1'];
  const t = Number(args[args.indexOf('-t') + 1]);
  const row: Row = {
    protocol: p.name,
    scenario: s.name,
    commits: [],
    rates: null,
    overall: 0,
    recoveryMs: null,
    rules: '',
    affected: null,
    caughtUp: null,
    pass: false,
    load: 0,
  };
  const r = await runCluster(`faults-${p.name}`, args, port, 0, {}, (dir) => inspectRun(dir, row));
  row.commits = r.ranks.map((x) => x.commits);
  row.overall = Math.max(...row.commits) / t;
  row.load = r.load;
  if (s.catchUp !== undefined && row.affected !== null) row.caughtUp = (row.commits[row.affected] ?? 0) / Math.max(...row.commits);
  row.pass = r.check === 0 && (s.catchUp === undefined || (row.caughtUp ?? 0) >= s.catchUp);
  return row;
}

const k = (n: number): string => (Number.isNaN(n) ? '—' : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));

function formatRow(r: Row): string {
  const rates = r.rates === null ? `${k(r.overall)} (whole run)` : r.rates.map(k).join(' / ');
  const recovery = r.recoveryMs === null ? '—' : `${(r.recoveryMs / 1000).toFixed(2)} s`;
  const caught = r.caughtUp === null ? '' : ` (affected rank at ${(100 * r.caughtUp).toFixed(0)}% of best)`;
  return `| ${r.protocol} | ${r.scenario} | ${r.load.toFixed(1)} | ${r.commits.join(' / ')} | ${rates} | ${recovery} | ${r.rules} | ${r.pass ? 'pass' : '**FAIL**'}${caught} |`;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_FAULTS_ONLY;
  const rowFilter = process.env.BENCH_FAULTS_ROWS === undefined ? null : new RegExp(process.env.BENCH_FAULTS_ROWS);
  const rows: Row[] = [];
  let port = 24_600;
  for (const p of PROTOCOLS) {
    if (only !== undefined && only !== p.name) continue;
    for (const s of scenarios(p)) {
      if (rowFilter !== null && !rowFilter.test(s.name)) continue;
      const row = await runRow(p, s, port);
      port += 100;
      rows.push(row);
      process.stderr.write(`bench faults: ${formatRow(row)}\n`);
    }
  }
  const failed = rows.filter((r) => !r.pass).length;
  writeSection(
    'faults',
    `## Fault matrix (\`faults\`)

Command: \`npm run bench faults\` (scripts/bench/faults.bench.ts; \`BENCH_FAULTS_ONLY=paxos|traft\` runs one protocol,
\`BENCH_FAULTS_ROWS=<regex>\` the scenarios it matches).
Each row is one \`csplab run <base> <fault flags> --seed 1\`, 5 ranks over TCP: Paxos at \`-o 1 -l 10000 -t 10\`, TRaft at
\`--protocol traft -o 1 -l 10000 -t 10\`; the 20 s pause runs 30 s (Paxos at \`-l 1000000\`). Faults fire at 3 s (the
long pause at 5 s). Machine: ${machine()}; load is the 1-minute load average before the row.

- commits/s before / during / after: the best rank's commits per second before the fault, while it holds (for a kill
  that is never undone: to the end), and after it ends; whole-run faults (drop, dup, delay) give one rate.
- recovery: from the fault's end (resume, restart, partition healed, late start) to the affected rank's next commit;
  for a kill that stays, from the kill to the survivors' next commit.
- rules: \`csplab check --json\`'s verdict per rule. A row passes if the checker passes and, for the long pause, the
  paused rank ends with ≥ 90% of the best rank's commits.

| protocol | scenario | load | commits per rank (0–4) | commits/s before / during / after | recovery | rules | verdict |
|---|---|---|---|---|---|---|---|
${rows.map(formatRow).join('\n')}

Reading the rows. Paxos rounds rotate among the ranks by the slot clock, so a rank that is down loses its own
rounds (a kill of 1 of 5 costs every fifth round; of 2, two in five), and a rank that is back commits the rounds led
after it rejoins. TRaft keeps one leader, so a follower's loss costs nothing and a leader's costs an election (E = 1 s
at \`-o 1\`). The long pause is the hard row for Paxos: the others commit at full rate meanwhile, so the paused rank
returns about a million instances behind and must catch up beside live rounds (docs/protocols/paxos.md §6.4).

The long pause, profiled (\`--cpu-prof\` on the ranks; docs/protocols/paxos.md §12 has the numbers): the resumed
rank catches up by 16,384-entry CATCHUP chunks, eight in flight, so its rate is its share of the CPU. Cut since: the
leader's second committed-log window (it reads its follower's), PROPOSE values to a rank with more chunks to come
than in flight (they follow its last chunk), and the far-behind rank's own round (it hands it on with NEXT, §6.4),
which alone cost the others a fifth of the 5 s after the resume. Left: a \`generate\` line and two log events per
caught-up entry (\`Follower.commitChunk\`), and the collector's share on the resumed rank.

${failed === 0 ? 'Every row passes.' : `**${failed} row(s) failed** (the verdict column says why; a run the checker fails keeps its logs, named on the benchmark's stderr).`}
`,
  );
  if (failed > 0) process.exitCode = 1;
}

void main();
