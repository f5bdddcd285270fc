// key_table: the instance-log KEY of every position with a commit line (state.ts `keys`,
// docs/protocols/traft.md §7.3), kept as bytes. It is the one thing a replica keeps per position
// for the whole run (a lagging rank's InstallSnapshot carries the KEYs from its frontier, which
// may be 0): as a string[] that was a V8 string and a slot per position (~56 B; ~117 B on a
// follower, whose KEYs were slices of msgpack's decoded strings, each keeping its parent alive).
// Here a KEY costs its UTF-8 bytes plus a 4-byte end offset, outside the JS heap, in blocks of
// BLOCK_KEYS positions. A real rank also hands the table a KeyArchive (its spill file, key_spill.ts):
// full blocks older than the last HOT_BLOCKS go there, and the rare reads below them (a snapshot
// for a rank far behind) read them back, so the table's memory stays bounded over a long run.
import { assert } from '../../runtime/assert.js';

/** BLOCK_SHIFT: a block holds 2^15 positions (~1.2 MiB of ends and 32-letter lab KEYs). */
const BLOCK_SHIFT = 15;
export const BLOCK_KEYS = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK_KEYS - 1;
/**
 * HOT_BLOCKS: full blocks kept in memory behind the one being filled, ≥ 32,768 positions: the
 * step's own reads (a snapshot's KEYs since the previous floor, commit lines below a just
 * installed floor) stay within a few `snapshotEvery` (10,000) of the frontier.
 */
const HOT_BLOCKS = 2;
/** COLD_CACHE: blocks read back and kept: a shipment reads its KEYs in order, a few blocks apart at most. */
const COLD_CACHE = 2;
/** FIRST_BYTES: a first block's byte capacity; later ones start from their predecessor's size. */
const FIRST_BYTES = 1 << 16;
const END_BYTES = 4 * BLOCK_KEYS;

/**
 * KeyArchive keeps spilled blocks: `put` is called once per block index, in increasing order,
 * with bytes that never change; `get` returns them. The core never does I/O of its own: a real
 * rank's driver injects a file (key_spill.ts); without one (the simulator, tests) every block
 * stays in memory.
 */
export interface KeyArchive {
  put(index: number, data: Buffer): void;
  get(index: number): Buffer;
}

/** KeyBlock: KEYs of BLOCK_KEYS positions; `ends[i]` is the end of the i-th KEY's bytes in `bytes`, its start `ends[i-1]` (0 for the first). */
interface KeyBlock {
  bytes: Buffer;
  used: number;
  readonly ends: Uint32Array;
}

/**
 * KeyTable is an append-only list of strings (KEY of position p at index p), in blocks of
 * BLOCK_KEYS positions. Only the last block is ever written: the others are immutable, so copies
 * share them and an archive may hold them.
 */
export class KeyTable {
  /** blocks: by index; null once spilled to `archive`. */
  private blocks: (KeyBlock | null)[] = [];
  private n = 0;
  private archive: KeyArchive | undefined;
  /** spilled: blocks below it are in the archive. */
  private spilled = 0;
  private cold: { index: number; block: KeyBlock }[] = [];

  /** from builds a table holding `keys` in order. */
  static from(keys: Iterable<string>): KeyTable {
    const t = new KeyTable();
    for (const k of keys) t.push(k);
    return t;
  }

  /**
   * copyOf is a new table holding this one's first n KEYs (all by default), so a restart that
   * starts from an earlier reading of its instance log (~10^5 KEYs) copies bytes instead of
   * pushing every KEY again. Full blocks are shared; the one holding position n−1, if part
   * full in the copy, is copied. A spilling table is a rank's own and never copied.
   */
  copyOf(n: number = this.n): KeyTable {
    assert(Number.isInteger(n) && n >= 0 && n <= this.n, () => `copyOf(${n}) of a table of ${this.n}`);
    assert(this.archive === undefined, 'a table that spills to an archive is not copied');
    const t = new KeyTable();
    const full = n >>> BLOCK_SHIFT;
    for (let b = 0; b < full; b++) t.blocks.push(this.blocks[b] as KeyBlock);
    const rest = n & BLOCK_MASK;
    if (rest > 0) {
      const from = this.blocks[full] as KeyBlock;
      const used = from.ends[rest - 1] as number;
      const block = newBlock(Math.max(FIRST_BYTES, from.bytes.length));
      from.bytes.copy(block.bytes, 0, 0, used);
      block.ends.set(from.ends.subarray(0, rest));
      block.used = used;
      t.blocks.push(block);
    }
    t.n = n;
    return t;
  }

  get length(): number {
    return this.n;
  }

  /**
   * spillTo hands the table the rank's archive: full blocks older than the last HOT_BLOCKS go
   * there now and as the table grows.
   */
  spillTo(archive: KeyArchive): void {
    assert(this.archive === undefined, 'a KEY table has one archive');
    this.archive = archive;
    this.spillCold();
  }

