// first-few: keep the first `limit` items of a stream in some order, in O(limit) memory. A run
// can hold a million violations; a diagnostic shows a few and counts the rest.

/** FirstFew keeps the `limit` smallest items offered so far under `before`, and counts all. */
export class FirstFew<T> {
  private readonly kept: T[] = [];
  /** count is how many items were offered, kept or not. */
  count = 0;

  constructor(
    readonly limit: number,
    private readonly before: (a: T, b: T) => boolean,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be an integer ≥ 0, got ${limit}`);
  }

  /** offer counts item and keeps it if it is among the first `limit` so far. */
  offer(item: T): void {
    this.count++;
    const kept = this.kept;
    if (this.limit === 0) return;
    // Scan from the end: offered in order (the common case: file order), an item stops after
    // one comparison, and a full list that it would leave at the end rejects it.
    let i = kept.length;
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- 0 < i <= kept.length, so kept[i - 1] exists
    while (i > 0 && this.before(item, kept[i - 1]!)) i--;
    if (i === this.limit) return;
    kept.splice(i, 0, item);
    if (kept.length > this.limit) kept.pop();
  }

  /** items are the kept ones, first first. */
  items(): readonly T[] {
    return this.kept;
  }
}
