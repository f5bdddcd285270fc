// heap: a binary min-heap of timed items; ties keep insertion order, so anything driven by it
// (the VirtualClock's timers, a simulator's events) replays exactly.

/** Timed is anything with a due time. */
export type Timed = { readonly atMs: number };

type Slot<T> = { readonly atMs: number; readonly order: number; readonly item: T };

/** TimedHeap pops the earliest item, FIFO among equal times. */
export class TimedHeap<T extends Timed> {
  private slots: Slot<T>[] = [];
  private order = 0;

  get size(): number {
    return this.slots.length;
  }

  push(item: T): void {
    const moving: Slot<T> = { atMs: item.atMs, order: this.order++, item };
    let i = this.slots.length;
    this.slots.push(moving);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = this.at(p);
      if (!less(moving, parent)) break;
      this.slots[i] = parent;
      i = p;
    }
    this.slots[i] = moving;
  }

  /** peek returns the earliest item without removing it. */
  peek(): T | undefined {
    return this.slots[0]?.item;
  }

  peekAtMs(): number {
    return this.slots[0]?.atMs ?? Infinity;
  }

  pop(): T | undefined {
    const top = this.slots[0];
    const last = this.slots.pop();
    if (top === undefined || last === undefined || this.slots.length === 0) return top?.item;
    // Sift the last slot down from the root: the hole moves to the smaller child until `last` fits.
    const n = this.slots.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && less(this.at(l + 1), this.at(l)) ? l + 1 : l;
      const child = this.at(c);
      if (!less(child, last)) break;
      this.slots[i] = child;
      i = c;
    }
    this.slots[i] = last;
    return top.item;
  }

  /** retain keeps only the items `keep` accepts (their relative order, ties included, survives). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.slots.filter((s) => keep(s.item)).sort((a, b) => (less(a, b) ? -1 : 1));
    this.slots = kept; // a sorted array is a valid heap
  }

  /** at reads a slot; every caller bounds i by the heap's size, so the slot exists. */
  private at(i: number): Slot<T> {
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- callers pass 0 ≤ i < slots.length
    return this.slots[i]!;
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
