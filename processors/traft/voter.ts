// voter: the voter rule V1–V4 and the records an ElectReply ships back (E1–E4), for every
// role: a leader still answers ElectReq (docs/protocols/traft.md §5.2, §5.3).
import type { Random } from '../../runtime/random.js';
import { defined } from '../../runtime/assert.js';
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
  return { records, snapshot: shipmentFor(s, Math.min(req.frontier, s.floor)) };
}

/** handleElectReq applies V1–V4 and queues the reply (parked until the vote is durable). */
export function handleElectReq(s: ReplicaState, fx: Effects, from: number, req: ElectReq, nowMs: number, random: Random): void {
  const reason = refusal(s, req, nowMs);
  if (reason === null) {
    adoptVote(s, fx, req.candidate, nowMs, random);
    resetElectionDeadline(s, nowMs, random);
  }
  fx.afterPersist.push({
    to: from,
    msg: {
      type: 'ElectReply',
      candidate: req.candidate,
      granted: reason === null,
      ...(reason === null ? {} : { reason }),
      vote: s.vote,
      committer: s.committer,
      accepted: s.accepted,
      committed: s.committed,
      ...(reason === null ? shipped(s, req) : { records: [] }),
    },
  });
}
