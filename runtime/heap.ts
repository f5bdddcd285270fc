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
    const slots = this.slots;
    slots.push({ atMs: item.atMs, order: this.order++, item });
    let i = slots.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(slots[i]!, slots[p]!)) break;
      [slots[i], slots[p]] = [slots[p]!, slots[i]!];
      i = p;
    }
  }

  /** peek returns the earliest item without removing it. */
  peek(): T | undefined {
    return this.slots[0]?.item;
  }

  peekAtMs(): number {
    return this.slots.length > 0 ? this.slots[0]!.atMs : Infinity;
  }

  pop(): T | undefined {
    const slots = this.slots;
    if (slots.length === 0) return undefined;
    const top = slots[0]!;
    const last = slots.pop()!;
    if (slots.length > 0) {
      slots[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < slots.length && less(slots[l]!, slots[m]!)) m = l;
        if (r < slots.length && less(slots[r]!, slots[m]!)) m = r;
        if (m === i) break;
        [slots[i], slots[m]] = [slots[m]!, slots[i]!];
        i = m;
      }
    }
    return top.item;
  }

  /** retain keeps only the items `keep` accepts (their relative order, ties included, survives). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.slots.filter((s) => keep(s.item)).sort((a, b) => (less(a, b) ? -1 : 1));
    this.slots = kept; // a sorted array is a valid heap
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
