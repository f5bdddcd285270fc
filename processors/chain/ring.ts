// ring: where keys and nodes sit on the hash ring (docs/protocols/chain.md §3). A position is
// the first 64 bits of MD5 as 16 lowercase hex digits, so positions compare as strings and
// travel in JSON unchanged. A range (lo, hi] wraps past the top; lo === hi is the whole ring.
import { createHash } from 'node:crypto';

/** Pos is a ring position: 16 lowercase hex digits. */
export type Pos = string;

/** POS_RE: what a position looks like on the wire. */
export const POS_RE = /^[0-9a-f]{16}$/;

/** positionOf: the ring position of a key, or of a node's name. */
export function positionOf(text: string): Pos {
  return createHash('md5').update(text, 'utf8').digest('hex').slice(0, 16);
}

/** nodePosition: a node's position; its name is the rank, so every party computes the same ring. */
export function nodePosition(rank: number): Pos {
  return positionOf(`csplab-chain-node-${rank}`);
}

/** inRange: p in (lo, hi], wrapping; lo === hi covers the whole ring. */
export function inRange(p: Pos, lo: Pos, hi: Pos): boolean {
  if (lo === hi) return true;
  return lo < hi ? p > lo && p <= hi : p > lo || p <= hi;
}
