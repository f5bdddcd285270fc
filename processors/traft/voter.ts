// voter: the voter rule V1–V4 and the records an ElectReply ships back (E1–E4), for every
// role: a leader still answers ElectReq (docs/protocols/traft.md §5.2, §5.3).
import type { Random } from '../../runtime/random.js';
import { defined } from '../../runtime/assert.js';
import { bitmapBytes, budgetAfter, chunkBy, keysBudget, recordBytes, strBytes } from './chunk.js';
import { maxMessageBytes } from './config.js';
import { compareLeaderId, leaderIdEq } from './leader_id.js';
import type { ElectReply, ElectReplyReason, ElectReq } from './messages.js';
import { adoptVote } from './role_change.js';
import { shipmentFor } from './snapshot.js';
import type { Effects, ReplicaState } from './state.js';
import { bitmapLen, firstMissing, minus } from './tail_bitmap.js';
import { resetElectionDeadline } from './timers.js';

/** refusal returns why V1–V3 refuse `req`, or null when V4 grants it. */
function refusal(s: ReplicaState, req: ElectReq, nowMs: number): ElectReplyReason | null {
  if (req.clusterId !== s.config.clusterId) return 'other-cluster';
  if (compareLeaderId(req.candidate, s.vote) < 0) return 'stale-ballot'; // V1
  const leaseHeld = s.leader !== null || nowMs - s.lastLeaderContactMs < s.timing.electionTimeoutMs;
  if (s.timing.leaseProtection && !leaderIdEq(req.candidate, s.leaderHint) && leaseHeld) return 'leader-alive'; // V2
  const c = compareLeaderId(req.committer, s.committer);
  if (c < 0 || (c === 0 && bitmapLen(req.accepted) < bitmapLen(s.accepted))) return 'stale-log'; // V3
  return null;
}

/**
 * shipped is E1: every stored record the candidate lacks, ascending (E2: none unless the
 * committers are equal). Positions below our floor are no longer stored: if the candidate lacks
 * any, our snapshot goes too (the merge installs it), with the KEYs from the candidate's frontier.
 */
function shipped(s: ReplicaState, req: ElectReq): Pick<ElectReply, 'records' | 'snapshot'> {
  if (!leaderIdEq(s.committer, req.committer)) return { records: [] };
  const from = firstMissing(req.accepted);
  const seqs = minus(s.accepted, req.accepted, Math.max(from, s.floor), bitmapLen(s.accepted));
  const records = seqs.map((p) => defined(s.log.get(p), 'E3: every accepted position at or above the floor is stored'));
  if (from >= s.floor) return { records };
  return { records, snapshot: shipmentFor(s, Math.min(req.frontier, s.floor), Infinity) };
}

function sum<T>(xs: readonly T[], bytesOf: (x: T) => number): number {
  let n = 0;
  for (const x of xs) n += bytesOf(x);
  return n;
}

/**
 * parts cuts a granted reply too large for one message into parts of one answer (§4.7): first
 * the snapshot with consecutive runs of its KEYs (all but the last run a `part`), then runs of
 * records. A reply that fits one message goes unchanged.
 */
function parts(s: ReplicaState, whole: ElectReply, random: Random): ElectReply[] {
  const budget = budgetAfter(maxMessageBytes(s.timing), bitmapBytes(whole.accepted) + bitmapBytes(whole.committed));
  const ship = whole.snapshot;
  const keysRoom = ship === undefined ? budget : keysBudget(ship.snapshot, budget);
  const keyBytes = ship === undefined ? 0 : budget - keysRoom + sum(ship.keys, strBytes);
  if (keyBytes + sum(whole.records, recordBytes) <= budget) return [whole];
  const keyRuns = ship === undefined ? [] : chunkBy(ship.keys, strBytes, keysRoom);
  if (ship !== undefined && keyRuns.length === 0) keyRuns.push([]);
  const recordRuns = chunkBy(whole.records, recordBytes, budget);
  const { snapshot: _whole, records: _all, ...head } = whole;
  const out: ElectReply[] = [];
  let keysFrom = ship?.keysFrom ?? 0;
  for (const [i, keys] of keyRuns.entries()) {
    const last = i === keyRuns.length - 1;
    const snapshot = defined(ship, 'KEY runs come from a snapshot').snapshot;
    out.push({ ...head, records: [], snapshot: last ? { snapshot, keysFrom, keys } : { snapshot, keysFrom, keys, part: true } });
    keysFrom += keys.length;
  }
  for (const records of recordRuns) out.push({ ...head, records });
  const id = random.int(2 ** 31);
  return out.map((r, at) => ({ ...r, part: { id, at, of: out.length } }));
}

/**
 * answerPreVote says whether V1–V4 would grant a pre-vote's ballot (§5.1, D28), changing
 * nothing: no vote, no deadline reset, no records. Sent at once: it promises nothing durable.
 */
export function answerPreVote(s: ReplicaState, fx: Effects, from: number, req: ElectReq, nowMs: number): void {
  const reason = refusal(s, req, nowMs);
  fx.send.push({
    to: from,
    msg: {
      type: 'ElectReply',
      candidate: req.candidate,
      granted: reason === null,
      ...(reason === null ? {} : { reason }),
      pre: true,
      vote: s.vote,
      committer: s.committer,
      accepted: s.accepted,
      committed: s.committed,
      records: [],
    },
  });
}

/** handleElectReq applies V1–V4 and queues the reply (parked until the vote is durable), in parts if it is large. */
export function handleElectReq(s: ReplicaState, fx: Effects, from: number, req: ElectReq, nowMs: number, random: Random): void {
  const reason = refusal(s, req, nowMs);
  if (reason === null) {
    adoptVote(s, fx, req.candidate, nowMs, random);
    resetElectionDeadline(s, nowMs, random);
  }
  const whole: ElectReply = {
    type: 'ElectReply',
    candidate: req.candidate,
    granted: reason === null,
    ...(reason === null ? {} : { reason }),
    vote: s.vote,
    committer: s.committer,
    accepted: s.accepted,
    committed: s.committed,
    ...(reason === null ? shipped(s, req) : { records: [] }),
  };
  for (const msg of parts(s, whole, random)) fx.afterPersist.push({ to: from, msg });
}
