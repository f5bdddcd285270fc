// follower: the follower rules F1–F8 for ForwardReq (docs/protocols/traft.md §6.2). F2 (adopting a
// larger leader) runs once in step.ts before dispatch; here the request's leader is ≤ vote.
import type { Random } from '../../runtime/random.js';
import { assert, assertNever } from '../../runtime/assert.js';
import { learnCommitted } from './commit.js';
import { compareLeaderId, formatLeaderId, leaderIdEq } from './leader_id.js';
import type { ForwardReply, ForwardReq, InstallSnapshotReq } from './messages.js';
import { assertSameRecord, formatRecordId, sameIdentity, type LogRecord, type Seq } from './record.js';
import type { Effects, ReplicaState } from './state.js';
import { canInstall, installSnapshot, keysReach, stageKeys } from './snapshot.js';
import { setCommitter, storeRecords, truncateFrom } from './store.js';
import { firstMissing, hasSeq } from './tail_bitmap.js';
import { resetElectionDeadline } from './timers.js';

function reply(
  s: ReplicaState,
  fx: Effects,
  to: number,
  req: ForwardReq | InstallSnapshotReq,
  ok: boolean,
  reason?: ForwardReply['reason'],
  keysTo?: Seq,
): void {
  fx.afterPersist.push({
    to,
    msg: {
      type: 'ForwardReply',
      leader: req.leader,
      ok,
      ...(reason === undefined ? {} : { reason }),
      vote: s.vote,
      committer: s.committer,
      accepted: s.accepted,
      committed: s.committed,
      reqId: req.reqId,
      ...(keysTo === undefined ? {} : { keysTo }),
    },
  });
}

/** syncPlan is F4's decision on the last chunk: records to store, or need-sync. */
function syncPlan(s: ReplicaState, req: ForwardReq): LogRecord[] | 'need-sync' {
  const lo = req.lo ?? 0;
  const baseTail = req.baseTail ?? 0;
  if (firstMissing(s.accepted) < lo) return 'need-sync'; // a p < lo neither stored nor below the floor
  const staged = s.staged?.records ?? new Map<Seq, LogRecord>();
  const digest = s.staged?.digest ?? new Map<Seq, ForwardReq['leader']>();
  const plan: LogRecord[] = [];
  for (let p = Math.max(lo, s.floor); p < baseTail; p++) {
    // below our floor: committed, hence identical
    const author = digest.get(p);
    if (author === undefined) return 'need-sync'; // a malformed Sync (the sender's bug): ask again, do not crash
    const own = s.log.get(p);
    if (own !== undefined && sameIdentity(own, { seq: p, author })) continue;
    const st = staged.get(p);
    if (st === undefined || !sameIdentity(st, { seq: p, author })) return 'need-sync';
    if (own !== undefined) assert(!hasSeq(s.committed, p), () => `sync replaces committed ${formatRecordId(own)} (I3)`);
    plan.push(st);
  }
  return plan;
}

/** onSync is F4. A Sync from the current committer is a duplicate or delayed copy: ignored (I2). */
function onSync(s: ReplicaState, fx: Effects, from: number, req: ForwardReq): void {
  if (leaderIdEq(s.committer, req.leader)) {
    learnCommitted(s, fx, req.leader, req.committed);
    if (req.last === true) reply(s, fx, from, req, true);
    return;
  }
  if (s.staged === null || !leaderIdEq(s.staged.leader, req.leader))
    s.staged = { leader: req.leader, records: new Map(), digest: new Map() };
  for (const r of req.records) s.staged.records.set(r.seq, r);
  // One leader's digest entries are facts about its fixed base, whichever attempt sent them.
  for (const [p, author] of req.digest ?? []) s.staged.digest.set(p, author);
  if (req.last !== true) return;
  const plan = syncPlan(s, req);
  if (plan === 'need-sync') {
    reply(s, fx, from, req, false, 'need-sync');
    return;
  }
  const replaced = plan.map((r) => r.seq);
  storeRecords(s, fx, plan);
  const deleted = truncateFrom(s, fx, req.baseTail ?? 0);
  setCommitter(s, fx, req.leader);
  s.staged = null;
  fx.trace.push({ type: 'synced', leader: req.leader, deleted, replaced });
  learnCommitted(s, fx, req.leader, req.committed);
  reply(s, fx, from, req, true);
}

