// leader: establishment, proposing, per-follower replication and CheckQuorum
// (docs/protocols/traft.md §5.6, §6.1, §6.3, §6.7). Replication is state-based: every request is
// recomputed from bitmaps, so a lost or timed-out request is simply resent.
import type { Random } from '../../runtime/random.js';
import { assert, defined } from '../../runtime/assert.js';
import type { SmCommand } from './state_machine.js';
import { budgetAfter, bitmapBytes, chunkBy, DIGEST_ENTRY, recordBytes } from './chunk.js';
import { leaderCommit } from './commit.js';
import { isQuorum, maxMessageBytes } from './config.js';
import { buildKeyIndex, depsFor, indexRecord } from './deps.js';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import type { ElectReply, ForwardKind, ForwardReply, ForwardReq } from './messages.js';
import { noopRecord, withListedOverrides, withRangedOverrides, type LogRecord, type Seq } from './record.js';
import { stepDown } from './role_change.js';
import type { Effects, Inflight, LeaderRole, Progress, ReplicaState } from './state.js';
import { shipmentFor } from './snapshot.js';
import { storeRecord } from './store.js';
import { bitmapLen, EMPTY_BITMAP, firstMissing, members, minus, union, withSeqs } from './tail_bitmap.js';
import { jitterMs } from './timers.js';

const FIRST_BACKOFF_MS = 10;

/** leading is the established leader role of `s`; only an established leader replicates or waits on followers. */
function leading(s: ReplicaState): LeaderRole {
  const L = s.leader;
  assert(L !== null, 'only an established leader replicates');
  return L;
}

/** stored is the record at `p`, which a leader holds for every accepted position at or above its floor. */
function stored(s: ReplicaState, p: Seq): LogRecord {
  return defined(s.log.get(p), 'a leader stores every accepted position at or above its floor');
}

function newProgress(reply: ElectReply | undefined, cmax: LeaderId | null, nowMs: number): Progress {
  const base = {
    synced: false,
    syncAttempt: 0,
    syncFull: false,
    inflight: new Map(),
    lastSentAtMs: -Infinity,
    nextSendAtMs: nowMs,
    backoffMs: FIRST_BACKOFF_MS,
    lastAckAtMs: nowMs,
    ackedReqId: 0,
    keysTo: null,
    reportsFromReqId: 0,
  };
  if (reply === undefined) return { ...base, known: false, committer: null, accepted: EMPTY_BITMAP, committed: EMPTY_BITMAP };
  const sameBase = leaderIdEq(reply.committer, cmax);
  return {
    ...base,
    known: true,
    committer: reply.committer,
    accepted: sameBase ? reply.accepted : reply.committed,
    committed: reply.committed,
  };
}

/** establish is §5.6, run once the merge batch is durable and vote is still the candidate. */
export function establish(s: ReplicaState, fx: Effects, nowMs: number, random: Random): void {
  const c = s.campaign;
  assert(
    c !== null && c.merge !== null && leaderIdEq(s.vote, c.cand) && leaderIdEq(s.committer, c.cand),
    'establish needs a merged campaign',
  );
  const progress = new Map<number, Progress>();
  for (const p of s.config.members) if (p !== s.self) progress.set(p, newProgress(c.replies.get(p), c.merge.cmax, nowMs));
  const len = bitmapLen(s.accepted);
  s.leader = {
    id: c.cand,
    cmax: c.merge.cmax,
    baseTail: c.merge.baseTail,
    establishedAtMs: nowMs,
    progress,
    keyIndex: buildKeyIndex(s.machine, s.log, s.floor, len),
    heldBack: new Set(),
  };
  s.campaign = null;
  s.failedElections = 0;
  s.leaderHint = c.cand;
  fx.trace.push({ type: 'established', leader: c.cand, baseTail: c.merge.baseTail });
  storeRecord(s, fx, noopRecord(len, c.cand)); // §5.6: one tail no-op
  leaderCommit(s, fx);
  for (const [p, pr] of progress) replicateTo(s, fx, p, pr, nowMs, random);
}

