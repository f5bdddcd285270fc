// series: reading a RankSeries (runtime/protocol.ts: a count per rank over a run, from the logs),
// shared by the benchmarks and the report without knowing which protocol made it.
import type { RankSeries } from './protocol.js';

/** balancedAt: the first time at or after fromMs when every unit is held (none = 0; Vectory: every shard mastered) and the counts per rank differ by ≤ 1, or undefined. */
export function balancedAt(series: RankSeries, fromMs: number): number | undefined {
  const balanced = (p: RankSeries['points'][number]): boolean => p.none === 0 && Math.max(...p.perRank) - Math.min(...p.perRank) <= 1;
  const atStart = series.points.filter((p) => p.atMs <= fromMs).at(-1);
  if (atStart !== undefined && balanced(atStart)) return fromMs;
  return series.points.find((p) => p.atMs > fromMs && balanced(p))?.atMs;
}
