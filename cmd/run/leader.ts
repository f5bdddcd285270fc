// leader: which rank a `leader` fault target hits, resolved when the fault fires from what the
// ranks report (docs/faults.md). A rank counts only while it is ready (listening, not paused,
// killed or restarting) and only on its own claim: a `lead` report of this incarnation. The
// newest round seen anywhere is not enough: after a restart, the slot's owner may be an
// amnesiac rank that cannot lead (issue 11, hole 8).
import type { RankState } from './lifecycle.js';

/** LeaderView: what the launcher knows of one rank when a fault fires. */
export interface LeaderView {
  rank: number;
  state: RankState;
  /** claim: this incarnation's newest lead report: the round (term) and whether it still leads. */
  claim?: { round: number; leading: boolean };
  /** able: this incarnation may lead (its first, or it has claimed a round since its restart). */
  able: boolean;
}

/**
 * resolveLeader: the ready rank claiming leadership of the highest round (the lowest rank on a
 * tie). expected, for Paxos, is the slot clock's round and owner: a claim trails the slot
 * boundary by a few ms, so the owner of a newer round wins if it is ready and able to lead.
 */
export function resolveLeader(views: readonly LeaderView[], expected?: { round: number; leader: number }): number | undefined {
  let best: { rank: number; round: number } | undefined;
  for (const v of views) {
    if (v.state !== 'ready' || !v.claim?.leading) continue;
    if (best === undefined || v.claim.round > best.round) best = { rank: v.rank, round: v.claim.round };
  }
  if (expected && (best === undefined || expected.round > best.round)) {
    const owner = views.find((v) => v.rank === expected.leader);
    if (owner?.state === 'ready' && owner.able) return owner.rank;
  }
  return best?.rank;
}
