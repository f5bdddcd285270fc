// chunk: the byte bound on one message and the upper estimates that keep every message under it
// (docs/protocols/traft.md §4.7). Catch-up lists grow with a follower's lag (KEYs, records, a
// Sync's digest); over the TCP frame limit such a message would be dropped and resent forever.
// The core never encodes, so it bounds the msgpack size of a message's wire form (toWire)
// from above: every number 9 bytes, every string 5 + its UTF-8 bytes, every bitmap
// word 5 bytes, every field name and container header counted.
import { assert } from '../../runtime/assert.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../runtime/net/frame.js';
import type { Snapshot } from './durable.js';
import { overridesWireLength, type LogRecord } from './record.js';
import type { Json } from './state_machine.js';
import type { TailBitmap } from './tail_bitmap.js';

/**
 * DEFAULT_MAX_MESSAGE_BYTES: a quarter of the TCP frame. The estimates are upper bounds, and a
 * large catch-up split into several frames interleaves with the live appends on that link.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = DEFAULT_MAX_FRAME_BYTES / 4;

/**
 * MAX_LAB_KEYS: the most keys the lab load may write. A snapshot's kv travels whole in every
 * part (it is the state machine, not a catch-up list): 50,000 pairs of `k49999` bound it at
 * 1.05 MB, under half the default bound, so the KEYs always get the other half (§4.7).
 */
export const MAX_LAB_KEYS = 50_000;

/** NUM: the most a msgpack number takes (float64 or uint64 with its type byte). */
const NUM = 9;
/** LEADER_ID: `{ term, id }`. */
const LEADER_ID = 1 + 5 + NUM + 3 + NUM;

/** strBytes bounds a msgpack string: at most a 5-byte header, then its UTF-8 bytes. */
export function strBytes(x: string): number {
  let n = 5;
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3; // a surrogate pair is 4 bytes: 3 + 3 bounds it
  }
  return n;
}

/** bitmapBytes bounds `{ offset, words }` or `{ offset, bin }` (bitmap_codec.ts). */
export function bitmapBytes(b: TailBitmap): number {
  return 1 + 7 + NUM + 6 + 5 + 5 * b.words.length;
}

/** recordBytes bounds one record's wire form (deps binary or not, overrides as a list or ovFrom). */
export function recordBytes(r: LogRecord): number {
  const fields = 1 + 4 + NUM + 7 + LEADER_ID + 5 + 5 + 5 + 10 + 5 + 7;
  const cmd = r.cmd === undefined ? 0 : 4 + jsonBytes(r.cmd);
  return fields + cmd + bitmapBytes(r.deps) + NUM * overridesWireLength(r) + strBytes(r.logKey);
}

/** jsonBytes bounds the msgpack form of a command or a state machine's image: containers 5 + their parts. */
export function jsonBytes(x: Json): number {
  if (x === null || typeof x === 'boolean') return 1;
  if (typeof x === 'number') return NUM;
  if (typeof x === 'string') return strBytes(x);
  let n = 5;
  if (Array.isArray(x)) for (const e of x as readonly Json[]) n += jsonBytes(e);
  else {
    const o = x as { readonly [k: string]: Json };
    for (const k of Object.keys(o)) n += strBytes(k) + jsonBytes(o[k] as Json); // no [k, v] pair per key
  }
  return n;
}

/** DIGEST_ENTRY bounds one `[seq, author]` of a Sync digest. */
export const DIGEST_ENTRY = 1 + NUM + LEADER_ID;

/** snapshotBytes bounds `{ floor, applied, kv }` plus a shipment's own fields, without its KEYs. */
export function snapshotBytes(snap: Snapshot): number {
  const kv = jsonBytes(snap.kv);
  return 1 + 9 + 1 + 6 + NUM + 8 + bitmapBytes(snap.applied) + 3 + kv + 9 + NUM + 5 + 5 + 5;
}

/**
 * keysBudget asserts that a snapshot leaves at least half of `budget` for KEYs: a state machine
 * larger than that cannot be shipped in parts of this bound (a future state machine that large
 * would stream its kv too; the lab's is capped by MAX_LAB_KEYS).
 */
export function keysBudget(snap: Snapshot, budget: number): number {
  const fixed = snapshotBytes(snap);
  assert(
    fixed <= budget / 2,
    () => `a snapshot whose state machine takes ${fixed} bytes leaves too little of a ${budget}-byte message for KEYs`,
  );
  return budget - fixed;
}

/** HEAD: every fixed field a message may carry besides its bitmaps and lists (type, ballots, reqId, part, flags). */
export const HEAD = 256;

/**
 * chunkBy splits `items`, in order, into runs whose `bytesOf` sum stays within `budget` and that
 * hold at most `maxCount` items. Never an empty run for a non-empty list; one item over the
 * budget is a bug (the caller sized the budget from the largest item the state can hold).
 */
export function chunkBy<T>(items: readonly T[], bytesOf: (x: T) => number, budget: number, maxCount = Infinity): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const x of items) {
    const b = bytesOf(x);
    assert(b <= budget, () => `one item of ${b} bytes exceeds the message budget of ${budget} bytes`);
    if (run.length > 0 && (bytes + b > budget || run.length >= maxCount)) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(x);
    bytes += b;
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** budgetAfter is what a message of `maxMessageBytes` leaves for its lists once `head` bytes are spent. */
export function budgetAfter(maxMessageBytes: number, head: number): number {
  const budget = maxMessageBytes - HEAD - head;
  // The fixed part is bitmaps spanning the uncommitted window and a snapshot's kv: far below a
  // frame at any flag the CLI accepts (§4.7); a budget this small means a bound set too low.
  assert(budget >= maxMessageBytes / 4, () => `a message's fixed part (${head} bytes) leaves too little of ${maxMessageBytes}`);
  return budget;
}
