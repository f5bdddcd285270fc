// heap: a binary min-heap of timed items; ties keep insertion order, so anything driven by it
// (the VirtualClock's timers, a simulator's events) replays exactly.

/** Timed is anything with a due time. */
export type Timed = { readonly atMs: number };

/**
 * TimedHeap pops the earliest item, FIFO among equal times. Times, insertion numbers and items
 * sit in three parallel arrays moved together: no wrapper object per push (the simulator pushes
 * one per event, and the wrappers were a good part of its garbage).
 */
export class TimedHeap<T extends Timed> {
  private times: number[] = [];
  private orders: number[] = [];
  private items: T[] = [];
  private order = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const atMs = item.atMs;
    const order = this.order++;
    const { times, orders, items } = this;
    let i = items.length;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p] as number;
      if (!(atMs < pt || (atMs === pt && order < (orders[p] as number)))) break;
      times[i] = pt;
      orders[i] = orders[p] as number;
      items[i] = items[p] as T;
      i = p;
    }
    times[i] = atMs;
    orders[i] = order;
    items[i] = item;
  }

  /** peek returns the earliest item without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  peekAtMs(): number {
    return this.items.length > 0 ? (this.times[0] as number) : Infinity;
  }

  pop(): T | undefined {
    const { times, orders, items } = this;
    const n = items.length - 1;
    if (n < 0) return undefined;
    const top = items[0];
    const lastT = times[n] as number;
    const lastO = orders[n] as number;
    const last = items[n] as T;
    times.length = n;
    orders.length = n;
    items.length = n;
    if (n === 0) return top;
    // Sift the last entry down from the root: the hole moves to the smaller child until it fits.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      const r = l + 1;
      if (r < n) {
        const rt = times[r] as number;
        const lt = times[l] as number;
        if (rt < lt || (rt === lt && (orders[r] as number) < (orders[l] as number))) c = r;
      }
      const ct = times[c] as number;
      const co = orders[c] as number;
      if (!(ct < lastT || (ct === lastT && co < lastO))) break;
      times[i] = ct;
      orders[i] = co;
      items[i] = items[c] as T;
      i = c;
    }
    times[i] = lastT;
    orders[i] = lastO;
    items[i] = last;
    return top;
  }

  /** retain keeps only the items `keep` accepts (their relative order, ties included, survives). */
  retain(keep: (item: T) => boolean): void {
    const kept: number[] = [];
    for (let i = 0; i < this.items.length; i++) if (keep(this.items[i] as T)) kept.push(i);
    kept.sort((a, b) => (this.times[a] as number) - (this.times[b] as number) || (this.orders[a] as number) - (this.orders[b] as number));
    // a sorted array is a valid heap
    this.times = kept.map((i) => this.times[i] as number);
    this.orders = kept.map((i) => this.orders[i] as number);
    this.items = kept.map((i) => this.items[i] as T);
  }
}
