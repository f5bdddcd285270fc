// shrink: reduce a failing run's fault schedule until removing any one fault makes it pass
// (1-minimal). The faults are the schedule's entries: each kill, pause, start, restart,
// partition and cut, and each whole-run value (drop, dup, delay, skew, damage). Passes
// repeat until one removes nothing; the run is deterministic, so "still fails" is exact.
import { LIST_KEYS, type ScheduleSpec } from '../schedule.js';

const SCALAR_KEYS = ['drop', 'dup', 'delay', 'skew', 'damage'] as const;

/** Removal names one entry of a schedule. */
type Removal = { readonly key: (typeof LIST_KEYS)[number]; readonly index: number } | { readonly key: (typeof SCALAR_KEYS)[number] };

function removals(spec: ScheduleSpec): Removal[] {
  const out: Removal[] = [];
  for (const key of LIST_KEYS) (spec[key] ?? []).forEach((_, index) => out.push({ key, index }));
  for (const key of SCALAR_KEYS) if (spec[key] !== undefined) out.push({ key });
  return out;
}

function without(spec: ScheduleSpec, r: Removal): ScheduleSpec {
  const out: ScheduleSpec = { ...spec };
  if ('index' in r) out[r.key] = (spec[r.key] ?? []).filter((_, i) => i !== r.index);
  else delete out[r.key];
  return out;
}

/** ShrinkResult: the 1-minimal schedule and how many runs it took. */
export interface ShrinkResult {
  readonly schedule: ScheduleSpec;
  readonly runs: number;
}

/** shrink: `fails` must hold for spec; the result still fails and fails no more without any one of its entries. */
export function shrink(
  spec: ScheduleSpec,
  fails: (s: ScheduleSpec) => boolean,
  onStep?: (left: number, runs: number) => void,
): ShrinkResult {
  let current = spec;
  let runs = 0;
  for (let removed = true; removed;) {
    removed = false;
    // From the end backwards: an index stays valid after a removal behind it.
    const all = removals(current);
    for (let i = all.length - 1; i >= 0; i--) {
      const candidate = without(current, all[i] as Removal);
      runs++;
      if (fails(candidate)) {
        current = candidate;
        removed = true;
      }
      onStep?.(removals(current).length, runs);
    }
  }
  return { schedule: current, runs };
}
