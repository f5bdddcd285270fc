// file: one WAL file on disk. open() reads and checks the whole file, truncates a torn tail
// (fsyncing the truncation), refuses a damaged one (docs/protocols/traft.md §8.5) and returns
// the surviving batches; append() writes frames and
// sync() makes them durable. create() writes a new file that opens with a checkpoint (a new
// segment, segments.ts). The Storage processor calls append for each batch and sync once per
// group, then reports `persisted{lastBatchId}` to the core.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { assert } from '../../../runtime/assert.js';
import { cutTornTail } from '../../../runtime/store/file_format.js';
import type { WalBatch } from '../durable.js';
import { decodeWal, encodeHeader, inFile, WalCorruptError, type Checkpoint, type Decoded } from './format.js';
import { GroupFrames } from './group_frames.js';

/**
 * Opened: the WAL ready for appends, the checkpoint it opens with (if any), the plain batches
 * after it with their byte offsets, and how many torn bytes were cut.
 */
export type Opened = {
  readonly wal: WalFile;
  readonly checkpoint: Checkpoint | null;
  readonly batches: WalBatch[];
  readonly offsets: number[];
  readonly truncatedBytes: number;
};

/** WalFile appends framed batches to one file. */
export class WalFile {
  private readonly frames = new GroupFrames();

  private constructor(
    private readonly fh: FileHandle,
    private size: number,
  ) {}

  /** open creates the file (with its header) or recovers it; throws WalCorruptError, naming `path`, on corruption or damage. */
  static async open(path: string, clusterId: string): Promise<Opened> {
    const o = await WalFile.openIf(path, clusterId, () => true);
    assert(o !== null, 'openIf returns null only for contents `usable` rejects, and this one accepts all');
    return o;
  }

  /**
   * openIf is open, except that a file whose contents `usable` rejects is closed untouched and
   * null returned: a segment that is about to be deleted must not be truncated or rewritten
   * first, and deciding from the one decode avoids reading a large checkpoint twice. A damaged
   * tail in a usable file is refused, never truncated.
   */
  static async openIf(path: string, clusterId: string, usable: (d: Decoded) => boolean): Promise<Opened | null> {
    const fh = await openFile(path, 'a+');
    let kept = false;
    try {
      const d = decodeIn(await fh.readFile(), clusterId, path);
      if (!usable(d)) return null;
      if (d.damage !== null) throw inFile(d.damage, path);
      const size = await cutTornTail(fh, d, () => encodeHeader(clusterId));
      kept = true;
      return { wal: new WalFile(fh, size), checkpoint: d.checkpoint, batches: d.batches, offsets: d.offsets, truncatedBytes: d.tornBytes };
    } finally {
      if (!kept) await fh.close();
    }
  }

  /**
   * create writes a new file (it must not exist) holding the header and `frames`, and fsyncs
   * it. Making its directory entry durable is the caller's job (it owns the directory).
   */
  static async create(path: string, clusterId: string, frames: Uint8Array): Promise<WalFile> {
    const fh = await openFile(path, 'wx');
    try {
      // the header and the frames in one writev: a checkpoint's frames are a window of records, not copied again behind the header
      const header = encodeHeader(clusterId);
      await fh.writev([header, frames]);
      await fh.sync(); // fsync, not fdatasync: the new file's size must be durable too
      return new WalFile(fh, header.length + frames.length);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** append writes the batches' frames (in order) without syncing. */
  async append(batches: readonly WalBatch[]): Promise<void> {
    if (batches.length === 0) return;
    // the group's frames in one reused buffer (group_frames.ts), valid until the next append
    const image = this.frames.encode(batches);
    await this.fh.writev([image]); // at the current position, as write(…, null) was
    this.size += image.length;
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

/** decodeIn is decodeWal with the file's path in any error. */
function decodeIn(image: Uint8Array, clusterId: string, path: string): Decoded {
  try {
    return decodeWal(image, clusterId);
  } catch (e) {
    throw e instanceof WalCorruptError ? inFile(e, path) : e;
  }
}
