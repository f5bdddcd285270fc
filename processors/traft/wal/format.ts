// format: the WAL file format, as pure encode/decode functions (docs/protocols/traft.md §8.3).
//
//   header: "TRAFTWAL" | u32 version | u16 n | clusterId (n bytes utf8) | u32 crc32(all before)
//   frame:  u32 length | u32 crc32(payload) | payload (msgpack { batchId, entries, cp? }; a
//           record entry is { type: 'record', packed }: the record's own msgpack bytes, the
//           same bytes it travels as (bitmap_codec.ts packedRecord: deps of ≥ 4 words as
//           little-endian u32 words in one binary field, a set's overrides as `ovFrom`); in
//           version 5 a record may be a delta against an earlier record of the same frame, or
//           of the same checkpoint (record_bytes.ts layout 2, bitmap_codec.ts RecordContainer))
//
// A checkpoint (a batch's `checkpoint`, the whole durable state) is too big for one frame, so
// it is written as consecutive frames of the checkpoint batch's id marked `cp: 'part'`, the
// last `cp: 'end'`; they may only open a file (segments.ts starts each later segment with
// one). Without its 'end' frame a checkpoint is incomplete: its file was never made durable.
//
// All integers little-endian. Decoding stops at the first frame that is not whole and valid.
// Only a torn write may be cut (docs/protocols/traft.md §8.5): a crash in the middle of an
// append leaves the file ending inside its last frame (fewer than 8 bytes of head, or a declared
// length running past the end) or, where the file size grew before its data, zeros to the end.
// Those bytes were never fsynced, hence never acknowledged: truncate. A complete frame whose
// checksum fails (or whose length field is impossible) is damage to bytes that may have been
// acknowledged: reported in `damage`, and the caller refuses to start (exit 4); a bad frame
// followed by a good one is the same. A header for another cluster is WalCorruptError('foreign').
import { crc32 } from 'node:zlib';
import { encodeFileHeader, encodeFramed, FRAME_HEAD } from '../../../runtime/store/file_format.js';
import {
  decodeWords,
  deltaProblem,
  packValue,
  RecordContainer,
  rememberDelta,
  rememberPacked,
  resolveDelta,
  unpackRecord,
  unpackValue,
} from '../bitmap_codec.js';
import type { TailBitmap } from '../tail_bitmap.js';
import type { WalBatch, WalEntry } from '../durable.js';
import { CompactRecord, decodedOv, type LogRecord } from '../record.js';
import type { LeaderId } from '../leader_id.js';
import type { SmCommand } from '../state_machine.js';

const WAL_MAGIC = 'TRAFTWAL';
// WAL_VERSION 4: msgpack frames with records as their own bytes in record_bytes.ts's layout; 3: the
// same frames with records as msgpack maps, still read (unpackRecord tells them apart), so a rank
// restarts on a WAL written before; a build that reads only 3 refuses a 4 by its header instead
// of meeting records it cannot read. 2 (JSON) and 1 (entries tagged `t`) are refused as corrupt.
// 5: records of a frame may be deltas against an earlier record of the same frame
// (record_bytes.ts layout 2); a build that reads only 4 refuses a 5 by its header. A rank that
// reopens an older segment appends version-5 frames to it: a build that reads only 4 then finds
// such a frame's records unreadable and stops as on a corrupt frame (exit 4), not by the header.
const WAL_VERSION = 5;
const READABLE_VERSIONS: ReadonlySet<number> = new Set([3, 4, 5]);
/** MAX_FRAME_BYTES bounds one batch (64 MiB, §9.3). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** WalCorruptError: corrupt or foreign WAL data; the CLI maps it to exit 4 (`corrupt`). */
export class WalCorruptError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'foreign',
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'WalCorruptError';
  }
}

/** inFile names the file a WalCorruptError was found in, so the one line the user sees says where to look. */
export function inFile(e: WalCorruptError, path: string): WalCorruptError {
  return new WalCorruptError(e.kind, e.offset, `${path}: ${e.message}`);
}

/** encodeHeader builds the file header for `clusterId`. */
export function encodeHeader(clusterId: string): Uint8Array {
  return encodeFileHeader(WAL_MAGIC, WAL_VERSION, clusterId);
}

/** CheckpointMark tags a checkpoint's frames: every one but the last is 'part'. */
export type CheckpointMark = 'part' | 'end';

