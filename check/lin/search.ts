// search: Wing & Gong's linearizability search as Lowe refined it (just-in-time linearization
// with a memo of (linearized set, state) pairs), the algorithm Porcupine uses; docs/history.md
// §Search. Calls and returns sit in one doubly linked list in real-time order; the search
// linearizes a pending call when the model allows it, and backtracks when it reaches the
// return of an op it has not linearized. Ops that may not have happened (:info, open) return
// at +∞, so they never force a backtrack, and the search succeeds once every required op is in.
import { defined } from '../../runtime/assert.js';
import { canon } from './history.js';
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
  /** limit: what stopped a search whose verdict is unknown. */
  readonly limit?: SearchLimit;
}

export type SearchLimit = 'time limit' | 'memory limit';

/** DEFAULT_MEMO_BYTES bounds one search's memo unless the caller says otherwise (docs/history.md §Memory). */
export const DEFAULT_MEMO_BYTES = 512 * 2 ** 20;

export interface SearchOptions {
  /** expired is asked every few thousand steps; true stops the search with verdict unknown. */
  readonly expired?: () => boolean;
  /** memoBytes caps the memo; past it the search stops with verdict unknown (memory limit). */
  readonly memoBytes?: number;
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

/** MemoFull stops a search whose memo would pass its byte budget (the verdict is then unknown). */
class MemoFull extends Error {}

/**
 * Memo remembers (linearized set, state) pairs already explored. It is flat — an open-addressing
 * table of entry numbers over typed arrays, each entry's bitset a slice of one pool — so a pair
 * costs its bitset plus 16 bytes and no garbage, and its size in bytes is known: add throws
 * MemoFull rather than grow past maxBytes (docs/history.md §Memory).
 */
class Memo {
  private readonly stateIds = new Map<string, number>();
  private stateBytes = 0;
  private slots: Int32Array; // entry + 1, 0 for empty
  private hashes: Int32Array;
  private states: Int32Array;
  private pool: Uint32Array;
  private entries = 0;

  /** expected: pairs the search will surely store (one per required op); room for them from the start, up to ~1 MiB. */
  constructor(
    private readonly words: number,
    private readonly maxBytes: number,
    expected: number,
  ) {
    let n = 64;
    while (n < expected && 2 * n * (12 + 4 * words) <= 1 << 20) n *= 2;
    this.slots = new Int32Array(2 * n);
    this.hashes = new Int32Array(n);
    this.states = new Int32Array(n);
    this.pool = new Uint32Array(n * words);
  }

  /** bytes is what the memo holds now: its tables, bitsets and state texts. */
  bytes(): number {
    return this.slots.byteLength + this.hashes.byteLength + this.states.byteLength + this.pool.byteLength + this.stateBytes;
  }

  /** add returns false when the pair was seen before (nothing new below it). */
  add(hash: number, bits: Uint32Array, state: string): boolean {
    let id = this.stateIds.get(state);
    if (id === undefined) {
      this.stateIds.set(state, (id = this.stateIds.size));
      this.stateBytes += 2 * state.length + 32;
    }
    const key = (hash ^ Math.imul(id + 1, 0x9e3779b1)) | 0;
    const mask = this.slots.length - 1;
    let s = key & mask;
    for (let e = this.slots[s] ?? 0; e !== 0; s = (s + 1) & mask, e = this.slots[s] ?? 0)
      if (this.hashes[e - 1] === key && this.states[e - 1] === id && this.same(e - 1, bits)) return false;
    if (this.entries === this.hashes.length) this.grow();
    const e = this.entries++;
    this.hashes[e] = key;
    this.states[e] = id;
    this.pool.set(bits, e * this.words);
    // Filled to half at most, so probes stay short; the table doubles with the entries.
    if (2 * this.entries > this.slots.length) this.rehash();
    else this.slots[s] = e + 1;
    return true;
  }

  private same(e: number, bits: Uint32Array): boolean {
    const at = e * this.words;
    for (let i = 0; i < this.words; i++) if (this.pool[at + i] !== bits[i]) return false;
    return true;
  }

  private grow(): void {
    const n = this.hashes.length * 2;
    const more = n * (8 + 4 * this.words) + 4 * (2 * n > this.slots.length ? 2 * this.slots.length : 0);
    if (this.bytes() + more > this.maxBytes) throw new MemoFull();
    const widen = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T, size: number): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.hashes = widen(this.hashes, (k) => new Int32Array(k), n);
    this.states = widen(this.states, (k) => new Int32Array(k), n);
    this.pool = widen(this.pool, (k) => new Uint32Array(k), n * this.words);
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let e = 0; e < this.entries; e++) {
      let s = (this.hashes[e] ?? 0) & mask;
      while ((this.slots[s] ?? 0) !== 0) s = (s + 1) & mask;
      this.slots[s] = e + 1;
    }
  }
}

function flip(bits: Uint32Array, i: number): void {
  bits[i >> 5] = (bits[i >> 5] ?? 0) ^ (1 << (i & 31));
}

