// step: the core's one entry point, `step(state, input, nowMs, random) → { state, out }`.
// LeaderId checks run once at the top (raise maxTermSeen; F2 adopts a larger leader; a reply
// with a larger vote ends our leadership or campaign); then one step function per role
// (docs/protocols/traft.md §6.7, §9.1).
// No I/O, no clock, no global randomness: time and Random are handed in.
import type { Random } from '../../runtime/random.js';
import { assert, assertNever } from '../../runtime/assert.js';
import { handleElectReply, campaignTimers } from './candidate.js';
import { electionDue, handlePreVoteReply } from './prevote.js';
import { emitCommitLines, leaderCommit } from './commit.js';
import type { Input, Output } from './io.js';
import { establish, handleForwardReply, heartbeatAll, leaderTimers, leaderWakeAtMs, propose } from './leader.js';
import { applyCommitted, isSettled, type Applied } from './applier.js';
import { handleForwardReq, handleInstallSnapshot } from './follower.js';
import { checkpointEntries, maybeSnapshot } from './snapshot.js';
import { compareLeaderId, leaderIdEq } from './leader_id.js';
import type { Message } from './messages.js';
import { adoptVote, stepDown } from './role_change.js';
import { newEffects, roleOf, type Effects, type ReplicaState } from './state.js';
import { answerPreVote, handleElectReq } from './voter.js';

/** Ctx carries the step's time and randomness. */
type Ctx = { readonly nowMs: number; readonly random: Random };

/** checkBallots is the once-per-message LeaderId check (before role dispatch). */
function checkBallots(s: ReplicaState, fx: Effects, msg: Message, c: Ctx): void {
  switch (msg.type) {
    case 'ElectReq':
      if (msg.clusterId !== s.config.clusterId) return; // answered `other-cluster`; its terms are not ours
      if (msg.pre === true) return; // a pre-vote's ballot is no term anyone holds: raising ours would only inflate terms
      s.maxTermSeen = Math.max(s.maxTermSeen, msg.candidate.term, msg.committer?.term ?? 0);
      return; // V1–V4 decide whether vote moves
    case 'ForwardReq':
    case 'InstallSnapshotReq':
      s.maxTermSeen = Math.max(s.maxTermSeen, msg.leader.term);
      if (compareLeaderId(msg.leader, s.vote) > 0) adoptVote(s, fx, msg.leader, c.nowMs, c.random); // F2
      return;
    case 'ElectReply':
    case 'ForwardReply':
      s.maxTermSeen = Math.max(s.maxTermSeen, msg.vote.term, msg.committer?.term ?? 0);
      if (compareLeaderId(msg.vote, s.vote) > 0) stepDown(s, fx, 'reply with a larger vote', c.nowMs, c.random);
      return;
    default:
      assertNever(msg, 'message');
  }
}

/**
 * handleRequest answers the requests every role answers the same way (a leader too: V1–V4, and
 * F1 refuses a smaller leader); false for replies, which each role handles itself.
 */
function handleRequest(s: ReplicaState, fx: Effects, from: number, m: Message, c: Ctx): boolean {
  switch (m.type) {
    case 'ElectReq':
      if (m.pre === true)
        answerPreVote(s, fx, from, m, c.nowMs); // changes nothing (§5.1)
      else handleElectReq(s, fx, from, m, c.nowMs, c.random);
      return true;
    case 'ForwardReq':
      handleForwardReq(s, fx, from, m, c.nowMs, c.random);
      return true;
    case 'InstallSnapshotReq':
      handleInstallSnapshot(s, fx, from, m, c.nowMs, c.random);
      return true;
    case 'ElectReply':
    case 'ForwardReply':
      return false; // replies: each role handles its own
    default:
      return assertNever(m, 'message');
  }
}

