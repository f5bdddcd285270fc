// report-fixture: a small run's log directory in the formats `csplab report` reads (instance
// logs, docs/trace.md traces, run.json) for its tests, with every number known in advance.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../../scripts/repo.js';

export interface Fixture {
  /** commits[rank]: commit lines written (one per seq). */
  readonly commits: readonly number[];
  /** messages: sends traced (every one received except the dropped ones). */
  readonly messages: number;
  readonly types: readonly string[];
  readonly durationMs: number;
}

const ORIGIN_MS = 1_700_000_000_000;
const key = (seq: number, rank: number, conflict: boolean): string =>
  (conflict && rank === 2 && seq === 7 ? `x${seq}` : `k${seq}`).padEnd(32, 'a');

/**
 * writeFixture writes 3 ranks over 2 s: rank 0 leads round 1, then is killed at 1200 ms and
 * restarted at 1600 ms while rank 1 leads round 2. Every everyMs (a divisor of 100) the leader sends an Accept to
 * each other rank (received 2 ms later) and each answers an Accepted; the Accept to rank 2 at
 * 500 ms is dropped. With conflict, rank 2 commits another key at seq 7 (rule 3 fails).
 */
export function writeFixture(dir: string, conflict = false, everyMs = 100): Fixture {
  const traces: string[][] = [[], [], []];
  const logs: string[][] = [[], [], []];
  const ev = (r: number, o: Record<string, unknown>): number => traces[r]?.push(JSON.stringify(o)) ?? 0;
  for (let r = 0; r < 3; r++) {
    ev(r, { t: 0, ev: 'start', incarnation: 0 });
    ev(r, { t: 0, ev: 'role', role: r === 0 ? 'leader' : 'follower', round: 1 });
  }
  let messages = 0;
  let seq = 0;
  const next = [0, 0, 0];
  for (let t = everyMs; t < 2000; t += everyMs) {
    const leader = t < 1200 ? 0 : 1;
    if (t === 1200) ev(0, { t, ev: 'fault', fault: 'kill', lostBatches: 0, tornLine: false });
    if (t === 1200) ev(1, { t, ev: 'role', role: 'leader', round: 2 });
    if (t === 1600) {
      ev(0, { t, ev: 'start', incarnation: 1 });
      ev(0, { t, ev: 'role', role: 'follower', round: 2 });
    }
    const alive = t >= 1200 && t < 1600 ? [1, 2] : [0, 1, 2];
    for (const to of alive.filter((r) => r !== leader)) {
      const m = { from: leader, to, type: 'Accept', round: leader + 1, seq: [seq, seq], size: 64 };
      ev(leader, { t, ev: 'send', ...m });
      messages++;
      if (t === 500 && to === 2) {
        ev(leader, { t: t + 1, ev: 'drop', from: leader, to, reason: 'drop' });
        continue;
      }
      ev(to, { t: t + 2, ev: 'recv', ...m });
      ev(to, { t: t + 2, ev: 'send', from: to, to: leader, type: 'Accepted', round: leader + 1 });
      ev(leader, { t: t + 4, ev: 'recv', from: to, to: leader, type: 'Accepted', round: leader + 1 });
      messages++;
    }
    logs[leader]?.push(`generate Instance[${key(seq, 0, false)}] in seq ${seq} at ${(ORIGIN_MS + t) * 1000}`);
    for (const r of alive) {
      // A restarted rank catches up on the seqs it missed in the same step.
      const from = next[r] ?? 0;
      for (let s = from; s <= seq; s++)
        logs[r]?.push(`commit Instance[${key(s, r, conflict)}] in seq ${s} at ${(ORIGIN_MS + t + 5) * 1000}`);
      ev(r, { t: t + 5, ev: 'commit', n: seq + 1 - from, lines: logs[r]?.length });
      next[r] = seq + 1;
    }
    seq++;
  }
  for (let r = 0; r < 3; r++) {
    ev(r, { t: 2000, ev: 'stop' });
    writeFileSync(join(dir, `instancelog${r}.log`), `${(logs[r] ?? []).join('\n')}\n`);
    writeFileSync(join(dir, `trace${r}.ndjson`), `${(traces[r] ?? []).join('\n')}\n`);
  }
  const resolved = [
    { action: 'kill', target: 'leader', rank: 0, atMs: 1200, appliedAtMs: 1200 },
    { action: 'restart', target: 'killed', rank: 0, atMs: 1600, appliedAtMs: 1600 },
  ];
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ protocol: 'paxos', ranks: 3, t: 2, startAtMs: ORIGIN_MS, resolved }));
  const commits = logs.map((l) => l.filter((x) => x.startsWith('commit')).length);
  // summary.json as csplab run writes it, cut to what the page is compared with.
  const ranks = commits.map((n, rank) => ({ rank, commits: n }));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ t: 2, failed: false, ranks }));
  return { commits, messages, types: ['Accept', 'Accepted'], durationMs: 2000 };
}

