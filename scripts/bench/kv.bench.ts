// kv.bench: TRaft as a key-value store under 20 clients (`csplab kv run --store traft`), 5 rank
// processes over TCP on this machine, one run per row: puts only; gets by ReadIndex; gets by a
// leader lease (--lease-reads --clock-drift 0.01); a 50/50 mix by ReadIndex. Ops/s over the load
// (-t minus the op deadline) and p50/p99 latency of ok ops, from the run's kv.json; every run's
// history must grade linearizable (the command's exit 0). BENCH_KV_T=s sets -t (10). Writes the
// `kv` section of docs/benchmarks.md; the chain rows write `kv-chain`, and CRAQ against tail-only
// reads on a Zipf load concentrated on one range writes `kv-craq` (BENCH_KV_ONLY=craq: those alone);
// the chain store under 64–512 clients writes `kv-chain-clients` (BENCH_KV_ONLY=clients, kv-clients.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientsRows } from './kv-clients.js';
import { both, CHAIN, CHAIN_CLIENTS, CHAIN_ROWS, CLI, configTimes, fmt, kvRun, ONLY, ROWS, T, type Run } from './kv-run.js';
import { machine, writeSection } from './sections.js';

type HistoryLine = { type: string; time: number };

async function main(): Promise<void> {
  let failed = false;
  if ((ONLY === undefined || ONLY === 'traft') && !(await traftRows())) failed = true;
  if ((ONLY === undefined || ONLY === 'chain') && !(await chainRows())) failed = true;
  if ((ONLY === undefined || ONLY === 'craq') && !(await craqRows())) failed = true;
  if ((ONLY === undefined || ONLY === 'master') && !(await masterRows())) failed = true;
  if ((ONLY === undefined || ONLY === 'clients') && !(await clientsRows())) failed = true;
  if (failed) process.exitCode = 1;
}

