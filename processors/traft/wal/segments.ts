// segments: the WAL as a directory of segment files, so that checkpoints keep it bounded.
//
//   <dir>/seg-00000000.wal   header, plain batches
//   <dir>/seg-<n>.wal        header, the checkpoint frames ('part'…, 'end'; format.ts), plain batches
//
// A fresh rank's WAL is made by create (segment 0's header durable before the directory gets
// its name); a restart opens it, and refuses one that is missing, empty or headerless.
// A batch carrying `checkpoint` is written to the current segment; then the checkpoint opens
// segment n+1, which is fsynced and its name made durable (directory fsync) before the older
// segments are deleted. So at every instant of a crash the directory holds either a durable
// newest segment with a complete checkpoint, or an older segment with everything that was
// acknowledged plus a newer one whose checkpoint lacks its 'end' frame. Nothing written since a
// rotation began is acknowledged before the new segment and its name are durable (the writer
// reports `persisted` after append and sync return), so falling back to the older segment loses
// nothing promised. The older segments' deletion then runs beside later appends: once the newer
// segment is durable, recovery takes it whatever older ones are left (open), so acknowledging
// frames in it need not wait for the deletes and their directory fsync.
import type { Dirent } from 'node:fs';
import { mkdir, open as openFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WalBatch, WalEntry, WalPosition } from '../durable.js';
import type { WalAppender } from '../wal_writer.js';
import { WalFile } from './file.js';
import { inFile, WalCorruptError, type Decoded } from './format.js';
import { GroupFrames } from './group_frames.js';

/** Only exact `seg-<digits>.wal` names are segments; anything else in the directory is ignored. */
const SEGMENT_NAME = /^seg-(\d+)\.wal$/;

/** segmentName pads to 8 digits so a plain directory listing sorts segments in order. */
export function segmentName(n: number): string {
  return `seg-${String(n).padStart(8, '0')}.wal`;
}

/** OpenedDir: the WAL ready for appends, the batches to replay with their positions, and the torn bytes cut. */
export type OpenedDir = {
  readonly wal: WalDir;
  readonly batches: WalBatch[];
  readonly positions: WalPosition[];
  readonly truncatedBytes: number;
};

type Segment = { readonly n: number; readonly name: string };

/** WalDir appends to the newest segment and starts a new one at each checkpoint. */
export class WalDir implements WalAppender {
  /** pruning: the last rotation's deletion of the older segments (awaited by the next rotation and by close). */
  private pruning: Promise<void> = Promise.resolve();
  /** pruneError: why that deletion failed; the next append, rotation or close throws it. */
  private pruneError: Error | undefined = undefined;

  private constructor(
    private readonly dir: string,
    private readonly clusterId: string,
    private file: WalFile,
    private seg: number,
  ) {}

