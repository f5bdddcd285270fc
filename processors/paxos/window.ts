// window: the recent part of a rank's committed log, in estround order. Syncs need it to send
// entries a peer lacks (IMPOSE catch-up, GATHER to a lagging leader). It holds every committed
// entry above `floor`; older ones are evicted in halves once `limit` is passed, which bounds
// memory over long runs.
import type { Entry } from './messages.js';
import { defined } from '../../runtime/assert.js';

export class CommitWindow {
  private estrounds: number[] = [];
  private keys: string[] = [];
  /** floor: every committed estround > floor is held here (-1: the whole log). */
  private floorEstround = -1;

  constructor(private readonly limit = 1_000_000) {
    if (!(limit >= 2)) throw new RangeError(`CommitWindow limit must be ≥ 2, got ${limit}`);
  }

  get floor(): number {
    return this.floorEstround;
  }

  get size(): number {
    return this.estrounds.length;
  }

  /** last is the highest committed estround held (-1 if none ever). */
  get last(): number {
    return this.estrounds.at(-1) ?? this.floorEstround;
  }

  /** append adds a newly committed entry; estrounds must strictly increase. */
  append(estround: number, key: string): void {
    if (estround <= this.last) throw new Error(`CommitWindow: estround ${estround} not above ${this.last}`);
    this.estrounds.push(estround);
    this.keys.push(key);
    if (this.estrounds.length > this.limit) {
      const cut = this.estrounds.length >> 1;
      this.floorEstround = defined(this.estrounds[cut - 1], 'cut ≥ 1: the window holds more than its limit ≥ 2');
      this.estrounds = this.estrounds.slice(cut);
      this.keys = this.keys.slice(cut);
    }
  }

  /** reaches says whether every committed entry above `after` is held. */
  reaches(after: number): boolean {
    return after >= this.floorEstround;
  }

  /** keyAt returns the committed key at estround, if held. */
  keyAt(estround: number): string | undefined {
    const i = this.indexAbove(estround - 1);
    return this.estrounds[i] === estround ? this.keys[i] : undefined;
  }

  /** countAbove is how many held entries have estround > after (what a catch-up from there carries). */
  countAbove(after: number): number {
    return this.estrounds.length - this.indexAbove(after);
  }

  /** since lists the held entries with estround > after, in order: at most `max` of them, the lowest. */
  since(after: number, max = Infinity): Entry[] {
    const from = this.indexAbove(after);
    return this.estrounds.slice(from, from + max).map((e, i) => [e, defined(this.keys[from + i], 'keys run parallel to estrounds')]);
  }

  /** indexAbove is the first index whose estround > after (binary search). */
  private indexAbove(after: number): number {
    let lo = 0;
    let hi = this.estrounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- 0 ≤ lo ≤ mid < hi ≤ length
      if (this.estrounds[mid]! > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
