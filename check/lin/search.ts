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
  return new Search(ops, initial).run(options.expired);
}

/** Search is one run of the search; its fields are the current node (linearized set, state). */
class Search {
  private readonly line: Timeline;
  private readonly memo = new Memo();
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

  constructor(
    private readonly ops: readonly SearchOp[],
    private state: string,
  ) {
    this.line = new Timeline(ops);
    this.bits = new Uint32Array((ops.length >> 5) + 1);
    this.twin = twins(ops);
    this.required = ops.reduce((a, o) => a + (o.required ? 1 : 0), 0);
  }

  run(expired?: () => boolean): SearchResult {
    let steps = 0;
    let e = -1; // -1: a node just reached, whose forced child is looked for first
    for (;;) {
      if (this.done === this.required) return { verdict: 'linearizable', order: this.stack, state: this.state, steps };
      if ((++steps & 4095) === 0 && expired?.()) {
        return { verdict: 'unknown', order: this.best?.order ?? this.stack.slice(), state: this.best?.state ?? this.state, steps };
      }
      if (e === -1) {
        const f = this.forcedChild();
        if (f === -1) e = this.line.first();
        else if (this.push(f, this.state, true)) continue;
        else e = this.backtrack(f); // seen before: this node was explored and failed
        if (e === -2) return this.failed(steps);
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
      if (e === -2) return this.failed(steps);
    }
  }

  private failed(steps: number): SearchResult {
    const best = defined(this.best, 'a failed search has backtracked');
    return { verdict: 'not linearizable', order: best.order, state: best.state, stuck: best.stuck, steps };
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
