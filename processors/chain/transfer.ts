// transfer: extending a chain at its tail (docs/protocols/chain.md §7.1, X1–X4). The joiner
// pulls the tail's frozen snapshot at s0 chunk by chunk while the tail keeps serving and logs
// every later update; once the master installs [..., T, J], T hands J that log after a
// Handover{s1}, and J serves only once it has applied up to s1.
import type { ChainOut } from './types.js';
import { rangeById } from './config.js';
import type { ChainMsg } from './messages.js';
import { isTail, newRange, toMasters, type NodeState, type RangeState } from './node_state.js';

type Msg<T extends ChainMsg['type']> = Extract<ChainMsg, { type: T }>;

/** pull asks the tail for the joiner's next chunk. */
function pull(n: NodeState, r: RangeState, nowMs: number, out: ChainOut): void {
  const j = r.joining;
  if (j === undefined || j.done) return;
  j.pulledAtMs = nowMs;
  out.send(j.from, { type: 'transfer-pull', epoch: n.epoch, rangeId: r.rangeId, chunkNo: j.nextChunk });
}

/** onJoinAsTail: X1 at the joiner: start (or, repeated, continue) pulling; a finished pull reports Ready again. */
export function onJoinAsTail(n: NodeState, m: Msg<'join-as-tail'>, nowMs: number, out: ChainOut): void {
  const had = n.ranges.get(m.rangeId);
  if (had !== undefined && had.role !== 'joining') return; // already a member
  if (had?.joining !== undefined && had.joining.from === m.from) {
    had.joining.epoch = Math.max(had.joining.epoch, m.epoch);
    if (had.joining.done) toMasters(n, out, { type: 'ready', epoch: had.joining.epoch, rangeId: m.rangeId, s0: had.joining.s0 });
    else pull(n, had, nowMs, out);
    return;
  }
  const cr = n.config === undefined ? undefined : rangeById(n.config, m.rangeId);
  const r = newRange(m.rangeId, cr?.lo ?? '', cr?.hi ?? '', nowMs);
  r.joining = { from: m.from, epoch: m.epoch, nextChunk: 0, s0: -1, done: false, pulledAtMs: nowMs };
  n.ranges.set(m.rangeId, r);
  out.log({ type: 'role', rangeId: m.rangeId, epoch: n.epoch, role: `joining from ${m.from}` });
  pull(n, r, nowMs, out);
}

/** onTransferPull: X2 at the tail: freeze a snapshot for this joiner at chunk 0, then serve its chunks. */
export function onTransferPull(n: NodeState, r: RangeState, from: number, m: Msg<'transfer-pull'>, out: ChainOut): void {
  if (r.retired || !isTail(r, n.rank)) return;
  const s = r.snapshot;
  if (m.chunkNo === 0 && (s === undefined || s.joiner !== from || s.overflow)) {
    r.snapshot = {
      joiner: from,
      s0: r.lastApplied,
      entries: [...r.store].map(([k, v]) => [k, v.value, v.seq] as const),
      dedup: [...r.dedup.values()],
      transferLog: [],
      overflow: false,
    };
  }
  const snap = r.snapshot;
  if (snap === undefined || snap.joiner !== from || snap.overflow) return;
  const size = n.options.transferChunk;
  const first = m.chunkNo * size;
  out.send(from, {
    type: 'transfer',
    epoch: n.epoch,
    rangeId: r.rangeId,
    chunkNo: m.chunkNo,
    snapshotSeq: snap.s0,
    entries: snap.entries.slice(first, first + size),
    dedup: m.chunkNo === 0 ? snap.dedup : [],
    last: first + size >= snap.entries.length,
  });
}

/** onTransfer: X2/X3 at the joiner: take chunks in order; the last one makes the range ready at s0. */
export function onTransfer(n: NodeState, r: RangeState, from: number, m: Msg<'transfer'>, nowMs: number, out: ChainOut): void {
  const j = r.joining;
  if (j === undefined || j.done || from !== j.from || m.chunkNo !== j.nextChunk) return;
  if (m.chunkNo === 0) j.s0 = m.snapshotSeq;
  else if (m.snapshotSeq !== j.s0) {
    r.store.clear(); // the tail froze a new snapshot: start over
    r.dedup.clear();
    j.nextChunk = 0;
    pull(n, r, nowMs, out);
    return;
  }
  for (const [key, value, seq] of m.entries) r.store.set(key, { value, seq });
  for (const d of m.dedup) r.dedup.set(d.clientId, { ...d, atMs: nowMs });
  j.nextChunk++;
  if (!m.last) {
    pull(n, r, nowMs, out);
    return;
  }
  j.done = true;
  r.lastApplied = j.s0;
  r.lastAcked = j.s0;
  r.nextSeq = j.s0 + 1;
  r.fromJoin = true;
  toMasters(n, out, { type: 'ready', epoch: j.epoch, rangeId: r.rangeId, s0: j.s0 });
}

/** joinDue: a pull with no answer for resendAfterMs is asked again. */
export function joinDue(n: NodeState, r: RangeState, nowMs: number, out: ChainOut): void {
  const j = r.joining;
  if (j === undefined || j.done || nowMs - j.pulledAtMs < n.options.resendAfterMs) return;
  pull(n, r, nowMs, out);
}

/**
 * onHandover: X4 at the joiner: it serves once it has applied up to s1. It acks what it holds
 * at once, so an old tail with nothing to send after s0 stops repeating the Handover.
 */
export function onHandover(r: RangeState, s1: number): void {
  if (!r.fromJoin) return;
  r.handoverS1 = s1;
  r.ackDue = true;
}
