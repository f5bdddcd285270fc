// logsink: where a rank's instance-log text goes, for every protocol. Writes are synchronous
// per batch: one syscall for many lines, and a line is in the kernel before the next batch is
// processed, so a SIGKILL loses nothing logged. A restarted rank appends after cutting a torn
// last line, so its own lines start clean.
import { closeSync, openSync, readSync, fstatSync, ftruncateSync } from 'node:fs';
import { writeAll } from '../write_all.js';

/** LogSink receives formatted instance-log text: a string, or its latin1 bytes (ASCII by construction). */
export interface LogSink {
  write(text: string | Uint8Array): void;
  close(): void;
}

/** MemorySink keeps lines in memory (tests, simulations). */
export class MemorySink implements LogSink {
  text = '';
  write(text: string | Uint8Array): void {
    this.text += typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
  }
  close(): void {}
  lines(): string[] {
    return this.text.split('\n').filter((l) => l.length > 0);
  }
}

/** FileSink appends to the instance log (truncating first for a fresh incarnation). */
export class FileSink implements LogSink {
  private fd: number;

  constructor(
    readonly path: string,
    fresh: boolean,
  ) {
    this.fd = openSync(path, fresh ? 'w' : 'a+'); // a+: appends, and lets endTornLine read the tail
    if (!fresh) this.endTornLine();
  }

  write(text: string | Uint8Array): void {
    // Instance-log text is ASCII by construction (keys are [a-z]{32}, the rest digits and fixed
    // words), so latin1 encodes it byte for byte, far cheaper than utf8 (docs/protocols/paxos.md §12).
    const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    writeAll(this.fd, buf);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** endTornLine drops a partial last line left by a kill mid-write, so ours start clean. */
  private endTornLine(): void {
    // Scan backwards from the end in chunks: only the last line matters, not the whole log.
    const size = fstatSync(this.fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(this.fd, chunk, 0, end - start, start);
      const i = chunk.subarray(0, n).lastIndexOf(10);
      if (i >= 0) {
        if (start + i !== size - 1) ftruncateSync(this.fd, start + i + 1);
        return;
      }
      end = start;
    }
    if (size > 0) ftruncateSync(this.fd, 0); // one torn line and nothing before it
  }
}