/** traftRows: TRaft's rows and the `kv` section; false if a history was not linearizable. */
async function traftRows(): Promise<boolean> {
  const lines: string[] = [];
  let passed = true;
  for (const row of ROWS) {
    const r = await kvRun(row.flags);
    const ok = r.status === 0;
    passed &&= ok;
    const verdict = ok ? 'linearizable' : `**exit ${r.status}**`;
    const q = row.show === 'get' ? r.kv.get : r.kv.put;
    const cells = row.show === 'both' ? both(r.kv.put, r.kv.get) : fmt(q);
    lines.push(
      `| ${row.name} | \`${row.flags.join(' ')}\` | ${cells} | ${r.kv.info} | ${r.kv.retries} | ${verdict} | ${r.load.toFixed(1)} |`,
    );
    process.stderr.write(`bench kv: ${row.name}: ${cells} ops/s | p50 | p99 ms, ${verdict}\n`);
    if (!ok) process.stderr.write(r.stderr);
  }
  writeSection(
    'kv',
    `## TRaft as a key-value store: 20 clients (\`kv.bench\`)

\`csplab kv run --store traft --clients 20 -t ${T}\` plus the row's flags: 5 rank processes, 20 clients
each with one op outstanding over loopback TCP, 8 keys. Ops/s are ok ops over the load (-t minus
the 2 s op deadline); latency is invoke to ok at the client; the mixed row gives put + get ops/s and put / get latencies. Machine: ${machine()}.

| ops | flags | ops/s | p50 ms | p99 ms | info | retries | history | load |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}

/** KILL_T, KILL_AT_S: the node-kill row runs longer, so the recovery after the master's failTimeoutMs (2 s) shows. */
const KILL_T = Number(process.env.BENCH_KV_KILL_T ?? 14);
const KILL_AT_S = 4;
const BUCKET_MS = 500;

/**
 * dipAndRecovery: from the ok completions' times (ms since the load's start), the mean rate
 * before the kill (from 1 s in, past the start's routing misses), the slowest 500 ms after it,
 * and how long after the kill a 500 ms bucket first reaches 80% of the mean again (after the dip).
 */
function dipAndRecovery(
  oks: readonly number[],
  killMs: number,
  endMs: number,
): { before: number; dip: number; recoveredMs: number | null } {
  const buckets = new Array<number>(Math.ceil(endMs / BUCKET_MS)).fill(0);
  for (const t of oks) if (t >= 0 && t < endMs) buckets[Math.floor(t / BUCKET_MS)] = (buckets[Math.floor(t / BUCKET_MS)] ?? 0) + 1;
  const rate = (i: number): number => ((buckets[i] ?? 0) * 1000) / BUCKET_MS;
  const first = Math.ceil(1000 / BUCKET_MS);
  const killAt = Math.floor(killMs / BUCKET_MS);
  let sum = 0;
  for (let i = first; i < killAt; i++) sum += rate(i);
  const before = sum / Math.max(1, killAt - first);
  let dipAt = killAt;
  for (let i = killAt; i < buckets.length; i++) if (rate(i) < rate(dipAt)) dipAt = i;
  let recoveredMs: number | null = null;
  for (let i = dipAt; i < buckets.length && recoveredMs === null; i++)
    if (rate(i) >= 0.8 * before) recoveredMs = (i + 1) * BUCKET_MS - killMs;
  return { before, dip: rate(dipAt), recoveredMs };
}

/** chainRow: one chain row's table line; cpu is the node and master processes' CPU (user + system) per ok op, a load-independent cost. */
function chainLine(name: string, flags: string[], cells: string, r: Run, verdict: string): string {
  const perOp = (ms: number | undefined): string => (ms !== undefined && r.kv.ok > 0 ? ((1000 * ms) / r.kv.ok).toFixed(0) : '—');
  const cpuPerOp = `${perOp(r.cpuLoadMs)} + ${perOp(r.kv.runnerCpuMs)}`;
  return `| ${name} | \`${flags.join(' ')}\` | ${cells} | ${r.kv.info} | ${r.kv.retries} | ${cpuPerOp} | ${verdict} | ${r.load.toFixed(1)} |`;
}

/** chainRows: the chain store's rows, the node-kill row, and the `kv-chain` section; false if a history was not linearizable. */
async function chainRows(): Promise<boolean> {
  const lines: string[] = [];
  let passed = true;
  for (const row of CHAIN_ROWS) {
    const r = await kvRun(row.flags, CHAIN);
    const ok = r.status === 0;
    passed &&= ok;
    const verdict = ok ? 'linearizable' : `**exit ${r.status}**`;
    const cells = row.show === 'both' ? both(r.kv.put, r.kv.get) : fmt(row.show === 'get' ? r.kv.get : r.kv.put);
    lines.push(chainLine(row.name, row.flags, cells, r, verdict));
    process.stderr.write(`bench kv chain: ${row.name}: ${cells} ops/s | p50 | p99 ms, ${verdict}\n`);
    if (!ok) process.stderr.write(r.stderr);
  }
  const killFlags = ['--get-share', '0', '--kill', `3@${KILL_AT_S}`];
  const k = await kvRun(killFlags, CHAIN, KILL_T);
  passed &&= k.status === 0;
  const d = dipAndRecovery(k.oks, KILL_AT_S * 1000, (KILL_T - 2) * 1000);
  const recovered = d.recoveredMs === null ? 'not within the run' : `${(d.recoveredMs / 1000).toFixed(1)} s`;
  const killLine = `puts ${d.before.toFixed(0)}/s before the kill; slowest 500 ms after it ${d.dip.toFixed(0)}/s; back to ≥ 80% ${recovered} after the kill`;
  lines.push(
    chainLine(
      `put, node 3 killed at ${KILL_AT_S} s (-t ${KILL_T})`,
      killFlags,
      fmt(k.kv.put),
      k,
      k.status === 0 ? 'linearizable' : `**exit ${k.status}**`,
    ),
  );
  process.stderr.write(`bench kv chain: kill: ${killLine}\n`);
  if (k.status !== 0) process.stderr.write(k.stderr);
  writeSection(
    process.env.BENCH_KV_SECTION ?? 'kv-chain',
    `## Chain replication as a key-value store (\`kv.bench\`)

\`csplab kv run ${CHAIN.join(' ')} -t ${T}\` plus the row's flags: the master group (3 ranks, kv run's default) and 5 node processes,
chains of 3, ${CHAIN_CLIENTS} clients each with one op outstanding over loopback TCP, routed per key
(writes to the key's head, gets to its tail). Gate: ≥ 5,000 writes/s (the put row). "cpu µs/op":
the master's and nodes' CPU (user + system, from summary.json, from the run's start: start-up
excluded) + the clients' (the \`kv run\` process's while they ran) per ok op. Node kill: ${killLine}. Machine: ${machine()}.

| ops | flags | ops/s | p50 ms | p99 ms | info | retries | cpu µs/op | history | load |
|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}

/** ZIPF: keys drawn with s = 2: the hottest key takes ~61% of the ops, so one range (one chain) takes most of the load. */
const ZIPF = ['--key-dist', 'zipf', '--zipf-exponent', '2'];
const CRAQ_ROWS: ReadonlyArray<{ name: string; flags: string[]; show: 'get' | 'both' }> = [
  { name: 'get, tail reads', flags: ['--get-share', '1', ...ZIPF], show: 'get' },
  { name: 'get, CRAQ', flags: ['--get-share', '1', ...ZIPF, '--craq'], show: 'get' },
  { name: '90/10 get/put, tail reads', flags: ['--get-share', '0.9', ...ZIPF], show: 'both' },
  { name: '90/10 get/put, CRAQ', flags: ['--get-share', '0.9', ...ZIPF, '--craq'], show: 'both' },
];

/**
 * craqRows: CRAQ (R3) against tail-only reads on the chain store with a Zipf load concentrated on
 * one range, back to back, and the `kv-craq` section; false if a history was not linearizable.
 * "busiest node" is the largest share of gets one node answered: with tail-only reads the hot
 * range's tail answers nearly all, with CRAQ its three members share them — what CRAQ changes
 * whatever the machine's load.
 */
async function craqRows(): Promise<boolean> {
  const lines: string[] = [];
  const gets: number[] = [];
  let passed = true;
  for (const row of CRAQ_ROWS) {
    const r = await kvRun(row.flags, CHAIN);
    const ok = r.status === 0;
    passed &&= ok;
    gets.push(r.kv.get.opsPerS);
    const verdict = ok ? 'linearizable' : `**exit ${r.status}**`;
    const cells = row.show === 'both' ? both(r.kv.put, r.kv.get) : fmt(r.kv.get);
    const total = r.reads.reduce((a, b) => a + b, 0);
    const busiest = total > 0 ? `${((100 * Math.max(...r.reads)) / total).toFixed(0)}%` : '—';
    const perTurn = getsPerTurn(r);
    lines.push(`${chainLine(row.name, row.flags, cells, r, verdict)} ${busiest} | ${perTurn} |`);
    process.stderr.write(
      `bench kv craq: ${row.name}: ${cells} ops/s | p50 | p99 ms, busiest node ${busiest} of gets, ${perTurn} gets per read turn, ${verdict}\n`,
    );
    if (!ok) process.stderr.write(r.stderr);
  }
  const ratio = (i: number, j: number): string => ((gets[i] ?? 0) / Math.max(1, gets[j] ?? 0)).toFixed(2);
  writeSection(
    'kv-craq',
    `## CRAQ against tail-only reads on one hot range (\`kv.bench\`, issue 18)

\`csplab kv run ${CHAIN.join(' ')} ${ZIPF.join(' ')} -t ${T}\` plus the row's flags, rows run back to back:
the chain store as in the rows above, keys Zipf-skewed with s = 2 (the hottest key ~61% of the ops,
so its range's chain carries most of the load). Tail-only reads put every get of that range on
its tail; \`--craq\` lets all three members answer (docs/protocols/chain.md §3a). CRAQ / tail-only
gets/s: **${ratio(1, 0)}×** (all gets), **${ratio(3, 2)}×** (90/10). "busiest node": the largest share of the
gets one node answered (from each node's summary); "cpu µs/op": the ranks' CPU from the run's start
+ the clients', per ok op; "gets/turn": gets answered per turn that answered any (nodes' \`reads\` /
\`readTurns\`): how many gets share one wake-up's cost. Machine: ${machine()}.

| ops | flags | ops/s | p50 ms | p99 ms | info | retries | cpu µs/op | history | load | busiest node | gets/turn |
|---|---|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}

/** getsPerTurn: the nodes' gets per turn that answered one (— from a build without readTurns). */
function getsPerTurn(r: Run): string {
  let reads = 0;
  let turns = 0;
  for (const rank of r.summary.ranks) {
    const s = rank.summary;
    if (typeof s?.readTurns !== 'number') continue;
    reads += s.reads ?? 0;
    turns += s.readTurns;
  }
  return turns > 0 ? (reads / turns).toFixed(1) : '—';
}

/** MASTERS: the chain master's two forms, their ranks, and the second node's rank (the one killed). */
const MASTERS = [
  { master: 'single', ranks: 1, victim: 2 },
  { master: 'replicated', ranks: 3, victim: 4 },
] as const;
/** SIM_CLIENTS: the simulator's rows run 8 clients (64 simulated clients take minutes of CPU; a reconfiguration's time hardly depends on them). */
const SIM_CLIENTS = 8;
const SIM_BASE_MS = 1_700_000_000_000; // runtime/sim/sim.ts BASE_MS: virtual time's epoch in the logs

/** reconfigCells: after the event at KILL_AT_S: the first and last configuration installed, and the put rate's recovery. */
function reconfigCells(oks: readonly number[], configsMs: readonly number[], endMs: number): string {
  const at = KILL_AT_S * 1000;
  const after = configsMs.filter((c) => c >= at);
  const s = (ms: number | undefined): string => (ms === undefined ? '—' : `${((ms - at) / 1000).toFixed(2)} s`);
  const d = dipAndRecovery(oks, at, endMs);
  const back = d.recoveredMs === null ? 'not within the run' : `${(d.recoveredMs / 1000).toFixed(1)} s`;
  return `${s(after[0])} | ${s(after.at(-1))} (${after.length}) | ${d.before.toFixed(0)} → ${d.dip.toFixed(0)}, back ${back}`;
}

/** simRun: the same row in the simulator (load-independent times): its history's ok times and the master's configurations. */
async function simRun(flags: string[], masters: number): Promise<{ oks: number[]; configsMs: number[]; status: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-kv-sim-'));
  try {
    const load = ['--replication', '3', '--clients', String(SIM_CLIENTS), '--value-size', '1024', '--kv-keys', '1000'];
    const ranks = masters + 5 + (flags.includes('--start') ? 1 : 0);
    const args = [CLI, 'sim', '--protocol', 'chain', '--ranks', String(ranks), ...load];
    args.push('-t', String(KILL_T), '--seed', '1', ...flags, '--log-dir', dir, '--quiet');
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const oks = readFileSync(join(dir, 'history.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"ok"'))
      .map((l) => (JSON.parse(l) as HistoryLine).time);
    return { oks, configsMs: configTimes(dir, masters, SIM_BASE_MS), status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** masterRows: replicated vs single master: steady-state puts, and a node added or killed (section `kv-chain-master`). */
async function masterRows(): Promise<boolean> {
  const lines: string[] = [];
  let passed = true;
  for (const m of MASTERS) {
    const base = [...CHAIN, '--master', m.master];
    const steady = await kvRun(['--get-share', '0'], base, T, m.ranks);
    passed &&= steady.status === 0;
    lines.push(
      `| ${m.master} | steady puts (-t ${T}) | ${fmt(steady.kv.put)} | — | — | — | — | — | — | ${verdictOf(steady.status)} | ${steady.load.toFixed(1)} |`,
    );
    const events = [
      {
        what: `node ${m.ranks + 5} added at ${KILL_AT_S} s`,
        real: ['--add', `@${KILL_AT_S}`],
        sim: ['--start', `${m.ranks + 5}@${KILL_AT_S}`],
      },
      {
        what: `node ${m.victim} killed at ${KILL_AT_S} s`,
        real: ['--kill', `${m.victim}@${KILL_AT_S}`],
        sim: ['--kill', `${m.victim}@${KILL_AT_S}`],
      },
    ];
    for (const e of events) {
      const r = await kvRun(['--get-share', '0', ...e.real], base, KILL_T, m.ranks);
      const s = await simRun(['--master', m.master, '--get-share', '0', ...e.sim], m.ranks);
      passed &&= r.status === 0 && s.status === 0;
      const endMs = (KILL_T - 2) * 1000;
      const real = reconfigCells(r.oks, r.configsMs, endMs);
      const sim = reconfigCells(s.oks, s.configsMs, endMs);
      lines.push(
        `| ${m.master} | ${e.what} (-t ${KILL_T}) | ${fmt(r.kv.put)} | ${real} | ${sim} | ${verdictOf(r.status)}, sim ${verdictOf(s.status)} | ${r.load.toFixed(1)} |`,
      );
      process.stderr.write(`bench kv master: ${m.master} ${e.what}: real ${real}; sim ${sim}\n`);
    }
  }
  writeSection(
    'kv-chain-master',
    `## Chain KV: replicated vs single master (\`kv.bench\`, \`BENCH_KV_ONLY=master\`)

\`csplab kv run ${CHAIN.join(' ')} --get-share 0 --master <m>\` plus the row's flags, as the chain rows
above: 5 node processes, and the master as one rank (single) or a TRaft group of three
(replicated). Reconfiguration times count from the event at ${KILL_AT_S} s: the first and the last
configuration the master installed after it (how many), and the put rate (500 ms buckets) before
→ at its lowest after, and when it is back at ≥ 80 %. The same rows in the simulator (\`csplab sim
--protocol chain\`, ${SIM_CLIENTS} clients, seed 1, virtual time) give the times without this
machine's load. Machine: ${machine()}.

| master | row | puts/s | p50 ms | p99 ms | first config | last config (n) | puts/s before → lowest, back ≥ 80 % | sim: first config | sim: last (n) | sim: puts/s | history | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}

const verdictOf = (status: number | null): string => (status === 0 ? 'linearizable' : `**exit ${status}**`);

await main();
