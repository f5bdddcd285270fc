// key_spill: a real rank's KeyArchive (key_table.ts), the file its KEY table spills old blocks
// to, so a long run's per-position KEYs leave memory (issue #20; docs/protocols/traft.md §7.3).
// The file is a cache of the instance log's KEYs, not durable state: a restart rebuilds its table
// from the instance log and opens a new file. It is unlinked as soon as it is opened, so no run
// leaves one behind, whatever ends the process. Reads and writes are synchronous: a block
// (~1.2 MiB) goes out every BLOCK_KEYS commits and comes back only for a snapshot to a rank
// further behind than the table's hot blocks; a failed write throws in the step that
// pushed, and the rank crashes as on any broken invariant.
import { openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../../runtime/assert.js';
import { writeAll } from '../../runtime/write_all.js';
import type { KeyArchive } from './key_table.js';

export class KeySpillFile implements KeyArchive {
  private fd: number | undefined;
  /** where[i]: block i's offset and length in the file. */
  private readonly where: { at: number; length: number }[] = [];
  private size = 0;

  /** The file is made at the first put (the log directory exists by then). */
  constructor(private readonly path: string) {}

  /** forRank: the spill file of one incarnation of `rank` in the run's log directory. */
  static forRank(logDir: string, rank: number, incarnation: number): KeySpillFile {
    return new KeySpillFile(join(logDir, `.keys${rank}-${incarnation}.spill`));
  }

  put(index: number, data: Buffer): void {
    assert(index === this.where.length, () => `KEY block ${index} spilled out of order (next is ${this.where.length})`);
    const fd = this.open();
    writeAll(fd, data, data.length, this.size);
    this.where.push({ at: this.size, length: data.length });
    this.size += data.length;
  }

  get(index: number): Buffer {
    const w = this.where[index];
    assert(w !== undefined && this.fd !== undefined, () => `KEY block ${index} was never spilled`);
    const data = Buffer.allocUnsafeSlow(w.length);
    for (let off = 0; off < w.length;) {
      const n = readSync(this.fd, data, off, w.length - off, w.at + off);
      assert(n > 0, () => `${this.path}: KEY block ${index} read short`);
      off += n;
    }
    return data;
  }

  private open(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'w+');
      unlinkSync(this.path); // the open descriptor keeps the data; the name would only be litter
    }
    return this.fd;
  }
}
