// window: the recent part of a rank's committed log, in estround order. Syncs need it to send
// entries a peer lacks (IMPOSE catch-up, GATHER to a lagging leader). It holds every committed
// entry above `floor`; older ones are evicted in halves once `limit` is passed, which bounds
// memory over long runs.
//
// The follower appends every commit, up to a million entries per rank, and the leader reads the
// same window. Held as JS arrays of estrounds and key strings, the appends and the collector's
// marking of a million live strings were the largest cost of a healthy rank at full rate
// (docs/protocols/paxos.md §12). So entries live in a ring of typed arrays: nothing per entry for
// the collector to trace, eviction moves the ring's head instead of copying half the window, and
// a key becomes a string again only when a sync reads it. A key's 32 letters take 5 bits each
// (20 bytes, not 32), an estround 4 bytes as its offset from a base at or below every held one
// (not an 8-byte double): full, the window is the largest thing a rank keeps (12 MiB; issue 20).
import type { Entry } from './messages.js';

/** KEY_LETTERS: an instance KEY is 32 lowercase letters (docs/protocols/paxos.md §9.1). */
const KEY_LETTERS = 32;
/** PACKED: bytes per held KEY: 5 bits a letter, each 8 letters in 5 bytes. */
const PACKED = 20;
/** DECODE_BLOCK: keys turned back into text per native toString call (a 32 KiB scratch, reused). */
const DECODE_BLOCK = 1024;
const scratch = Buffer.allocUnsafe(DECODE_BLOCK * KEY_LETTERS);
/**
 * LIMIT: most entries held (between LIMIT/2 and LIMIT once full): 12 MiB. A rank further behind
 * is served from the leader rank's instance log (archive.ts). A rank paused 20 s at full rate
 * comes back over a million entries behind, past any window a rank can afford, so most of its
 * catch-up comes from the log either way; what a bigger window bought was a few seconds of it
 * served from memory, at 12 MiB more in every rank for the whole run (issue 20).
 */
const LIMIT = 500_000;
const INITIAL_CAPACITY = 4096;
/**
 * MAX_OFFSET: the widest span of estrounds held at once. A million entries at -l 1000000 span a
 * few dozen rounds (~10^8); a wider span only comes of thousands of rounds without commits, and
 * then the entries too far below the newest are evicted (the archive serves them, as any below
 * the floor).
 */
const MAX_OFFSET = 0xffff_ffff;
/** GROWTH: a rank catching up fills a million entries in seconds; at ×2 the copies were 6 % of its CPU. */
const GROWTH = 4;

export class CommitWindow {
  /** offsets: each held estround minus `base`. */
  private offsets: Uint32Array;
  private base = 0;
  private keys: Buffer;
  /** head: the ring slot of the lowest held entry; count: how many are held. */
  private head = 0;
  private count = 0;
  /** floor: every committed estround > floor is held here (-1: the whole log). */
  private floorEstround = -1;
  private lastEstround = -1;

