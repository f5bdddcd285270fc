// kv-run: one `csplab kv run` of a benchmark row into a temp dir and what it left (kv.json, the
// history's ok times, summary.json), and the TRaft and chain rows — shared by kv.bench and
// vectory.bench, which runs some of these rows beside Vectory's on the same machine in one run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RankSeries } from '../../runtime/protocol.js';

/** CLI: this build's, or BENCH_KV_CLI's (an older build's csplab.js, for old-vs-new pairs). */
export const CLI = process.env.BENCH_KV_CLI ?? fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));
/** ONLY: BENCH_KV_ONLY=chain runs the chain rows alone (traft: the TRaft rows alone; master: replicated vs single master; clients: the chain under 64–512 clients). */
export const ONLY = process.env.BENCH_KV_ONLY;
export const T = Number(process.env.BENCH_KV_T ?? 10);
let nextPort = 25_800; // away from the other cluster benchmarks

export type Q = { count: number; opsPerS: number; p50Ms: number | null; p99Ms: number | null };
export type KvJson = { ok: number; fail: number; info: number; retries: number; runnerCpuMs?: number; put: Q; get: Q };
type HistoryLine = { type: string; time: number };
/** Summary: what the benchmarks read of summary.json: each rank's last summary event, the faults as applied, the protocol's series. */
export type Summary = {
  ranks: {
    rank: number;
    summary?: { cpuUserMs?: number; cpuSystemMs?: number; cpuAtStartMs?: number; reads?: number; [field: string]: unknown } | null;
  }[];
  faults?: { action: string; rank: number | null; appliedAtMs: number }[];
  overTime?: RankSeries;
};
/** Run: one kv run; reads: gets answered per rank (chain: the master's 0 first); configsMs: when the chain master's ranks installed each configuration. */
export type Run = {
  kv: KvJson;
  status: number | null;
  load: number;
  stderr: string;
  oks: number[];
  /** cpuMs: the ranks' CPU, start-up included; cpuLoadMs: from the run's start (an old build, without cpuAtStartMs: start-up included). */
  cpuMs: number;
  cpuLoadMs: number;
  reads: number[];
  configsMs: number[];
  summary: Summary;
};

export const ROWS: ReadonlyArray<{ name: string; flags: string[]; show: 'put' | 'get' | 'both' }> = [
  { name: 'put', flags: ['--get-share', '0'], show: 'put' },
  { name: 'get, ReadIndex', flags: ['--get-share', '1', '--read', 'index'], show: 'get' },
  { name: 'get, lease', flags: ['--get-share', '1', '--read', 'lease', '--lease-reads', '--clock-drift', '0.01'], show: 'get' },
  { name: '50/50 put/get, ReadIndex', flags: ['--get-share', '0.5', '--read', 'index'], show: 'both' },
];

export const TRAFT = ['--store', 'traft', '--clients', '20'];
/** CHAIN: chain replication, 5 nodes (and the master), chains of 3, 1 KiB values on 1000 keys. */
export const CHAIN_CLIENTS = Number(process.env.BENCH_KV_CHAIN_CLIENTS ?? 64);
export const CHAIN = [
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
export const CHAIN_ROWS: ReadonlyArray<{ name: string; flags: string[]; show: 'put' | 'get' | 'both' }> = [
  { name: 'put', flags: ['--get-share', '0'], show: 'put' },
  { name: 'get (tail reads)', flags: ['--get-share', '1'], show: 'get' },
  { name: '90/10 get/put', flags: ['--get-share', '0.9'], show: 'both' },
  { name: '50/50 get/put', flags: ['--get-share', '0.5'], show: 'both' },
];

export async function kvRun(flags: string[], store = TRAFT, t = T, masters = 0): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-kv-'));
  try {
    const load = loadavg()[0] ?? NaN;
    const args = [CLI, 'kv', 'run', ...store, '-t', String(t), ...flags];
    args.push('--log-dir', dir, '--base-port', String((nextPort += 100)), '--quiet', '--clean');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const kv = JSON.parse(readFileSync(join(dir, 'kv.json'), 'utf8')) as KvJson;
    const oks = readFileSync(join(dir, 'history.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"ok"'))
      .map((l) => (JSON.parse(l) as HistoryLine).time);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
    const cpuMs = summary.ranks.reduce((a, r) => a + (r.summary?.cpuUserMs ?? 0) + (r.summary?.cpuSystemMs ?? 0), 0);
    // start-up (0.6–1 s a rank) is the same for every row; left in, it made CPU per op mostly a
    // measure of how few ops a row did (docs/benchmarks.md, CRAQ)
    const cpuLoadMs = cpuMs - summary.ranks.reduce((a, r) => a + (r.summary?.cpuAtStartMs ?? 0), 0);
    const reads = summary.ranks.map((r) => r.summary?.reads ?? 0);
    const { startAtMs } = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { startAtMs: number };
    return { kv, status, load, stderr, oks, cpuMs, cpuLoadMs, reads, configsMs: configTimes(dir, masters, startAtMs), summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** configTimes: when (ms after the load's start) the chain master's ranks logged each configuration they installed. */
export function configTimes(dir: string, masters: number, startAtMs: number): number[] {
  const times: number[] = [];
  for (let rank = 0; rank < masters; rank++) {
    const file = join(dir, `instancelog${rank}.log`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^config \d+ .* at (\d+)$/.exec(line);
      if (m !== null) times.push(Number(m[1]) / 1000 - startAtMs);
    }
  }
  return times.sort((a, b) => a - b);
}

/** ms: a latency cell; kv.json has null for an op kind none of whose ops completed. */
const ms = (x: number | null): string => (x === null ? '—' : x.toFixed(1));
export const fmt = (q: Q): string => `${q.opsPerS.toFixed(0)} | ${ms(q.p50Ms)} | ${ms(q.p99Ms)}`;
export const both = (p: Q, g: Q): string =>
  `${p.opsPerS.toFixed(0)} + ${g.opsPerS.toFixed(0)} | ${ms(p.p50Ms)} / ${ms(g.p50Ms)} | ${ms(p.p99Ms)} / ${ms(g.p99Ms)}`;
