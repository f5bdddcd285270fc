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

async function kvRun(flags: string[]): Promise<{ kv: KvJson; status: number | null; load: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-kv-'));
  try {
    const load = loadavg()[0] ?? NaN;
    const args = [CLI, 'kv', 'run', '--store', 'traft', '--clients', '20', '-t', String(T), ...flags];
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
  if (failed) process.exitCode = 1;
}

await main();