/** CHECKPOINT_FRAME_ENTRIES bounds a checkpoint frame, so neither writer nor reader holds one huge payload. */
export const CHECKPOINT_FRAME_ENTRIES = 4096;

/**
 * packedEntry: a record entry carries the record's packed bytes (made once, shared with the
 * wire) as the container `c` gives them: deltas within one plain batch's frame, or within one
 * whole checkpoint (its frames are read together, decodeWal).
 */
function packedEntry(e: WalEntry, c: RecordContainer): unknown {
  return e.type === 'record' ? { type: 'record', packed: c.bytes(e.record) } : e;
}

/** encodePayload packs a frame's body: a batch's entries, or one slice of a checkpoint's (already packed). */
function encodePayload(batchId: number, packed: readonly unknown[], cp?: CheckpointMark): Buffer {
  const b = packValue({ batchId, entries: packed, ...(cp ? { cp } : {}) });
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function framePayload(payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`WAL batch of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  return encodeFramed(payload);
}

/**
 * encodeFrame frames one batch's entries. Its `checkpoint` is left out: that goes to the start
 * of the next segment (encodeCheckpoint), and the entries alone already say what changed.
 */
export function encodeFrame(batch: WalBatch): Uint8Array {
  const c = new RecordContainer();
  return framePayload(
    encodePayload(
      batch.batchId,
      batch.entries.map((e) => packedEntry(e, c)),
    ),
  );
}

/** CheckpointSlice: one frame of a checkpoint, entries [lo, hi), with what `measure` made of it. */
export type CheckpointSlice<T> = { readonly lo: number; readonly hi: number; readonly cp: CheckpointMark; readonly made: T };

/**
 * checkpointSlices cuts a checkpoint of n entries into its frames: runs of at most
 * CHECKPOINT_FRAME_ENTRIES entries, a run whose payload is still over MAX_FRAME_BYTES (huge
 * records) halved until it fits or holds one entry, the last marked 'end' (an empty checkpoint
 * is one empty 'end' frame, so it still reads as complete). `measure` gives a run's payload
 * bytes and what its writer keeps of it; both writers (encodeCheckpoint, group_frames.ts) cut
 * the same way, so their files are the same.
 */
export function checkpointSlices<T>(
  n: number,
  measure: (lo: number, hi: number, cp: CheckpointMark) => { bytes: number; made: T },
): CheckpointSlice<T>[] {
  const slices: CheckpointSlice<T>[] = [];
  const slice = (lo: number, hi: number, last: boolean): void => {
    const cp = last ? 'end' : 'part';
    const { bytes, made } = measure(lo, hi, cp);
    if (bytes > MAX_FRAME_BYTES && hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      slice(lo, mid, false);
      slice(mid, hi, last);
      return;
    }
    slices.push({ lo, hi, cp, made });
  };
  let lo = 0;
  do {
    const hi = Math.min(lo + CHECKPOINT_FRAME_ENTRIES, n);
    slice(lo, hi, hi === n);
    lo = hi;
  } while (lo < n);
  return slices;
}

/** encodeCheckpoint frames a checkpoint as checkpointSlices cuts it. */
export function encodeCheckpoint(batchId: number, entries: readonly WalEntry[]): Buffer {
  const c = new RecordContainer();
  const packed = entries.map((e) => packedEntry(e, c));
  const slices = checkpointSlices(entries.length, (lo, hi, cp) => {
    const payload = encodePayload(batchId, packed.slice(lo, hi), cp);
    return { bytes: payload.length, made: payload };
  });
  return Buffer.concat(slices.map((sl) => framePayload(sl.made)));
}

type RawRecord = {
  seq?: unknown;
  author?: unknown;
  kind?: unknown;
  cmd?: unknown;
  logKey?: unknown;
  deps?: { offset?: unknown; bin?: unknown; words?: unknown; base?: unknown; n?: unknown; extras?: unknown };
  ovFrom?: unknown;
  overrides?: unknown;
};

/**
 * recordOf reads a record entry's packed bytes back: deps from binary words or from a delta
 * against the latest earlier record of its seq in the frame (`bySeq`), overrides from `ovFrom`,
 * as a fresh object of the record's own fields (nothing else leaks into replay); null if
 * malformed. The bytes are kept with the record, so a checkpoint or a Sync writes them as read.
 */
function recordOf(packed: unknown, bySeq: ReadonlyMap<number, LogRecord>): LogRecord | null {
  if (!(packed instanceof Uint8Array)) return null;
  let r: RawRecord;
  try {
    r = unpackRecord(packed) as RawRecord;
  } catch {
    return null;
  }
  if (typeof r !== 'object' || r === null || !isSeq(r.seq)) return null;
  const seq = r.seq as number;
  const base = typeof r.deps?.base === 'number' ? bySeq.get(r.deps.base) : null;
  if (base === undefined) return null; // a delta whose base is not earlier in its frame or checkpoint
  const deps = base === null ? depsOf(r.deps) : deltaDepsOf(r.deps, base);
  if (deps === null) return null;
  let overrides: number | number[];
  if (r.ovFrom !== undefined) {
    if (!isSeq(r.ovFrom)) return null;
    overrides = r.ovFrom as number; // deps ∩ [ovFrom, seq) ∪ {seq}, kept as that range
  } else if (Array.isArray(r.overrides)) overrides = r.overrides as number[];
  else return null;
  const ov = decodedOv(seq, overrides);
  const rec = new CompactRecord(
    seq,
    r.author as LeaderId,
    r.kind as LogRecord['kind'],
    r.cmd as SmCommand | undefined,
    deps,
    r.logKey as string,
    ov,
  );
  const own = Uint8Array.prototype.slice.call(packed);
  if (base === null) rememberPacked(rec, own);
  else rememberDelta(rec, base, own);
  return rec;
}

/** deltaDepsOf resolves a delta's deps against its base; null if malformed. */
function deltaDepsOf(d: RawRecord['deps'], base: LogRecord): TailBitmap | null {
  if (d === undefined || !isSeq(d.offset) || !isSeq(d.n) || (d.n as number) > MAX_WORDS) return null;
  const offset = d.offset as number;
  const n = d.n as number;
  if (deltaProblem(offset, n, base.deps, d.extras) !== null) return null;
  return { offset, words: resolveDelta(offset, n, base.deps, d.extras as number[]) };
}

function depsOf(d: RawRecord['deps']): TailBitmap | null {
  if (typeof d !== 'object' || d === null) return null;
  if (d.bin === undefined) return isBitmap(d) ? (d as TailBitmap) : null;
  if (!(d.bin instanceof Uint8Array) || !isSeq(d.offset)) return null;
  const words = decodeWords(d.bin);
  return words === null ? null : { offset: d.offset as number, words };
}

/** Checkpoint: the checkpoint that opens a file; `complete` once its 'end' frame was read. */
export type Checkpoint = { readonly batchId: number; readonly entries: WalEntry[]; readonly complete: boolean; readonly offset: number };

/**
 * Decoded: the plain batches read (after the checkpoint, if the file opens with one) with the
 * byte offset of each one's frame, the byte length of the valid prefix, how many torn bytes
 * followed it, and `damage`: a damaged last frame (not a torn write), which the caller must
 * refuse rather than truncate unless the whole file is garbage anyway (segments.ts).
 */
export type Decoded = {
  readonly checkpoint: Checkpoint | null;
  readonly batches: WalBatch[];
  readonly offsets: number[];
  readonly goodBytes: number;
  readonly tornBytes: number;
  readonly damage: WalCorruptError | null;
};

const ENTRY_KINDS = new Set<WalEntry['type']>(['vote', 'committer', 'record', 'delete', 'snapshot']);

/** MAX_WORDS bounds a delta's deps (a frame's 64 MiB could not hold more words whole). */
const MAX_WORDS = MAX_FRAME_BYTES / 4;

const isSeq = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;

function isBitmap(b: unknown): boolean {
  if (typeof b !== 'object' || b === null) return false;
  const { offset, words } = b as { offset?: unknown; words?: unknown };
  return isSeq(offset) && Array.isArray(words) && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
}

/**
 * snapshotShapeOk checks a snapshot entry field by field: it is the only copy of everything
 * below its floor, so garbage must be refused here rather than crash replay or the applier.
 */
function snapshotShapeOk(e: { snapshot?: unknown; keysFrom?: unknown; keys?: unknown }): boolean {
  const s = e.snapshot as { floor?: unknown; applied?: unknown; kv?: unknown } | null | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    isSeq(s.floor) &&
    isBitmap(s.applied) &&
    s.kv !== undefined && // the state machine's image: its own restore refuses a foreign one (applier.ts)
    isSeq(e.keysFrom) &&
    Array.isArray(e.keys) &&
    e.keys.every((k) => typeof k === 'string')
  );
}

/** entryOf checks one decoded entry and reads a record entry's bytes (`bySeq`: the frame's records so far); null if malformed. */
function entryOf(e: unknown, bySeq: Map<number, LogRecord>): WalEntry | null {
  if (typeof e !== 'object' || e === null) return null;
  const x = e as { type: WalEntry['type']; packed?: unknown };
  if (!ENTRY_KINDS.has(x.type)) return null;
  if (x.type === 'snapshot') return snapshotShapeOk(e) ? (e as WalEntry) : null;
  if (x.type !== 'record') return e as WalEntry;
  const record = recordOf(x.packed, bySeq);
  if (record === null) return null;
  bySeq.set(record.seq, record);
  return { type: 'record', record };
}

/**
 * parseFrame reads a frame's body; a fresh { batchId, entries } so unknown fields never leak into
 * replay. A record's delta base is an earlier record of the frame or, in a checkpoint frame, of
 * the checkpoint's earlier frames too (`cpSeqs`, kept by decodeWal).
 */
function parseFrame(payload: Buffer, offset: number, cpSeqs: Map<number, LogRecord>): { batch: WalBatch; cp: CheckpointMark | undefined } {
  let v: unknown;
  try {
    v = unpackValue(payload);
  } catch {
    throw new WalCorruptError('corrupt', offset, `WAL frame at byte ${offset}: checksum ok but not msgpack`);
  }
  const b = v as { batchId?: unknown; entries?: unknown; cp?: unknown } | null;
  const entries: WalEntry[] = [];
  const bySeq = b?.cp === undefined ? new Map<number, LogRecord>() : cpSeqs;
  const ok =
    typeof b === 'object' &&
    b !== null &&
    Number.isSafeInteger(b.batchId) &&
    Array.isArray(b.entries) &&
    (b.cp === undefined || b.cp === 'part' || b.cp === 'end') &&
    b.entries.every((e) => {
      const got = entryOf(e, bySeq);
      if (got !== null) entries.push(got);
      return got !== null;
    });
  if (!ok) throw new WalCorruptError('corrupt', offset, `WAL frame at byte ${offset}: not a WAL batch`);
  return { batch: { batchId: b.batchId as number, entries }, cp: b.cp as CheckpointMark | undefined };
}

/** FrameFault: why there is no valid frame at an offset; `torn` is what a crash mid-append leaves. */
type FrameFault = { readonly type: 'torn'; readonly why: string } | { readonly type: 'damaged'; readonly why: string };

/**
 * frameAt reads a complete, checksummed frame at `off`, or says why there is none. `scanning`
 * (looking for any valid frame after a bad one, at every byte) skips telling torn from damaged,
 * whose checks read to the end of the file and would make the scan quadratic.
 */
function frameAt(buf: Buffer, off: number, scanning = false): { payload: Buffer; end: number } | FrameFault {
  const left = buf.length - off;
  if (left < FRAME_HEAD) return { type: 'torn', why: `${left} bytes of a frame head` };
  const len = buf.readUInt32LE(off);
  if (scanning && (len === 0 || off + FRAME_HEAD + len > buf.length)) return { type: 'torn', why: 'no frame' };
  // A batch is a non-empty msgpack map, so a zero length was never written: the file grew before its
  // data reached the disk. Only zeros to the very end are that; a zero length before other bytes is damage.
  if (len === 0) return allZero(buf, off) ? { type: 'torn', why: 'zero fill' } : { type: 'damaged', why: 'zero length' };
  if (len > MAX_FRAME_BYTES) return { type: 'damaged', why: `length ${len} exceeds ${MAX_FRAME_BYTES}` };
  if (off + FRAME_HEAD + len > buf.length) {
    // The length field is not under the checksum: the bytes to the end checking out means a
    // complete last frame whose length was damaged, not a torn one.
    if (crc32(buf.subarray(off + FRAME_HEAD)) === buf.readUInt32LE(off + 4))
      return { type: 'damaged', why: `length ${len} runs past the end of a complete frame` };
    return { type: 'torn', why: `length ${len} runs past the end of the file` };
  }
  const payload = buf.subarray(off + FRAME_HEAD, off + FRAME_HEAD + len);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return { type: 'damaged', why: 'checksum mismatch in a complete frame' };
  return { payload, end: off + FRAME_HEAD + len };
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** anyGoodFrameAfter: is there a valid frame starting anywhere after `from`? (then it is corruption) */
function anyGoodFrameAfter(buf: Buffer, from: number): boolean {
  for (let off = from + 1; off + FRAME_HEAD <= buf.length; off++) {
    if ('payload' in frameAt(buf, off, true)) return true;
  }
  return false;
}

/** headerLength parses and checks the header; returns its length, or 0 for a torn (partial) header. */
function headerLength(buf: Buffer, clusterId: string): number {
  const want = Buffer.from(encodeHeader(clusterId));
  if (buf.length < want.length && want.subarray(0, buf.length).equals(buf)) return 0; // crashed while creating
  if (buf.length < 14 || buf.toString('latin1', 0, 8) !== WAL_MAGIC) throw new WalCorruptError('corrupt', 0, 'not a TRaft WAL (bad magic)');
  const n = buf.readUInt16LE(12);
  if (buf.length < 14 + n + 4 || crc32(buf.subarray(0, 14 + n)) !== buf.readUInt32LE(14 + n))
    throw new WalCorruptError('corrupt', 0, 'WAL header checksum mismatch');
  if (!READABLE_VERSIONS.has(buf.readUInt32LE(8)))
    throw new WalCorruptError('corrupt', 8, `WAL version ${buf.readUInt32LE(8)} is not ${[...READABLE_VERSIONS].join(' or ')}`);
  const theirs = buf.toString('utf8', 14, 14 + n);
  if (theirs !== clusterId) throw new WalCorruptError('foreign', 14, `WAL belongs to cluster "${theirs}", not "${clusterId}"`);
  return 14 + n + 4;
}

/**
 * decodeWal reads a whole WAL image. Batch ids must increase (except a restart's batch 1). A
 * partial header decodes as an empty log with tornBytes = its length (rewrite the header).
 * Checkpoint frames must all come first and share one batch id; a plain batch may follow only
 * a complete checkpoint. Tearing inside the checkpoint leaves it incomplete (the caller decides).
 */
export function decodeWal(image: Uint8Array, clusterId: string): Decoded {
  const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const start = headerLength(buf, clusterId);
  if (start === 0) return { checkpoint: null, batches: [], offsets: [], goodBytes: 0, tornBytes: buf.length, damage: null };
  let cp: { batchId: number; entries: WalEntry[]; complete: boolean; offset: number } | null = null;
  const batches: WalBatch[] = [];
  const offsets: number[] = [];
  const cpSeqs = new Map<number, LogRecord>();
  let off = start;
  while (off < buf.length) {
    const f = frameAt(buf, off);
    if (!('payload' in f)) {
      if (anyGoodFrameAfter(buf, off))
        throw new WalCorruptError('corrupt', off, `WAL frame at byte ${off} is damaged (${f.why}) but valid frames follow`);
      if (f.type === 'torn') return { checkpoint: cp, batches, offsets, goodBytes: off, tornBytes: buf.length - off, damage: null };
      const why = `WAL frame at byte ${off} is damaged (${f.why}), not torn by a crash: refusing to truncate ${buf.length - off} bytes that may hold acknowledged batches`;
      return { checkpoint: cp, batches, offsets, goodBytes: off, tornBytes: 0, damage: new WalCorruptError('corrupt', off, why) };
    }
    const { batch: b, cp: mark } = parseFrame(f.payload, off, cpSeqs);
    if (mark !== undefined) {
      if (batches.length > 0 || cp?.complete === true)
        throw new WalCorruptError('corrupt', off, `WAL checkpoint frame at byte ${off} does not open the file`);
      if (cp !== null && cp.batchId !== b.batchId)
        throw new WalCorruptError('corrupt', off, `WAL checkpoint frame at byte ${off} changes batch id`);
      cp ??= { batchId: b.batchId, entries: [], complete: false, offset: off };
      for (const e of b.entries) cp.entries.push(e); // a loop: spreading 4096 arguments per frame is needless
      cp.complete = mark === 'end';
    } else {
      if (cp !== null && !cp.complete)
        throw new WalCorruptError('corrupt', off, `WAL batch at byte ${off} inside an unfinished checkpoint`);
      const prevId = batches[batches.length - 1]?.batchId ?? cp?.batchId;
      if (prevId !== undefined && b.batchId <= prevId && b.batchId !== 1) {
        throw new WalCorruptError('corrupt', off, `WAL batch ids go backwards at byte ${off}`);
      }
      batches.push(b);
      offsets.push(off);
    }
    off = f.end;
  }
  return { checkpoint: cp, batches, offsets, goodBytes: off, tornBytes: 0, damage: null };
}