/** propose is §6.1: append at the tail, generate line, replicate; self counts after fsync. */
export function propose(s: ReplicaState, fx: Effects, cmd: SmCommand, logKey: string, nowMs: number, random: Random): void {
  const L = s.leader;
  assert(L !== null, 'propose needs an established leader');
  const seq = bitmapLen(s.accepted);
  assert(seq >= L.baseTail, 'the leader appends only at its tail');
  const d = depsFor(L.keyIndex, cmd, seq, firstMissing(s.committed));
  const fields = { seq, author: L.id, kind: 'cmd', cmd, deps: d.deps, logKey } as const;
  const rec = d.ovFrom === undefined ? withListedOverrides(fields, d.overrides) : withRangedOverrides(fields, d.ovFrom);
  storeRecord(s, fx, rec);
  indexRecord(L.keyIndex, rec);
  fx.answers.push({ type: 'appended', seq, logKey });
  replicateToAll(s, fx, L, nowMs, random);
}

function forward(
  s: ReplicaState,
  fx: Effects,
  to: number,
  pr: Progress,
  kind: ForwardKind,
  records: LogRecord[],
  nowMs: number,
  extra: Partial<ForwardReq> = {},
  reqId = s.nextReqId++,
): number {
  const L = leading(s);
  fx.send.push({ to, msg: { type: 'ForwardReq', leader: L.id, kind, records, committed: s.committed, reqId, ...extra } });
  pr.lastSentAtMs = nowMs;
  return reqId;
}

/** listBudget: the bytes a ForwardReq may spend on records and digest entries (§4.7). */
function listBudget(s: ReplicaState): number {
  return budgetAfter(maxMessageBytes(s.timing), bitmapBytes(s.committed));
}

/**
 * sendSync is §6.3's Sync: digest of [lo, baseTail) plus the records the follower may lack, in
 * chunks of one reqId. Records and digest entries each fill at most half a chunk's budget, so
 * both spread over the chunks as far as they need (§4.7); the last chunk is marked.
 */
function sendSync(s: ReplicaState, fx: Effects, to: number, pr: Progress, nowMs: number): void {
  const L = leading(s);
  const lo = Math.min(firstMissing(pr.committed), L.baseTail); // the follower's own report only (I3)
  const full = pr.syncFull || !leaderIdEq(pr.committer, L.cmax);
  const seqs = full ? members(s.accepted, lo, L.baseTail) : minus(s.accepted, pr.accepted, lo, L.baseTail);
  const digest: Array<[Seq, LeaderId]> = [];
  for (let p = lo; p < L.baseTail; p++) digest.push([p, stored(s, p).author]);
  const half = listBudget(s) / 2;
  const recordRuns = chunkBy(
    seqs.map((p) => stored(s, p)),
    (r) => s.log.sizeOf(r, recordBytes),
    half,
    s.timing.maxBatch,
  );
  const digestRuns = chunkBy(digest, () => DIGEST_ENTRY, half);
  const n = Math.max(1, recordRuns.length, digestRuns.length);
  const reqId = s.nextReqId++;
  for (let i = 0; i < n; i++) {
    const extra = { lo, baseTail: L.baseTail, digest: digestRuns[i] ?? [], last: i === n - 1 };
    forward(s, fx, to, pr, 'sync', recordRuns[i] ?? [], nowMs, extra, reqId);
  }
  pr.syncAttempt = reqId;
  pr.inflight.set(reqId, { kind: 'sync', seqs: [], sentAtMs: nowMs });
}

/**
 * sendSnapshot is §6.3's InstallSnapshotReq (F9, §7.4) for a follower whose own report lacks a
 * position below our floor, one at a time: the KEYs from where its last reply said its KEYs
 * reach or its reported commit frontier, whichever is higher, as much as fits one message; a
 * `part` when more remain (§4.7).
 */