  constructor(private readonly limit = LIMIT) {
    if (!(limit >= 2)) throw new RangeError(`CommitWindow limit must be ≥ 2, got ${limit}`);
    const capacity = Math.min(INITIAL_CAPACITY, limit + 1);
    this.offsets = new Uint32Array(capacity);
    this.keys = Buffer.alloc(capacity * PACKED);
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
    if (!Number.isSafeInteger(estround)) throw new Error(`CommitWindow: estround ${estround} is not an integer`);
    if (key.length !== KEY_LETTERS) throw new Error(`CommitWindow: key must be ${KEY_LETTERS} letters, got ${key.length}`);
    if (this.count === 0) this.base = estround;
    else if (estround - this.base > MAX_OFFSET) this.rebase(estround);
    if (this.count === this.offsets.length) this.grow();
    const slot = (this.head + this.count) % this.offsets.length;
    pack(key, this.keys, slot * PACKED);
    this.offsets[slot] = estround - this.base;
    this.count++;
    this.lastEstround = estround;
    if (this.count > this.limit) {
      this.drop(this.count >> 1);
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
    // One latin1 string per block of keys unpacked into the scratch, cut into keys in JS: a
    // native Buffer#toString per key made a 16,384-entry CATCHUP chunk cost twice as much to build.
    for (let i = 0; i < n;) {
      const block = Math.min(n - i, DECODE_BLOCK);
      for (let j = 0; j < block; j++) unpack(this.keys, this.slotOf(from + i + j) * PACKED, scratch, j * KEY_LETTERS);
      const text = scratch.toString('latin1', 0, block * KEY_LETTERS);
      for (let j = 0; j < block; j++, i++) out[i] = [this.estroundAt(from + i), text.slice(j * KEY_LETTERS, (j + 1) * KEY_LETTERS)];
    }
    return out;
  }

  /** estroundAt is the i-th held estround (0: the lowest). */
  private estroundAt(i: number): number {
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the slot is inside the ring
    return this.base + this.offsets[this.slotOf(i)]!;
  }

  /** drop evicts the n lowest held entries: the floor rises to the last of them. */
  private drop(n: number): void {
    this.floorEstround = this.estroundAt(n - 1);
    this.head = (this.head + n) % this.offsets.length;
    this.count -= n;
  }

  /**
   * rebase makes room for `estround`, over MAX_OFFSET above the base: entries more than that
   * below it are evicted (no offset could hold both), and the base moves up to the lowest left.
   */
  private rebase(estround: number): void {
    const below = this.indexAbove(estround - MAX_OFFSET - 1);
    if (below > 0) this.drop(below);
    const base = this.count > 0 ? this.estroundAt(0) : estround;
    const shift = base - this.base;
    for (let i = 0; i < this.count; i++) {
      const slot = this.slotOf(i);
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the slot is inside the ring
      this.offsets[slot] = this.offsets[slot]! - shift;
    }
    this.base = base;
  }

  private keyOf(i: number): string {
    unpack(this.keys, this.slotOf(i) * PACKED, scratch, 0);
    return scratch.toString('latin1', 0, KEY_LETTERS);
  }

  /** slotOf is the ring slot of the i-th held entry. */
  private slotOf(i: number): number {
    return (this.head + i) % this.offsets.length;
  }

  /** grow widens the ring GROWTH-fold (up to limit + 1 slots: the most held between an append and its eviction), lowest entry first. */
  private grow(): void {
    const capacity = Math.min(this.offsets.length * GROWTH, this.limit + 1);
    const offsets = new Uint32Array(capacity);
    // Unfilled: only the `count` slots from head are ever read. A rank catching up grows its
    // window from near empty to a million entries in seconds; zeroing 32 MB (the keys, unpacked) was 6% of its CPU.
    const keys = Buffer.allocUnsafe(capacity * PACKED);
    const wrap = this.offsets.length - this.head; // slots from head to the ring's end
    const first = Math.min(this.count, wrap);
    offsets.set(this.offsets.subarray(this.head, this.head + first), 0);
    offsets.set(this.offsets.subarray(0, this.count - first), first);
    keys.set(this.keys.subarray(this.head * PACKED, (this.head + first) * PACKED), 0);
    keys.set(this.keys.subarray(0, (this.count - first) * PACKED), first * PACKED);
    this.offsets = offsets;
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

/**
 * pack writes a KEY's 32 letters into 20 bytes at `at`, 5 bits a letter: each 8 letters are two
 * 20-bit halves in 5 bytes (32-bit integer arithmetic only; a charCodeAt loop, no native call).
 */
function pack(key: string, into: Buffer, at: number): void {
  for (let g = 0; g < KEY_LETTERS; g += 8, at += 5) {
    const a = letters4(key, g);
    const b = letters4(key, g + 4);
    into[at] = a & 0xff;
    into[at + 1] = (a >>> 8) & 0xff;
    into[at + 2] = (a >>> 16) | ((b & 0x0f) << 4);
    into[at + 3] = (b >>> 4) & 0xff;
    into[at + 4] = b >>> 12;
  }
}

/** letters4 is 4 letters of key from i, 5 bits each; anything but a–z is refused (it would not unpack). */
function letters4(key: string, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = key.charCodeAt(k) - 97;
    if (!(c >= 0 && c < 26)) throw new Error(`CommitWindow: key must be lowercase letters, got ${JSON.stringify(key)}`);
    v = (v << 5) | c;
  }
  return v;
}

/** unpack writes the 32 latin1 letters of the KEY packed at `at` into `to` at `pos`. */
function unpack(from: Buffer, at: number, to: Buffer, pos: number): void {
  for (let g = 0; g < 4; g++, at += 5, pos += 8) {
    const mid = from[at + 2] ?? 0;
    const a = (from[at] ?? 0) | ((from[at + 1] ?? 0) << 8) | ((mid & 0x0f) << 16);
    const b = (mid >>> 4) | ((from[at + 3] ?? 0) << 4) | ((from[at + 4] ?? 0) << 12);
    for (let k = 0; k < 4; k++) {
      to[pos + k] = 97 + ((a >>> (15 - 5 * k)) & 31);
      to[pos + 4 + k] = 97 + ((b >>> (15 - 5 * k)) & 31);
    }
  }
}
