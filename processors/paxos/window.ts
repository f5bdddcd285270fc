// window: the recent part of a rank's committed log, in estround order. Syncs need it to send
// entries a peer lacks (IMPOSE catch-up, GATHER to a lagging leader). It holds every committed
// entry above `floor`; older ones are evicted in halves once `limit` is passed, which bounds
// memory over long runs.
//
// Both the leader and the follower core keep one, so every commit is appended twice per rank, up
// to a million entries each. Held as JS arrays of estrounds and key strings, the appends and the
// collector's marking of a million live strings were the largest cost of a healthy rank at full
// rate (docs/protocols/paxos.md §12). So entries live in a ring of typed arrays (estrounds as
// doubles, keys as 32 latin1 bytes each): nothing per entry for the collector to trace, eviction
// moves the ring's head instead of copying half the window, and a key becomes a string again only
// when a sync reads it.
import type { Entry } from './messages.js';

/** KEY_BYTES: an instance KEY is 32 lowercase letters (docs/protocols/paxos.md §9.1). */
const KEY_BYTES = 32;
const INITIAL_CAPACITY = 4096;
/** GROWTH: a rank catching up fills a million entries in seconds; at ×2 the copies were 6 % of its CPU. */
const GROWTH = 4;

export class CommitWindow {
  private estrounds: Float64Array;
  private keys: Buffer;
  /** head: the ring slot of the lowest held entry; count: how many are held. */
  private head = 0;
  private count = 0;
  /** floor: every committed estround > floor is held here (-1: the whole log). */
  private floorEstround = -1;
  private lastEstround = -1;

  constructor(private readonly limit = 1_000_000) {
    if (!(limit >= 2)) throw new RangeError(`CommitWindow limit must be ≥ 2, got ${limit}`);
    const capacity = Math.min(INITIAL_CAPACITY, limit + 1);
    this.estrounds = new Float64Array(capacity);
    this.keys = Buffer.alloc(capacity * KEY_BYTES);
  }

  get floor(): number {
    return this.floorEstround;
  }

  get size(): number {
    return this.count;
  }

  /** last is the highest committed estround held (-1 if none ever). */
  get last(): number {
    return this.lastEstround; // eviction keeps at least half, so the last appended is held
  }

  /** append adds a newly committed entry; estrounds must strictly increase. */
  append(estround: number, key: string): void {
    if (estround <= this.lastEstround) throw new Error(`CommitWindow: estround ${estround} not above ${this.lastEstround}`);
    if (key.length !== KEY_BYTES) throw new Error(`CommitWindow: key must be ${KEY_BYTES} letters, got ${key.length}`);
    if (this.count === this.estrounds.length) this.grow();
    const slot = (this.head + this.count) % this.estrounds.length;
    this.estrounds[slot] = estround;
    // A charCodeAt loop, not Buffer#write: no native call per entry on the commit path.
    const at = slot * KEY_BYTES;
    for (let i = 0; i < KEY_BYTES; i++) this.keys[at + i] = key.charCodeAt(i);
    this.count++;
    this.lastEstround = estround;
    if (this.count > this.limit) {
      const cut = this.count >> 1;
      this.floorEstround = this.estroundAt(cut - 1);
      this.head = (this.head + cut) % this.estrounds.length;
      this.count -= cut;
    }
  }

  /** reaches says whether every committed entry above `after` is held. */
  reaches(after: number): boolean {
    return after >= this.floorEstround;
  }

  /** keyAt returns the committed key at estround, if held. */
  keyAt(estround: number): string | undefined {
    const i = this.indexAbove(estround - 1);
    return i < this.count && this.estroundAt(i) === estround ? this.keyOf(i) : undefined;
  }

  /** countAbove is how many held entries have estround > after (what a catch-up from there carries). */
  countAbove(after: number): number {
    return this.count - this.indexAbove(after);
  }

  /** since lists the held entries with estround > after, in order: at most `max` of them, the lowest. */
  since(after: number, max = Infinity): Entry[] {
    const from = this.indexAbove(after);
    const n = Math.min(this.count - from, max);
    const out = new Array<Entry>(n);
    // One latin1 string per contiguous run of the ring, cut into keys in JS: a native
    // Buffer#toString per key made a 16,384-entry CATCHUP chunk cost twice as much to build.
    for (let i = 0; i < n;) {
      const slot = (this.head + from + i) % this.estrounds.length;
      const run = Math.min(n - i, this.estrounds.length - slot);
      const text = this.keys.toString('latin1', slot * KEY_BYTES, (slot + run) * KEY_BYTES);
      for (let j = 0; j < run; j++, i++) out[i] = [this.estrounds[slot + j] ?? NaN, text.slice(j * KEY_BYTES, (j + 1) * KEY_BYTES)];
    }
    return out;
  }

  /** estroundAt is the i-th held estround (0: the lowest). */
  private estroundAt(i: number): number {
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the slot is inside the ring
    return this.estrounds[(this.head + i) % this.estrounds.length]!;
  }

  private keyOf(i: number): string {
    const at = ((this.head + i) % this.estrounds.length) * KEY_BYTES;
    return this.keys.toString('latin1', at, at + KEY_BYTES);
  }

  /** grow widens the ring GROWTH-fold (up to limit + 1 slots: the most held between an append and its eviction), lowest entry first. */
  private grow(): void {
    const capacity = Math.min(this.estrounds.length * GROWTH, this.limit + 1);
    const estrounds = new Float64Array(capacity);
    // Unfilled: only the `count` slots from head are ever read. A rank catching up grows its
    // window from near empty to a million entries in seconds; zeroing 32 MB was 6% of its CPU.
    const keys = Buffer.allocUnsafe(capacity * KEY_BYTES);
    const wrap = this.estrounds.length - this.head; // slots from head to the ring's end
    const first = Math.min(this.count, wrap);
    estrounds.set(this.estrounds.subarray(this.head, this.head + first), 0);
    estrounds.set(this.estrounds.subarray(0, this.count - first), first);
    keys.set(this.keys.subarray(this.head * KEY_BYTES, (this.head + first) * KEY_BYTES), 0);
    keys.set(this.keys.subarray(0, (this.count - first) * KEY_BYTES), first * KEY_BYTES);
    this.estrounds = estrounds;
    this.keys = keys;
    this.head = 0;
  }

  /** indexAbove is the first index whose estround > after (binary search). */
  private indexAbove(after: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.estroundAt(mid) > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
