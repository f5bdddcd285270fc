// bootlimit: how long `csplab run` waits for its first wave of ranks to listen. It guards against
// a rank that hangs while booting (asleep on something that never comes, or spinning); it is not
// a performance bound. So it counts each rank's own time: the wall time since the spawn less the
// time its threads spent queued for a CPU (procstat.ts). A rank that a busy machine keeps off the
// cores (other work in a session of higher priority, a CI box's other jobs) is given the time it
// is kept waiting; one that hangs is given up after the limit as before. A wall-clock cap stays,
// so that a boot never waits forever on a machine that never frees a core.
import type { Cancel, Clock } from '../../runtime/clock.js';

/** BOOT_LIMIT_MS: the own time (wall less CPU queueing) a rank may take to listen. Idle, a boot takes ~1 s. */
export const BOOT_LIMIT_MS = 120_000;
/** BOOT_WALL_CAP_MS: the wall time after which a boot is given up however starved its ranks were. */
export const BOOT_WALL_CAP_MS = 900_000;
/** RECHECK_MS: the least time between two looks at the ranks' waits (each reads /proc). */
const RECHECK_MS = 1000;

export interface BootLimit {
  clock: Clock;
  limitMs?: number;
  wallCapMs?: number;
  /** booting lists the waits for a CPU (ms since its spawn; undefined: unknown, counted as none) of the ranks not listening yet. */
  booting: () => readonly (number | undefined)[];
  /** expired is called once, with the wall time since arming, when a rank's own time or the wall cap ran out. */
  expired: (elapsedMs: number) => void;
}

/** armBootLimit starts the limit now (the first wave's spawn); the cancel stops it. */
export function armBootLimit(o: BootLimit): Cancel {
  const limitMs = o.limitMs ?? BOOT_LIMIT_MS;
  const wallCapMs = o.wallCapMs ?? BOOT_WALL_CAP_MS;
  const startMs = o.clock.nowMs();
  let cancel: Cancel;
  const check = (): void => {
    const elapsedMs = o.clock.nowMs() - startMs;
    // A rank's own time grows at most as fast as the wall: it cannot run out before the time left.
    const own = Math.max(0, ...o.booting().map((waitMs) => elapsedMs - (waitMs ?? 0)));
    if (own >= limitMs || elapsedMs >= wallCapMs) return o.expired(elapsedMs);
    cancel = o.clock.schedule(Math.max(RECHECK_MS, Math.min(limitMs - own, wallCapMs - elapsedMs)), check);
  };
  cancel = o.clock.schedule(limitMs, check);
  return () => cancel();
}
