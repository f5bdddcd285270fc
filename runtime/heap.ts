// heap: a binary min-heap of timed items; ties keep insertion order, so anything driven by it
// (the VirtualClock's timers, a simulator's events) replays exactly.

/** Timed is anything with a due time. */
export type Timed = { readonly atMs: number };

/**
 * TimedHeap pops the earliest item, FIFO among equal times. Due times, insertion numbers and
 * items sit in three parallel arrays: a push allocates no wrapper object (the simulator pushes
 * several events per step, and a slot object each was a steady part of its garbage).
 */
export class TimedHeap<T extends Timed> {
  private atMs: number[] = [];
  private orders: number[] = [];
  private items: T[] = [];
  private order = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const at = item.atMs;
    const order = this.order++;
    let i = this.items.length;
    // grow by one; the hole moves up from the end until the new item fits
    this.atMs.push(at);
    this.orders.push(order);
    this.items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(at, order, this.atAt(p), this.orderAt(p))) break;
      this.move(p, i);
      i = p;
    }
    this.put(i, at, order, item);
  }

  /** peek returns the earliest item without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  peekAtMs(): number {
    return this.atMs[0] ?? Infinity;
  }

  pop(): T | undefined {
    const top = this.items[0];
    const n = this.items.length - 1;
    if (top === undefined) return undefined;
    // Take the last slot off (pop, not a length store: that is a slow builtin call) and sift it
    // down from the root: the hole moves to the smaller child until it fits.
    const at = this.atMs.pop() as number;
    const order = this.orders.pop() as number;
    const item = this.items.pop() as T;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && less(this.atAt(l + 1), this.orderAt(l + 1), this.atAt(l), this.orderAt(l)) ? l + 1 : l;
      if (!less(this.atAt(c), this.orderAt(c), at, order)) break;
      this.move(c, i);
      i = c;
    }
    this.put(i, at, order, item);
    return top;
  }

  /** retain keeps only the items `keep` accepts (their relative order, ties included, survives). */
  retain(keep: (item: T) => boolean): void {
    const kept: number[] = [];
    for (let i = 0; i < this.items.length; i++) if (keep(this.itemAt(i))) kept.push(i);
    kept.sort((a, b) => (less(this.atAt(a), this.orderAt(a), this.atAt(b), this.orderAt(b)) ? -1 : 1));
    // a sorted array is a valid heap
    this.atMs = kept.map((i) => this.atAt(i));
    this.orders = kept.map((i) => this.orderAt(i));
    this.items = kept.map((i) => this.itemAt(i));
  }

  private move(from: number, to: number): void {
    this.put(to, this.atAt(from), this.orderAt(from), this.itemAt(from));
  }

  private put(i: number, at: number, order: number, item: T): void {
    this.atMs[i] = at;
    this.orders[i] = order;
    this.items[i] = item;
  }

  // Every caller bounds i by the heap's size, so the slot exists.
  private atAt(i: number): number {
    return this.atMs[i] as number;
  }

  private orderAt(i: number): number {
    return this.orders[i] as number;
  }

  private itemAt(i: number): T {
    return this.items[i] as T;
  }
}

function less(aAt: number, aOrder: number, bAt: number, bOrder: number): boolean {
  return aAt < bAt || (aAt === bAt && aOrder < bOrder);
}
