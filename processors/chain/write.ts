// write: the chain's write path (docs/protocols/chain.md §5, W1–W8): the head assigns seqs and
// answers after the Ack returns, members apply gap-free and forward, the tail acks
// cumulatively, and `sent` is resent on a gap (Resend) or after resendAfterMs.
import type { ClientRequest } from '../../runtime/client/wire.js';
import type { Update, WriteResult } from './messages.js';
import { hasLease, isHead, isTail, servable, type NodeState, type RangeState, type Waiter } from './node_state.js';
import type { ChainOut } from './types.js';
import { foldClean, recordVersion } from './craq.js';

/** MAX_FORWARD: updates per Forward message, so a resend of a long `sent` stays a few small frames. */
export const MAX_FORWARD = 256;

/** applyUpdate: one update into the store and dedup (every member, W3–W5), logged as H8's apply line. */
export function applyUpdate(n: NodeState, r: RangeState, u: Update, nowMs: number, out: ChainOut): void {
  recordVersion(n, r, u);
  if (u.op === 'put') r.store.set(u.key, { value: u.value ?? '', seq: u.seq });
  else r.store.delete(u.key);
  r.dedup.set(u.clientId, { clientId: u.clientId, reqNo: u.reqNo, seq: u.seq, result: u.result, atMs: nowMs });
  r.lastApplied = u.seq;
  n.counts.applies++;
  if (r.snapshot !== undefined && u.seq > r.snapshot.s0 && !r.snapshot.overflow) {
    r.snapshot.transferLog.push(u);
    if (r.snapshot.transferLog.length > n.options.maxTransferLog) {
      r.snapshot.overflow = true; // X2: the join is aborted; the master times it out
      r.snapshot.transferLog = [];
    }
  }
  const ev = { type: 'apply', rangeId: r.rangeId, seq: u.seq, key: u.key, op: u.op, clientId: u.clientId, reqNo: u.reqNo } as const;
  out.log({ ...ev, epoch: n.epoch });
}

/** forward sends updates to the successor in frames of at most MAX_FORWARD. */
export function forward(n: NodeState, r: RangeState, updates: readonly Update[], out: ChainOut): void {
  if (r.succ === undefined || updates.length === 0) return;
  for (let i = 0; i < updates.length; i += MAX_FORWARD) {
    n.counts.forwards++;
    out.send(r.succ, { type: 'forward', epoch: n.epoch, rangeId: r.rangeId, updates: updates.slice(i, i + MAX_FORWARD) });
  }
}

/** reply answers a client (decision 7). */
function replyOk(out: ChainOut, to: number, client: string, reqNo: number, result: string | null): void {
  out.send(to, { type: 'client-reply', client, reqNo, status: 'ok', result });
}

/** resultOf: what a write does to the store as it stands (decided once, at the head: W1, C4). */
function resultOf(r: RangeState, req: ClientRequest): WriteResult {
  const present = r.store.has(req.key);
  if (req.op === 'put') return present ? 'updated' : 'created';
  return present ? 'deleted' : 'notFound';
}

/** park: answer once seq is acked (W1's retry of an unacked seq, W3's new write). */
function park(r: RangeState, seq: number, w: Waiter): void {
  const list = r.waiting.get(seq);
  if (list === undefined) r.waiting.set(seq, [w]);
  else list.push(w);
}

/**
 * headWrite: W1–W3 for a put or delete at a head that holds a lease. A retry never gets a
 * second seq: it is answered from dedup, or parked on its seq until the Ack returns.
 */
export function headWrite(n: NodeState, r: RangeState, from: number, req: ClientRequest, nowMs: number, out: ChainOut): void {
  const d = r.dedup.get(req.client);
  if (d !== undefined && req.reqNo < d.reqNo) return; // W1: older than the client's last write: it gave up on it
  if (d !== undefined && req.reqNo === d.reqNo) {
    if (d.seq <= r.lastAcked) replyOk(out, from, req.client, req.reqNo, d.result);
    else park(r, d.seq, { to: from, client: req.client, reqNo: req.reqNo, result: d.result });
    return;
  }
  if (r.paused || r.sent.length >= n.options.maxInFlight || !hasLease(n, nowMs) || !servable(r)) {
    n.counts.busy++;
    out.send(from, { type: 'client-reply', client: req.client, reqNo: req.reqNo, status: 'electing' }); // W2, J3, L2
    return;
  }
  r.nextSeq = Math.max(r.nextSeq, r.lastApplied + 1);
  const u: Update = {
    seq: r.nextSeq++,
    op: req.op === 'put' ? 'put' : 'delete',
    key: req.key,
    ...(req.op === 'put' && req.value !== undefined ? { value: req.value } : {}),
    clientId: req.client,
    reqNo: req.reqNo,
    result: resultOf(r, req),
  };
  n.counts.writesAccepted++;
  applyUpdate(n, r, u, nowMs, out);
  park(r, u.seq, { to: from, client: req.client, reqNo: req.reqNo, result: u.result });
  if (isTail(r, n.rank)) {
    committed(n, r, u.seq, nowMs, out); // W3: a one-node chain commits at once
    return;
  }
  if (r.sent.length === 0) r.lastAckAtMs = nowMs;
  r.sent.push(u);
  r.outbox.push(u);
}

/**
 * onForward: W4/W5 at a middle or tail: duplicates are re-acked, a gap asks Resend once per
 * resendAfterMs, the next seq is applied, passed on, and at the tail acked.
 */
