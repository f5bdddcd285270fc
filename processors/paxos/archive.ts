// archive: a rank's whole committed log, read back from its own instance log, for catch-up of
// a rank further behind than the in-memory CommitWindow reaches (docs/protocols/paxos.md §6.4).
// The instance log is append-only and holds a `commit` line for every entry this rank committed,
// in estround order, so the commit lines above any estround are exactly its committed log above
// it: chosen entries only, complete up to the last one read. Because those lines are sorted, a
// read finds where to start by bisecting the file, not by scanning it from the top.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Entry } from './messages.js';

/** CommitSource lists this rank's committed entries above `after`, lowest first, at most `max`. */
export type CommitSource = (after: number, max: number) => Entry[];

/** ByteReader reads up to `len` bytes of the log at `pos` as latin1 text (fewer only at the end; '' past it). */
export type ByteReader = (pos: number, len: number) => string;

const READ_BLOCK = 1 << 20;
/** PROBE_BLOCK: bytes a bisection probe reads at a time (a line is under 100). */
const PROBE_BLOCK = 1 << 14;
/** SEEK_SPAN: the bisection stops once the start is known within this many bytes; the read scans them. */
const SEEK_SPAN = 1 << 16;
const COMMIT_PREFIX = 'commit Instance[';
const KEY_LEN = 32;
const SEQ_INFIX = '] in seq ';

export class CommitArchive {
  /**
   * next: where the last read stopped (the line after the last entry it returned, and that
   * entry's estround). A rank caught up chunk by chunk asks above exactly that entry next.
   */
  private nextAfter = -Infinity;
  private nextOffset = 0;

  /**
   * read reads the log; size is its current length. The log only grows, and lines once written
   * never change, so an offset found once stays true.
   */
  constructor(
    private readonly read: ByteReader,
    private readonly size: () => number,
  ) {}

  /** above: the CommitSource over this log. */
  readonly above: CommitSource = (after, max) => {
    const out: Entry[] = [];
    const size = this.size();
    let pos = after === this.nextAfter ? this.nextOffset : this.seek(after, size);
    while (out.length < max && pos < size) {
      // Each block starts at a line: a line cut at the block's end is read again with the
      // next one (joining the two strings cost a copy of the block and slowed every search in it).
      const text = this.read(pos, Math.min(READ_BLOCK, size - pos));
      const end = text.lastIndexOf('\n') + 1;
      if (end === 0) break; // no whole line left: the log ends in a line being written
      for (let i = 0; i < end && out.length < max;) {
        const nl = text.indexOf('\n', i);
        const e = commitEstround(text, i);
        if (e > after) {
          const k = i + COMMIT_PREFIX.length;
          out.push([e, text.slice(k, k + KEY_LEN)]);
          this.nextAfter = e;
          this.nextOffset = pos + nl + 1;
        }
        i = nl + 1;
      }
      pos += end;
    }
    return out;
  };

  /**
   * seek: an offset of a line start at or below the first commit line above `after`, within
   * about SEEK_SPAN of it. Scanning from the top each time a new leader first served a
   * far-behind rank read its whole log, over 100 MB at `-l 1000000`, inside the step: the
   * round it led stalled for most of a second (issue 11 hole 3).
   */
  private seek(after: number, size: number): number {
    let lo = 0; // invariant: every commit line above `after` starts at or after lo
    let hi = size;
    while (hi - lo > SEEK_SPAN) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const c = this.firstCommit(mid, hi, size);
      if (c === undefined || c.e > after) hi = mid;
      else lo = c.end;
    }
    return lo;
  }

  /** firstCommit: the first commit line starting in [from, to): its estround and the offset after it. */
  private firstCommit(from: number, to: number, size: number): { e: number; end: number } | undefined {
    let at = from === 0 ? 0 : from - 1; // the offset of text[0]; a line starts after a newline
    let text = '';
    let i = from === 0 ? 0 : -1; // the line being looked at (-1: its start not found yet)
    while (at + text.length < size) {
      const got = this.read(at + text.length, Math.min(PROBE_BLOCK, size - at - text.length));
      if (got === '') return undefined;
      text += got;
      if (i < 0) {
        const nl = text.indexOf('\n');
        if (nl < 0) continue;
        i = nl + 1;
      }
      for (;;) {
        if (at + i >= to) return undefined;
        const nl = text.indexOf('\n', i);
        if (nl < 0) break; // the line goes on in the next block
        const e = commitEstround(text, i);
        if (e >= 0) return { e, end: at + nl + 1 };
        i = nl + 1;
      }
      text = text.slice(i); // keep only the unfinished line
      at += i;
      i = 0;
    }
    return undefined;
  }
}

/** commitEstround: the estround of the commit line starting at text[i], or -1 for any other line. */
function commitEstround(text: string, i: number): number {
  if (!text.startsWith(COMMIT_PREFIX, i)) return -1;
  const s = i + COMMIT_PREFIX.length + KEY_LEN + SEQ_INFIX.length;
  return Number(text.slice(s, text.indexOf(' ', s)));
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
