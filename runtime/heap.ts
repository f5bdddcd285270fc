// heap: a binary min-heap of timed items; ties keep insertion order, so anything driven by it
// (the VirtualClock's timers, a simulator's events) replays exactly.
//
// The heap is kept as parallel arrays (due times, insertion orders, items) rather than one slot
// object per item: a long simulation pushes millions of events, many of which wait through
// several young-generation collections (wake-ups, fsync completions), and every sift compared
// two slots reached through pointers. Comparing numbers held in typed arrays touches neither.

/** Timed is anything with a due time. */
export type Timed = { readonly atMs: number };

const FIRST_CAPACITY = 64;

/** TimedHeap pops the earliest item, FIFO among equal times. */
export class TimedHeap<T extends Timed> {
  private times = new Float64Array(FIRST_CAPACITY);
  /** orders: each item's insertion count (a double: a long run may push more than 2^31 items). */
  private orders = new Float64Array(FIRST_CAPACITY);
  private items: (T | undefined)[] = [];
  private n = 0;
  private order = 0;

  get size(): number {
    return this.n;
  }

  push(item: T): void {
    if (this.n === this.times.length) this.grow();
    const atMs = item.atMs;
    const order = this.order++;
    const { times, orders, items } = this;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p] as number;
      if (pt < atMs || (pt === atMs && (orders[p] as number) < order)) break;
      times[i] = pt;
      orders[i] = orders[p] as number;
      items[i] = items[p];
      i = p;
    }
    times[i] = atMs;
    orders[i] = order;
    items[i] = item;
  }

  /** peek returns the earliest item without removing it. */
  peek(): T | undefined {
    return this.n > 0 ? this.items[0] : undefined;
  }

  peekAtMs(): number {
    return this.n > 0 ? (this.times[0] as number) : Infinity;
  }

  pop(): T | undefined {
    if (this.n === 0) return undefined;
    const { times, orders, items } = this;
    const top = items[0];
    const n = --this.n;
    // Sift the last item down from the root: the hole moves to the smaller child until it fits.
    const lastTime = times[n] as number;
    const lastOrder = orders[n] as number;
    const last = items[n];
    items[n] = undefined; // the heap must not keep a popped item alive
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && earlier(times, orders, c + 1, c)) c++;
      const ct = times[c] as number;
      if (ct > lastTime || (ct === lastTime && (orders[c] as number) > lastOrder)) break;
      times[i] = ct;
      orders[i] = orders[c] as number;
      items[i] = items[c];
      i = c;
    }
    times[i] = lastTime;
    orders[i] = lastOrder;
    items[i] = last;
    return top;
  }

  /** retain keeps only the items `keep` accepts (their relative order, ties included, survives). */
  retain(keep: (item: T) => boolean): void {
    const kept: number[] = [];
    for (let i = 0; i < this.n; i++) if (keep(this.items[i] as T)) kept.push(i);
    const { times, orders, items } = this;
    kept.sort((a, b) => (earlier(times, orders, a, b) ? -1 : 1));
    // a sorted array is a valid heap
    this.times = new Float64Array(times.length);
    this.orders = new Float64Array(times.length);
    this.items = [];
    kept.forEach((from, to) => {
      this.times[to] = times[from] as number;
      this.orders[to] = orders[from] as number;
      this.items[to] = items[from];
    });
    this.n = kept.length;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const orders = new Float64Array(this.orders.length * 2);
    orders.set(this.orders);
    this.times = times;
    this.orders = orders;
  }
}

/**
 * earlier: is the item at a due before the one at b (earlier time, or the same time and pushed
 * first)? push and pop spell the same comparison out against the moving item's time and order:
 * through a helper on values the 3M pop+push microbenchmark took ~10% longer.
 */
function earlier(times: Float64Array, orders: Float64Array, a: number, b: number): boolean {
  const ta = times[a] as number;
  const tb = times[b] as number;
  return ta < tb || (ta === tb && (orders[a] as number) < (orders[b] as number));
}