export function onForward(n: NodeState, r: RangeState, updates: readonly Update[], nowMs: number, out: ChainOut): void {
  if (r.retired || r.role === 'joining') return;
  const passOn: Update[] = [];
  let dup = false;
  for (const u of updates) {
    if (u.seq <= r.lastApplied) {
      dup = true;
      continue;
    }
    if (u.seq > r.lastApplied + 1) {
      askResend(n, r, nowMs, out);
      break;
    }
    applyUpdate(n, r, u, nowMs, out);
    passOn.push(u);
  }
  if (isTail(r, n.rank)) {
    if (passOn.length > 0 || dup) committed(n, r, r.lastApplied, nowMs, out);
    return;
  }
  if (dup) r.ackDue = true;
  if (passOn.length > 0 && r.sent.length === 0) r.lastAckAtMs = nowMs;
  for (const u of passOn) r.sent.push(u);
  for (const u of passOn) r.outbox.push(u);
}

/** askResend: W4's Resend(lastApplied + 1), at most once per resendAfterMs for the same gap. */
function askResend(n: NodeState, r: RangeState, nowMs: number, out: ChainOut): void {
  const from = r.lastApplied + 1;
  const a = r.resendAsked;
  if (a !== undefined && a.from === from && nowMs - a.atMs < n.options.resendAfterMs) return;
  r.resendAsked = { from, atMs: nowMs };
  if (r.pred !== undefined) out.send(r.pred, { type: 'resend', epoch: n.epoch, rangeId: r.rangeId, from });
}

/** committed: everything ≤ upTo is applied at the tail; the tail's own acks (W5) and the head's answers. */
function committed(n: NodeState, r: RangeState, upTo: number, nowMs: number, out: ChainOut): void {
  r.lastAcked = Math.max(r.lastAcked, upTo);
  r.sent = r.sent.filter((u) => u.seq > upTo);
  r.lastAckAtMs = nowMs;
  r.ackDue = true;
  answerWaiting(n, r, out);
}

/** answerWaiting: the head answers every parked client whose seq is acked (W6, W8). */
export function answerWaiting(n: NodeState, r: RangeState, out: ChainOut): void {
  if (r.waiting.size === 0) return;
  for (const [seq, ws] of r.waiting) {
    if (seq > r.lastAcked) continue;
    r.waiting.delete(seq);
    if (!isHead(r, n.rank)) continue; // a head demoted meanwhile: the client retries at the new head
    for (const w of ws) replyOk(out, w.to, w.client, w.reqNo, w.result);
  }
}

/**
 * onAck: W6: drop sent entries ≤ upTo always (after X4 sent holds committed entries), and
 * when upTo is news pass it upstream and answer the head's waiting clients.
 */
export function onAck(n: NodeState, r: RangeState, upTo: number, nowMs: number, out: ChainOut): void {
  if (r.retired) return;
  const before = r.sent.length;
  r.sent = r.sent.filter((u) => u.seq > upTo);
  if (r.sent.length !== before) r.lastAckAtMs = nowMs;
  if (r.handover !== undefined && upTo >= r.handover.s1) r.handover = undefined;
  if (upTo <= r.lastAcked || upTo > r.lastApplied) return; // an ack beyond what we applied is not ours to believe
  r.lastAcked = upTo;
  r.lastAckAtMs = nowMs;
  r.ackDue = true;
  answerWaiting(n, r, out);
}

/** onResend: W7 on Resend(from): the sent entries from `from` on, in order. */
export function onResend(n: NodeState, r: RangeState, from: number, nowMs: number, out: ChainOut): void {
  if (r.retired) return;
  n.counts.resends++;
  r.lastAckAtMs = nowMs;
  sendHandover(n, r, out);
  forward(
    n,
    r,
    r.sent.filter((u) => u.seq >= from),
    out,
  );
}

/** resendDue: W7's timer: sent non-empty and no Ack for resendAfterMs → resend from the oldest. */
export function resendDue(n: NodeState, r: RangeState, nowMs: number, out: ChainOut): void {
  if (r.retired || (r.sent.length === 0 && r.handover === undefined) || r.succ === undefined) return;
  if (nowMs - r.lastAckAtMs < n.options.resendAfterMs) return;
  n.counts.resends++;
  r.lastAckAtMs = nowMs;
  sendHandover(n, r, out);
  forward(n, r, r.sent, out);
}

/** sendHandover: X4's Handover{s1}, ahead of the transfer log, until the joiner acks s1. */
export function sendHandover(n: NodeState, r: RangeState, out: ChainOut): void {
  if (r.handover === undefined || r.handover.to !== r.succ) return;
  out.send(r.handover.to, { type: 'handover', epoch: n.epoch, rangeId: r.rangeId, s1: r.handover.s1 });
}

/**
 * flush: what this turn decided goes out as one Forward and one cumulative Ack per range, so
 * under load many writes share a message (W5's ack batching, per driver turn).
 */
export function flush(n: NodeState, out: ChainOut): void {
  for (const r of n.ranges.values()) {
    foldClean(r);
    if (r.outbox.length > 0) {
      if (!r.retired) forward(n, r, r.outbox, out);
      r.outbox = [];
    }
    // A joiner acks nothing before it holds the Handover: its acks would end the old tail's
    // handover (onAck) and a lost Handover would then never be resent, leaving the joiner
    // unservable and its range blocked for every later reconfiguration (X4). Withheld, the old
    // tail's W7 resends the Handover with the log.
    if (r.ackDue && !(r.fromJoin && r.handoverS1 === undefined)) {
      r.ackDue = false;
      if (r.pred !== undefined && !r.retired) {
        n.counts.acksSent++;
        out.send(r.pred, { type: 'ack', epoch: n.epoch, rangeId: r.rangeId, upTo: r.lastAcked });
      }
    }
  }
}
