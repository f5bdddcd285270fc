// craq: CRAQ's apportioned reads (docs/protocols/chain.md §3a, the design's R3). Every member
// keeps, per key, its value at the newest clean version and every dirty (not yet acked here)
// version after it. A get at any member of the key's chain is answered locally when the key is
// clean; when it is dirty the member asks the tail for the seq it has committed and answers the
// key's value at that seq. Only members with a lease for their installed epoch answer (L2): that
// and F6's fencing are what keep a non-tail read from returning a value older than the last
// committed write (§3a says why).
import type { ClientRequest } from '../../runtime/client/wire.js';
import type { ChainMsg, Update } from './messages.js';
import { hasLease, isTail, servable, type NodeState, type PendingQuery, type RangeState } from './node_state.js';
import type { ChainOut } from './types.js';

type Msg<T extends ChainMsg['type']> = Extract<ChainMsg, { type: T }>;

/**
 * recordVersion: u becomes a dirty version of its key, before it is applied to the store. A key
 * with no dirty entry has a clean store value: every path that fills a store without applying
 * (a snapshot, a split or merge) sets lastAcked to what it holds.
 */
export function recordVersion(n: NodeState, r: RangeState, u: Update): void {
  if (n.options.craq !== true) return;
  let d = r.dirty.get(u.key);
  if (d === undefined) {
    d = { base: r.store.get(u.key)?.value ?? null, versions: [] };
    r.dirty.set(u.key, d);
  }
  d.versions.push({ seq: u.seq, value: u.op === 'put' ? (u.value ?? '') : null });
}

/** foldClean: versions ≤ lastAcked are clean (W6, F2): each key keeps only its newest clean value as base. */
export function foldClean(r: RangeState): void {
  if (r.lastAcked === r.foldedUpTo) return;
  r.foldedUpTo = r.lastAcked;
  for (const [key, d] of r.dirty) {
    let i = 0;
    for (const v of d.versions) {
      if (v.seq > r.lastAcked) break;
      d.base = v.value;
      i++;
    }
    if (i === d.versions.length) r.dirty.delete(key);
    else if (i > 0) d.versions.splice(0, i);
  }
}

/** valueAt: key's value once every seq ≤ upTo is applied (this member holds every version after its base). */
function valueAt(r: RangeState, key: string, upTo: number): string | null {
  const d = r.dirty.get(key);
  if (d === undefined) return r.store.get(key)?.value ?? null;
  let value = d.base;
  for (const v of d.versions) {
    if (v.seq > upTo) break;
    value = v.value;
  }
  return value;
}

/** reply: ok with the result (and the chain, if the client asked who may answer), or `electing` (undefined). */
function reply(
  out: ChainOut,
  to: number,
  client: string,
  reqNo: number,
  result: string | null | undefined,
  members: readonly number[] | undefined,
): void {
  const head = { type: 'client-reply', client, reqNo } as const;
  if (result === undefined) return out.send(to, { ...head, status: 'electing' });
  out.send(to, members === undefined ? { ...head, status: 'ok', result } : { ...head, status: 'ok', result, members });
}

/**
 * craqGet: R3 at a member that holds a lease and may serve the range: a clean key (and any key
 * at the tail, where everything applied is committed) is answered from the store; a dirty one
 * waits for the tail's VersionReply.
 */
export function craqGet(n: NodeState, r: RangeState, from: number, req: ClientRequest, nowMs: number, out: ChainOut): void {
  foldClean(r);
  const tail = r.chain[r.chain.length - 1];
  const members = req.members === true ? r.chain : undefined;
  if (isTail(r, n.rank) || !r.dirty.has(req.key)) {
    n.counts.reads++;
    if (!isTail(r, n.rank)) n.counts.cleanReads++;
    reply(out, from, req.client, req.reqNo, r.store.get(req.key)?.value ?? null, members);
    return;
  }
  if (tail === undefined) return reply(out, from, req.client, req.reqNo, undefined, undefined);
  n.counts.versionQueries++;
  const read = { key: req.key, to: from, client: req.client, reqNo: req.reqNo, ...(members !== undefined ? { members } : {}) };
  const open = n.openQueries.get(r.rangeId);
  const q = open === undefined ? undefined : n.craqReads.get(open);
  if (q !== undefined && q.epoch === n.epoch && q.tail === tail) {
    q.reads.push(read);
    return;
  }
  if (open !== undefined && q !== undefined) sendQuery(n, open, q, out); // gathered for another tail or epoch: it goes now
  const qid = n.nextQid++;
  n.craqReads.set(qid, { rangeId: r.rangeId, epoch: n.epoch, tail, atMs: nowMs, reads: [read] });
  n.openQueries.set(r.rangeId, qid);
}

