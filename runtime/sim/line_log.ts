// line_log: a simulated rank's instance log, kept as bytes. A long run keeps millions of lines
// to its end (the checker grades them, the files are written from them); as strings each one
// was copied twice by the young-generation collector before it settled in the old one, a third
// of everything the collector copied at `sim --protocol traft -l 10000 -t 600`
// (docs/benchmarks.md, tenth pass). Bytes in chunks outside the JS heap are never copied.
import { assert } from '../assert.js';
import type { LogLines } from '../protocol.js';

/** CHUNK_BYTES: the size of one chunk (a longer line gets a chunk of its own). */
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
/**
 * TEXT_BYTES: how much of a chunk sliced decodes at a time. A string this small is made in the
 * young generation; a whole chunk's (1 MiB) would go to the large-object space, on fresh pages
 * from the kernel each time (page faults on every read of a long run's logs).
 */
const TEXT_BYTES = 32 * 1024;

function isLatin1(line: string): boolean {
  for (let k = 0; k < line.length; k++) if (line.charCodeAt(k) > 0xff) return false;
  return true;
}

/**
 * LogTap is handed each chunk of a log's lines once the chunk is full, while the run goes on (a
 * grader on another thread reads them meanwhile): the chunk's bytes, on a SharedArrayBuffer,
 * are one ASCII line per newline, and how many lines they are. Bytes handed over never change
 * unless the log is `retracted` (a crash cut back into them, or a line was not ASCII); then no
 * more chunks are handed over.
 */
export interface LogTap {
  /** chunkBytes: the chunk size (tests make it small; default 1 MiB). */
  readonly chunkBytes?: number;
  filled(bytes: Uint8Array, lines: number): void;
  /**
   * spare: a fresh chunk of chunkBytes on a SharedArrayBuffer whose pages another thread has
   * already touched, or undefined (the log allocates its own). A chunk's first touch costs the
   * thread that makes it a page fault per page, a large share of writing a long run's logs.
   */
  spare?(): Uint8Array | undefined;
}

/**
 * LineLog holds lines exactly as pushed: a line whose code units are all below 256 as one byte
 * each (followed by a newline, so an ASCII log's chunks are its file's bytes), any other as
 * UTF-16 code units (two bytes each). A line never straddles chunks.
 */
export class LineLog implements LogLines {
  private readonly chunks: Buffer[] = [];
  /** filled: per chunk but the last, the bytes its lines take; used: the last chunk's. */
  private readonly filled: number[] = [];
  private used = 0;
  /** chunk, offset: where line i starts; size: its bytes, negative when two-byte. */
  private chunk = new Uint32Array(1024);
  private offset = new Uint32Array(1024);
  private size = new Int32Array(1024);
  private n = 0;
  /** ascii: every line is ASCII, so the chunks (newlines included) are the file's UTF-8. */
  private ascii = true;
  /** handed: how many lines, all in full chunks, went to the tap. */
  private handed = 0;
  /** retracted: a line already handed to the tap changed, or one could not be: the tap's reading is void. */
  retracted = false;
  private readonly chunkBytes: number;

  constructor(private readonly tap?: LogTap) {
    this.chunkBytes = tap?.chunkBytes ?? CHUNK_BYTES;
    assert(Number.isSafeInteger(this.chunkBytes) && this.chunkBytes > 0, () => `chunk size ${this.chunkBytes}`);
  }

  get length(): number {
    return this.n;
  }

  push(line: string): void {
    const len = line.length;
    const buf = this.room(3 * len + 1); // UTF-8 takes at most 3 bytes per UTF-16 unit
    const at = this.used;
    // One native call for the usual line: UTF-8 as long as the line is ASCII (a JS loop over
    // the units was 2-3 times slower, and a template literal's rope must be flattened first).
    const ascii = buf.write(line, at) === len;
    const wide = !ascii && !isLatin1(line);
    if (wide) buf.write(line, at, 'utf16le');
    else if (!ascii) buf.write(line, at, 'latin1');
    if (!wide) buf[at + len] = NEWLINE;
    if (!ascii) this.noLongerAscii();
    this.used += wide ? 2 * len : len + 1;
    if (this.n === this.size.length) this.grow();
    this.chunk[this.n] = this.chunks.length - 1;
    this.offset[this.n] = at;
    this.size[this.n] = wide ? -2 * len : len;
    this.n++;
  }

