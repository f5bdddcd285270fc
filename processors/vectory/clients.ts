// clients: the client port's requests at a node (docs/protocols/vectory.md §6.2 P5, §8 V8, V10).
// Writes go to the shard's master and are answered once applied, with their vts; local reads
// are answered by any node from its applied prefix once it covers the client's `after`; master
// reads wait for the master's noop, a read index and a fresh round of Alive acks (D13).
import type { ClientReply, ClientRequest } from '../../runtime/client/wire.js';
import { shardOf } from '../../runtime/client/shard.js';
import { sendTo } from './replicate.js';
import { lastIndex, lastVersion, peersOf, send, wal, type NodeState, type ClientWait, type ReadWait, type ShardState } from './state.js';
import { compareBallot, type Entry } from './types.js';
import { appliedIndex, readLocal, stampVersion, type AppliedEntry } from './vector.js';

function reply(
  n: NodeState,
  to: number,
  req: { client: string; reqNo: number },
  body: DistributiveOmit<ClientReply, 'type' | 'client' | 'reqNo'>,
): void {
  send(n, to, { type: 'client-reply', client: req.client, reqNo: req.reqNo, ...body });
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** notMaster: where to go instead — the master we follow, or wait out an election. */
function notMaster(n: NodeState, to: number, req: ClientRequest, s: ShardState): void {
  if (s.master !== null && s.master !== n.self) reply(n, to, req, { status: 'not-leader', hint: s.master });
  else reply(n, to, req, { status: 'electing' });
}

/** onClientRequest: one request from client address `to`. */
export function onClientRequest(n: NodeState, to: number, req: ClientRequest, now: number): void {
  const s = n.shards[shardOf(req.key, n.cfg.shards)];
  if (s === undefined) return;
  if (req.op === 'append') return reply(n, to, req, { status: 'refused', why: 'vectory has no append' });
  if (req.op === 'get') {
    n.counters.reads++;
    const local = req.read === 'local';
    if (!local && s.role !== 'master') return notMaster(n, to, req, s);
    const w: ReadWait = {
      to,
      client: req.client,
      reqNo: req.reqNo,
      key: req.key,
      shard: s.id,
      until: now + n.cfg.readWaitMs,
      after: req.after,
    };
    if (local) n.reads.push(w);
    else {
      n.reads.push({ ...w, master: { readIndex: undefined, seq: 0, ballot: s.accepted, acks: new Set() } });
      fixReadIndex(n, s);
    }
    return serveReads(n, now);
  }
  if (s.role !== 'master') return notMaster(n, to, req, s);
  if (s.writesFencedUntil > now) return reply(n, to, req, { status: 'not-leader', hint: s.fenceHint });
  clientWrite(n, s, to, req);
}

/**
 * lastNonTick: the last write or noop at or below `upTo` — what a master read must see applied
 * (V10). Ticks change no key, and the last ticks of a quiet cluster wait for no one to pass them
 * (V5 ticks only past writes and noops), so waiting on a tick could wait forever.
 */
function lastNonTick(s: ShardState, upTo: number): number {
  for (let i = Math.min(upTo, s.log.length); i > 0; i--) if (s.log[i - 1]?.kind !== 'tick') return i;
  return 0;
}

/** clientWrite: P5 — dedup by (clientId, reqNo) against the log, else stamp (V3) and replicate. */
function clientWrite(n: NodeState, s: ShardState, to: number, req: ClientRequest): void {
  const wait = { to, client: req.client, reqNo: req.reqNo };
  const waits = n.writes.get(s.id) ?? new Map<number, ClientWait>();
  n.writes.set(s.id, waits);
  for (let i = s.log.length - 1; i >= Math.max(0, s.log.length - 512); i--) {
    const e = s.log[i];
    if (e?.clientId !== req.client || e.reqNo !== req.reqNo) continue;
    if (e.index <= appliedIndex(n.vector, s.id))
      return reply(n, to, req, { status: 'ok', result: null, vts: { version: e.version, shard: s.id } });
    waits.set(e.index, wait);
    return;
  }
  const cmd = req.op === 'put' ? { op: 'put' as const, key: req.key, value: req.value ?? '' } : { op: 'delete' as const, key: req.key };
  const e: Entry = {
    index: lastIndex(s) + 1,
    ballot: s.accepted,
    kind: 'write',
    version: stampVersion(n.vector, s.id, lastVersion(s), req.after),
    cmd,
    clientId: req.client,
    reqNo: req.reqNo,
  };
  s.log.push(e);
  s.hadEntrySinceTick = true;
  wal(n, { op: 'put', shard: s.id, entries: [e] });
  waits.set(e.index, wait);
  n.counters.writes++;
  for (const p of peersOf(n)) if (s.peers[p]?.syncing === false) sendTo(n, s, p);
}

/**
 * answerApplied: writes waiting on entries the global applier just applied get their vts and
 * result. Answering at apply rather than commit (P5 says commit) costs at most a tick period, and
 * gives the client's next write, to any shard, a higher version even without `after`: every shard's
 * frontier has passed this version, so every master's vclock has too.
 */
export function answerApplied(n: NodeState, applied: readonly AppliedEntry[]): void {
  for (const a of applied) {
    const waits = n.writes.get(a.shard);
    const w = waits?.get(a.index);
    if (w === undefined || waits === undefined) continue;
    waits.delete(a.index);
    if (a.clientId === w.client && a.reqNo === w.reqNo) reply(n, w.to, w, { status: 'ok', result: a.result ?? null, vts: a.vts });
  }
}

/**
 * fixReadIndex: V10 — a master read's index is taken only once this master's own noop has
 * committed (until then its commit index may lag an entry the old master acked), and the Alive
 * that confirms mastership is one sent after it.
 */
function fixReadIndex(n: NodeState, s: ShardState): void {
  if (s.role !== 'master' || s.commitIndex < s.noopIndex) return;
  for (const r of n.reads) {
    const m = r.master;
    if (m === undefined || r.shard !== s.id || m.readIndex !== undefined || compareBallot(m.ballot, s.accepted) !== 0) continue;
    m.readIndex = lastNonTick(s, s.commitIndex);
    m.seq = n.aliveSeq + 1;
    m.acks.clear();
    n.aliveNow = true;
  }
}

/** serveReads: answer every read now ready (V8, V10); past its wait, `electing` (the client retries). */
export function serveReads(n: NodeState, now: number): void {
  if (n.reads.some((r) => r.master !== undefined && r.master.readIndex === undefined)) for (const s of n.shards) fixReadIndex(n, s);
  n.reads = n.reads.filter((r) => {
    const m = r.master;
    const s = n.shards[r.shard];
    const ready =
      m === undefined ||
      (m.readIndex !== undefined && m.acks.size >= n.q - 1 && appliedIndex(n.vector, r.shard) >= m.readIndex && s?.role === 'master');
    const got = ready ? readLocal(n.vector, r.key, r.after) : 'wait';
    if (got !== 'wait') {
      reply(n, r.to, r, { status: 'ok', result: got.value, at: got.at });
      return false;
    }
    if (now < r.until) return true;
    reply(n, r.to, r, { status: 'electing' });
    return false;
  });
}
