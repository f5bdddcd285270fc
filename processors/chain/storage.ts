// storage: the master's durable record (docs/protocols/chain-master.md §5), the one thing in
// chain replication that survives a crash (node data is memory only, C6). An append-only file:
//
//   header: "CHAINMST" | u32 version | u16 n | clusterId (n bytes utf8) | u32 crc32(all before)
//   record: u32 length | u32 crc32(payload) | payload (utf8 JSON MasterRecord)
//
// Each record is the whole state (config, failed, leaving), so recovery takes the last good
// one. As in processors/traft/wal/format.ts, only a torn write may be cut: a crash mid-append
// leaves a partial last record (a head under 8 bytes, a length running past the end, or zeros
// to the end), never fsynced, never acted on. A complete record whose checksum fails is damage
// to something that may have been sent: refused (ForeignStateError, exit 4), as is a file of
// another cluster or not of this format. Records are small (a few KiB), so the file is not compacted.
// The framing, the torn-tail cut and the group-commit writer are runtime/store's, shared with TRaft.
import { crc32 } from 'node:zlib';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenedStorage, Storage } from '../../runtime/protocol.js';
import { ForeignStateError } from '../../runtime/errors.js';
import { cutTornTail, encodeFileHeader, encodeFramed, FRAME_HEAD as HEAD } from '../../runtime/store/file_format.js';
import { GroupCommitStore, type GroupSink } from '../../runtime/store/group_commit.js';
import { POS_RE } from './ring.js';
import { MASTER_RANK, type MasterRecord } from './types.js';

const MAGIC = 'CHAINMST';
const VERSION = 1;
/** MAX_RECORD_BYTES: far above any ring this lab runs; a larger length field is damage. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function encodeHeader(clusterId: string): Buffer {
  return encodeFileHeader(MAGIC, VERSION, clusterId);
}

export function encodeRecord(r: MasterRecord): Buffer {
  return encodeFramed(Buffer.from(JSON.stringify(r), 'utf8'));
}

/** Decoded: the last good record, the length of the valid prefix and the torn bytes after it. */
export interface Decoded {
  readonly record: MasterRecord | undefined;
  readonly records: number;
  readonly goodBytes: number;
  readonly tornBytes: number;
}

/** headerLength checks the header: its length, or 0 for a header torn while the file was created. */
function headerLength(buf: Buffer, clusterId: string, where: string): number {
  const want = encodeHeader(clusterId);
  if (buf.length < want.length && want.subarray(0, buf.length).equals(buf)) return 0;
  if (buf.length < 14 || buf.toString('latin1', 0, 8) !== MAGIC)
    throw new ForeignStateError(`${where}: not a chain master record file (bad magic)`);
  const n = buf.readUInt16LE(12);
  if (buf.length < 14 + n + 4 || crc32(buf.subarray(0, 14 + n)) !== buf.readUInt32LE(14 + n))
    throw new ForeignStateError(`${where}: header checksum mismatch`);
  if (buf.readUInt32LE(8) !== VERSION) throw new ForeignStateError(`${where}: version ${buf.readUInt32LE(8)} is not ${VERSION}`);
  const theirs = buf.toString('utf8', 14, 14 + n);
  if (theirs !== clusterId) throw new ForeignStateError(`${where}: belongs to cluster "${theirs}", not "${clusterId}"`);
  return 14 + n + 4;
}