  /** at: line i as it was pushed (or cut), undefined outside [0, length), as an array's `at` for i ≥ 0. */
  at(i: number): string | undefined {
    if (!(i >= 0 && i < this.n)) return undefined;
    const buf = this.chunks[this.chunk[i] as number] as Buffer;
    const at = this.offset[i] as number;
    const size = this.size[i] as number;
    return size >= 0 ? buf.toString('latin1', at, at + size) : buf.toString('utf16le', at, at - size);
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.n; i++) yield this.at(i) as string;
  }

  /** toArray: every line as a string (tests, and callers that want an array; a long run's log is millions of them). */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.at(i) as string);
    return out;
  }

  /** cutLast keeps the last line's first `units` UTF-16 code units (a write cut short). */
  cutLast(units: number): void {
    const i = this.n - 1;
    assert(i >= 0, 'no line to cut');
    const size = this.size[i] as number;
    const len = size >= 0 ? size : -size / 2;
    assert(Number.isInteger(units) && units >= 0 && units <= len, () => `cut at ${units} of ${len} units`);
    if (i < this.handed) this.retracted = true;
    const buf = this.chunks[this.chunks.length - 1] as Buffer;
    const at = this.offset[i] as number;
    if (size >= 0) {
      buf[at + units] = NEWLINE;
      this.size[i] = units;
      this.used = at + units + 1;
    } else {
      this.size[i] = -2 * units;
      this.used = at + 2 * units;
    }
  }

  /**
   * pop drops the last line (a restart cuts a torn one). A chunk it leaves empty is dropped too,
   * so the last line, if any, is always in the last chunk (cutLast and the next push rely on it).
   */
  pop(): void {
    assert(this.n > 0, 'no line to pop');
    this.n--;
    this.used = this.offset[this.n] as number;
    if (this.used === 0 && this.chunks.length > 1) {
      this.retracted ||= this.tap !== undefined; // the chunk before, handed over, would take lines again
      this.chunks.pop();
      this.used = this.filled.pop() as number;
    }
  }

  /**
   * fileBytes: the log as its file's bytes (UTF-8, a newline after each line but, when
   * `terminated` is false, the last), in pieces to write in order; undefined unless every line
   * is ASCII (then the caller writes the lines itself). Lines fill each chunk from its start.
   */
  fileBytes(terminated: boolean): Buffer[] | undefined {
    if (!this.ascii) return undefined;
    const pieces = this.chunks.map((c, k) => c.subarray(0, k < this.filled.length ? this.filled[k] : this.used));
    if (terminated || this.n === 0) return pieces;
    const last = pieces.length - 1; // the last line's chunk (pop drops a chunk it empties)
    const piece = pieces[last] as Buffer;
    pieces[last] = piece.subarray(0, piece.length - 1);
    return pieces;
  }

  /**
   * sliced: every line from line `from` on, as slices of its chunk's text decoded once (cheaper
   * than a string per line), for a reader that copies whatever it keeps: a kept slice keeps its
   * chunk's text. The log must not change during the read (a chunk's text is decoded once and reused).
   */
  *sliced(from = 0): IterableIterator<string> {
    let text = '';
    let textChunk = -1;
    let textAt = 0; // where text starts in its chunk
    for (let i = Math.max(0, from); i < this.n; i++) {
      const size = this.size[i] as number;
      const c = this.chunk[i] as number;
      const at = this.offset[i] as number;
      if (size < 0) {
        yield this.at(i) as string;
        continue;
      }
      if (c !== textChunk || at < textAt || at + size > textAt + text.length) {
        const end = c < this.filled.length ? (this.filled[c] as number) : this.used;
        text = (this.chunks[c] as Buffer).toString('latin1', at, Math.min(end, at + Math.max(size, TEXT_BYTES)));
        textChunk = c;
        textAt = at;
      }
      yield text.slice(at - textAt, at - textAt + size);
    }
  }

  /**
   * unhanded: the lines not handed to the tap, as the bytes a tap is handed (ASCII, a newline
   * after each), and how many; undefined when the tap's reading is void (retracted).
   */
  unhanded(): { readonly bytes: Uint8Array; readonly lines: number } | undefined {
    if (this.retracted) return undefined;
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined || this.n === this.handed) return { bytes: new Uint8Array(0), lines: 0 };
    // Lines never straddle chunks and full chunks are handed over: the rest are the last chunk's.
    assert(this.chunk[this.handed] === this.chunks.length - 1, 'every line but the last chunk was handed over');
    return { bytes: last.subarray(0, this.used), lines: this.n - this.handed };
  }

  /** room: the chunk the next `bytes` go into, opening one when the last is too full. */
  private room(bytes: number): Buffer {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && this.used + bytes <= last.length) return last;
    if (last !== undefined) {
      this.filled.push(this.used);
      this.handOver(last);
    }
    const size = Math.max(this.chunkBytes, bytes);
    const chunk = this.spareChunk(size) ?? Buffer.allocUnsafeSlow(size);
    this.chunks.push(chunk);
    this.used = 0;
    return chunk;
  }

  /** spareChunk: the tap's spare (shared, its pages touched), if it has one of this size. */
  private spareChunk(size: number): Buffer | undefined {
    const spare = size === this.chunkBytes ? this.tap?.spare?.() : undefined;
    if (spare === undefined) return undefined;
    assert(spare.length === size && spare.buffer instanceof SharedArrayBuffer, () => `a spare chunk of ${spare.length} bytes`);
    return Buffer.from(spare.buffer, spare.byteOffset, spare.length);
  }

  /**
   * handOver gives the tap a chunk that just filled up: every line from handed on is in it. A
   * chunk of the log's own (before the tap had spares) is handed as a shared copy: a run too
   * short to fill a chunk never makes shared memory, whose every allocation costs more.
   */
  private handOver(chunk: Buffer): void {
    if (this.tap === undefined || this.retracted) return;
    const lines = this.n - this.handed;
    this.handed = this.n;
    const bytes = chunk.subarray(0, this.used);
    if (bytes.buffer instanceof SharedArrayBuffer) return this.tap.filled(bytes, lines);
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    this.tap.filled(shared, lines);
  }

  private noLongerAscii(): void {
    this.ascii = false;
    if (this.tap !== undefined) this.retracted = true;
  }

  private grow(): void {
    const n = this.size.length * 2;
    const chunk = new Uint32Array(n);
    chunk.set(this.chunk);
    this.chunk = chunk;
    const offset = new Uint32Array(n);
    offset.set(this.offset);
    this.offset = offset;
    const size = new Int32Array(n);
    size.set(this.size);
    this.size = size;
  }
}