function stepLeader(s: ReplicaState, fx: Effects, input: Input, c: Ctx): void {
  switch (input.type) {
    case 'message': {
      const m = input.msg;
      if (handleRequest(s, fx, input.from, m, c)) return;
      if (m.type === 'ForwardReply') handleForwardReply(s, fx, input.from, m, c.nowMs, c.random);
      else fx.trace.push({ type: 'ignored', why: 'ElectReply after establishment' });
      return;
    }
    case 'propose':
      propose(s, fx, input.cmd, input.logKey, c.nowMs, c.random);
      return;
    case 'read-round':
      heartbeatAll(s, fx, c.nowMs);
      return;
    case 'persisted':
      leaderCommit(s, fx); // own records became durable: C1 may now count self
      return;
    case 'tick':
      return;
    default:
      assertNever(input, 'input');
  }
}

function stepCandidate(s: ReplicaState, fx: Effects, input: Input, c: Ctx): void {
  switch (input.type) {
    case 'message': {
      const m = input.msg;
      if (handleRequest(s, fx, input.from, m, c)) return;
      // a would-grant is no vote: counted as one, it would merge without the voter's records (§5.1)
      if (m.type === 'ElectReply' && m.pre !== true) handleElectReply(s, fx, input.from, m);
      else fx.trace.push({ type: 'ignored', why: `${m.type === 'ElectReply' ? 'pre-vote answer' : m.type} while campaigning` });
      return;
    }
    case 'propose':
      fx.answers.push({ type: 'rejected', reason: 'electing', hint: null }); // 6.5: candidates never append
      return;
    case 'read-round':
      return;
    case 'persisted': {
      const camp = s.campaign;
      assert(camp !== null, 'a candidate has a running campaign');
      const m = camp.merge;
      if (m !== null && s.persistedBatchId >= m.batchId && leaderIdEq(s.vote, camp.cand)) establish(s, fx, c.nowMs, c.random);
      return;
    }
    case 'tick':
      return;
    default:
      assertNever(input, 'input');
  }
}

function stepFollower(s: ReplicaState, fx: Effects, input: Input, c: Ctx): void {
  switch (input.type) {
    case 'message': {
      const m = input.msg;
      if (handleRequest(s, fx, input.from, m, c)) return;
      if (m.type === 'ElectReply' && m.pre === true) handlePreVoteReply(s, fx, input.from, m, c.nowMs);
      else fx.trace.push({ type: 'ignored', why: `${m.type} to a follower` });
      return;
    }
    case 'propose': {
      const recent = c.nowMs - s.lastLeaderContactMs < s.timing.electionTimeoutMs;
      fx.answers.push({ type: 'rejected', reason: 'not-leader', hint: recent && s.vote.id !== s.self ? s.vote : null });
      return;
    }
    case 'persisted':
    case 'tick':
    case 'read-round':
      return;
    default:
      assertNever(input, 'input');
  }
}

/**
 * runTimers handles due deadlines for the current role (after every input, §9.1). The two that
 * act on silence — a follower's election deadline and the leader's CheckQuorum — act only on a
 * tick with timing.silenceOnTick (D30): a rank that wakes late steps what was waiting for it first (the driver and the
 * simulator tick after the buffered messages), so a leader's heartbeats and a follower's acks
 * that did arrive are counted before their absence is acted on.
 */
function runTimers(s: ReplicaState, fx: Effects, input: Input, c: Ctx): void {
  const role = roleOf(s);
  const tick = input.type === 'tick' || s.timing.silenceOnTick !== true;
  switch (role) {
    case 'leader':
      leaderTimers(s, fx, c.nowMs, c.random, tick);
      return;
    case 'candidate':
      campaignTimers(s, fx, c.nowMs, c.random);
      return;
    case 'follower':
      if (tick && c.nowMs >= s.electionDeadlineMs) electionDue(s, fx, c.nowMs, c.random);
      return;
    default:
      assertNever(role, 'role');
  }
}

