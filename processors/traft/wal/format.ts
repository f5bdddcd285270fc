// format: the WAL file format, as pure encode/decode functions (7.8).
//
//   header: "TRAFTWAL" | u32 version | u16 n | clusterId (n bytes utf8) | u32 crc32(all before)
//   frame:  u32 length | u32 crc32(payload) | payload (utf8 JSON of one WalBatch; a record's deps
//           of ≥ 4 words is written { offset, b64 }: its words as little-endian u32s in base64, and
//           overrides = deps ∩ [f, seq) ∪ {seq} as `ovFrom: f`; see bitmap_codec.ts)
//
// All integers little-endian. Decoding stops at the first frame that is incomplete or fails
// its checksum: if nothing valid follows, that is a torn tail (never acknowledged: truncate);
// a bad frame followed by a good one is corruption, reported as WalCorruptError (exit 4),
// never silently dropped. A header for another cluster is WalCorruptError('foreign').
import { crc32 } from 'node:zlib';
import { decodeWords, expandOverrides, walRecord } from '../bitmap_codec.js';
import type { TailBitmap } from '../tail_bitmap.js';
import type { WalBatch, WalEntry } from '../durable.js';

export const WAL_MAGIC = 'TRAFTWAL';
export const WAL_VERSION = 1;
/** MAX_FRAME_BYTES bounds one batch (traft.md 5.3's 64 MiB frame limit). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const FRAME_HEAD = 8;

/** WalCorruptError: corrupt or foreign WAL data; the CLI maps it to exit 4 (`corrupt`). */
export class WalCorruptError extends Error {
  constructor(readonly kind: 'corrupt' | 'foreign', readonly offset: number, message: string) {
    super(message);
    this.name = 'WalCorruptError';
  }
}

