// vectory.bench: Vectory as a key-value store (`csplab kv run --store vectory`, issue 21): 5 node
// processes over loopback TCP, 10 shards, 1 KiB values, 20 clients. Writes/s across shards; local
// against master reads (ops/s and the nodes' CPU per op); p50/p99; how long committed writes wait
// for the global apply (the nodes' applyLag, lag.ts) with every shard busy and with one idle shard
// whose ticks (V5) the apply waits on; the time to rebalance (spread ≤ 1) after a node restarts,
// from the balance over time in summary.json. Beside them, kv.bench's TRaft and chain put and get
// rows, run in the same process on the same machine. Every history must pass the command's grade
// (--lin, and --sc for Vectory). BENCH_VECTORY_T=s sets -t (8). Writes the `vectory` section of
// docs/benchmarks.md.
import { loadavg } from 'node:os';
import { balancedAt } from '../../runtime/series.js';
import { both, CHAIN, CHAIN_ROWS, fmt, kvRun, ROWS, type Run } from './kv-run.js';
import { median } from './cluster-run.js';
import { machine, writeSection } from './sections.js';

const T = Number(process.env.BENCH_VECTORY_T ?? 8);
const VECTORY = ['--store', 'vectory', '--nodes', '5', '--shards', '10', '--clients', '20', '--value-size', '1024'];
/** KEYS: 1000 keys touch every shard; k0…k14 touch all but shard 4 (runtime/client/shard.ts), which only ticks. */
const BUSY = ['--kv-keys', '1000'];
const IDLE = ['--kv-keys', '15'];

type Row = { name: string; flags: string[]; show: 'put' | 'get' | 'both' };
const ROWS_VECTORY: readonly Row[] = [
  { name: 'put, every shard busy', flags: [...BUSY, '--get-share', '0'], show: 'put' },
  { name: 'put, shard 4 idle (ticks)', flags: [...IDLE, '--get-share', '0'], show: 'put' },
  { name: 'get, local', flags: [...BUSY, '--get-share', '1', '--read', 'local'], show: 'get' },
  { name: 'get, master', flags: [...BUSY, '--get-share', '1', '--read', 'master'], show: 'get' },
  { name: '50/50 put/get, mix', flags: [...BUSY, '--get-share', '0.5', '--read', 'mix'], show: 'both' },
];
/** RESTART: node 3 killed at KILL_S and restarted at RESTART_S, under puts, in a longer run so balance can finish. */
const KILL_S = 3;
const RESTART_S = 5;
const RESTART_T = Number(process.env.BENCH_VECTORY_RESTART_T ?? 18);
/** START_T: T7 with real processes, every shard first mastered by node 0: long enough for L2's (S + 1)·10E = 55 s at E = 500 ms. */
const START_T = Number(process.env.BENCH_VECTORY_START_T ?? 60);

const verdictOf = (r: Run): string => (r.status === 0 ? 'graded ok' : `**exit ${r.status}**`);
const cpuPerOp = (r: Run): number => (r.kv.ok > 0 ? r.cpuMs / r.kv.ok : NaN);
const cellsOf = (r: Run, show: Row['show']): string =>
  show === 'both' ? both(r.kv.put, r.kv.get) : fmt(show === 'get' ? r.kv.get : r.kv.put);

/** applyLag: over the nodes, the median of their p50 and the largest p99 and max (ms), or dashes without writes. */
function applyLag(r: Run): string {
  const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
  const nodes = r.summary.ranks.map((x) => x.summary ?? {}).filter((s) => num(s.applyLagN) > 0);
  if (nodes.length === 0) return '— | — | —';
  return `${median(nodes.map((s) => num(s.applyLagP50Ms)))} | ${Math.max(...nodes.map((s) => num(s.applyLagP99Ms)))} | ${Math.max(...nodes.map((s) => num(s.applyLagMaxMs)))}`;
}