function sendSnapshot(s: ReplicaState, fx: Effects, to: number, pr: Progress, nowMs: number): void {
  for (const inf of pr.inflight.values()) if (inf.kind === 'snapshot') return;
  const reqId = s.nextReqId++;
  // its reports' commit frontier can pass an install's keysTo (no Sync followed it to clear it):
  // its KEYs reach at least as far as it committed (it logs every committed position each step)
  const keysFrom = Math.min(s.floor, Math.max(pr.keysTo ?? 0, firstMissing(pr.committed)));
  const shipment = shipmentFor(s, keysFrom, budgetAfter(maxMessageBytes(s.timing), 0));
  fx.send.push({ to, msg: { type: 'InstallSnapshotReq', leader: leading(s).id, shipment, reqId } });
  pr.lastSentAtMs = nowMs;
  pr.inflight.set(reqId, { kind: 'snapshot', seqs: [], sentAtMs: nowMs });
}

/**
 * fullAppendLeft: can `span` positions past the follower's frontier, less those its requests in
 * flight carry, still fill an append of maxBatch? (An estimate from above: a request's positions
 * may lie below the frontier already; then it only sends less.)
 */
function fullAppendLeft(pr: Progress, span: number, maxBatch: number): boolean {
  // a loop, not forEach: its closure and the context holding `left` were a leader's allocation on every proposal
  let left = span;
  for (const inf of pr.inflight.values()) left -= inf.seqs.length;
  return left >= maxBatch;
}

/** sendAppends is §6.3's append: positions the follower lacks and nobody carries, ≤ maxInflight requests of ≤ maxBatch records within the byte budget. */
function sendAppends(s: ReplicaState, fx: Effects, to: number, pr: Progress, nowMs: number): void {
  const { maxInflight, maxBatch } = s.timing;
  const cap = maxInflight + (s.timing.fullInflight ?? 0);
  if (pr.inflight.size >= cap) return;
  const len = bitmapLen(s.accepted);
  const from = firstMissing(pr.accepted);
  if (from >= len) return;
  if (pr.inflight.size >= maxInflight && !fullAppendLeft(pr, len - from, maxBatch)) return;
  const inflight = pr.inflight.size === 0 ? [] : Array.from(pr.inflight.values(), (inf) => inf.seqs);
  const carried = withSeqs(pr.accepted, inflight);
  const room = cap - pr.inflight.size;
  const pool = minus(s.accepted, carried, from, len, room * maxBatch);
  // past maxInflight only full appends go, and fewer than maxBatch positions fill none: about half
  // the calls that fullAppendLeft (an estimate from above) lets through end here
  if (pr.inflight.size >= maxInflight && pool.length < maxBatch) return;
  const runs = chunkBy(
    pool.map((p) => stored(s, p)),
    (r) => s.log.sizeOf(r, recordBytes), // sized once per record, not once per follower
    listBudget(s),
    maxBatch,
  );
  for (const records of runs.slice(0, room)) {
    if (pr.inflight.size >= maxInflight && records.length < maxBatch) break; // past maxInflight: full appends only
    const reqId = forward(s, fx, to, pr, 'append', records, nowMs);
    pr.inflight.set(reqId, { kind: 'append', seqs: records.map((r) => r.seq), sentAtMs: nowMs });
  }
}

/** anyExpired: has a request in flight to the follower timed out? (values: no [reqId, inf] array per request, no closure) */
function anyExpired(pr: Progress, nowMs: number, timeout: number): boolean {
  for (const inf of pr.inflight.values()) if (nowMs - inf.sentAtMs >= timeout) return true;
  return false;
}

/** anySync: is a Sync in flight to the follower? */
function anySync(pr: Progress): boolean {
  for (const inf of pr.inflight.values()) if (inf.kind === 'sync') return true;
  return false;
}

