// master_ring: the master's pure ring arithmetic (docs/protocols/chain-master.md §2): the live
// ring in position order, the chain a range should have (K1), the first configuration
// (decision 6), and the split (J1) and merge (G2) of ranges. Nothing here reads master state.
import type { Config, ConfigNode, ConfigRange } from './config.js';
import { inRange, nodePosition, type Pos } from './ring.js';

const positions = new Map<number, Pos>();

/** posOf: nodePosition, remembered: the master asks on every step and MD5 dominated its profile. */
export function posOf(rank: number): Pos {
  let p = positions.get(rank);
  if (p === undefined) {
    p = nodePosition(rank);
    positions.set(rank, p);
  }
  return p;
}

/** ringOrder: ranks sorted by ring position (the clockwise order K1 counts in). */
export function ringOrder(ranks: Iterable<number>): number[] {
  return [...ranks].sort((a, b) => (posOf(a) < posOf(b) ? -1 : 1));
}

/** chainFrom: the owner and the next nodes clockwise, min(k, ring size) of them (K1). */
export function chainFrom(ring: readonly number[], ownerIndex: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(k, ring.length); i++) out.push(ring[(ownerIndex + i) % ring.length] as number);
  return out;
}

/**
 * ownerIndex: the first ring node at or clockwise after `hi`. For a range whose upper end is a
 * live node that is the node itself; for the range of a failed or leaving node it is the
 * successor, so both ranges get the same target chain and can merge (G2).
 */
export function ownerIndex(ring: readonly number[], hi: Pos): number {
  const i = ring.findIndex((r) => posOf(r) >= hi);
  return i < 0 ? 0 : i;
}

/** targetChain: the members range r should have (as a set; order inside a chain is history's). */
export function targetChain(ring: readonly number[], r: ConfigRange, k: number): number[] {
  return ring.length === 0 ? [] : chainFrom(ring, ownerIndex(ring, r.hi), k);
}

/** rangeIdOf: a range's id, `${hi}/${epoch it was made in}` (config.ts). */
export function rangeIdOf(hi: Pos, epoch: number): string {
  return `${hi}/${epoch}`;
}

/** configNodes: the ranks that appear in some chain, with their positions. */
export function configNodes(ranges: readonly ConfigRange[]): ConfigNode[] {
  const ranks = new Set<number>();
  for (const r of ranges) for (const c of r.chain) ranks.add(c);
  return ringOrder(ranks).map((rank) => ({ rank, pos: posOf(rank) }));
}

/** sortRanges: ranges in ring order of their upper end, so logs and configs read clockwise. */
export function sortRanges(ranges: readonly ConfigRange[]): ConfigRange[] {
  return [...ranges].sort((a, b) => (a.hi < b.hi ? -1 : a.hi > b.hi ? 1 : 0));
}

/**
 * firstConfig (decision 6): one range per node n, (pos(pred n), pos n], whose chain is n and the
 * next k−1 nodes clockwise; one node alone owns the whole ring (lo === hi). Every store is empty.
 */
export function firstConfig(ranks: Iterable<number>, k: number): Config {
  const ring = ringOrder(ranks);
  const ranges = ring.map((n, i) => {
    const hi = posOf(n);
    const lo = posOf(ring[(i - 1 + ring.length) % ring.length] as number);
    return { rangeId: rangeIdOf(hi, 1), lo, hi, chain: chainFrom(ring, i, k) };
  });
  return { epoch: 1, k, nodes: configNodes(ranges), ranges: sortRanges(ranges) };
}

/** splitRange (J1): r cut at p (strictly inside it) into (lo, p] and (p, hi], both with r's chain. */
export function splitRange(r: ConfigRange, p: Pos, epoch: number): [ConfigRange, ConfigRange] {
  const parents = [r.rangeId];
  return [
    { rangeId: rangeIdOf(p, epoch), parents, lo: r.lo, hi: p, chain: r.chain },
    { rangeId: rangeIdOf(r.hi, epoch), parents, lo: p, hi: r.hi, chain: r.chain },
  ];
}

/** mergeRanges (G2): an orphan range and its successor (succ.lo === orphan.hi) as one, in the successor's chain order. */
export function mergeRanges(orphan: ConfigRange, succ: ConfigRange, epoch: number): ConfigRange {
  return { rangeId: rangeIdOf(succ.hi, epoch), parents: [orphan.rangeId, succ.rangeId], lo: orphan.lo, hi: succ.hi, chain: succ.chain };
}

/** successorRange: the range that starts where r ends (undefined if r covers the whole ring). */
export function successorRange(ranges: readonly ConfigRange[], r: ConfigRange): ConfigRange | undefined {
  return ranges.find((s) => s !== r && s.lo === r.hi);
}

/** splitPoint: the range p falls strictly inside (not at its upper end), if any. */
export function rangeAround(ranges: readonly ConfigRange[], p: Pos): ConfigRange | undefined {
  const r = ranges.find((x) => inRange(p, x.lo, x.hi));
  return r === undefined || r.hi === p ? undefined : r;
}

/**
 * partitionProblems (I10, first half): what keeps the ranges from partitioning the ring: each
 * range's lo is the previous range's hi in ring order, a lone range is the whole ring, and no
 * chain names a member twice. Empty when the configuration is well formed.
 */
export function partitionProblems(c: Config): string[] {
  const problems: string[] = [];
  const ranges = sortRanges(c.ranges);
  if (ranges.length === 0) problems.push('no ranges');
  if (ranges.length === 1 && ranges[0]?.lo !== ranges[0]?.hi) problems.push('a lone range does not cover the whole ring');
  ranges.forEach((r, i) => {
    const prev = ranges[(i - 1 + ranges.length) % ranges.length] as ConfigRange;
    if (ranges.length > 1 && r.lo !== prev.hi) problems.push(`range ${r.rangeId} starts at ${r.lo}, not at ${prev.hi}`);
    if (ranges.length > 1 && r.lo === r.hi) problems.push(`range ${r.rangeId} is empty or the whole ring beside others`);
    if (new Set(r.chain).size !== r.chain.length) problems.push(`range ${r.rangeId} names a member twice: [${r.chain.join(' ')}]`);
  });
  if (new Set(ranges.map((r) => r.rangeId)).size !== ranges.length) problems.push('two ranges share an id');
  return problems;
}