/**
 * sendQueries: at the end of a turn, one VersionQuery per range whose dirty gets arrived in it.
 * Each query leaves after every get it carries arrived, so the tail's answer is a committed seq
 * at least as new as any write those gets must see (R3).
 */
export function sendQueries(n: NodeState, out: ChainOut): void {
  if (n.openQueries.size === 0) return;
  for (const qid of n.openQueries.values()) {
    const q = n.craqReads.get(qid);
    if (q !== undefined) sendQuery(n, qid, q, out); // else abandoned within the turn
  }
  n.openQueries.clear();
}

function sendQuery(n: NodeState, qid: number, q: PendingQuery, out: ChainOut): void {
  n.counts.queriesSent++;
  out.send(q.tail, { type: 'version-query', epoch: q.epoch, rangeId: q.rangeId, qid });
}

/**
 * onVersionQuery: the tail names what it has committed — all of lastApplied — only as the tail
 * of the asker's epoch, with a lease and servable (a joiner after its handover); else null, so
 * the asker's client retries instead of waiting out its attempt.
 */
export function onVersionQuery(n: NodeState, from: number, m: Msg<'version-query'>, nowMs: number, out: ChainOut): void {
  const r = n.ranges.get(m.rangeId);
  const ok = r !== undefined && m.epoch === n.epoch && isTail(r, n.rank) && servable(r) && hasLease(n, nowMs);
  out.send(from, { type: 'version-reply', epoch: n.epoch, rangeId: m.rangeId, qid: m.qid, upTo: ok ? r.lastApplied : null });
}

/**
 * onVersionReply: the read waiting on qid is answered at the tail's committed seq. A reply of
 * another epoch than the query's, or after this node installed another (T15), or from anyone but
 * the tail asked, ends the read `electing`: the client retries it under the new configuration.
 */
export function onVersionReply(n: NodeState, from: number, m: Msg<'version-reply'>, out: ChainOut): void {
  const q = n.craqReads.get(m.qid);
  if (q === undefined || from !== q.tail || m.rangeId !== q.rangeId) return;
  n.craqReads.delete(m.qid);
  const r = n.ranges.get(q.rangeId);
  const valid = m.upTo !== null && m.epoch === q.epoch && n.epoch === q.epoch && r !== undefined && !r.retired;
  // A member is never behind its tail in one epoch (propagation); if it were, it could not answer.
  if (!valid || m.upTo > r.lastApplied) return abandon(n, q, out);
  foldClean(r);
  for (const p of q.reads) {
    n.counts.reads++;
    reply(out, p.to, p.client, p.reqNo, valueAt(r, p.key, m.upTo), p.members);
  }
}

/** abandon: a query's reads end `electing`: the clients retry them. */
function abandon(n: NodeState, q: PendingQuery, out: ChainOut): void {
  for (const p of q.reads) {
    n.counts.readsAbandoned++;
    reply(out, p.to, p.client, p.reqNo, undefined, undefined);
  }
}

/** abandonReads: reads whose query is older than resendAfterMs (lost), or all of them (a new epoch), end `electing`. */
export function abandonReads(n: NodeState, nowMs: number, all: boolean, out: ChainOut): void {
  for (const [qid, q] of n.craqReads) {
    if (!all && nowMs - q.atMs < n.options.resendAfterMs) continue;
    n.craqReads.delete(qid);
    abandon(n, q, out);
  }
  if (all) n.openQueries.clear();
}

/** nextReadExpiry: when the oldest waiting read is abandoned (Infinity: none waits). */
export function nextReadExpiry(n: NodeState): number {
  let at = Infinity;
  for (const q of n.craqReads.values()) at = Math.min(at, q.atMs + n.options.resendAfterMs);
  return at;
}
