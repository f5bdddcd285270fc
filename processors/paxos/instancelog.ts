// instancelog: the graded file, <log-dir>/instancelog<rank>.log, holding only the seed's two
// line formats. Writes are synchronous per batch: one syscall for many lines, and a line is
// in the kernel before the next batch is processed, so a SIGKILL loses nothing logged.
import { closeSync, existsSync, openSync, readFileSync, writeSync, fstatSync, ftruncateSync } from 'node:fs';
import type { Entry } from './messages.js';
import type { LogEvent } from './events.js';

/** LogSink receives formatted instance-log text. */
export interface LogSink {
  write(text: string): void;
  close(): void;
}

/** formatLines renders events as `generate|commit Instance[KEY] in seq N at T` lines. */
export function formatLines(events: readonly LogEvent[], atUs: number): string {
  const tail = ` at ${atUs}\n`;
  let text = '';
  for (const ev of events) text += ev.kind + ' Instance[' + ev.key + '] in seq ' + ev.estround + tail;
  return text;
}

/** MemorySink keeps lines in memory (tests, simulations). */
export class MemorySink implements LogSink {
  text = '';
  write(text: string): void {
    this.text += text;
  }
  close(): void {}
  lines(): string[] {
    return this.text.split('\n').filter((l) => l.length > 0);
  }
}

/** FileSink appends to the instance log (truncating first for a fresh incarnation). */
export class FileSink implements LogSink {
  private fd: number;

  constructor(readonly path: string, fresh: boolean) {
    this.fd = openSync(path, fresh ? 'w' : 'a');
    if (!fresh) this.endTornLine();
  }

  write(text: string): void {
    // Instance-log text is ASCII by construction (keys are [a-z]{32}, the rest digits and fixed
    // words), so latin1 encodes it byte for byte, ~6× faster than utf8 for these strings.
    const buf = Buffer.from(text, 'latin1');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** endTornLine drops a partial last line left by a kill mid-write, so ours start clean. */
  private endTornLine(): void {
    const size = fstatSync(this.fd).size;
    if (size === 0) return;
    const text = readFileSync(this.path);
    const lastNewline = text.lastIndexOf(10);
    if (lastNewline !== text.length - 1) ftruncateSync(this.fd, lastNewline + 1);
  }
}

const COMMIT_RE = /commit Instance\[([a-z]{32})\] in seq (\d+) at \d+/;

/**
 * recoverCommitted reads a rank's own instance log back (restart): its committed entries in
 * order. Only complete lines count; a torn last line is ignored (and truncated by FileSink).
 */
export function recoverCommitted(path: string): Entry[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n');
  const out: Entry[] = [];
  let last = -1;
  for (const line of text.slice(0, end + 1).split('\n')) {
    const m = COMMIT_RE.exec(line);
    if (m === null) continue;
    const e = Number(m[2]);
    if (e > last) {
      out.push([e, m[1]!]);
      last = e;
    }
  }
  return out;
}
