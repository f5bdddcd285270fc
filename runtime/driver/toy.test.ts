// toy.test: a third protocol, a replicated counter in a few dozen lines, runs on the real rank
// driver (node.ts: TCP on 127.0.0.1, log dir, WAL store, instance log, summary) with 3 ranks:
// what a protocol needs to implement is runtime/protocol.ts, nothing of TRaft's or Paxos's.
// Rank 0 counts while the load lasts and sends its count; a follower logs every number up to
// it, persists it, and acks only once that is durable (a send parked until persisted).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../clock.js';
import { NO_LINK_FAULTS } from '../net/netfaults.js';
import type { Envelope, Protocol, ProtocolOutput, Store } from '../protocol.js';
import { startNode } from './node.js';

type Msg = { type: 'value'; n: number; final: boolean } | { type: 'ack'; n: number; final: boolean };
/** From: a message with its sender, as the driver's input names it. */
type From = Msg & { from: number };
type Batch = { batchId: number; n: number };
type Counter = {
  self: number;
  ranks: number;
  loadUntilMs: number;
  n: number;
  /** acked: per rank, the highest count it has durably logged, and whether it knows that count is final (the leader's view). */
  acked: { n: number; final: boolean }[];
  lastBatchId: number;
  /** unacked: a follower's count written but not yet durable: its ack waits. */
  unacked: number | undefined;
  nextAtMs: number;
  doneAtMs: number | undefined;
};

const LINGER_MS = 300;
const GIVE_UP_MS = 30_000; // a rank that never hears the end still stops; the test then fails on agreement

function out(
  c: Counter,
  send: Envelope<Msg>[] = [],
  log: number[] = [],
  persist: Batch[] = [],
  stop = false,
): ProtocolOutput<Msg, Batch, number> {
  return { send, persist, log, trace: [], wakeAtMs: c.nextAtMs, stop };
}

function leaderStep(c: Counter, nowMs: number, msg: From | undefined): ProtocolOutput<Msg, Batch, number> {
  if (msg?.type === 'ack') c.acked[msg.from] = { n: msg.n, final: msg.final };
  if (msg !== undefined || nowMs < c.nextAtMs) return out(c);
  c.nextAtMs = nowMs + 10;
  const final = nowMs >= c.loadUntilMs;
  const log = final ? [] : [++c.n];
  const send = Array.from({ length: c.ranks - 1 }, (_, i) => ({ to: i + 1, msg: { type: 'value' as const, n: c.n, final } }));
  const stop = (final && c.acked.slice(1).every((a) => a.final && a.n === c.n)) || nowMs >= c.loadUntilMs + GIVE_UP_MS;
  return out(c, send, log, [], stop);
}

function followerStep(c: Counter, nowMs: number, msg: From | undefined, persisted: number | undefined): ProtocolOutput<Msg, Batch, number> {
  const send: Envelope<Msg>[] = [];
  const log: number[] = [];
  const persist: Batch[] = [];
  if (msg?.type === 'value') {
    while (c.n < msg.n) log.push(++c.n);
    if (msg.final) c.doneAtMs ??= nowMs;
    persist.push({ batchId: ++c.lastBatchId, n: c.n });
    c.unacked = c.lastBatchId;
  }
  if (persisted !== undefined && c.unacked !== undefined && persisted >= c.unacked) {
    send.push({ to: 0, msg: { type: 'ack', n: c.n, final: c.doneAtMs !== undefined } });
    c.unacked = undefined;
  }
  c.nextAtMs = nowMs + 50;
  const stop = (c.doneAtMs !== undefined && nowMs >= c.doneAtMs + LINGER_MS) || nowMs >= c.loadUntilMs + GIVE_UP_MS;
  return out(c, send, log, persist, stop);
}

/** memoryStore: durable one microtask after a write (the toy keeps nothing across restarts). */
function memoryStore(onPersisted: (batchId: number) => void): Store<Batch> {
  return {
    write: (batches) => {
      const last = batches[batches.length - 1]!.batchId;
      void Promise.resolve().then(() => onPersisted(last));
    },
    close: async () => {},
  };
}

const counter: Protocol<null, Counter, Msg, Batch, number, never, null> = {
  name: 'counter',
  init: (o) => ({
    ...o,
    n: 0,
    acked: Array.from({ length: o.ranks }, () => ({ n: 0, final: false })),
    lastBatchId: 0,
    unacked: undefined,
    nextAtMs: o.nowMs,
    doneAtMs: undefined,
  }),
  step: (c, input, nowMs) => {
    const msg = input.type === 'message' ? { ...input.msg, from: input.from } : undefined;
    const persisted = input.type === 'persisted' ? input.batchId : undefined;
    return { state: c, out: c.self === 0 ? leaderStep(c, nowMs, msg) : followerStep(c, nowMs, msg, persisted) };
  },
  validate: (x) => {
    const m = x as Msg;
    if ((m.type === 'value' || m.type === 'ack') && Number.isInteger(m.n)) return m;
    throw new Error('not a counter message');
  },
  formatLog: (n) => `commit ${n}`,
  recoverLog: () => null,
  storage: { open: async () => ({ durable: undefined, notes: [], start: memoryStore }) },
  pollMs: () => 50,
  role: (c) => (c.self === 0 ? 'leader' : 'follower'),
  round: () => 0,
  summary: (c) => ({ commits: c.n, generates: 0 }),
};

/** freePort: a port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.test('a replicated counter on the rank driver: 3 ranks over TCP agree on every number', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-toy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const peers: { host: string; port: number }[] = [];
  for (let r = 0; r < 3; r++) peers.push({ host: '127.0.0.1', port: await freePort() });
  const now = new RealClock().nowMs();
  const schedule = { startAtMs: now + 300, endAtMs: now + 1300 };
  const events: Record<string, unknown>[] = [];
  const nodes = await Promise.all(
    [0, 1, 2].map((rank) =>
      startNode(counter, null, {
        rank,
        ranks: 3,
        peers,
        logDir: dir,
        seed: 'toy',
        clusterId: 'toy',
        timing: async () => schedule,
        incarnation: 0,
        clean: false,
        dropRate: 0,
        net: { link: NO_LINK_FAULTS, skewMs: 0, listen: () => {} },
        event: (ev) => events.push(ev),
        debug: () => {},
      }),
    ),
  );
  const outcomes = await Promise.all(nodes.map((n) => n.finished));
  t.same(
    outcomes.map((o) => o.type),
    ['finished', 'finished', 'finished'],
    'every rank finished',
  );
  const logs = [0, 1, 2].map((r) => readFileSync(join(dir, `instancelog${r}.log`), 'utf8'));
  const counts = outcomes.map((o) => o.stats.commits);
  t.ok(counts[0]! > 10, `the leader counted (${counts[0]})`);
  t.same(counts, [counts[0], counts[0], counts[0]], `every rank reached the leader's count (${counts.join(' ')})`);
  t.equal(logs[1], logs[0], "rank 1's instance log is the leader's");
  t.equal(logs[2], logs[0], "rank 2's instance log is the leader's");
  const summaries = events.filter((e) => e.type === 'summary');
  t.equal(summaries.length, 3, 'every rank reported its summary');
});
