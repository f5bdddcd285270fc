// mastery: the balance you can watch — how many shards each node masters over a run, read back
// from the nodes' own log lines (the record; the nodes' per-second summaries are only samples).
// A `master` line gives the shard to that node; its `stepdown` takes it back only if it still
// holds it (the next master's line may come first); a `start` line (a new lifetime) and a kill
// the run applied end every mastership the node held, since a process that died masters nothing.
import type { RankSeries } from '../../runtime/protocol.js';
import { parseLine } from './log.js';

/** Down: a node's process ended (a kill the run applied), at this time (ms, the logs' clock). */
export type Down = { readonly rank: number; readonly atMs: number };

type Event = { readonly atMs: number; readonly node: number; readonly shard: number | 'all'; readonly set: boolean };

function events(logs: readonly (readonly string[])[], downs: readonly Down[]): Event[] {
  const out: Event[] = downs.map((d) => ({ atMs: d.atMs, node: d.rank, shard: 'all', set: false }));
  logs.forEach((lines, node) => {
    for (const text of lines) {
      const l = parseLine(text);
      const kind = l?.words[0];
      if (l === undefined || (kind !== 'master' && kind !== 'stepdown' && kind !== 'start')) continue;
      const shard = kind === 'start' ? 'all' : Number(l.words[1]);
      out.push({ atMs: l.atUs / 1000, node, shard, set: kind === 'master' });
    }
  });
  // Stable: at one instant a node's end comes before what its next lifetime logs.
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** shardsIn: one more than the highest shard any line names (every shard is mastered early in a run). */
function shardsIn(logs: readonly (readonly string[])[]): number {
  let max = -1;
  for (const lines of logs)
    for (const text of lines) {
      const w = parseLine(text)?.words;
      if (w !== undefined && w[0] !== 'start' && w.length > 1) max = Math.max(max, Number(w[1]));
    }
  return max + 1;
}

/**
 * masteryOverTime: after each change, the shards each node masters and how many have no master
 * (a changed state only: repeats of the same counts are left out). Times are the logs' (ms).
 */
export function masteryOverTime(logs: readonly (readonly string[])[], downs: readonly Down[] = []): RankSeries {
  const master: (number | null)[] = Array.from({ length: shardsIn(logs) }, () => null);
  const points: RankSeries['points'][number][] = [];
  for (const e of events(logs, downs)) {
    if (e.shard === 'all') master.forEach((m, s) => (master[s] = m === e.node ? null : m));
    else if (e.set) master[e.shard] = e.node;
    else if (master[e.shard] === e.node) master[e.shard] = null;
    const perRank = logs.map((_, n) => master.filter((m) => m === n).length);
    const none = master.filter((m) => m === null).length;
    const same = (p: RankSeries['points'][number]): boolean => p.none === none && p.perRank.every((c, i) => c === perRank[i]);
    const last = points.at(-1);
    if (last !== undefined && same(last)) continue;
    if (last?.atMs === e.atMs) {
      points.pop(); // one instant, one point: its final state
      const before = points.at(-1);
      if (before !== undefined && same(before)) continue;
    }
    points.push({ atMs: e.atMs, perRank, none });
  }
  return { title: 'mastered shards per node', points };
}
