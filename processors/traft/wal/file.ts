// file: the WAL on disk. open() reads and checks the whole file, truncates a torn tail
// (fsyncing the truncation) and returns the surviving batches; append() writes frames and
// sync() makes them durable. The Storage processor calls append for each batch and sync once
// per group, then reports `persisted{lastBatchId}` to the core.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { WalBatch } from '../durable.js';
import { decodeWal, encodeFrame, encodeHeader } from './format.js';

/** Opened: the WAL ready for appends, what survived, and how many torn bytes were cut. */
export type Opened = { readonly wal: WalFile; readonly batches: WalBatch[]; readonly truncatedBytes: number };

/** WalFile appends framed batches to one file. */
export class WalFile {
  private constructor(private readonly fh: FileHandle, private size: number) {}

  /** open creates the file (with its header) or recovers it; throws WalCorruptError on corruption. */
  static async open(path: string, clusterId: string): Promise<Opened> {
    const fh = await openFile(path, 'a+');
    try {
      const image = await fh.readFile();
      const d = decodeWal(image, clusterId);
      let size = d.goodBytes;
      if (d.tornBytes > 0 || size === 0) {
        await fh.truncate(size);
        if (size === 0) {
          const header = encodeHeader(clusterId);
          await fh.write(header, 0, header.length, 0);
          size = header.length;
        }
        await fh.sync();
      }
      return { wal: new WalFile(fh, size), batches: d.batches, truncatedBytes: d.tornBytes };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** append writes the batches' frames (in order) without syncing. */
  async append(batches: readonly WalBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const frames = Buffer.concat(batches.map((b) => encodeFrame(b)));
    await this.fh.write(frames, 0, frames.length, null);
    this.size += frames.length;
  }

  /** sync makes every appended frame durable. */
  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  get sizeBytes(): number {
    return this.size;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
