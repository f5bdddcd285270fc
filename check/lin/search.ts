// search: Wing & Gong's linearizability search as Lowe refined it (just-in-time linearization
// with a memo of (linearized set, state) pairs), the algorithm Porcupine uses; docs/history.md
// §Search. Calls and returns sit in one doubly linked list in real-time order; the search
// linearizes a pending call when the model allows it, and backtracks when it reaches the
// return of an op it has not linearized. Ops that may not have happened (:info, open) return
// at +∞, so they never force a backtrack, and the search succeeds once every required op is in.
import { assert, defined } from '../../runtime/assert.js';
import type { SearchOp } from './models.js';

export type SearchVerdict = 'linearizable' | 'not linearizable' | 'unknown';

export interface SearchResult {
  readonly verdict: SearchVerdict;
  /** order: indexes into ops, a linearization (linearizable) or the longest prefix found. */
  readonly order: number[];
  /** state after `order`. */
  readonly state: string;
  /** stuck: the op whose return the longest prefix could not get past (not linearizable). */
  readonly stuck?: number;
  /** steps counts model steps tried (the work done). */
  readonly steps: number;
}

export interface SearchOptions {
  /** expired is asked every few thousand steps; true stops the search with verdict unknown. */
  readonly expired?: () => boolean;
}

/** Timeline is the entry list: entry 2i is op i's call, 2i + 1 its return; HEAD is the sentinel. */
class Timeline {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly head: number;

  constructor(ops: readonly SearchOp[]) {
    const n = ops.length;
    const entries = Array.from({ length: 2 * n }, (_, e) => e);
    const ord = (e: number): number => {
      const op = defined(ops[e >> 1], 'entry of an op').op;
      return e & 1 ? op.completeOrd : op.invokeOrd;
    };
    // Equal ordinals are concurrent events: calls sort before returns so neither precedes the other.
    entries.sort((a, b) => ord(a) - ord(b) || (a & 1) - (b & 1) || a - b);
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(-1);
    this.prev = new Int32Array(2 * n + 1).fill(-1);
    let last = this.head;
    for (const e of entries) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
  }

  private remove(x: number): void {
    const p = defined(this.prev[x], 'prev'),
      nx = defined(this.next[x], 'next');
    this.next[p] = nx;
    if (nx !== -1) this.prev[nx] = p;
  }

  private restore(x: number): void {
    const p = defined(this.prev[x], 'prev'),
      nx = defined(this.next[x], 'next');
    this.next[p] = x;
    if (nx !== -1) this.prev[nx] = x;
  }

  lift(i: number): void {
    this.remove(2 * i);
    this.remove(2 * i + 1);
  }

  unlift(i: number): void {
    this.restore(2 * i + 1);
    this.restore(2 * i);
  }

  first(): number {
    return defined(this.next[this.head], 'head');
  }

  after(e: number): number {
    return defined(this.next[e], 'next');
  }
}

/** Memo remembers (linearized set, state) pairs already explored, hashed incrementally. */
class Memo {
  private readonly seen = new Map<number, { bits: Uint32Array; state: number }[]>();
  private readonly stateIds = new Map<string, number>();

  /** add returns false when the pair was seen before (nothing new below it). */
  add(hash: number, bits: Uint32Array, state: string): boolean {
    let id = this.stateIds.get(state);
    if (id === undefined) this.stateIds.set(state, (id = this.stateIds.size));
    const key = (hash ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0;
    const bucket = this.seen.get(key);
    if (bucket === undefined) {
      this.seen.set(key, [{ bits: bits.slice(), state: id }]);
      return true;
    }
    for (const b of bucket) if (b.state === id && sameBits(b.bits, bits)) return false;
    bucket.push({ bits: bits.slice(), state: id });
    return true;
  }
}

function flip(bits: Uint32Array, i: number): void {
  bits[i >> 5] = (bits[i >> 5] ?? 0) ^ (1 << (i & 31));
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** opHash spreads op indexes over 32 bits (a fixed mix, so runs are reproducible). */
function opHash(i: number): number {
  let h = Math.imul(i + 0x6d2b79f5, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** search decides whether ops (all of one key) are linearizable from `initial`. */
export function search(ops: readonly SearchOp[], initial: string, options: SearchOptions = {}): SearchResult {
  const n = ops.length;
  const line = new Timeline(ops);
  const memo = new Memo();
  const bits = new Uint32Array((n >> 5) + 1);
  const stack: number[] = [];
  const states: string[] = [];
  const required = ops.reduce((a, o) => a + (o.required ? 1 : 0), 0);
  let done = 0;
  let hash = 0;
  let state = initial;
  let steps = 0;
  let best: { order: number[]; state: string; stuck: number } | undefined;
  let e = line.first();
  for (;;) {
    if (done === required) return { verdict: 'linearizable', order: stack, state, steps };
    if ((++steps & 4095) === 0 && options.expired?.()) {
      return { verdict: 'unknown', order: best?.order ?? stack.slice(), state: best?.state ?? state, steps };
    }
    assert(e !== -1, 'a required op is left, so its return is in the list');
    const i = e >> 1;
    const op = defined(ops[i], 'entry of an op');
    if ((e & 1) === 0) {
      const next = op.step(state);
      if (next !== undefined) {
        flip(bits, i);
        if (memo.add(hash ^ opHash(i), bits, next)) {
          hash ^= opHash(i);
          stack.push(i);
          states.push(state);
          state = next;
          if (op.required) done++;
          line.lift(i);
          e = line.first();
          continue;
        }
        flip(bits, i);
      }
      e = line.after(e);
      continue;
    }
    // The return of an op not yet linearized: what is linearized so far cannot be extended.
    if (best === undefined || stack.length > best.order.length) best = { order: stack.slice(), state, stuck: i };
    const j = stack.pop();
    if (j === undefined) return { verdict: 'not linearizable', order: best.order, state: best.state, stuck: best.stuck, steps };
    state = defined(states.pop(), 'a state per linearized op');
    flip(bits, j);
    hash ^= opHash(j);
    if (defined(ops[j], 'popped op').required) done--;
    line.unlift(j);
    e = line.after(2 * j);
  }
}
