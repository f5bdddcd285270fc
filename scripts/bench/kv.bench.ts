// kv.bench: TRaft as a key-value store under 20 clients (`csplab kv run --store traft`), 5 rank
// processes over TCP on this machine, one run per row: puts only; gets by ReadIndex; gets by a
// leader lease (--lease-reads --clock-drift 0.01); a 50/50 mix by ReadIndex. Ops/s over the load
// (-t minus the op deadline) and p50/p99 latency of ok ops, from the run's kv.json; every run's
// history must grade linearizable (the command's exit 0). BENCH_KV_T=s sets -t (10). Writes the
// `kv` section of docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, writeSection } from './sections.js';

const CLI = fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));
const T = Number(process.env.BENCH_KV_T ?? 10);
let nextPort = 25_800; // away from the other cluster benchmarks

type Q = { count: number; opsPerS: number; p50Ms: number; p99Ms: number };
type KvJson = { ok: number; fail: number; info: number; retries: number; put: Q; get: Q };

const ROWS: ReadonlyArray<{ name: string; flags: string[]; show: 'put' | 'get' | 'both' }> = [
  { name: 'put', flags: ['--get-share', '0'], show: 'put' },
  { name: 'get, ReadIndex', flags: ['--get-share', '1', '--read', 'index'], show: 'get' },
  { name: 'get, lease', flags: ['--get-share', '1', '--read', 'lease', '--lease-reads', '--clock-drift', '0.01'], show: 'get' },
  { name: '50/50 put/get, ReadIndex', flags: ['--get-share', '0.5', '--read', 'index'], show: 'both' },
];

const TRAFT = ['--store', 'traft', '--clients', '20'];
/** CHAIN: chain replication, 5 nodes (and the master), chains of 3, 1 KiB values on 1000 keys. */
const CHAIN_CLIENTS = Number(process.env.BENCH_KV_CHAIN_CLIENTS ?? 64);
const CHAIN = [
  '--store',
  'chain',
  '--nodes',
  '5',
  '--replication',
  '3',
  '--clients',
  String(CHAIN_CLIENTS),
  '--value-size',
  '1024',
  '--kv-keys',
  '1000',
];
const CHAIN_ROWS: ReadonlyArray<{ name: string; flags: string[]; show: 'put' | 'get' | 'both' }> = [
  { name: 'put', flags: ['--get-share', '0'], show: 'put' },
  { name: 'get (tail reads)', flags: ['--get-share', '1'], show: 'get' },
  { name: '90/10 get/put', flags: ['--get-share', '0.9'], show: 'both' },
  { name: '50/50 get/put', flags: ['--get-share', '0.5'], show: 'both' },
];

async function kvRun(flags: string[], store = TRAFT): Promise<{ kv: KvJson; status: number | null; load: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-kv-'));
  try {
    const load = loadavg()[0] ?? NaN;
    const args = [CLI, 'kv', 'run', ...store, '-t', String(T), ...flags];
    args.push('--log-dir', dir, '--base-port', String((nextPort += 100)), '--quiet', '--clean');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const kv = JSON.parse(readFileSync(join(dir, 'kv.json'), 'utf8')) as KvJson;
    return { kv, status, load, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (q: Q): string => `${q.opsPerS.toFixed(0)} | ${q.p50Ms.toFixed(1)} | ${q.p99Ms.toFixed(1)}`;
const both = (p: Q, g: Q): string =>
  `${p.opsPerS.toFixed(0)} + ${g.opsPerS.toFixed(0)} | ${p.p50Ms.toFixed(1)} / ${g.p50Ms.toFixed(1)} | ${p.p99Ms.toFixed(1)} / ${g.p99Ms.toFixed(1)}`;

async function main(): Promise<void> {
  const lines: string[] = [];
  let failed = false;
  for (const row of ROWS) {
    const r = await kvRun(row.flags);
    const ok = r.status === 0;
    failed ||= !ok;
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
  if (!(await chainRows())) failed = true;
  if (failed) process.exitCode = 1;
}

/** chainRows: the chain store's rows and the `kv-chain` section; false if a history was not linearizable. */
async function chainRows(): Promise<boolean> {
  const lines: string[] = [];
  let passed = true;
  for (const row of CHAIN_ROWS) {
    const r = await kvRun(row.flags, CHAIN);
    const ok = r.status === 0;
    passed &&= ok;
    const verdict = ok ? 'linearizable' : `**exit ${r.status}**`;
    const cells = row.show === 'both' ? both(r.kv.put, r.kv.get) : fmt(row.show === 'get' ? r.kv.get : r.kv.put);
    lines.push(
      `| ${row.name} | \`${row.flags.join(' ')}\` | ${cells} | ${r.kv.info} | ${r.kv.retries} | ${verdict} | ${r.load.toFixed(1)} |`,
    );
    process.stderr.write(`bench kv chain: ${row.name}: ${cells} ops/s | p50 | p99 ms, ${verdict}\n`);
    if (!ok) process.stderr.write(r.stderr);
  }
  writeSection(
    'kv-chain',
    `## Chain replication as a key-value store (\`kv.bench\`)

\`csplab kv run ${CHAIN.join(' ')} -t ${T}\` plus the row's flags: the master and 5 node processes,
chains of 3, ${CHAIN_CLIENTS} clients each with one op outstanding over loopback TCP, routed per key
(writes to the key's head, gets to its tail). Gate: ≥ 5,000 writes/s (the put row). Machine: ${machine()}.

| ops | flags | ops/s | p50 ms | p99 ms | info | retries | history | load |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}

await main();