/** expireInflight is §6.3's expiry: timed-out requests free their positions and back off. */
function expireInflight(s: ReplicaState, pr: Progress, nowMs: number, random: Random): void {
  const H = s.timing.heartbeatIntervalMs;
  const timeout = s.timing.rpcTimeoutMs ?? H;
  // runs for every follower on every proposal: look first, delete rarely
  if (!anyExpired(pr, nowMs, timeout)) return;
  for (const [reqId, inf] of pr.inflight) if (nowMs - inf.sentAtMs >= timeout) pr.inflight.delete(reqId);
  pr.nextSendAtMs = nowMs + jitterMs(pr.backoffMs, random);
  pr.backoffMs = Math.min(pr.backoffMs * 2, H);
}

/** replicateTo is §6.3 for one follower, `to`, whose progress is `pr`. */
function replicateTo(s: ReplicaState, fx: Effects, to: number, pr: Progress, nowMs: number, random: Random): void {
  const H = s.timing.heartbeatIntervalMs;
  expireInflight(s, pr, nowMs, random);
  if (nowMs >= pr.nextSendAtMs) {
    if (!pr.known) {
      forward(s, fx, to, pr, 'heartbeat', [], nowMs); // a probe: its reply fills progress
      pr.nextSendAtMs = nowMs + jitterMs(pr.backoffMs, random);
      pr.backoffMs = Math.min(pr.backoffMs * 2, H);
      return;
    }
    // Below our floor we can only ship the snapshot (the synced case: an append it missed was compacted).
    if (firstMissing(pr.synced ? pr.accepted : pr.committed) < s.floor) sendSnapshot(s, fx, to, pr, nowMs);
    else if (!pr.synced && !pr.inflight.has(pr.syncAttempt)) sendSync(s, fx, to, pr, nowMs);
    else if (pr.synced) sendAppends(s, fx, to, pr, nowMs);
  }
  if (nowMs - pr.lastSentAtMs >= H) forward(s, fx, to, pr, 'heartbeat', [], nowMs);
}

/** handleForwardReply is §6.3's reply handling, then the commit rule (§6.4). */
export function handleForwardReply(s: ReplicaState, fx: Effects, from: number, reply: ForwardReply, nowMs: number, random: Random): void {
  const L = leading(s);
  const pr = L.progress.get(from);
  if (pr === undefined || !leaderIdEq(reply.leader, L.id)) {
    fx.trace.push({ type: 'ignored', why: 'ForwardReply for another ballot or from a non-member' });
    return;
  }
  pr.known = true;
  const answered = pr.inflight.get(reply.reqId)?.kind;
  pr.inflight.delete(reply.reqId);
  // a vote is durable (a promise never expires), so even a reply from before a restart is an ack
  if (leaderIdEq(reply.vote, L.id)) {
    pr.lastAckAtMs = nowMs;
    pr.ackedReqId = Math.max(pr.ackedReqId, reply.reqId);
  }
  pr.backoffMs = FIRST_BACKOFF_MS; // it answered: no reason to wait (a probe's answer starts the Sync at once)
  pr.nextSendAtMs = nowMs;
  if (reply.reqId >= pr.reportsFromReqId) takeReport(s, fx, pr, reply, answered);
  replicateTo(s, fx, from, pr, nowMs, random);
}

/**
 * takeReport merges the follower's reported state into our view of it (§6.3). A `need-keys`
 * reply fences off the replies to every request sent before it arrived: any of them may come
 * from before a restart whose torn line lost commit marks, and merging those marks back would
 * ship KEYs from above its reach again, once per such reply (docs/protocols/traft.md D15).
 */
