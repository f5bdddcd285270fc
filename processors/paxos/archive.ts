// archive: a rank's whole committed log, read back from its own instance log, for catch-up of
// a rank further behind than the in-memory CommitWindow reaches (docs/protocols/paxos.md §6.4).
// The instance log is append-only and holds a `commit` line for every entry this rank committed,
// in estround order, so the commit lines above any estround are exactly its committed log above
// it: chosen entries only, complete up to the last one read. Because those lines are sorted, a
// read finds where to start by bisecting the file, not by scanning it from the top.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { assert } from '../../runtime/assert.js';
import type { Entry } from './messages.js';

/** CommitSource lists this rank's committed entries above `after`, lowest first, at most `max`. */
export type CommitSource = (after: number, max: number) => Entry[];

/** ByteReader reads up to `len` bytes of the log at `pos` (fewer only at the end; none past it), valid until its next read. */
export type ByteReader = (pos: number, len: number) => Buffer;

const READ_BLOCK = 1 << 20;
/** PROBE_BLOCK: bytes a bisection probe reads at a time (a line is under 100). */
const PROBE_BLOCK = 1 << 14;
/** SEEK_SPAN: the bisection stops once the start is known within this many bytes; the read scans them. */
const SEEK_SPAN = 1 << 16;
const NEWLINE = 0x0a;
const COMMIT_HEAD = Buffer.from('commit Instance[', 'latin1');
const KEY_LEN = 32;
/** SEQ_AT: from a commit line's start to its estround's first digit (`commit Instance[KEY] in seq `). */
const SEQ_AT = COMMIT_HEAD.length + KEY_LEN + '] in seq '.length;

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

  /**
   * above: the CommitSource over this log. It works on the bytes: only each entry's KEY becomes
   * a string (a served chunk cost ~2 us of CPU per entry when every block was decoded to text,
   * four times what serving from the window costs, and it is the round's leader that serves).
   */
  readonly above: CommitSource = (after, max) => {
    const out: Entry[] = [];
    const size = this.size();
    let pos = after === this.nextAfter ? this.nextOffset : this.seek(after, size);
    while (out.length < max && pos < size) {
      // Each block starts at a line; a line cut at its end is read again with the next one.
      const buf = this.read(pos, Math.min(READ_BLOCK, size - pos));
      const end = buf.lastIndexOf(NEWLINE) + 1;
      if (end === 0) break; // no whole line left: the log ends in a line being written
      for (let i = 0; i < end && out.length < max;) {
        const nl = buf.indexOf(NEWLINE, i);
        const e = commitEstround(buf, i);
        if (e > after) {
          // seek's bisection is only right over commit lines in estround order (follower.commitEntry's)
          assert(out.length === 0 || e > (out.at(-1)?.[0] ?? -1), `instance log: commit ${e} after a higher one`);
          const k = i + COMMIT_HEAD.length;
          out.push([e, buf.toString('latin1', k, k + KEY_LEN)]);
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
    let pos = from === 0 ? 0 : from - 1; // a line starts after a newline: read from the byte before
    let atLine = from === 0; // whether buf[0] starts a line
    while (pos < size && pos < to) {
      const buf = this.read(pos, Math.min(PROBE_BLOCK, size - pos));
      const end = buf.lastIndexOf(NEWLINE) + 1;
      if (end === 0) return undefined; // no whole line left
      let i = atLine ? 0 : buf.indexOf(NEWLINE) + 1;
      atLine = true;
      for (; i < end;) {
        if (pos + i >= to) return undefined;
        const nl = buf.indexOf(NEWLINE, i);
        const e = commitEstround(buf, i);
        if (e >= 0) return { e, end: pos + nl + 1 };
        i = nl + 1;
      }
      pos += end;
    }
    return undefined;
  }
}

/** commitEstround: the estround of the commit line starting at buf[i], or -1 for any other line. */
function commitEstround(buf: Buffer, i: number): number {
  for (let j = 0; j < COMMIT_HEAD.length; j++) if (buf[i + j] !== COMMIT_HEAD[j]) return -1;
  let e = 0;
  let k = i + SEQ_AT;
  for (let c = buf[k] ?? 0; c >= 0x30 && c <= 0x39; c = buf[++k] ?? 0) e = e * 10 + (c - 0x30);
  return k > i + SEQ_AT ? e : -1;
}

/**
 * fileReader reads a log file by position; the file is opened per read (rare: a far-behind
 * rank). One buffer serves every read: a fresh megabyte per read was most of the collector's
 * work while serving.
 */
export function fileReader(path: string): ByteReader {
  let buf = Buffer.alloc(0);
  return (pos, len) => {
    if (buf.length < len) buf = Buffer.allocUnsafe(len);
    const fd = openSync(path, 'r');
    try {
      return buf.subarray(0, readSync(fd, buf, 0, len, pos));
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