function line(store: string, row: Row, r: Run, lag: string): string {
  const cpu = Number.isNaN(cpuPerOp(r)) ? '—' : cpuPerOp(r).toFixed(2);
  return `| ${store} | ${row.name} | \`${row.flags.join(' ')}\` | ${cellsOf(r, row.show)} | ${r.kv.info} | ${r.kv.retries} | ${cpu} | ${lag} | ${verdictOf(r)} | ${r.load.toFixed(1)} |`;
}

/** restartRow: kill and restart node 3 under puts; when its shards were mastered again and when balance was back (spread ≤ 1). */
async function restartRow(): Promise<{ text: string; line: string; ok: boolean }> {
  const row: Row = { name: `put, node 3 killed at ${KILL_S} s, restarted at ${RESTART_S} s (-t ${RESTART_T})`, flags: [], show: 'put' };
  row.flags = [...BUSY, '--get-share', '0', '--kill', `3@${KILL_S}`, '--restart', `3@${RESTART_S}`];
  const r = await kvRun(row.flags, VECTORY, RESTART_T);
  const at = (action: string): number | undefined => r.summary.faults?.find((f) => f.action === action)?.appliedAtMs;
  const killAt = at('kill');
  const restartAt = at('restart');
  const series = r.summary.overTime;
  const s = (ms: number | undefined, from: number | undefined): string =>
    ms === undefined || from === undefined ? 'not within the run' : `${((ms - from) / 1000).toFixed(2)} s`;
  const remastered = killAt === undefined ? undefined : series?.points.find((p) => p.atMs > killAt && p.none === 0)?.atMs;
  const balanced = series === undefined || restartAt === undefined ? undefined : balancedAt(series, restartAt);
  const end = series?.points.at(-1)?.perRank.join('·') ?? '?';
  const tokens = r.summary.ranks.reduce((a, x) => a + (typeof x.summary?.tokens === 'number' ? x.summary.tokens : 0), 0);
  const text = `node 3 killed at ${KILL_S} s: every shard mastered again ${s(remastered, killAt)} after the kill; restarted at ${RESTART_S} s: spread ≤ 1 again ${s(balanced, restartAt)} after the restart (${tokens} balance tokens granted, as the nodes' last lifetimes count them; shards per node at the end ${end})`;
  return { text, line: line('vectory', row, r, applyLag(r)), ok: r.status === 0 };
}

/**
 * startRow: T7 as real processes under puts — every shard starts on node 0; how many node 0
 * held once all were mastered, and when the spread was ≤ 1 (L2 bounds it by (S + 1)·10E). It is
 * a benchmark row, not a suite test: at the default E a node moves one shard per 10E, and a
 * shorter E makes a loaded machine's late timers start elections that undo the premise.
 */
async function startRow(): Promise<{ text: string; line: string; ok: boolean }> {
  const row: Row = {
    name: `put, every shard started on node 0 (T7, -t ${START_T})`,
    flags: [...BUSY, '--get-share', '0', '--start-on', '0'],
    show: 'put',
  };
  const r = await kvRun(row.flags, VECTORY, START_T);
  const series = r.summary.overTime;
  const first = series?.points.find((p) => p.none === 0);
  const balanced = series === undefined ? undefined : balancedAt(series, first?.atMs ?? 0);
  const end = series?.points.at(-1)?.perRank.join('·') ?? '?';
  const when = balanced === undefined ? 'not within the run' : `${(balanced / 1000).toFixed(2)} s after the start`;
  const text = `all shards started on node 0: node 0 held ${first?.perRank[0] ?? '?'} of 10 once every shard was mastered; spread ≤ 1 ${when} (L2's bound (S + 1)·10E = 55 s); shards per node at the end ${end}`;
  return { text, line: line('vectory', row, r, applyLag(r)), ok: r.status === 0 && balanced !== undefined };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const runs = new Map<string, Run>();
  let passed = true;
  const load0 = loadavg()[0] ?? NaN;
  for (const row of ROWS_VECTORY) {
    const r = await kvRun(row.flags, VECTORY, T);
    runs.set(row.name, r);
    passed &&= r.status === 0;
    lines.push(line('vectory', row, r, applyLag(r)));
    process.stderr.write(
      `bench vectory: ${row.name}: ${cellsOf(r, row.show)} ops/s | p50 | p99 ms, apply lag ${applyLag(r)}, ${verdictOf(r)}\n`,
    );
    if (r.status !== 0) process.stderr.write(r.stderr);
  }
  const restart = await restartRow();
  passed &&= restart.ok;
  lines.push(restart.line);
  process.stderr.write(`bench vectory: ${restart.text}\n`);
  const start = await startRow();
  passed &&= start.ok;
  lines.push(start.line);
  process.stderr.write(`bench vectory: ${start.text}\n`);
  const others: readonly [string, string[], Row][] = [
    ['traft', ['--store', 'traft', '--clients', '20'], ROWS[0]!],
    ['traft', ['--store', 'traft', '--clients', '20'], ROWS[1]!],
    ['chain', CHAIN, CHAIN_ROWS[0]!],
    ['chain', CHAIN, CHAIN_ROWS[1]!],
  ];
  for (const [store, flags, row] of others) {
    const r = await kvRun(row.flags, flags, T);
    passed &&= r.status === 0;
    lines.push(line(store, row, r, '— | — | —'));
    process.stderr.write(`bench vectory: ${store} ${row.name}: ${cellsOf(r, row.show)} ops/s | p50 | p99 ms, ${verdictOf(r)}\n`);
  }
  const cheaper = readsCompared(runs.get('get, local'), runs.get('get, master'));
  writeSection('vectory', section(lines, cheaper, `${restart.text}. T7: ${start.text}`, load0));
  if (!passed) process.exitCode = 1;
}