function takeReport(s: ReplicaState, fx: Effects, pr: Progress, reply: ForwardReply, answered: Inflight['kind'] | undefined): void {
  const L = leading(s);
  pr.committer = reply.committer;
  pr.committed = union(pr.committed, reply.committed);
  if (reply.keysTo !== undefined) pr.keysTo = reply.keysTo; // the next snapshot part starts there
  if (reply.ok && leaderIdEq(reply.committer, L.id)) {
    pr.synced = true;
    pr.syncFull = false;
    // its Sync done, its reports say where its KEYs reach: a later install starts there, not where
    // an earlier install's last part ended (that resent every KEY it committed in between)
    if (answered === 'sync') pr.keysTo = null;
    if (anySync(pr)) for (const [reqId, inf] of pr.inflight) if (inf.kind === 'sync') pr.inflight.delete(reqId); // done, whichever reply said so
    pr.accepted = union(pr.accepted, reply.accepted);
    leaderCommit(s, fx);
  } else if (!reply.ok && reply.reason === 'need-keys') {
    pr.committed = reply.committed; // marks we held from before its restart: ship KEYs from its real frontier
    pr.reportsFromReqId = s.nextReqId; // the replies to what we sent until now may predate its restart
  } else if (!reply.ok && reply.reason === 'need-sync' && reply.reqId >= pr.syncAttempt) {
    pr.synced = false;
    if (pr.syncFull) pr.committed = EMPTY_BITMAP; // a full Sync failed too: it lacks a position below lo; start from 0
    pr.syncFull = true; // resend in full: the follower lacks something our view says it has
    pr.inflight.clear();
  }
}

/**
 * heartbeatAll sends every follower a heartbeat now (§9.4 ReadIndex): a reply naming our
 * LeaderId to a request sent after a read arrived shows no other leader had a quorum then.
 */
export function heartbeatAll(s: ReplicaState, fx: Effects, nowMs: number): void {
  for (const [p, pr] of leading(s).progress) forward(s, fx, p, pr, 'heartbeat', [], nowMs);
}

/** leaderTimers: CheckQuorum (§6.7; only on a tick, D30), then per-follower retries and heartbeats. */
export function leaderTimers(s: ReplicaState, fx: Effects, nowMs: number, random: Random, tick = true): void {
  const L = s.leader;
  if (L === null) return;
  const E = s.timing.electionTimeoutMs;
  if (tick && nowMs - L.establishedAtMs >= E) {
    const fresh = [s.self];
    for (const [p, pr] of L.progress) if (nowMs - pr.lastAckAtMs < E) fresh.push(p);
    if (!isQuorum(s.config, fresh)) {
      stepDown(s, fx, 'check-quorum', nowMs, random);
      return;
    }
  }
  replicateToAll(s, fx, L, nowMs, random);
}

/**
 * replicateToAll runs replicateTo for every follower, in the progress map's order. forEach, not
 * `for (const [p, pr] of …)`: that allocated an iterator result and an entry array per follower
 * on every proposal and every leader step (a tenth of a long simulated run's allocation).
 */
function replicateToAll(s: ReplicaState, fx: Effects, L: LeaderRole, nowMs: number, random: Random): void {
  L.progress.forEach((pr, p) => replicateTo(s, fx, p, pr, nowMs, random));
}

/**
 * leaderWakeAtMs: the earliest future heartbeat, retry, expiry or CheckQuorum over all followers.
 * It runs after every core step (each proposal of a leader turn), so it allocates nothing: no
 * closure, and no helper returning a time. A time is an epoch double, not a small integer, and
 * without TurboFan's inlining (entry.ts rankNodeFlags) every double a call returns is a fresh
 * heap number: an `earlier(at, t)` helper here was ~5% of a leader's allocated bytes (sampled
 * allocation profile, -t 5) and, in isolation, three times slower than the comparisons inline.
 */
export function leaderWakeAtMs(s: ReplicaState, nowMs: number): number {
  const L = leading(s);
  const H = s.timing.heartbeatIntervalMs;
  const timeout = s.timing.rpcTimeoutMs ?? H;
  let at = nowMs + H;
  let t = L.establishedAtMs + s.timing.electionTimeoutMs;
  if (t > nowMs && t < at) at = t; // the earliest of the times still in the future
  for (const pr of L.progress.values()) {
    t = pr.lastSentAtMs + H;
    if (t > nowMs && t < at) at = t;
    t = pr.nextSendAtMs;
    if (t > nowMs && t < at) at = t;
    for (const inf of pr.inflight.values()) {
      t = inf.sentAtMs + timeout;
      if (t > nowMs && t < at) at = t;
    }
  }
  return at;
}
