// timers: the election deadline (uniform in [E, 2E), docs/protocols/traft.md §9.3) and backoff
// jitter. The Random is handed in by the driver, so one seed replays a whole run.
import type { Random } from '../../runtime/random.js';
import type { ReplicaState } from './state.js';

/** MAX_BACKOFF_E: the election backoff adds at most this many E (§9.3). */
export const MAX_BACKOFF_E = 3;

/**
 * resetElectionDeadline re-arms the election deadline; `stretch` (2–3) after a stale-log refusal.
 * With timing.electionBackoff, each election started since a leader was last heard adds up to
 * one more E, drawn uniformly, at most MAX_BACKOFF_E (D29): rivals that keep splitting the vote
 * spread their next tries apart instead of retrying in step.
 */
export function resetElectionDeadline(s: ReplicaState, nowMs: number, random: Random, stretch = 1): void {
  const E = s.timing.electionTimeoutMs;
  const failed = s.timing.electionBackoff === true ? Math.min(s.failedElections, MAX_BACKOFF_E) : 0;
  const backoff = failed > 0 ? random.between(0, failed * E) : 0;
  s.electionDeadlineMs = nowMs + random.between(E, 2 * E) * stretch + backoff;
}

/** jitterMs is ±20 % around ms (§6.3). */
export function jitterMs(ms: number, random: Random): number {
  return ms * random.between(0.8, 1.2);
}
