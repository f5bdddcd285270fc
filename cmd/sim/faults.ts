// faults: a schedule (flags and --schedule file, docs/faults.md) as the simulator's faults,
// read by `csplab run`'s own parsers so both commands accept exactly the same specs.
import type { SimFault, SimLink } from '../../runtime/sim/types.js';
import { usageError } from '../exit.js';
import { parseFaults, parseLinkFlags, parseNetFaults, parseStarve } from '../run/faults.js';
import type { ScheduleSpec } from '../schedule.js';

/** DEFAULT_DELAY: a simulated LAN's one-way delay when no --delay is given (jitter: links reorder). */
export const DEFAULT_DELAY = '1±0.5';

/** simFaults parses a schedule for a simulated run of `ranks` ranks lasting tSec seconds. */
export function simFaults(spec: ScheduleSpec, ranks: number, tSec: number): { faults: SimFault[]; link: SimLink } {
  const faults: SimFault[] = [
    ...parseFaults({ kill: spec.kill, pause: spec.pause, start: spec.start, restart: spec.restart }, ranks),
    ...parseNetFaults({ partition: spec.partition, cut: spec.cut }, ranks),
    ...(spec.starve ?? []).map((text) => parseStarve(text, ranks)),
  ].sort((a, b) => a.atMs - b.atMs);
  for (const f of faults)
    if (f.atMs > tSec * 1000) throw usageError(`--${f.action} at ${f.atMs / 1000}s is after the run ends (-t ${tSec})`);
  const parsed = parseLinkFlags(
    { delay: spec.delay ?? DEFAULT_DELAY, dup: spec.dup ?? 0, ...(spec.skew !== undefined ? { skew: spec.skew } : {}) },
    ranks,
  );
  const rate = (name: string, v: number | undefined): number => {
    if (v === undefined) return 0;
    if (!(v >= 0 && v <= 0.5)) throw usageError(`--${name}: expected a probability in [0, 0.5], got ${v}`);
    return v;
  };
  const link: SimLink = {
    dropRate: rate('drop', spec.drop),
    dupRate: parsed.dupRate,
    delayMs: parsed.delayMs,
    jitterMs: parsed.jitterMs,
    damageRate: rate('damage', spec.damage),
    ...(parsed.skew ? { skew: parsed.skew } : {}),
  };
  return { faults, link };
}