  /**
   * create starts a fresh rank's WAL: `dir` is replaced by a directory holding segment 0 with
   * its header, built under a temporary name, fsynced, then renamed into place (and the parent
   * fsynced). So `dir` existing means its header is durable, and a restart can refuse a WAL
   * that is missing, empty or headerless instead of starting with nothing (§8.5).
   */
  static async create(dir: string, clusterId: string): Promise<WalDir> {
    const tmp = `${dir}.new`;
    await rm(dir, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const file = await WalFile.create(join(tmp, segmentName(0)), clusterId, new Uint8Array(0));
    try {
      await syncDir(tmp);
      await rename(tmp, dir);
      await syncDir(dirname(dir));
    } catch (e) {
      await file.close();
      throw e;
    }
    return new WalDir(dir, clusterId, file, 0);
  }

  /**
   * open recovers `dir`, written by create: the newest segment with a complete checkpoint
   * (segment 0 needs none) is used, its torn tail truncated; newer ones (an interrupted
   * rotation) and older ones (deletes cut short by a crash) are removed. A missing or empty
   * directory, a headerless segment 0, a damaged tail, corruption or another cluster's WAL is
   * WalCorruptError naming the path (and byte): the rank must not start without what it acknowledged.
   */
  static async open(dir: string, clusterId: string): Promise<OpenedDir> {
    const segs = await listSegments(dir);
    if (segs.length === 0)
      throw new WalCorruptError('corrupt', 0, `${dir}: WAL directory has no segment; a restarted rank cannot start without its WAL`);
    let removed = false;
    for (const [i, s] of [...segs.entries()].reverse()) {
      const path = join(dir, s.name);
      const o = await WalFile.openIf(path, clusterId, (d) => usable(s.n, d, i === 0, path));
      if (o === null) {
        await unlink(path);
        removed = true;
        continue;
      }
      try {
        for (const older of segs.slice(0, i)) await unlink(join(dir, older.name));
        if (removed || i > 0) await syncDir(dir);
      } catch (e) {
        await o.wal.close();
        throw e;
      }
      const cp = o.checkpoint;
      const batches = cp === null ? o.batches : [{ batchId: cp.batchId, entries: cp.entries }, ...o.batches];
      const offsets = cp === null ? o.offsets : [cp.offset, ...o.offsets];
      const positions = offsets.map((offset) => ({ file: path, offset }));
      return { wal: new WalDir(dir, clusterId, o.wal, s.n), batches, positions, truncatedBytes: o.truncatedBytes };
    }
    // usable() accepts or throws for the oldest segment, so the loop always returns
    throw new Error(`${dir}: no usable WAL segment`);
  }

  /** segment is the current segment's number (for debug output). */
  get segment(): number {
    return this.seg;
  }

  /** sizeBytes is the current segment's length: the whole WAL once the last rotation's deletes are done. */
  get sizeBytes(): number {
    return this.file.sizeBytes;
  }

  /** append writes each batch's frame in order; a batch with a checkpoint then rotates. */
  async append(batches: readonly WalBatch[]): Promise<void> {
    this.throwPruneError();
    let run: WalBatch[] = [];
    for (const b of batches) {
      run.push(b);
      if (b.checkpoint === undefined) continue;
      await this.file.append(run);
      run = [];
      await this.rotate(b.batchId, b.checkpoint);
    }
    await this.file.append(run);
  }

  /**
   * rotate opens segment n+1 with the checkpoint. The old segment is not synced first: once
   * the new one is durable the old is garbage, and until then nothing in it is acknowledged.
   * The old segments are then deleted without the append waiting (the file header explains why
   * that is safe); one rotation's deletes finish before the next rotation lists the directory.
   */
  private async rotate(batchId: number, checkpoint: readonly WalEntry[]): Promise<void> {
    await this.pruning;
    this.throwPruneError();
    const next = this.seg + 1;
    const file = await WalFile.create(join(this.dir, segmentName(next)), this.clusterId, GroupFrames.checkpoint(batchId, checkpoint));
    await syncDir(this.dir); // from here on recovery picks the new segment
    const old = this.file;
    this.file = file;
    this.seg = next;
    this.pruning = this.prune(old, next).catch((e: unknown) => {
      this.pruneError ??= e instanceof Error ? e : new Error(String(e));
    });
  }

  /** prune closes the old segment and deletes every segment below `keep`, then makes the deletes durable. */
  private async prune(old: WalFile, keep: number): Promise<void> {
    await old.close();
    let removed = false;
    for (const s of await listSegments(this.dir)) {
      if (s.n >= keep) continue;
      await unlink(join(this.dir, s.name));
      removed = true;
    }
    if (removed) await syncDir(this.dir);
  }

  /** throwPruneError: a failed deletion stops the WAL as a failed write would. */
  private throwPruneError(): void {
    if (this.pruneError !== undefined) throw this.pruneError;
  }

  /** sync fdatasyncs the current segment (frames written before a rotation went with the old one). */
  async sync(): Promise<void> {
    await this.file.sync();
  }

  async close(): Promise<void> {
    await this.pruning;
    try {
      await this.file.close();
    } finally {
      this.throwPruneError(); // a failed delete is not lost behind a failed close
    }
  }
}

/**
 * encodeAsAppended makes the bytes WalDir.append would write for `batches` (each run of plain
 * frames, then each checkpoint's new segment) and drops them; their length. A rank's warm-up
 * (processors/traft/warm.ts) calls it so the WAL's encoders are compiled, with real feedback,
 * before the run: they touch every record's bytes and would otherwise start cold at round 0.
 */
export function encodeAsAppended(frames: GroupFrames, batches: readonly WalBatch[]): number {
  let bytes = 0;
  let run: WalBatch[] = [];
  for (const b of batches) {
    run.push(b);
    if (b.checkpoint === undefined) continue;
    bytes += frames.encode(run).length + GroupFrames.checkpoint(b.batchId, b.checkpoint).length;
    run = [];
  }
  return bytes + (run.length > 0 ? frames.encode(run).length : 0);
}

/**
 * usable decides whether segment n can be recovered from: segment 0 holds its header (create
 * made it durable before anything else) and plain batches only; a later one needs its
 * checkpoint's 'end' frame. An incomplete one with nothing older to fall back to cannot come
 * from a crash (the older are deleted only after the newer is durable). An incomplete newer
 * one held nothing acknowledged (§8.4), so damage in it does not matter: it is deleted.
 */
function usable(n: number, d: Decoded, oldest: boolean, path: string): boolean {
  if (n === 0) {
    if (d.goodBytes === 0) throw new WalCorruptError('corrupt', 0, `${path}: WAL segment 0 has no complete header`);
    if (d.checkpoint !== null) throw new WalCorruptError('corrupt', 0, `${path}: WAL ${segmentName(0)} opens with a checkpoint`);
    return true;
  }
  if (d.checkpoint?.complete === true) return true;
  if (oldest && d.damage !== null) throw inFile(d.damage, path);
  if (oldest) throw new WalCorruptError('corrupt', 0, `${path}: WAL ${segmentName(n)} has no complete checkpoint and no older segment`);
  return false;
}

/** listSegments lists the segment files, oldest first. */
async function listSegments(dir: string): Promise<Segment[]> {
  const segs: Segment[] = [];
  for (const ent of await readWalDir(dir)) {
    const m = SEGMENT_NAME.exec(ent.name);
    if (m === null || !ent.isFile()) continue;
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) continue;
    segs.push({ n, name: ent.name });
  }
  segs.sort((a, b) => a.n - b.n);
  let prev: Segment | undefined;
  for (const seg of segs) {
    // seg-1.wal and seg-00000001.wal: no writer makes both, and which is newer is unknowable
    if (prev !== undefined && seg.n === prev.n)
      throw new WalCorruptError('corrupt', 0, `${dir}: WAL segments ${prev.name} and ${seg.name} have the same number`);
    prev = seg;
  }
  return segs;
}

/** readWalDir lists `dir`; its absence is corruption (create made it before anything was acknowledged), not an environment error. */
async function readWalDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'is missing' : code === 'ENOTDIR' ? 'is not a directory' : undefined;
    if (what !== undefined)
      throw new WalCorruptError('corrupt', 0, `${dir}: WAL directory ${what}; a restarted rank cannot start without its WAL`);
    throw e;
  }
}

/** syncDir fsyncs a directory, making the creation or removal of its entries durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await openFile(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
