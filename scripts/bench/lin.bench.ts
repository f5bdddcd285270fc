// lin.bench: `csplab check --lin` on generated client histories (scripts/bench/gen-history.ts):
// many small register histories in one call, a 1,000-op register with :info, a 10,000-op kv
// with appends, a 1,000,000-op kv with unique values, a hard case, and the CLI's start-up
// alone. The checker runs as a child process under /usr/bin/time, as a student would run it.
// Writes the `lin` section of docs/benchmarks.md.
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHistory, type GenHistoryOptions } from './gen-history.js';
import { median } from './cluster-run.js';
import { machine, writeSection } from './sections.js';
import { TIME, timeCli, type Measure } from './time-cli.js';

function measure(args: string[]): Measure {
  return timeCli(['check', '--lin', ...args]);
}

function writeHistory(path: string, o: GenHistoryOptions): number {
  const fd = openSync(path, 'w');
  let buf: string[] = [];
  const stats = generateHistory(o, (l) => {
    buf.push(l);
    if (buf.length >= 10_000) {
      writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
  });
  writeSync(fd, `${buf.join('\n')}\n`);
  closeSync(fd);
  return stats.lines;
}

/** hardHistory: 400 register ops over values 0..1, 20 % :info; the last ok read returns 2, which no op wrote. */
function hardHistory(dir: string, processes: number): string {
  const p = join(dir, `hard${processes}.edn`);
  const lines: string[] = [];
  const o = { model: 'register', format: 'edn', processes, ops: 400, values: 2, info: 0.2, replace: true } as const;
  const stats = generateHistory({ ...o, seed: `hard${processes}` }, (l) => lines.push(l));
  const at = (stats.okReads[stats.okReads.length - 1] ?? 1) - 1;
  lines[at] = (lines[at] ?? '').replace(/:value [01]/, ':value 2');
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

interface Case {
  readonly label: string;
  readonly how: string;
  readonly files: (dir: string) => string[];
  readonly args?: string[];
  readonly expect: number[];
  readonly runs: number;
  readonly target: string;
}

const CASES: Case[] = [
  {
    label: 'start-up: a 2-op register history',
    how: 'one write and one read',
    files: (dir) => {
      const p = join(dir, 'tiny.edn');
      writeFileSync(p, '{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n');
      return [p];
    },
    expect: [0],
    runs: 5,
    target: '—',
  },
  {
    label: '100 register histories, 200–400 ops each, one call',
    how: 'EDN; 5–20 processes; values 0..4; 10 % cas, 5 % :info (the process continues under a new id), 5 % of writes :fail',
    files: (dir) =>
      Array.from({ length: 100 }, (_, i) => {
        const p = join(dir, `r${i}.edn`);
        const o = { model: 'register', format: 'edn', processes: 5 + (i % 16), ops: 200 + ((i * 37) % 201), values: 5 } as const;
        writeHistory(p, { ...o, cas: 0.1, info: 0.05, fail: 0.05, replace: true, seed: `many-${i}` });
        return p;
      }),
    expect: [0],
    runs: 3,
    target: '≤ 1 s',
  },
  {
    label: 'register, 5 processes, 1,000 ops',
    how: 'EDN; values 0..4; 10 % cas, 10 % :info (new process id after each)',
    files: (dir) => {
      const p = join(dir, 'reg1k.edn');
      writeHistory(p, {
        model: 'register',
        format: 'edn',
        processes: 5,
        ops: 1000,
        values: 5,
        cas: 0.1,
        info: 0.1,
        replace: true,
        seed: 'reg1k',
      });
      return [p];
    },
    expect: [0],
    runs: 3,
    target: '≤ 1 s',
  },
  {
    label: 'kv, 50 clients, 100 keys, 10,000 ops with appends',
    how: 'JSONL; 30 % appends (unique strings), 5 % deletes, rest get/put (put values from 0..9), 5 % :info',
    files: (dir) => {
      const p = join(dir, 'kv10k.jsonl');
      writeHistory(p, {
        model: 'kv',
        format: 'jsonl',
        processes: 50,
        ops: 10_000,
        keys: 100,
        values: 10,
        append: 0.3,
        delete: 0.05,
        info: 0.05,
        replace: true,
        seed: 'kv10k',
      });
      return [p];
    },
    expect: [0],
    runs: 3,
    target: '≤ 1 s',
  },
  {
    label: 'kv, 50 clients, 1,000 keys, 1,000,000 ops, unique values',
    how: 'JSONL; get/put half each, every put value unique; 1 % :info, 1 % of puts :fail',
    files: (dir) => {
      const p = join(dir, 'kv1m.jsonl');
      writeHistory(p, {
        model: 'kv',
        format: 'jsonl',
        processes: 50,
        ops: 1_000_000,
        keys: 1000,
        info: 0.01,
        fail: 0.01,
        replace: true,
        seed: 'kv1m',
      });
      return [p];
    },
    expect: [0],
    runs: 1,
    target: '≤ 30 s, ≤ 1 GB',
  },
  ...[2, 4, 8, 16].map((processes): Case => ({
    label: `hard: register, ${processes} processes, 400 ops, last read of a value nobody wrote, --time-limit 10`,
    how: 'EDN; values 0..1; no cas; 20 % :info (the process continues under a new id, so open ops pile up); the last ok read returns 2, a value no op wrote',
    files: (dir) => [hardHistory(dir, processes)],
    args: ['--time-limit', '10'],
    expect: [0, 1, 5],
    runs: 1,
    target: 'where the search stops scaling',
  })),
  {
    label: 'hard: register, 16 processes, as above, --time-limit 60 --memory-limit 64',
    how: 'the 16-process history above',
    files: (dir) => [hardHistory(dir, 16)],
    args: ['--time-limit', '60', '--memory-limit', '64'],
    expect: [5],
    runs: 1,
    target: 'memory bounded: unknown (memory limit), exit 5',
  },
];

function main(): void {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to measure peak RSS (apt-get install time)`);
  const rows: string[] = [];
  const loadBefore = loadavg()[0] ?? NaN;
  for (const c of CASES) {
    const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-lin-'));
    try {
      const files = c.files(dir);
      const runs = Array.from({ length: c.runs }, () => measure([...files, ...(c.args ?? [])]));
      for (const m of runs)
        if (!c.expect.includes(m.status ?? -1)) throw new Error(`${c.label}: exit ${m.status}\n${m.stdout.slice(0, 2000)}`);
      const wall = median(runs.map((m) => m.wallS));
      const times = c.runs > 1 ? `${wall.toFixed(2)} s (${runs.map((m) => m.wallS.toFixed(2)).join(', ')})` : `${wall.toFixed(2)} s`;
      const verdict = ['linearizable (0)', 'NOT linearizable (1)', '', '', '', 'unknown (5)'][runs[0]?.status ?? 2] ?? '?';
      const rss = Math.max(...runs.map((m) => m.maxRssMiB));
      rows.push(
        `| ${c.label} | ${c.how} | ${verdict} | ${times} | ${median(runs.map((m) => m.cpuS)).toFixed(2)} s | ${rss.toFixed(0)} MiB | ${c.target} |`,
      );
      process.stderr.write(`bench lin: ${c.label}: ${times}, ${rss.toFixed(0)} MiB\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeSection(
    'lin',
    `## Linearizability checker (\`check --lin\`)

Command: \`npm run bench lin\` (scripts/bench/lin.bench.ts; histories from scripts/bench/gen-history.ts, which runs the
sequential model under random concurrent clients, so every history is linearizable by construction).
Machine: ${machine()}; 1-minute load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? NaN).toFixed(1)} after (other work shares these cores).

Each run: \`/usr/bin/time node dist/cmd/csplab.js check --lin <files>\`, the whole CLI process, start-up included
(the first row is start-up alone: \`csplab check\` loads the check command, check/, yargs and runtime/clock.ts — not
run, rank, protocol code or cluster machinery; --html's renderer only when asked). Wall time is the median of the
runs listed; CPU is user + system; RSS is the peak. The 1-minute load average shows how busy the 2 cores were: wall
times above the CPU column are time spent waiting for a core.

| case | histories | verdict | wall (runs) | CPU | peak RSS | target |
|---|---|---|---|---|---|---|
${rows.join('\n')}

The hard rows show where the search stops scaling: a history that is not linearizable makes the search explore
every (linearized set, state) pair before the failing read, and with two values and :info ops
piling up (each stays open to the end) those pairs grow exponentially with the open ops; past the limit the
verdict is \`unknown (time limit)\`, exit 5 (docs/history.md §Algorithms and complexity). Once a verdict is
\`NOT linearizable\`, naming and shrinking the failing set runs on its own budget (as long as \`--time-limit\`), so
a failing row may take up to twice the limit. The memo is bounded by \`--memory-limit\` (default 512 MiB; the last
row sets 64): past it the verdict is \`unknown (memory limit)\`, exit 5, and RSS stays near the limit plus Node's own.`,
  );
}

main();