/** onAppend is F5: only a follower already synced to this leader stores appended records. */
function onAppend(s: ReplicaState, fx: Effects, from: number, req: ForwardReq): void {
  if (!leaderIdEq(s.committer, req.leader)) {
    reply(s, fx, from, req, false, 'need-sync');
    return;
  }
  const fresh: LogRecord[] = [];
  for (const r of req.records) {
    if (r.seq < s.floor) continue; // in our snapshot: committed, hence this very record
    const own = s.log.get(r.seq);
    if (own !== undefined) {
      assert(sameIdentity(own, r), () => `append ${formatRecordId(r)} over ${formatRecordId(own)} under one committer`);
      assertSameRecord(own, r);
      continue;
    }
    fresh.push(r);
  }
  storeRecords(s, fx, fresh);
  learnCommitted(s, fx, req.leader, req.committed);
  reply(s, fx, from, req, true);
}

/**
 * acceptLeader is F1 and F3 for a request from `leader` (F2 already ran): false when it is
 * refused (stale, answered) or under our own ballot (ignored).
 */
function acceptLeader(
  s: ReplicaState,
  fx: Effects,
  from: number,
  req: ForwardReq | InstallSnapshotReq,
  nowMs: number,
  random: Random,
): boolean {
  if (compareLeaderId(req.leader, s.vote) < 0) {
    reply(s, fx, from, req, false, 'stale-leader'); // F1: a promise never expires (§12.3)
    return false;
  }
  assert(leaderIdEq(req.leader, s.vote), () => `F2 must have run: ${formatLeaderId(req.leader)} vs ${formatLeaderId(s.vote)}`);
  if (s.vote.id === s.self) {
    fx.trace.push({ type: 'ignored', why: `${req.type} under our own ballot from another replica` });
    return false;
  }
  s.leaderHint = req.leader; // F3, also for an equal leader (§12.4)
  s.lastLeaderContactMs = nowMs;
  s.preVote = null; // a live leader: no election wanted
  s.failedElections = 0;
  resetElectionDeadline(s, nowMs, random);
  return true;
}

/** handleForwardReq applies F1, F3–F8 (F2 already ran). */
export function handleForwardReq(s: ReplicaState, fx: Effects, from: number, req: ForwardReq, nowMs: number, random: Random): void {
  if (!acceptLeader(s, fx, from, req, nowMs, random)) return;
  switch (req.kind) {
    case 'sync':
      onSync(s, fx, from, req);
      return;
    case 'append':
      onAppend(s, fx, from, req);
      return;
    case 'heartbeat':
      if (leaderIdEq(s.committer, req.leader)) learnCommitted(s, fx, req.leader, req.committed); // F6, F7
      reply(s, fx, from, req, true);
      return;
    default:
      assertNever(req.kind, 'forward kind');
  }
}

/**
 * handleInstallSnapshot is F9: F1–F3, then a snapshot above our floor replaces the log below
 * it (committer unchanged); the reply waits for its checkpoint. KEYs starting above what we
 * have logged or staged (the leader's view predates our restart) get `need-keys` and change
 * nothing. A `part` only stages its KEYs (§4.7). Every reply says where our KEYs reach.
 */
export function handleInstallSnapshot(
  s: ReplicaState,
  fx: Effects,
  from: number,
  req: InstallSnapshotReq,
  nowMs: number,
  random: Random,
): void {
  if (!acceptLeader(s, fx, from, req, nowMs, random)) return;
  const ship = req.shipment;
  if (ship.snapshot.floor <= s.floor) {
    reply(s, fx, from, req, true, undefined, keysReach(s)); // nothing to do
    return;
  }
  if (ship.part === true ? !stageKeys(s, ship) : canInstall(s, ship) === 'need-keys') {
    reply(s, fx, from, req, false, 'need-keys', keysReach(s));
    return;
  }
  if (ship.part !== true) installSnapshot(s, fx, ship);
  reply(s, fx, from, req, true, undefined, keysReach(s));
}