/** encodeHeader builds the file header for `clusterId`. */
export function encodeHeader(clusterId: string): Uint8Array {
  const id = Buffer.from(clusterId, 'utf8');
  if (id.length > 0xffff) throw new RangeError('clusterId longer than 65535 bytes');
  const buf = Buffer.alloc(8 + 4 + 2 + id.length + 4);
  buf.write(WAL_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(WAL_VERSION, 8);
  buf.writeUInt16LE(id.length, 12);
  id.copy(buf, 14);
  buf.writeUInt32LE(crc32(buf.subarray(0, 14 + id.length)), 14 + id.length);
  return buf;
}

/** encodeFrame frames one batch. */
export function encodeFrame(batch: WalBatch): Uint8Array {
  const payload = Buffer.from(JSON.stringify(batch.entries.some(isLongRecord) ? { ...batch, entries: batch.entries.map(compactEntry) } : batch), 'utf8');
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`WAL batch of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const buf = Buffer.alloc(FRAME_HEAD + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeUInt32LE(crc32(payload), 4);
  payload.copy(buf, FRAME_HEAD);
  return buf;
}

function isLongRecord(e: WalEntry): boolean {
  return e.t === 'record' && (e.record.deps.words.length >= 4 || e.record.overrides.length >= 8);
}

/** compactEntry writes a record's deps as base64 words and its overrides as `ovFrom` where possible (bitmap_codec.ts). */
function compactEntry(e: WalEntry): unknown {
  return isLongRecord(e) && e.t === 'record' ? { t: 'record', record: walRecord(e.record) } : e;
}

type RawRecord = { seq?: unknown; deps?: { offset?: unknown; b64?: unknown; words?: unknown }; ovFrom?: unknown; overrides?: unknown };

/** expandEntry reads compact deps and overrides back; false if they are malformed. */
function expandEntry(e: { t: string; record?: RawRecord }): boolean {
  const r = e.t === 'record' ? e.record : undefined;
  if (r === undefined || typeof r !== 'object' || r === null) return true;
  const d = r.deps;
  if (d !== undefined && typeof d === 'object' && d !== null && d.b64 !== undefined) {
    if (typeof d.b64 !== 'string') return false;
    const words = decodeWords(Buffer.from(d.b64, 'base64'));
    if (words === null) return false;
    r.deps = { offset: d.offset, words };
  }
  if (r.ovFrom !== undefined) {
    if (typeof r.ovFrom !== 'number' || typeof r.seq !== 'number' || typeof r.deps !== 'object' || r.deps === null || !Array.isArray(r.deps.words)) return false;
    r.overrides = expandOverrides(r.deps as TailBitmap, r.seq, r.ovFrom);
    delete r.ovFrom;
  }
  return true;
}

/** Decoded: the batches read, the byte length of the valid prefix, and whether a torn tail followed it. */
export type Decoded = { readonly batches: WalBatch[]; readonly goodBytes: number; readonly tornBytes: number };

const ENTRY_KINDS = new Set<WalEntry['t']>(['vote', 'committer', 'record', 'delete']);

function parseBatch(payload: Buffer, offset: number): WalBatch {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new WalCorruptError('corrupt', offset, `WAL frame at byte ${offset}: checksum ok but not JSON`);
  }
  const b = v as WalBatch;
  const ok = typeof b === 'object' && b !== null && Number.isSafeInteger(b.batchId) && Array.isArray(b.entries) &&
    b.entries.every((e) => typeof e === 'object' && e !== null && ENTRY_KINDS.has(e.t) && expandEntry(e as Parameters<typeof expandEntry>[0]));
  if (!ok) throw new WalCorruptError('corrupt', offset, `WAL frame at byte ${offset}: not a WAL batch`);
  return b;
}

/** frameAt reads a complete, checksummed frame at `off`, or says why there is none. */
function frameAt(buf: Buffer, off: number): { payload: Buffer; end: number } | 'incomplete' | 'bad-checksum' {
  if (buf.length - off < FRAME_HEAD) return 'incomplete';
  const len = buf.readUInt32LE(off);
  if (len === 0) return 'bad-checksum'; // never written (a batch is non-empty JSON): zero fill
  if (len > MAX_FRAME_BYTES || off + FRAME_HEAD + len > buf.length) return 'incomplete';
  const payload = buf.subarray(off + FRAME_HEAD, off + FRAME_HEAD + len);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return 'bad-checksum';
  return { payload, end: off + FRAME_HEAD + len };
}

/** anyGoodFrameAfter: is there a valid frame starting anywhere after `from`? (then it is corruption) */
function anyGoodFrameAfter(buf: Buffer, from: number): boolean {
  for (let off = from + 1; off + FRAME_HEAD <= buf.length; off++) {
    const f = frameAt(buf, off);
    if (typeof f === 'object') return true;
  }
  return false;
}

/** headerLength parses and checks the header; returns its length, or 0 for a torn (partial) header. */
function headerLength(buf: Buffer, clusterId: string): number {
  const want = Buffer.from(encodeHeader(clusterId));
  if (buf.length < want.length && want.subarray(0, buf.length).equals(buf)) return 0; // crashed while creating
  if (buf.length < 14 || buf.toString('latin1', 0, 8) !== WAL_MAGIC) throw new WalCorruptError('corrupt', 0, 'not a TRaft WAL (bad magic)');
  const n = buf.readUInt16LE(12);
  if (buf.length < 14 + n + 4 || crc32(buf.subarray(0, 14 + n)) !== buf.readUInt32LE(14 + n)) throw new WalCorruptError('corrupt', 0, 'WAL header checksum mismatch');
  if (buf.readUInt32LE(8) !== WAL_VERSION) throw new WalCorruptError('corrupt', 8, `WAL version ${buf.readUInt32LE(8)} is not ${WAL_VERSION}`);
  const theirs = buf.toString('utf8', 14, 14 + n);
  if (theirs !== clusterId) throw new WalCorruptError('foreign', 14, `WAL belongs to cluster "${theirs}", not "${clusterId}"`);
  return 14 + n + 4;
}

/**
 * decodeWal reads a whole WAL image. Batch ids must increase. A partial header decodes as an
 * empty log with tornBytes = its length (rewrite the header).
 */
export function decodeWal(image: Uint8Array, clusterId: string): Decoded {
  const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const start = headerLength(buf, clusterId);
  if (start === 0) return { batches: [], goodBytes: 0, tornBytes: buf.length };
  const batches: WalBatch[] = [];
  let off = start;
  while (off < buf.length) {
    const f = frameAt(buf, off);
    if (typeof f !== 'object') {
      if (anyGoodFrameAfter(buf, off)) throw new WalCorruptError('corrupt', off, `WAL frame at byte ${off} is damaged (${f}) but valid frames follow`);
      return { batches, goodBytes: off, tornBytes: buf.length - off };
    }
    const b = parseBatch(f.payload, off);
    const prev = batches[batches.length - 1];
    if (prev !== undefined && b.batchId <= prev.batchId && b.batchId !== 1) {
      throw new WalCorruptError('corrupt', off, `WAL batch ids go backwards at byte ${off}`);
    }
    batches.push(b);
    off = f.end;
  }
  return { batches, goodBytes: off, tornBytes: 0 };
}
