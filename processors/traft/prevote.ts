// prevote: what a follower does when its election deadline passes — a pre-vote first, when
// timing.preVote is on (docs/protocols/traft.md §5.1, D28) — and the pre-vote's answers.
// A pre-vote asks the voters whether they would grant the ballot the follower would campaign
// with, without voting for it: a follower that merely woke late on a starved machine, while
// its leader is alive, learns that from the voters still hearing the leader (V2) instead of
// raising its vote, which would depose that leader (F1 answers it stale-leader, §6.7).
import type { Random } from '../../runtime/random.js';
import { startCampaign } from './candidate.js';
import { isQuorum } from './config.js';
import { leaderId, leaderIdEq } from './leader_id.js';
import type { ElectReply } from './messages.js';
import type { Effects, ReplicaState } from './state.js';
import { firstMissing } from './tail_bitmap.js';
import { resetElectionDeadline } from './timers.js';

/** electionDue runs when a follower's election deadline has passed: a pre-vote, or (without one) a campaign. */
export function electionDue(s: ReplicaState, fx: Effects, nowMs: number, random: Random): void {
  s.failedElections++; // until a leader is heard (F3) or we establish: the backoff's count (§9.3)
  if (s.timing.preVote !== true) {
    startCampaign(s, fx, nowMs);
    return;
  }
  const cand = leaderId(Math.max(s.maxTermSeen, s.vote.term) + 1, s.self);
  s.preVote = { cand, grants: new Set([s.self]) };
  resetElectionDeadline(s, nowMs, random); // a pre-vote without a quorum by then starts over
  fx.trace.push({ type: 'pre-vote', cand });
  for (const p of s.config.members) {
    if (p === s.self) continue;
    const req = { accepted: s.accepted, frontier: firstMissing(s.committed), clusterId: s.config.clusterId };
    // Sent at once, not after the WAL: a pre-vote changes and promises nothing.
    fx.send.push({ to: p, msg: { type: 'ElectReq', candidate: cand, committer: s.committer, ...req, pre: true } });
  }
  campaignIfQuorum(s, fx, nowMs); // a one-member cluster goes on at once
}

/** handlePreVoteReply counts a follower's pre-vote grants; at a quorum (self included) it campaigns for real. */
export function handlePreVoteReply(s: ReplicaState, fx: Effects, from: number, reply: ElectReply, nowMs: number): void {
  const pv = s.preVote;
  if (pv === null || !leaderIdEq(reply.candidate, pv.cand)) {
    fx.trace.push({ type: 'ignored', why: 'pre-vote answer for another pre-vote' });
    return;
  }
  if (!reply.granted) return;
  pv.grants.add(from);
  campaignIfQuorum(s, fx, nowMs);
}

function campaignIfQuorum(s: ReplicaState, fx: Effects, nowMs: number): void {
  if (s.preVote === null || !isQuorum(s.config, s.preVote.grants)) return;
  startCampaign(s, fx, nowMs); // clears the pre-vote
}
