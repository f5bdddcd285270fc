// timers: the election deadline (uniform in [E, 2E), docs/protocols/traft.md §9.3) and backoff
// jitter. The Random is handed in by the driver, so one seed replays a whole run.
import type { Random } from '../../runtime/random.js';
import type { ReplicaState } from './state.js';

/** resetElectionDeadline re-arms the election deadline; `stretch` (2–3) after a stale-log refusal. */
export function resetElectionDeadline(s: ReplicaState, nowMs: number, random: Random, stretch = 1): void {
  const E = s.timing.electionTimeoutMs;
  s.electionDeadlineMs = nowMs + random.between(E, 2 * E) * stretch;
}

/** jitterMs is ±20 % around ms (§6.3). */
export function jitterMs(ms: number, random: Random): number {
  return ms * random.between(0.8, 1.2);
}
