// key_table: the instance-log KEY of every position with a commit line (state.ts `keys`,
// docs/protocols/traft.md §7.3), kept as bytes. It is the one thing a replica keeps per position
// for the whole run (a lagging rank's InstallSnapshot carries the KEYs from its frontier, which
// may be 0): as a string[] that was a V8 string and a slot per position (~56 B; ~117 B on a
// follower, whose KEYs were slices of msgpack's decoded strings, each keeping its parent alive),
// tens of MiB of old-generation heap by 60 s at -l 10000, traced by every full GC. Here a KEY
// costs its UTF-8 bytes plus a 4-byte end offset, outside the JS heap.
import { assert } from '../../runtime/assert.js';

/** CHUNK_BYTES: KEY bytes are appended to chunks of this size, so growing never copies them. */
const CHUNK_BYTES = 1 << 20;
/** A KEY longer than this (never the lab's 32 letters; possible for a client's) is kept as a string. */
const MAX_PACKED = 1024;
/** END_LIMIT: ends are u32 byte offsets; a run with 4 GiB of KEYs would need a wider table. */
const END_LIMIT = 2 ** 32 - CHUNK_BYTES;

/**
 * KeyTable is an append-only list of strings (KEY of position p at index p). Each KEY's bytes
 * lie inside one chunk: one that does not fit the current chunk's rest starts the next chunk.
 * `ends[p]` is the end of p's bytes in the concatenation of the chunks; p's bytes start at
 * `ends[p-1]`, or at the start of the chunk holding its end when it moved to a new chunk.
 */
export class KeyTable {
  private chunks: Buffer[] = [];
  private ends = new Uint32Array(1024);
  private n = 0;
  /** long: the rare KEYs over MAX_PACKED bytes, by position (their bytes in the table are none). */
  private readonly long = new Map<number, string>();

  /** from builds a table holding `keys` in order. */
  static from(keys: Iterable<string>): KeyTable {
    const t = new KeyTable();
    for (const k of keys) t.push(k);
    return t;
  }

  /**
   * copyOf is a new table holding this one's first n KEYs (all by default), so a restart that
   * starts from an earlier reading of its instance log (~10^5 KEYs) copies bytes instead of
   * pushing every KEY again. Only the last chunk is copied: push writes into the last chunk
   * alone, so the chunks before it never change again and both tables share them.
   */
  copyOf(n: number = this.n): KeyTable {
    assert(Number.isInteger(n) && n >= 0 && n <= this.n, () => `copyOf(${n}) of a table of ${this.n}`);
    const t = new KeyTable();
    const used = this.endOf(n - 1);
    const chunks = n === 0 ? 0 : Math.ceil(used / CHUNK_BYTES);
    for (let c = 0; c < chunks - 1; c++) t.chunks.push(this.chunks[c] as Buffer);
    if (chunks > 0) {
      const last = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      (this.chunks[chunks - 1] as Buffer).copy(last, 0, 0, used - (chunks - 1) * CHUNK_BYTES);
      t.chunks.push(last);
    }
    t.ends = new Uint32Array(Math.max(1024, this.ends.length));
    t.ends.set(this.ends.subarray(0, n));
    t.n = n;
    for (const [p, key] of this.long) if (p < n) t.long.set(p, key);
    return t;
  }

  get length(): number {
    return this.n;
  }

  /** push appends the KEY of position `length`. */
  push(key: string): void {
    if (this.n === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    const prev = this.endOf(this.n - 1);
    const ascii = isShortAscii(key);
    const bytes = ascii ? key.length : Buffer.byteLength(key, 'utf8');
    if (bytes === 0 || bytes > MAX_PACKED) {
      if (bytes > 0) this.long.set(this.n, key);
      this.ends[this.n++] = prev;
      return;
    }
    let start = prev;
    const last = Math.floor(prev / CHUNK_BYTES);
    if (prev + bytes > (last + 1) * CHUNK_BYTES || last === this.chunks.length) {
      start = prev % CHUNK_BYTES === 0 && last === this.chunks.length ? prev : (last + 1) * CHUNK_BYTES;
      this.chunks.push(Buffer.allocUnsafeSlow(CHUNK_BYTES));
    }
    assert(start + bytes <= END_LIMIT, 'the KEY table is full');
    const at = start % CHUNK_BYTES;
    const chunk = this.chunks[this.chunks.length - 1] as Buffer;
    if (ascii) writeAscii(chunk, key, at);
    else if (chunk.write(key, at, 'utf8') !== bytes) assert(false, `KEY ${key} written short`);
    this.ends[this.n++] = start + bytes;
  }

  /** at is the KEY of position p, or undefined at or past length (like an array's index). */
  at(p: number): string | undefined {
    if (!(p >= 0 && p < this.n && Number.isInteger(p))) return undefined;
    const end = this.ends[p] as number;
    const prev = this.endOf(p - 1);
    if (end === prev) return this.long.get(p) ?? '';
    const chunk = Math.floor((end - 1) / CHUNK_BYTES);
    const start = Math.max(prev, chunk * CHUNK_BYTES);
    return (this.chunks[chunk] as Buffer).toString('utf8', start - chunk * CHUNK_BYTES, end - chunk * CHUNK_BYTES);
  }

  /** slice is the KEYs of [from, to) as strings (a snapshot's or a shipment's run). */
  slice(from: number, to: number = this.n): string[] {
    const out: string[] = [];
    for (let p = Math.max(0, from); p < Math.min(to, this.n); p++) out.push(this.at(p) as string);
    return out;
  }

  private endOf(p: number): number {
    return p < 0 ? 0 : (this.ends[p] as number);
  }
}

/**
 * isShortAscii: every code unit of `key` is below 0x80 (so its UTF-8 is one byte per unit) and
 * it fits a packed slot. A restart pushes every logged KEY again (~100 restarts of ranks with
 * 10^5 KEYs in a long simulated run): Buffer.byteLength and Buffer.write are two calls into
 * native code per KEY, where the lab's 32 ASCII letters take a loop of 32 loads.
 */
function isShortAscii(key: string): boolean {
  if (key.length > MAX_PACKED) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** writeAscii copies an isShortAscii KEY into `buf` at `at`, a byte per code unit (its UTF-8). */
function writeAscii(buf: Buffer, key: string, at: number): void {
  for (let i = 0; i < key.length; i++) buf[at + i] = key.charCodeAt(i);
}