  /** push appends the KEY of position `length`. */
  push(key: string): void {
    const i = this.n & BLOCK_MASK;
    if (i === 0) {
      const prev = this.blocks[this.blocks.length - 1];
      this.blocks.push(newBlock(prev ? prev.used + (prev.used >>> 3) : FIRST_BYTES));
      this.spillCold();
    }
    const block = this.blocks[this.blocks.length - 1] as KeyBlock;
    const ascii = isAscii(key);
    const bytes = ascii ? key.length : Buffer.byteLength(key, 'utf8');
    const at = block.used;
    assert(at + bytes < 2 ** 32, 'a KEY block is full');
    if (at + bytes > block.bytes.length) grow(block, at + bytes);
    if (ascii) writeAscii(block.bytes, key, at);
    else if (block.bytes.write(key, at, 'utf8') !== bytes) assert(false, `KEY ${key} written short`);
    block.used = at + bytes;
    block.ends[i] = block.used;
    this.n++;
  }

  /** at is the KEY of position p, or undefined at or past length (like an array's index). */
  at(p: number): string | undefined {
    if (!(p >= 0 && p < this.n && Number.isInteger(p))) return undefined;
    const b = p >>> BLOCK_SHIFT;
    const block = this.blocks[b] ?? this.coldBlock(b);
    const i = p & BLOCK_MASK;
    const start = i === 0 ? 0 : (block.ends[i - 1] as number);
    const end = block.ends[i] as number;
    return end === start ? '' : block.bytes.toString('utf8', start, end);
  }

  /** slice is the KEYs of [from, to) as strings (a snapshot's or a shipment's run). */
  slice(from: number, to: number = this.n): string[] {
    const out: string[] = [];
    for (let p = Math.max(0, from); p < Math.min(to, this.n); p++) out.push(this.at(p) as string);
    return out;
  }

  /**
   * release empties the table (length 0), letting go of its blocks: a reading of the instance log
   * that a spilling table was copied from (protocol.ts init), never a replica's own table.
   */
  release(): void {
    assert(this.archive === undefined, 'a spilling table is a replica’s own and is not released');
    this.blocks = [];
    this.cold = [];
    this.n = 0;
  }

  /** inMemoryBlocks: blocks the table holds (hot, being filled, or read back), for tests and the rank's summary. */
  inMemoryBlocks(): number {
    return this.blocks.length - this.spilled + this.cold.length;
  }

  /** spillCold moves full blocks older than the last HOT_BLOCKS to the archive, if there is one. */
  private spillCold(): void {
    const archive = this.archive;
    if (archive === undefined) return;
    for (; this.spilled < this.blocks.length - 1 - HOT_BLOCKS; this.spilled++) {
      const block = this.blocks[this.spilled] as KeyBlock;
      archive.put(this.spilled, encodeBlock(block));
      this.blocks[this.spilled] = null;
    }
  }

  /** coldBlock reads back spilled block b (the last COLD_CACHE such reads are kept). */
  private coldBlock(b: number): KeyBlock {
    const hit = this.cold.find((c) => c.index === b);
    if (hit !== undefined) return hit.block;
    assert(this.archive !== undefined && b < this.spilled, () => `KEY block ${b} is neither in memory nor spilled`);
    const block = decodeBlock(this.archive.get(b));
    this.cold.push({ index: b, block });
    if (this.cold.length > COLD_CACHE) this.cold.shift();
    return block;
  }
}

function newBlock(capacity: number): KeyBlock {
  return { bytes: Buffer.allocUnsafeSlow(capacity), used: 0, ends: new Uint32Array(BLOCK_KEYS) };
}

/** grow gives `block` room for `need` bytes (doubling: a long KEY is rare, a lab block's first size is its predecessor's). */
function grow(block: KeyBlock, need: number): void {
  const bytes = Buffer.allocUnsafeSlow(Math.max(need, 2 * block.bytes.length));
  block.bytes.copy(bytes, 0, 0, block.used);
  block.bytes = bytes;
}

/** encodeBlock: a full block as its ends (this process's byte order: the archive is private to it) then its KEY bytes. */
function encodeBlock(block: KeyBlock): Buffer {
  const data = Buffer.allocUnsafeSlow(END_BYTES + block.used);
  data.set(new Uint8Array(block.ends.buffer, block.ends.byteOffset, END_BYTES), 0);
  block.bytes.copy(data, END_BYTES, 0, block.used);
  return data;
}

function decodeBlock(data: Buffer): KeyBlock {
  assert(data.length >= END_BYTES, () => `a spilled KEY block of ${data.length} bytes`);
  const ends = new Uint32Array(BLOCK_KEYS);
  new Uint8Array(ends.buffer).set(data.subarray(0, END_BYTES));
  const used = ends[BLOCK_MASK] as number;
  assert(
    data.length === END_BYTES + used,
    () => `a spilled KEY block's bytes (${data.length - END_BYTES}) do not match its ends (${used})`,
  );
  return { bytes: data.subarray(END_BYTES), used, ends };
}

/**
 * isAscii: every code unit of `key` is below 0x80, so its UTF-8 is one byte per unit. A restart
 * pushes every logged KEY again (~100 restarts of ranks with 10^5 KEYs in a long simulated run):
 * Buffer.byteLength and Buffer.write are two calls into native code per KEY, where the lab's 32
 * ASCII letters take a loop of 32 loads.
 */
function isAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** writeAscii copies an isAscii KEY into `buf` at `at`, a byte per code unit (its UTF-8). */
function writeAscii(buf: Buffer, key: string, at: number): void {
  for (let i = 0; i < key.length; i++) buf[at + i] = key.charCodeAt(i);
}