/** KV_RUN: a real `csplab kv run` directory (cmd/report/testdata/README.md says how it was made). */
const KV_RUN = repoPath('cmd', 'report', 'testdata', 'kv-run');

export interface KvFixture {
  /** ops, info: the history's ops and those that ended :info (its invoke lines, its info lines). */
  readonly ops: number;
  readonly info: number;
  readonly processes: number;
  readonly lastMs: number;
  /** broken: the get made to read a value no put wrote (key, its invoke and completion times). */
  readonly broken?: { readonly key: string; readonly invokeMs: number; readonly completeMs: number };
}

interface Line {
  process: number;
  type: string;
  f: string;
  key: string;
  value: string | null;
  time: number;
}

/**
 * copyKvRun copies the real KV run into dir; with breakRead, its last ok get is made to return a
 * value nobody wrote, so that key is not linearizable (the only change: a bug a test can name).
 */
export function copyKvRun(dir: string, breakRead = false): KvFixture {
  cpSync(KV_RUN, dir, { recursive: true });
  const path = `${dir}/history.jsonl`;
  const lines = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  const count = (type: string): number => lines.filter((l) => l.type === type).length;
  const fixture = {
    ops: count('invoke'),
    info: count('info'),
    processes: new Set(lines.map((l) => l.process)).size,
    lastMs: Math.max(...lines.map((l) => l.time)),
  };
  if (!breakRead) return fixture;
  const last = (p: (l: Line, i: number) => boolean): number => lines.reduce((found, l, i) => (p(l, i) ? i : found), -1);
  const at = last((l) => l.type === 'ok' && l.f === 'get');
  const done = lines[at] as Line;
  const invoke = lines[last((l, i) => i < at && l.type === 'invoke' && l.process === done.process)] as Line;
  lines[at] = { ...done, value: 'nobody wrote this' };
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { ...fixture, broken: { key: done.key, invokeMs: invoke.time, completeMs: done.time } };
}

/** VectoryFixture: the shards each node masters at the end, and when the restarted node's win brought the spread back to ≤ 1. */
export interface VectoryFixture {
  readonly last: readonly number[];
  readonly balancedAtMs: number;
}

/**
 * writeVectoryFixture writes a Vectory run's logs (no traces) of 5 nodes and 10 shards over 4 s:
 * node 0 masters every shard first (T7), balance hands one shard at a time to the others until
 * each has 2 (by 1300 ms); node 3 is killed at 2000 ms (run.json), nodes 0 and 1 take its shards
 * 3 and 7; it restarts at 3000 ms and wins shard 3 back at 3600 ms: 2·3·2·1·2, spread ≤ 1 again.
 */
export function writeVectoryFixture(dir: string): VectoryFixture {
  const logs: string[][] = [[], [], [], [], []];
  const at = (ms: number): string => ` at ${(ORIGIN_MS + ms) * 1000}`;
  const put = (node: number, ms: number, text: string): number => logs[node]?.push(`${text}${at(ms)}`) ?? 0;
  for (let n = 0; n < 5; n++) put(n, 0, 'start');
  const holder = Array.from({ length: 10 }, () => 0);
  for (let s = 0; s < 10; s++) put(0, 100, `master ${s} 1.65535.0 0`);
  const moves: [number, number, number][] = [1, 2, 3, 4, 5, 6, 7, 8].map((s, i) => [s, 1 + (i % 4), 600 + 100 * i]);
  for (const [shard, node, ms] of [...moves, [3, 0, 2300], [7, 1, 2350], [3, 3, 3600]] as [number, number, number][]) {
    const old = holder[shard] ?? 0;
    put(node, ms, `master ${shard} ${ms}.65535.${node} 1`);
    // the old master lets go a little after the new one won; node 3, killed, logs nothing
    if (old !== node && old !== 3) put(old, ms + 10, `stepdown ${shard} 1.65535.${old}`);
    holder[shard] = node;
  }
  put(3, 3000, 'start');
  for (let ms = 200; ms < 4000; ms += 100)
    for (let n = 0; n < 5; n++)
      if (n !== 3 || ms < 2000 || ms > 3000) put(n, ms, `commit 0 ${ms / 100} 1.65535.0 ${ms / 100} tick 1.65535.0`);
  for (const l of logs) l.sort((a, b) => Number(/ at (\d+)$/.exec(a)?.[1]) - Number(/ at (\d+)$/.exec(b)?.[1]));
  logs.forEach((l, n) => writeFileSync(join(dir, `instancelog${n}.log`), `${l.join('\n')}\n`));
  const resolved = [
    { action: 'kill', target: 'rank', rank: 3, atMs: 2000, appliedAtMs: 2000 },
    { action: 'restart', target: 'rank', rank: 3, atMs: 3000, appliedAtMs: 3000 },
  ];
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ protocol: 'vectory', ranks: 5, t: 4, startAtMs: ORIGIN_MS, resolved }));
  return { last: [2, 3, 2, 1, 2], balancedAtMs: 3600 };
}
