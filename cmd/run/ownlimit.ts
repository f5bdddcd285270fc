// ownlimit: how long `csplab run` waits on its ranks, at the two points where it gives up on them:
// the first wave's boot (until each listens) and the end of the run (until each exits). Both
// guard against a rank that hangs (asleep on something that never comes, or spinning); neither is
// a performance bound. So they count each rank's own time: the wall time since the limit was
// armed less the time its threads spent queued for a CPU (procstat.ts). A rank that a busy
// machine keeps off the cores (other work in a session of higher priority, a CI box's other jobs)
// is given the time it is kept waiting; one that hangs is given up after the limit as before. A
// wall-clock cap stays, so that a run never waits forever on a machine that never frees a core.
import type { Cancel, Clock } from '../../runtime/clock.js';

/** BOOT_LIMIT_MS: the own time a rank may take to listen. Idle, a boot takes ~1 s. */
export const BOOT_LIMIT_MS = 120_000;
/** BOOT_WALL_CAP_MS: the wall time after which a boot is given up however starved its ranks were. */
export const BOOT_WALL_CAP_MS = 900_000;
/** END_WALL_CAP_MS: the wall time after the end after which ranks still running are killed however starved. */
export const END_WALL_CAP_MS = 300_000;
/** RECHECK_MS: the least time between two looks at the ranks' waits (each reads /proc). */
const RECHECK_MS = 1000;

export interface OwnTimeLimit {
  clock: Clock;
  /** limitMs: the own time a rank may take. */
  limitMs: number;
  /** wallCapMs: the wall time after which the limit runs out whatever the waits. */
  wallCapMs: number;
  /**
   * waiting lists, for each rank still awaited, how long it waited for a CPU since the limit was
   * armed (ms; undefined: unknown, counted as none). An empty list: nothing awaited.
   */
  waiting: () => readonly (number | undefined)[];
  /** expired is called once, with the wall time since arming, when a rank's own time or the wall cap ran out. */
  expired: (elapsedMs: number) => void;
}

/** armOwnTimeLimit starts the limit now; the cancel stops it. */
export function armOwnTimeLimit(o: OwnTimeLimit): Cancel {
  const { clock, limitMs, wallCapMs } = o;
  const startMs = clock.nowMs();
  let cancel: Cancel;
  const check = (): void => {
    const elapsedMs = clock.nowMs() - startMs;
    // A rank's own time grows at most as fast as the wall: it cannot run out before the time left.
    const own = Math.max(0, ...o.waiting().map((waitMs) => elapsedMs - (waitMs ?? 0)));
    if (own >= limitMs || elapsedMs >= wallCapMs) return o.expired(elapsedMs);
    cancel = clock.schedule(Math.max(RECHECK_MS, Math.min(limitMs - own, wallCapMs - elapsedMs)), check);
  };
  cancel = clock.schedule(Math.min(limitMs, wallCapMs), check);
  return () => cancel();
}
