// lag: what the global apply costs (V6) — how long a client write waits, on this node, between
// being known committed in its shard and being applied in the global order (which waits for every
// shard's frontier to pass it: on an idle shard, for its master's next tick, V5). Kept as one mark
// per shard per step that raised its commit index and a 1 ms histogram, so it costs a few
// operations per step and per applied write, whatever the run's length.
import type { AppliedEntry } from './vector.js';

/** HIST_MS: lags are counted to the millisecond up to this; longer ones land in the last bucket. */
const HIST_MS = 2000;

export type ApplyLag = {
  /** marks: per shard, the commit indexes this node reached and when, oldest first (applied ones dropped). */
  readonly marks: { upTo: number; atMs: number }[][];
  readonly hist: number[];
  n: number;
  maxMs: number;
};

export function newApplyLag(shards: number): ApplyLag {
  return { marks: Array.from({ length: shards }, () => []), hist: new Array<number>(HIST_MS + 1).fill(0), n: 0, maxMs: 0 };
}

/** noteCommitAt: `shard`'s commit index reached upTo at nowMs. */
export function noteCommitAt(l: ApplyLag, shard: number, upTo: number, nowMs: number): void {
  l.marks[shard]?.push({ upTo, atMs: nowMs });
}

/** noteApplied: the writes just applied, each timed from the mark that first covered its index. */
export function noteApplied(l: ApplyLag, applied: readonly AppliedEntry[], nowMs: number): void {
  for (const e of applied) {
    const marks = l.marks[e.shard];
    if (marks === undefined) continue;
    while (marks.length > 1 && (marks[0]?.upTo ?? 0) < e.index) marks.shift();
    const mark = marks[0];
    if (mark === undefined || mark.upTo < e.index || (e.outcome !== 'applied' && e.outcome !== 'skipped')) continue;
    const lag = Math.max(0, nowMs - mark.atMs);
    const bucket = Math.min(HIST_MS, Math.floor(lag));
    l.hist[bucket] = (l.hist[bucket] ?? 0) + 1;
    l.n++;
    l.maxMs = Math.max(l.maxMs, lag);
  }
}

/** lagSummary: the writes timed, and their lag's p50, p99 and max in ms (a p at the cap reads as the cap). */
export function lagSummary(l: ApplyLag): { applyLagN: number; applyLagP50Ms: number; applyLagP99Ms: number; applyLagMaxMs: number } {
  const at = (p: number): number => {
    const want = Math.ceil((p / 100) * l.n);
    let seen = 0;
    for (let ms = 0; ms < l.hist.length; ms++) {
      seen += l.hist[ms] ?? 0;
      if (seen >= want) return ms;
    }
    return HIST_MS;
  };
  return { applyLagN: l.n, applyLagP50Ms: l.n > 0 ? at(50) : 0, applyLagP99Ms: l.n > 0 ? at(99) : 0, applyLagMaxMs: Math.round(l.maxMs) };
}
