// heap_growth: how far V8 lets a TRaft rank's old generation grow past what its last full GC
// kept, by role (issue #20, docs/benchmarks.md "TRaft memory, session 14" and "Rank memory,
// session 16"). A leader holds its window of uncommitted records, each with ~300 deps words as a
// number[] (~2.4 KB at -l 10000): they live about a window's time, so all of them are promoted
// and die in the old generation, and V8's own growing factor (up to 4× the live set on a machine
// this size) let a leader's heap reach 150–170 MiB for 50–70 MiB live. A follower keeps records
// as their packed bytes and promotes less, but with up to maxInflight + fullInflight full appends
// outstanding (entry.ts) its heap under V8's factor reached 70–130 MiB for 20–30 MiB live. 3×
// bounds it; 2× bounded it further but cost followers ~25 % more CPU per commit over 60 s. The
// flag is read at each full GC's new limit, so a role change takes effect at the next one. A
// positive value replaces V8's factor in every mode, its conservative ones under memory pressure too.
import { setFlagsFromString } from 'node:v8';

/** LEADER_HEAP_GROWING_PERCENT: a leader's old generation may grow to 1.5× what the last full GC kept. */
export const LEADER_HEAP_GROWING_PERCENT = 50;
/** OTHER_HEAP_GROWING_PERCENT: every other role's (a follower's, a candidate's) to 3×. */
export const OTHER_HEAP_GROWING_PERCENT = 200;

const FLAG = '--heap-growing-percent';

/**
 * heapGrowingPercent is the flag's value for a rank in `role`: LEADER_HEAP_GROWING_PERCENT while
 * leading, OTHER_HEAP_GROWING_PERCENT otherwise; null when the rank was started with the flag
 * (CSPLAB_RANK_NODE_OPTIONS): an explicit choice, left as given.
 */
export function heapGrowingPercent(role: string, execArgv: readonly string[]): number | null {
  // node takes - and _ alike in a flag's name: --heap_growing-percent=80 is the same flag
  const named = (a: string): boolean => {
    const name = (a.split('=', 1)[0] as string).replace(/_/g, '-');
    return name === FLAG;
  };
  if (execArgv.some(named)) return null;
  return role === 'leader' ? LEADER_HEAP_GROWING_PERCENT : OTHER_HEAP_GROWING_PERCENT;
}

/** heapGrowthForRole sets this process's growing factor for `role` (a rank process's hook, never a simulation's: one factor per process). */
export function heapGrowthForRole(role: string): void {
  const percent = heapGrowingPercent(role, process.execArgv);
  if (percent !== null) setFlagsFromString(`${FLAG}=${percent}`);
}
