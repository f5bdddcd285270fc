// role_change: stepping down and adopting a larger leader (F2), docs/protocols/traft.md §6.7. Roles
// are derived (§3.5): clearing `leader` and `campaign` makes the replica a follower.
import type { Random } from '../../runtime/random.js';
import { compareLeaderId, type LeaderId } from './leader_id.js';
import type { Effects, ReplicaState } from './state.js';
import { setVote } from './store.js';
import { resetElectionDeadline } from './timers.js';

/** stepDown ends a leadership or campaign; the next election deadline is re-armed. */
export function stepDown(s: ReplicaState, fx: Effects, reason: string, nowMs: number, random: Random): void {
  const ending = s.leader?.id ?? s.campaign?.cand;
  if (ending === undefined) return; // neither leading nor campaigning: nothing to end
  fx.trace.push({ type: 'step-down', leader: ending, reason });
  s.leader = null;
  s.campaign = null;
  resetElectionDeadline(s, nowMs, random);
}

/** adoptVote raises vote to a larger LeaderId seen in a request (F2, V4), ending own roles. */
export function adoptVote(s: ReplicaState, fx: Effects, vote: LeaderId, nowMs: number, random: Random): void {
  if (compareLeaderId(vote, s.vote) <= 0) return;
  stepDown(s, fx, 'larger ballot', nowMs, random);
  s.preVote = null; // we voted for another: our pre-vote's ballot may be ours no longer
  setVote(s, fx, vote);
}
