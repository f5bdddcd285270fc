// lines: a streaming line reader over one file. Memory is one fixed buffer however big the file
// or its lines are: a log may be gigabytes, end in a truncated line, use CRLF, or be binary.
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** DEFAULT_MAX_LINE_BYTES bounds one line; longer lines are skipped (an instance line is ~100 B). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** LineSink receives a file's lines in order; lineNo counts from 1, as editors do. */
export interface LineSink {
  /** line gets one line without its `\n` or `\r\n`. */
  line(text: string, lineNo: number): void;
  /** overlong is told of a line longer than the limit, which was discarded unread. */
  overlong(lineNo: number): void;
}

/** ReadSummary describes the file as a whole. */
export interface ReadSummary {
  /** lines is how many lines the file has (an unterminated last line counts). */
  readonly lines: number;
  /** unterminated: the file does not end in a newline, so its last line may be cut short. */
  readonly unterminated: boolean;
}

/** FileKindError is thrown for a path that is not a regular file; code mirrors Node's errors. */
export class FileKindError extends Error {
  readonly code = 'EISDIR';
  constructor(readonly path: string) {
    super(`${path}: is a directory`);
    this.name = 'FileKindError';
  }
}

const NEWLINE = 0x0a;

/** FIRST_BUFFER_BYTES: the least buffer; a file that grows while read widens it as a line needs. */
const FIRST_BUFFER_BYTES = 1 << 16;

/**
 * readLines streams the file at path into sink, through one buffer of maxLineBytes + 1 (less for
 * a smaller file; it widens if the file grows under it). Bytes are split on `\n` before decoding (it
 * never occurs inside a UTF-8 sequence), then each run of whole lines is decoded as one
 * string. A line that cannot fit the buffer (maxLineBytes + its newline) is reported as
 * overlong and skipped to its end without being kept. Errors opening or reading the file
 * (ENOENT, EACCES, EISDIR…) are thrown as Node's errors, with `path` set.
 */
export async function readLines(path: string, sink: LineSink, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<ReadSummary> {
  checkLimit(maxLineBytes);
  const file = await open(path, 'r').catch((e: unknown) => withPath(e, path));
  try {
    const split = new LineSplitter(await file.stat(), path, maxLineBytes, sink);
    for (;;) {
      const { bytesRead } = await file.read(split.buf, split.kept, split.buf.length - split.kept, null);
      if (bytesRead === 0) return split.finish();
      split.took(bytesRead);
    }
  } catch (e) {
    return withPath(e, path);
  } finally {
    await file.close();
  }
}

/**
 * readLinesSync is readLines without the event loop: for a command that reads many small files
 * one after another (`check --lin`), each open, stat and read would otherwise wait for the thread
 * pool — most of the wall time of a hundred small histories on a busy machine.
 */
export function readLinesSync(path: string, sink: LineSink, maxLineBytes = DEFAULT_MAX_LINE_BYTES): ReadSummary {
  checkLimit(maxLineBytes);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return withPath(e, path);
  }
  try {
    const split = new LineSplitter(fstatSync(fd), path, maxLineBytes, sink);
    for (;;) {
      const bytesRead = readSync(fd, split.buf, split.kept, split.buf.length - split.kept, null);
      if (bytesRead === 0) return split.finish();
      split.took(bytesRead);
    }
  } catch (e) {
    return withPath(e, path);
  } finally {
    closeSync(fd);
  }
}

function checkLimit(maxLineBytes: number): void {
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1)
    throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
}

function withPath(e: unknown, path: string): never {
  if (e && typeof e === 'object' && !('path' in e)) (e as { path?: string }).path = path;
  throw e;
}

/** LineSplitter is the reader's buffer: reads land at buf[kept…], whole lines go to the sink. */
class LineSplitter {
  buf: Buffer;
  /** kept: bytes of an unfinished line at buf[0, kept). */
  kept = 0;
  /** skipping: inside an overlong line, discarding up to its newline. */
  private skipping = false;
  private lineNo = 0;

  constructor(
    stat: Stats,
    path: string,
    private readonly maxLineBytes: number,
    private readonly sink: LineSink,
  ) {
    // open(2) succeeds on a directory; say so now rather than fail at the first read.
    if (stat.isDirectory()) throw new FileKindError(path);
    // A small file gets a small buffer (a hundred histories in one call, each read by its own).
    this.buf = Buffer.allocUnsafe(Math.min(Math.max(FIRST_BUFFER_BYTES, stat.size + 1), maxLineBytes + 1));
  }

  took(bytesRead: number): void {
    const buf = this.buf;
    const end = this.kept + bytesRead;
    let from = 0;
    if (this.skipping) {
      const nl = buf.indexOf(NEWLINE, 0);
      if (nl < 0 || nl >= end) return; // kept stays 0: the whole read was the overlong line
      from = nl + 1;
      this.skipping = false;
    }
    const last = buf.lastIndexOf(NEWLINE, end - 1);
    if (last >= from) {
      this.lineNo = emitLines(buf.toString('utf8', from, last), this.lineNo, this.sink);
      from = last + 1;
    }
    const unfinished = end - from;
    if (unfinished === buf.length && buf.length <= this.maxLineBytes) {
      // A line longer than the buffer but within the limit: widen the buffer and read on.
      this.buf = Buffer.allocUnsafe(Math.min(2 * buf.length, this.maxLineBytes + 1));
      buf.copy(this.buf, 0, from, end);
      this.kept = unfinished;
    } else if (unfinished === buf.length) {
      this.sink.overlong(++this.lineNo);
      this.skipping = true;
      this.kept = 0;
    } else {
      buf.copy(buf, 0, from, end);
      this.kept = unfinished;
    }
  }

  finish(): ReadSummary {
    if (this.kept > 0) this.lineNo = emitLines(this.buf.toString('utf8', 0, this.kept), this.lineNo, this.sink);
    return { lines: this.lineNo, unterminated: this.kept > 0 || this.skipping };
  }
}

/** emitLines hands each `\n`-separated line of text to sink (text holds no trailing newline). */
function emitLines(text: string, lineNo: number, sink: LineSink): number {
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    sink.line(stripCr(text, from, end), ++lineNo);
    if (nl < 0) return lineNo;
    from = nl + 1;
  }
}

/** stripCr drops the `\r` of a CRLF ending; a lone `\r` elsewhere stays part of the line. */
function stripCr(text: string, from: number, end: number): string {
  return text.slice(from, end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
}
