// archive: a rank's whole committed log, read back from its own instance log, for catch-up of
// a rank further behind than the in-memory CommitWindow reaches (docs/protocols/paxos.md §6.4).
// The instance log is append-only and holds a `commit` line for every entry this rank committed,
// in estround order, so the commit lines above any estround are exactly its committed log above
// it: chosen entries only, complete up to the last one read. A sparse index of byte offsets,
// built as reads pass over the log, lets a later read start near the estround asked for.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Entry } from './messages.js';

/** CommitSource lists this rank's committed entries above `after`, lowest first, at most `max`. */
export type CommitSource = (after: number, max: number) => Entry[];

/** ByteReader reads up to `len` bytes of the log at `pos` as latin1 text ('' at the end). */
export type ByteReader = (pos: number, len: number) => string;

/** MARK_EVERY: commits between two index marks (a read scans at most this many extra). */
const MARK_EVERY = 4096;
const READ_BLOCK = 1 << 20;
const COMMIT_PREFIX = 'commit Instance[';
const KEY_LEN = 32;
const SEQ_INFIX = '] in seq ';

export class CommitArchive {
  /** marks[i]: every commit line with estround > afters[i] starts at or after offsets[i]. */
  private readonly afters: number[] = [-1];
  private readonly offsets: number[] = [0];
  /** indexedTo: the marks cover the log up to this offset; lastIndexed: the last commit below it; sinceMark: commits since the last mark. */
  private indexedTo = 0;
  private lastIndexed = -1;
  private sinceMark = 0;

  /**
   * read reads the log; size is its current length. The log only grows, and lines once written
   * never change, so the index built as reads pass over the log stays true (it is built as the
   * log is read back, not as it is written: the core reads, the driver writes).
   */
  constructor(
    private readonly read: ByteReader,
    private readonly size: () => number,
  ) {}

  /** above: the CommitSource over this log. */
  readonly above: CommitSource = (after, max) => {
    const out: Entry[] = [];
    let pos = this.offsets[this.markBefore(after)] ?? 0;
    const size = this.size();
    let carry = '';
    while (out.length < max && pos < size) {
      const text = carry + this.read(pos, Math.min(READ_BLOCK, size - pos));
      if (text.length === carry.length) break; // the file ended early: nothing more to read
      const at = pos - carry.length; // the offset of text[0]
      pos += text.length - carry.length;
      const end = text.lastIndexOf('\n') + 1;
      carry = text.slice(end);
      for (let i = 0; i < end && out.length < max;) {
        const nl = text.indexOf('\n', i);
        if (text.startsWith(COMMIT_PREFIX, i)) {
          const k = i + COMMIT_PREFIX.length;
          const s = k + KEY_LEN + SEQ_INFIX.length;
          const e = Number(text.slice(s, text.indexOf(' ', s)));
          this.index(at + i, at + nl + 1, e);
          if (e > after) out.push([e, text.slice(k, k + KEY_LEN)]);
        }
        i = nl + 1;
      }
    }
    return out;
  };

  /** index records the commit line of estround e at [start, end) if it is past what the marks cover. */
  private index(start: number, end: number, e: number): void {
    if (start < this.indexedTo) return;
    if (this.sinceMark >= MARK_EVERY) {
      this.afters.push(this.lastIndexed);
      this.offsets.push(start);
      this.sinceMark = 0;
    }
    this.lastIndexed = e;
    this.sinceMark++;
    this.indexedTo = end;
  }

  /** markBefore is the last mark whose estround ≤ after (binary search; mark 0 is -1). */
  private markBefore(after: number): number {
    let lo = 0;
    let hi = this.afters.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- 0 < mid ≤ hi < length
      if (this.afters[mid]! <= after) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** fileReader reads a log file by position; the file is opened per read (rare: a far-behind rank). */
export function fileReader(path: string): ByteReader {
  return (pos, len) => {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
  };
}

/** fileSize is a log file's current length (0 if it does not exist yet). */
export function fileSize(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}