/** decodeMasterFile reads a whole file image: the last good record, or ForeignStateError for damage. */
export function decodeMasterFile(image: Uint8Array, clusterId: string, where = 'master record'): Decoded {
  const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const start = headerLength(buf, clusterId, where);
  if (start === 0) return { record: undefined, records: 0, goodBytes: 0, tornBytes: buf.length };
  let record: MasterRecord | undefined;
  let records = 0;
  let off = start;
  while (off < buf.length) {
    const left = buf.length - off;
    const len = left >= HEAD ? buf.readUInt32LE(off) : -1;
    const torn = left < HEAD || (len === 0 && allZero(buf, off)) || (len > 0 && len <= MAX_RECORD_BYTES && off + HEAD + len > buf.length);
    if (torn) return { record, records, goodBytes: off, tornBytes: left };
    if (len === 0 || len > MAX_RECORD_BYTES)
      throw new ForeignStateError(`${where}: record at byte ${off} has an impossible length ${len}: damaged`);
    const payload = buf.subarray(off + HEAD, off + HEAD + len);
    if (crc32(payload) !== buf.readUInt32LE(off + 4))
      throw new ForeignStateError(
        `${where}: record at byte ${off} fails its checksum: damaged, not torn by a crash; refusing to start from it`,
      );
    record = parseRecord(payload, `${where}: record at byte ${off}`);
    records++;
    off += HEAD + len;
  }
  return { record, records, goodBytes: off, tornBytes: 0 };
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

const isRank = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isRanks = (x: unknown): boolean => Array.isArray(x) && x.every(isRank);
const isPos = (x: unknown): boolean => typeof x === 'string' && POS_RE.test(x);

function rangeOk(x: unknown): boolean {
  const r = x as { rangeId?: unknown; lo?: unknown; hi?: unknown; chain?: unknown; parents?: unknown } | null;
  if (typeof r !== 'object' || r === null) return false;
  const parentsOk = r.parents === undefined || (Array.isArray(r.parents) && r.parents.every((p) => typeof p === 'string'));
  return typeof r.rangeId === 'string' && isPos(r.lo) && isPos(r.hi) && isRanks(r.chain) && parentsOk;
}

/** parseRecord: a checksummed payload that is not a MasterRecord was written wrong or forged: refused. */
function parseRecord(payload: Buffer, where: string): MasterRecord {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ForeignStateError(`${where}: checksum ok but not JSON`);
  }
  const r = v as {
    batchId?: unknown;
    config?: { epoch?: unknown; k?: unknown; nodes?: unknown; ranges?: unknown };
    failed?: unknown;
    leaving?: unknown;
    incarnations?: unknown;
  } | null;
  const c = r?.config;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.batchId) &&
    typeof c === 'object' &&
    c !== null &&
    Number.isSafeInteger(c.epoch) &&
    (c.epoch as number) >= 1 &&
    Number.isSafeInteger(c.k) &&
    Array.isArray(c.nodes) &&
    c.nodes.every((n: { rank?: unknown; pos?: unknown } | null) => typeof n === 'object' && n !== null && isRank(n.rank) && isPos(n.pos)) &&
    Array.isArray(c.ranges) &&
    c.ranges.every(rangeOk) &&
    isRanks(r.failed) &&
    isRanks(r.leaving) &&
    (r.incarnations === undefined ||
      (Array.isArray(r.incarnations) && r.incarnations.every((p) => Array.isArray(p) && p.length === 2 && isRanks(p))));
  if (!ok) throw new ForeignStateError(`${where}: not a master record`);
  return v as MasterRecord;
}

/** replayMasterRecords: the simulator's disk read back: the last record that reached it (each replaces the one before). */
export function replayMasterRecords(batches: readonly MasterRecord[]): MasterRecord | undefined {
  return batches[batches.length - 1];
}

/** masterRecordPath: where rank's record lives in the run's log directory. */
export function masterRecordPath(logDir: string, rank: number): string {
  return join(logDir, `chain-master${rank}.rec`);
}

/** chainStorage: the master's record file; every other rank persists nothing (C6) and gets a storage that writes nothing. */
export const chainStorage: Storage<MasterRecord, MasterRecord | undefined> = {
  open: (o) =>
    o.rank === MASTER_RANK ? openMasterRecord(masterRecordPath(o.logDir, o.rank), o.clusterId, o.incarnation) : Promise.resolve(nothing()),
};

function nothing(): OpenedStorage<MasterRecord, MasterRecord | undefined> {
  return {
    durable: undefined,
    notes: [],
    start: (onPersisted) => ({
      write: (batches) => {
        const last = batches[batches.length - 1];
        if (last !== undefined) onPersisted(last.batchId);
      },
      close: () => Promise.resolve(),
    }),
  };
}

/**
 * openMasterRecord: incarnation 0 creates the file afresh (header fsynced, and its directory
 * entry); a later incarnation must find it — else it cannot know which epochs it handed out —
 * and resumes from its last good record, a torn tail cut and the cut fsynced.
 */
export async function openMasterRecord(
  path: string,
  clusterId: string,
  incarnation: number,
): Promise<OpenedStorage<MasterRecord, MasterRecord | undefined>> {
  if (incarnation === 0) {
    const fh = await open(path, 'w+');
    const header = encodeHeader(clusterId);
    await fh.write(header, 0, header.length, 0);
    await fh.sync();
    await syncDir(path);
    return opened(fh, header.length, undefined, []);
  }
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ForeignStateError(`${path} is missing: a restarted master cannot resume without its record`);
    throw e;
  }
  try {
    const d = decodeMasterFile(await fh.readFile(), clusterId, path);
    const notes = d.tornBytes > 0 ? [`master record had a torn tail of ${d.tornBytes} bytes; truncated`] : [];
    const size = await cutTornTail(fh, d, () => encodeHeader(clusterId));
    notes.push(`master record: ${d.records} records, resuming from epoch ${d.record?.config.epoch ?? 'none'}`);
    return opened(fh, size, d.record, notes);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function opened(
  fh: FileHandle,
  size: number,
  durable: MasterRecord | undefined,
  notes: string[],
): OpenedStorage<MasterRecord, MasterRecord | undefined> {
  return { durable, notes, start: (onPersisted, onError) => new GroupCommitStore(recordSink(fh, size), onPersisted, onError) };
}

/**
 * recordSink appends records at the end of the file (positional writes: the file is opened r+
 * or w+, not for appending) and fsyncs them for GroupCommitStore.
 */
function recordSink(fh: FileHandle, size: number): GroupSink<MasterRecord> {
  let end = size;
  return {
    append: async (group) => {
      const bytes = Buffer.concat(group.map(encodeRecord));
      await fh.write(bytes, 0, bytes.length, end);
      end += bytes.length;
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}