function hasBit(bits: Uint32Array, i: number): boolean {
  return (((bits[i >> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/**
 * twins maps each optional op to the previous optional op with the same f and argument (-1 for
 * none). Two such ops are interchangeable once both are invoked — their returns are both at +∞ —
 * so the search takes them in order, which counts how many were taken instead of which.
 */
function twins(ops: readonly SearchOp[]): Int32Array {
  const out = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  ops.forEach((o, i) => {
    if (o.required) return;
    const k = `${o.op.f} ${canon(o.op.arg)}`;
    out[i] = last.get(k) ?? -1;
    last.set(k, i);
  });
  return out;
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
  const s = new Search(ops, initial, options.memoBytes ?? DEFAULT_MEMO_BYTES);
  try {
    return s.run(options.expired);
  } catch (e) {
    if (!(e instanceof MemoFull)) throw e;
    return s.stopped('memory limit');
  }
}

/** Search is one run of the search; its fields are the current node (linearized set, state). */
class Search {
  private readonly line: Timeline;
  private readonly memo: Memo;
  private readonly bits: Uint32Array;
  private readonly twin: Int32Array;
  private readonly required: number;
  /** stack: the ops linearized, in order; forced[k]: stack[k] was the only child of its node. */
  private readonly stack: number[] = [];
  private readonly forced: boolean[] = [];
  private readonly states: string[] = [];
  private done = 0;
  private hash = 0;
  private best: { order: number[]; state: string; stuck: number } | undefined;
  private steps = 0;

  constructor(
    private readonly ops: readonly SearchOp[],
    private state: string,
    memoBytes: number,
  ) {
    this.line = new Timeline(ops);
    this.bits = new Uint32Array((ops.length >> 5) + 1);
    this.memo = new Memo(this.bits.length, memoBytes, ops.length + 1);
    this.twin = twins(ops);
    this.required = ops.reduce((a, o) => a + (o.required ? 1 : 0), 0);
  }

  run(expired?: () => boolean): SearchResult {
    let e = -1; // -1: a node just reached, whose forced child is looked for first
    for (;;) {
      if (this.done === this.required) return { verdict: 'linearizable', order: this.stack, state: this.state, steps: this.steps };
      if ((++this.steps & 4095) === 0 && expired?.()) return this.stopped('time limit');
      if (e === -1) {
        const f = this.forcedChild();
        if (f === -1) e = this.line.first();
        else if (this.push(f, this.state, true)) continue;
        else e = this.backtrack(f); // seen before: this node was explored and failed
        if (e === -2) return this.failed();
        continue;
      }
      const i = e >> 1;
      const op = defined(this.ops[i], 'entry of an op');
      if ((e & 1) === 0) {
        const next = op.step(this.state);
        // Optional ops: a no-op is never worth taking (leaving it out keeps it for later), and of
        // identical ones (same f and argument, all pending since their invoke) take the earliest first.
        const twin = this.twin[i] ?? -1;
        const pruned = !op.required && (next === this.state || (twin !== -1 && !hasBit(this.bits, twin)));
        e = next !== undefined && !pruned && this.push(i, next, false) ? -1 : this.line.after(e);
        continue;
      }
      // The return of an op not yet linearized: what is linearized so far cannot be extended.
      e = this.backtrack(i);
      if (e === -2) return this.failed();
    }
  }

  private failed(): SearchResult {
    const best = defined(this.best, 'a failed search has backtracked');
    return { verdict: 'not linearizable', order: best.order, state: best.state, stuck: best.stuck, steps: this.steps };
  }

  /** stopped: the verdict is unknown; the longest prefix found so far still goes in the report. */
  stopped(limit: SearchLimit): SearchResult {
    const order = this.best?.order ?? this.stack.slice();
    return { verdict: 'unknown', order, state: this.best?.state ?? this.state, steps: this.steps, limit };
  }

  /**
   * forcedChild: a pending read-only op the state satisfies (a read that matches, a cas that
   * rightly failed; never a write of the current value, which would change later states). Taking it next is never wrong — any linearization from here can
   * move it to the front — so it is the node's only child. -1 when there is none.
   */
  private forcedChild(): number {
    for (let e = this.line.first(); e !== -1 && (e & 1) === 0; e = this.line.after(e)) {
      const op = defined(this.ops[e >> 1], 'entry of an op');
      if (op.readOnly === true && op.step(this.state) !== undefined) return e >> 1;
    }
    return -1;
  }

  /** push linearizes op i next, into state next, unless the memo has seen the result. */
  private push(i: number, next: string, forced: boolean): boolean {
    flip(this.bits, i);
    if (!this.memo.add(this.hash ^ opHash(i), this.bits, next)) {
      flip(this.bits, i);
      return false;
    }
    this.hash ^= opHash(i);
    this.stack.push(i);
    this.forced.push(forced);
    this.states.push(this.state);
    this.state = next;
    if (defined(this.ops[i], 'pushed op').required) this.done++;
    this.line.lift(i);
    return true;
  }

  /** backtrack undoes ops until one whose node has other children; their entry, or -2 at the root. */
  private backtrack(stuck: number): number {
    if (this.best === undefined || this.stack.length > this.best.order.length)
      this.best = { order: this.stack.slice(), state: this.state, stuck };
    for (;;) {
      const j = this.stack.pop();
      if (j === undefined) return -2;
      this.state = defined(this.states.pop(), 'a state per linearized op');
      flip(this.bits, j);
      this.hash ^= opHash(j);
      if (defined(this.ops[j], 'popped op').required) this.done--;
      this.line.unlift(j);
      if (!this.forced.pop()) return this.line.after(2 * j);
    }
  }
}
