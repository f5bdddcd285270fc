// craq: CRAQ's apportioned reads (docs/protocols/chain.md §3a, the design's R3). Every member
// keeps, per key, its value at the newest clean version and every dirty (not yet acked here)
// version after it. A get at any member of the key's chain is answered locally when the key is
// clean; when it is dirty the member asks the tail for the seq it has committed and answers the
// key's value at that seq. Only members with a lease for their installed epoch answer (L2): that
// and F6's fencing are what keep a non-tail read from returning a value older than the last
// committed write (§3a says why).
import type { ClientRequest } from '../../runtime/client/wire.js';
import type { ChainMsg, Update } from './messages.js';
import { hasLease, isTail, servable, type NodeState, type RangeState } from './node_state.js';
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
  const qid = n.nextQid++;
  n.craqReads.set(qid, {
    rangeId: r.rangeId,
    key: req.key,
    epoch: n.epoch,
    tail,
    to: from,
    client: req.client,
    reqNo: req.reqNo,
    atMs: nowMs,
    ...(members !== undefined ? { members } : {}),
  });
  n.counts.versionQueries++;
  out.send(tail, { type: 'version-query', epoch: n.epoch, rangeId: r.rangeId, qid });
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
  const p = n.craqReads.get(m.qid);
  if (p === undefined || from !== p.tail || m.rangeId !== p.rangeId) return;
  n.craqReads.delete(m.qid);
  const r = n.ranges.get(p.rangeId);
  const valid = m.upTo !== null && m.epoch === p.epoch && n.epoch === p.epoch && r !== undefined && !r.retired;
  // A member is never behind its tail in one epoch (propagation); if it were, it could not answer.
  if (!valid || m.upTo > r.lastApplied) {
    n.counts.readsAbandoned++;
    return reply(out, p.to, p.client, p.reqNo, undefined, undefined);
  }
  foldClean(r);
  n.counts.reads++;
  reply(out, p.to, p.client, p.reqNo, valueAt(r, p.key, m.upTo), p.members);
}

/** abandonReads: reads whose query is older than resendAfterMs (lost), or all of them (a new epoch), end `electing`. */
export function abandonReads(n: NodeState, nowMs: number, all: boolean, out: ChainOut): void {
  for (const [qid, p] of n.craqReads) {
    if (!all && nowMs - p.atMs < n.options.resendAfterMs) continue;
    n.craqReads.delete(qid);
    n.counts.readsAbandoned++;
    reply(out, p.to, p.client, p.reqNo, undefined, undefined);
  }
}

/** nextReadExpiry: when the oldest waiting read is abandoned (Infinity: none waits). */
export function nextReadExpiry(n: NodeState): number {
  let at = Infinity;
  for (const p of n.craqReads.values()) at = Math.min(at, p.atMs + n.options.resendAfterMs);
  return at;
}
