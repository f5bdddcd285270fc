// config: the master's configuration (docs/protocols/chain.md §3 K3): the epoch, the nodes on
// the ring, and the ranges that partition it, each with its chain (head first, tail last).
// Nodes are ranks; rank 0 is the master and never a node.
import { inRange, positionOf, type Pos } from './ring.js';

/** RangeId: names one range for the run (a split or merge makes new ids, so each id has one seq space). */
export type RangeId = string;

export interface ConfigNode {
  readonly rank: number;
  readonly pos: Pos;
}

export interface ConfigRange {
  /** rangeId: `${hi}/${epoch it was created in}`, unique for the run; opaque to nodes. */
  readonly rangeId: RangeId;
  /**
   * parents: the ranges this one was split from or merged from (J1, G2), all quiesced when it was
   * made; a member builds it from their stores (keys in (lo, hi]) and continues its seq from the
   * largest parent lastApplied (C7). Absent for a range created empty at the first epoch.
   */
  readonly parents?: readonly RangeId[];
  /** lo, hi: the range is (lo, hi] on the ring, wrapping; lo === hi: the whole ring. */
  readonly lo: Pos;
  readonly hi: Pos;
  /** chain: member ranks, head first, tail last (new members join at the tail). */
  readonly chain: readonly number[];
}

export interface Config {
  /** epoch: set only by the master, strictly increasing. */
  readonly epoch: number;
  /** k: the replication factor (chain length when enough nodes live). */
  readonly k: number;
  readonly nodes: readonly ConfigNode[];
  readonly ranges: readonly ConfigRange[];
}

/** rangeOfKey: the range holding key (undefined only if the ranges do not partition the ring). */
export function rangeOfKey(c: Config, key: string): ConfigRange | undefined {
  const p = positionOf(key);
  return c.ranges.find((r) => inRange(p, r.lo, r.hi));
}

/** rangeById: the range with this id in c, if any. */
export function rangeById(c: Config, rangeId: RangeId): ConfigRange | undefined {
  return c.ranges.find((r) => r.rangeId === rangeId);
}

/** headOf / tailOf: a chain's ends (undefined for an empty chain: the range is lost). */
export function headOf(r: ConfigRange): number | undefined {
  return r.chain[0];
}

export function tailOf(r: ConfigRange): number | undefined {
  return r.chain[r.chain.length - 1];
}

/**
 * readerOf: the member a get is sent to. Tail-only reads (R1): the tail. CRAQ (R3): a member
 * picked by a hash of the client and key, so one client's keys, and one hot key's clients,
 * spread over the whole chain while each (client, key) keeps one place to go.
 */
export function readerOf(r: ConfigRange, client: string, key: string, craq: boolean): number | undefined {
  if (!craq || r.chain.length === 0) return tailOf(r);
  return r.chain[fnv1a(`${client}\u0000${key}`) % r.chain.length];
}

/** fnv1a: a 32-bit FNV-1a hash of s's UTF-16 units (spreads reads; nothing depends on its exact values). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** predOf / succOf: rank's neighbours in a chain (undefined at the ends or if not a member). */
export function predOf(r: ConfigRange, rank: number): number | undefined {
  const i = r.chain.indexOf(rank);
  return i > 0 ? r.chain[i - 1] : undefined;
}

export function succOf(r: ConfigRange, rank: number): number | undefined {
  const i = r.chain.indexOf(rank);
  return i >= 0 ? r.chain[i + 1] : undefined;
}