/** readsCompared: how much cheaper local reads were than master reads in this run (latency, throughput, CPU per op). */
function readsCompared(local: Run | undefined, master: Run | undefined): string {
  if (local === undefined || master === undefined) return 'local against master reads: not measured';
  const x = (a: number, b: number): string => (Number.isFinite(a / b) ? `**${(a / b).toFixed(1)}×**` : '—');
  const p50 = (r: Run): number => r.kv.get.p50Ms ?? NaN;
  return `local reads: ${x(p50(master), p50(local))} lower p50, ${x(local.kv.get.opsPerS, master.kv.get.opsPerS)} the ops/s and ${x(cpuPerOp(master), cpuPerOp(local))} less CPU per op than master reads`;
}

function section(lines: readonly string[], cheaper: string, restart: string, load0: number): string {
  return `## Vectory as a key-value store, beside TRaft and chain (\`vectory.bench\`, issue 21)

\`npm run bench vectory\` (\`node dist/scripts/bench/vectory.bench.js\`): \`csplab kv run ${VECTORY.join(' ')} -t ${T}\` plus
the row's flags — 5 node processes over loopback TCP, 10 shards, 20 clients with one op outstanding each, writes
routed to the key's shard master, local reads to the client's home node, master reads to the shard's master, every
request carrying \`after\` (§9). Ops/s are ok ops over the load (-t minus the 2 s op deadline); latency is invoke to
ok at the client (a write is answered once applied in the global order, V6). "cpu ms/op": every node's CPU (user +
system, from summary.json, start-up included) per ok op. "apply lag": how long a committed client write waited, on
each node, for the global apply (the nodes' 1 ms histogram, lag.ts): the median over nodes of their p50, the largest
p99 and max. With every shard busy the frontiers move with the writes; with shard 4 idle (15 keys, none on it) every
write waits for that shard's next tick (V5, every H = 50 ms). ${cheaper}. Restart: ${restart}. "graded ok": the
command's exit 0 (Vectory: \`--lin\` and \`--sc\`; TRaft and chain: \`--lin\`). The TRaft and chain rows are kv.bench's
own (TRaft: 8 keys, 20 clients, default 16-byte values; chain: 1000 keys, ${CHAIN[7]} clients, 1 KiB), run after
Vectory's in the same process. Machine: ${machine()}; 1-minute load average ${load0.toFixed(1)} at the start, and per
row in "load" (the machine is shared: compare rows of one run, not across runs).

| store | ops | flags | ops/s | p50 ms | p99 ms | info | retries | cpu ms/op | apply lag p50 ms | p99 ms | max ms | history | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`;
}

await main();