function wakeAtMs(s: ReplicaState, nowMs: number): number {
  const role = roleOf(s);
  switch (role) {
    case 'leader':
      return leaderWakeAtMs(s, nowMs);
    case 'candidate': {
      const camp = s.campaign;
      assert(camp !== null, 'a candidate has a running campaign');
      return camp.merge === null ? camp.deadlineMs : nowMs + s.timing.heartbeatIntervalMs;
    }
    case 'follower':
      return s.electionDeadlineMs;
    default:
      return assertNever(role, 'role');
  }
}

/** release sends parked messages whose batch is now durable. */
function release(s: ReplicaState, fx: Effects): void {
  for (let head = s.parked[0]; head !== undefined && head.batchId <= s.persistedBatchId; head = s.parked[0]) {
    s.parked.shift();
    fx.send.push(head.env);
  }
  s.unpersisted.release(s.persistedBatchId);
}

/** NONE_APPLIED: a step's `applied` when nothing could run (most steps: no hooks, no list built for them). */
const NONE_APPLIED: readonly Applied[] = Object.freeze([]);

/** apply runs the Applier (§6.6), tracing what it skips; the command records run, with results. */
function apply(s: ReplicaState, fx: Effects): Applied[] {
  const applied: Applied[] = [];
  applyCommitted(
    s.applier,
    s.log,
    s.committed,
    (by, q) => fx.trace.push({ type: 'skipped', by, q }),
    (a) => applied.push(a),
  );
  return applied;
}

/**
 * finish turns the collected effects into an Output: commit lines, the Applier (§6.6), maybe a
 * snapshot, then one WAL batch (with a checkpoint after a snapshot), parked sends, wake-up.
 */
function finish(s: ReplicaState, fx: Effects, nowMs: number): Output {
  emitCommitLines(s, fx);
  const applied = isSettled(s.applier, s.committed) ? NONE_APPLIED : apply(s, fx);
  if (fx.snapshot === null) maybeSnapshot(s, fx, nowMs);
  const snap = fx.snapshot;
  const persist =
    snap !== null
      ? [{ batchId: ++s.lastBatchId, entries: fx.entries, checkpoint: checkpointEntries(s, snap) }]
      : fx.entries.length > 0
        ? [{ batchId: ++s.lastBatchId, entries: fx.entries }]
        : [];
  for (const env of fx.afterPersist) {
    if (s.lastBatchId > s.persistedBatchId) s.parked.push({ batchId: s.lastBatchId, env });
    else fx.send.push(env);
  }
  return {
    send: fx.send,
    persist,
    log: fx.log,
    trace: fx.trace,
    answers: fx.answers,
    applied,
    wakeAtMs: Math.max(wakeAtMs(s, nowMs), nowMs + 1),
  };
}

/**
 * step applies one input. Ownership of `state` passes in and back out: it is updated in place
 * (a log of thousands of records is not copied per message) and the caller must use only the
 * returned reference. Deterministic: same state, input, nowMs and Random stream → same result.
 */
export function step(state: ReplicaState, input: Input, nowMs: number, random: Random): { state: ReplicaState; out: Output } {
  const fx = newEffects();
  const c: Ctx = { nowMs, random };
  if (input.type === 'message') {
    assert(input.from !== state.self, 'a replica does not message itself');
    checkBallots(state, fx, input.msg, c);
  } else if (input.type === 'persisted') {
    assert(input.batchId <= state.lastBatchId, 'persisted a batch never submitted');
    state.persistedBatchId = Math.max(state.persistedBatchId, input.batchId);
    release(state, fx);
  }
  const role = roleOf(state);
  switch (role) {
    case 'leader':
      stepLeader(state, fx, input, c);
      break;
    case 'candidate':
      stepCandidate(state, fx, input, c);
      break;
    case 'follower':
      stepFollower(state, fx, input, c);
      break;
    default:
      assertNever(role, 'role');
  }
  runTimers(state, fx, input, c);
  return { state, out: finish(state, fx, nowMs) };
}
