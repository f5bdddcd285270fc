// storage: a node's WAL (docs/protocols/vectory.md §4): the persisted fields — promised, accepted
// and every shard's log — as a sequence of batches, each a list of changes, replayed in order on
// a restart. The framing, torn-tail cut and group commit are runtime/store's, as TRaft's and the
// chain master's are:
//
//   header: "VECTORY1" | u32 version | u16 n | clusterId | u32 crc32
//   batch:  u32 length | u32 crc32(payload) | payload (utf8 JSON WalBatch)
//
// Only a torn last frame (never fsynced, never acted on) is cut; a complete frame failing its
// checksum, or a file of another cluster, is refused (ForeignStateError, exit 4).
import { crc32 } from 'node:zlib';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ForeignStateError } from '../../runtime/errors.js';
import type { OpenedStorage, Storage } from '../../runtime/protocol.js';
import { cutTornTail, encodeFileHeader, encodeFramed, FRAME_HEAD } from '../../runtime/store/file_format.js';
import { GroupCommitStore } from '../../runtime/store/group_commit.js';
import type { WalBatch } from './state.js';
import { ZERO_BALLOT, type Ballot, type Entry } from './types.js';

const MAGIC = 'VECTORY1';
const VERSION = 1;
const MAX_FRAME = 64 * 1024 * 1024;

/** Durable: what a restart recovers, per shard. */
export type Durable = { readonly shards: ReadonlyMap<number, { promised: Ballot; accepted: Ballot; log: Entry[] }> };

/** replay: the batches that reached the disk, in order, applied to empty shards. */
export function replay(batches: readonly WalBatch[]): Durable {
  const shards = new Map<number, { promised: Ballot; accepted: Ballot; log: Entry[] }>();
  for (const b of batches)
    for (const op of b.ops) {
      const s = shards.get(op.shard) ?? { promised: ZERO_BALLOT, accepted: ZERO_BALLOT, log: [] };
      shards.set(op.shard, s);
      if (op.op === 'promise') s.promised = op.ballot;
      else if (op.op === 'accept') s.accepted = op.ballot;
      else if (op.op === 'cut') s.log.length = Math.min(s.log.length, op.above);
      else if (op.op === 'put') for (const e of op.entries) s.log[e.index - 1] = e;
    }
  return { shards };
}

/** decodeWal reads a whole file image: its batches, the good prefix, the torn bytes after it. */
export function decodeWal(buf: Buffer, clusterId: string, where: string): { batches: WalBatch[]; goodBytes: number; tornBytes: number } {
  const header = encodeFileHeader(MAGIC, VERSION, clusterId);
  if (buf.length < header.length) {
    if (header.subarray(0, buf.length).equals(buf)) return { batches: [], goodBytes: 0, tornBytes: buf.length };
    throw new ForeignStateError(`${where}: not a vectory WAL`);
  }
  if (!buf.subarray(0, header.length).equals(header))
    throw new ForeignStateError(`${where}: not this cluster's vectory WAL (header differs)`);
  const batches: WalBatch[] = [];
  let off = header.length;
  while (off < buf.length) {
    const left = buf.length - off;
    const len = left >= FRAME_HEAD ? buf.readUInt32LE(off) : -1;
    if (
      left < FRAME_HEAD ||
      (len <= MAX_FRAME && off + FRAME_HEAD + len > buf.length) ||
      (len === 0 && buf.subarray(off).every((x) => x === 0))
    )
      return { batches, goodBytes: off, tornBytes: left };
    const payload = buf.subarray(off + FRAME_HEAD, off + FRAME_HEAD + len);
    if (len === 0 || len > MAX_FRAME || crc32(payload) !== buf.readUInt32LE(off + 4))
      throw new ForeignStateError(`${where}: batch at byte ${off} is damaged, not torn; refusing to start from it`);
    batches.push(JSON.parse(payload.toString('utf8')) as WalBatch);
    off += FRAME_HEAD + len;
  }
  return { batches, goodBytes: off, tornBytes: 0 };
}

export const vectoryStorage: Storage<WalBatch, Durable> = {
  open: async ({ logDir, rank, clusterId, incarnation }) => {
    const path = join(logDir, `vectory${rank}.wal`);
    const header = (): Buffer => encodeFileHeader(MAGIC, VERSION, clusterId);
    let fh: FileHandle;
    let durable: Durable | undefined;
    let size: number;
    if (incarnation === 0) {
      fh = await open(path, 'w+');
      await fh.write(header(), 0, header().length, 0);
      await fh.sync();
      size = header().length;
    } else {
      fh = await open(path, 'r+').catch((e: unknown) => {
        throw (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new ForeignStateError(`${path} is missing: a restarted node cannot know its votes`)
          : e;
      });
      const d = decodeWal(await fh.readFile(), clusterId, path);
      size = await cutTornTail(fh, d, header);
      durable = replay(d.batches);
    }
    let end = size;
    const sink = {
      append: async (group: readonly WalBatch[]) => {
        const bytes = Buffer.concat(group.map((b) => encodeFramed(Buffer.from(JSON.stringify(b), 'utf8'))));
        await fh.write(bytes, 0, bytes.length, end);
        end += bytes.length;
      },
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
    const opened: OpenedStorage<WalBatch, Durable> = {
      durable,
      notes: durable === undefined ? [] : [`vectory WAL: ${durable.shards.size} shards recovered`],
      start: (onPersisted, onError) => new GroupCommitStore(sink, onPersisted, onError),
    };
    return opened;
  },
};
