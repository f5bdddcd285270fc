// ring: where keys and nodes sit on the hash ring (docs/protocols/chain.md §3). A position is
// the first 64 bits of MD5 as 16 lowercase hex digits, so positions compare as strings and
// travel in JSON unchanged. A range (lo, hi] wraps past the top; lo === hi is the whole ring.
import { createHash } from 'node:crypto';

/** Pos is a ring position: 16 lowercase hex digits. */
export type Pos = string;

/** POS_RE: what a position looks like on the wire. */
export const POS_RE = /^[0-9a-f]{16}$/;

/**
 * POSITION_MEMO: positions remembered; a node places every client request by its key's position,
 * and an MD5 per request was a few % of a node's CPU under load (docs/benchmarks.md, Chain KV).
 * Bounded: the memo is dropped whole when full (keys are the load's, reused many times).
 */
const POSITION_MEMO_MAX = 1 << 16;
const positionMemo = new Map<string, Pos>();

/** positionOf: the ring position of a key, or of a node's name. */
export function positionOf(text: string): Pos {
  const known = positionMemo.get(text);
  if (known !== undefined) return known;
  const p = createHash('md5').update(text, 'utf8').digest('hex').slice(0, 16);
  if (positionMemo.size >= POSITION_MEMO_MAX) positionMemo.clear();
  positionMemo.set(text, p);
  return p;
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
