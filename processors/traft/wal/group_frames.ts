// group_frames: a group of WAL batches as the bytes format.ts's encodeFrame gives them,
// written straight into one buffer the writer reuses. A frame's payload is msgpack
// { batchId, entries } whose record entries carry the record's own packed bytes
// (docs/protocols/traft.md §8.3); encoding it with msgpackr copied every record's bytes into a
// fresh packing, and framing copied the packing again into a zero-filled buffer: on a follower,
// which receives ~1.3 KB records 256 at a time, that was ~10% of its profile and most of its
// large short-lived buffers. Here the fixed parts are written by hand, the record bytes copied
// once, other entries packed as before, so the file bytes are unchanged (group_frames.test.ts
// compares them with encodeFrame's).
import { crc32 } from 'node:zlib';
import { assert } from '../../../runtime/assert.js';
import { FRAME_HEAD } from '../../../runtime/store/file_format.js';
import { packValue, RecordContainer } from '../bitmap_codec.js';
import type { WalBatch, WalEntry } from '../durable.js';
import { checkpointSlices, encodeCheckpoint, encodeFrame, MAX_FRAME_BYTES, type CheckpointMark } from './format.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** msgpackr (useRecords off) writes every plain object as a map16; keys are fixstrs. */
const MAP2 = [0xde, 0x00, 0x02];
const fixstr = (s: string): number[] => [0xa0 | s.length, ...ascii(s)];
/** BATCH_HEAD: `{ batchId: …` up to the id's value. */
const BATCH_HEAD = Buffer.from([...MAP2, ...fixstr('batchId')]);
/** CP_HEAD: a checkpoint frame's `{ batchId: …` (a third key, `cp`, follows its entries). */
const CP_HEAD = Buffer.from([0xde, 0x00, 0x03, ...fixstr('batchId')]);
/** CP_TAIL: `cp: 'part'` or `cp: 'end'`, after a checkpoint frame's entries. */
const CP_TAIL: Readonly<Record<CheckpointMark, Buffer>> = {
  part: Buffer.from([...fixstr('cp'), ...fixstr('part')]),
  end: Buffer.from([...fixstr('cp'), ...fixstr('end')]),
};
/** ENTRIES_KEY: `entries: …` up to the array's header. */
const ENTRIES_KEY = Buffer.from(fixstr('entries'));
/** RECORD_HEAD: `{ type: 'record', packed: …` up to the bin header. */
const RECORD_HEAD = Buffer.from([...MAP2, ...fixstr('type'), ...fixstr('record'), ...fixstr('packed')]);

/** KEEP_BYTES: the largest buffer kept between groups; a larger group gets one of its own. */
const KEEP_BYTES = 8 * 2 ** 20;

/** HEAD_ROOM: a frame's bytes besides its entries: its head, the map's keys, an id and an array header. */
const HEAD_ROOM = FRAME_HEAD + BATCH_HEAD.length + 5 + ENTRIES_KEY.length + 5;

/**
 * GroupFrames encodes groups of batches. The bytes encode() returns are valid until its next
 * call: the WAL writes one group and waits for the write before it encodes the next.
 */
export class GroupFrames {
  private buf: Buffer;
  private at = 0;

  constructor(bytes = 256 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(bytes);
  }

  /** encode is the frames of `batches` (checkpoints left out, as encodeFrame does), concatenated. */
  encode(batches: readonly WalBatch[]): Buffer {
    // sized first, so the bytes are written once: growing by copies was most of this writer's time
    const parts = batches.map((b) => (b.batchId >>> 0 === b.batchId ? batchParts(b.entries) : encodeFrame(b)));
    let size = 0;
    for (const p of parts) size += p instanceof Uint8Array ? p.length : HEAD_ROOM + partsBytes(p);
    if (size > this.buf.length) this.buf = Buffer.allocUnsafeSlow(size <= KEEP_BYTES ? Math.max(size, 2 * this.buf.length) : size);
    this.at = 0;
    for (const [i, b] of batches.entries()) {
      const p = parts[i] as Uint8Array | EntryPart[];
      // an id msgpackr writes as a float or uint64 went through encodeFrame whole
      if (p instanceof Uint8Array) this.bytes(p);
      else this.frame(b.batchId, p);
    }
    const image = this.buf.subarray(0, this.at);
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafeSlow(256 * 1024);
    return image;
  }

  /** frame writes one batch's frame (a checkpoint's with `cp`): head, then the payload, then the head's length and crc. */
  private frame(batchId: number, entries: readonly EntryPart[], cp?: CheckpointMark): void {
    const head = this.at;
    this.at += FRAME_HEAD;
    this.bytes(cp === undefined ? BATCH_HEAD : CP_HEAD);
    this.uint(batchId);
    this.bytes(ENTRIES_KEY);
    this.arrayHeader(entries.length);
    for (const e of entries) this.entry(e);
    if (cp !== undefined) this.bytes(CP_TAIL[cp]);
    const payload = this.buf.subarray(head + FRAME_HEAD, this.at);
    if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`WAL batch of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
    this.buf.writeUInt32LE(payload.length, head);
    this.buf.writeUInt32LE(crc32(payload), head + 4);
  }

  /**
   * checkpoint is encodeCheckpoint's bytes (format.ts: cut by checkpointSlices) in a buffer of their own,
   * written once. msgpackr's packing of a whole window of records (~13 MB at -l 10000), the
   * framing's copy of it and the concatenations were ~5% of a leader's busy samples.
   */
  static checkpoint(batchId: number, entries: readonly WalEntry[]): Buffer {
    if (batchId >>> 0 !== batchId) return encodeCheckpoint(batchId, entries);
    const parts = batchParts(entries);
    const slices = checkpointSlices(parts.length, (lo, hi, cp) => {
      const bytes = payloadBytes(batchId, parts, lo, hi, cp);
      return { bytes, made: bytes };
    });
    let size = 0;
    for (const sl of slices) size += FRAME_HEAD + sl.made;
    const g = new GroupFrames(size);
    for (const sl of slices) g.frame(batchId, parts.slice(sl.lo, sl.hi), sl.cp);
    assert(g.at === size, () => `checkpoint frames of ${g.at} bytes, sized ${size}`);
    return g.buf;
  }

  /** entry writes a record entry around its packed bytes, or another entry's packing. */
  private entry(e: EntryPart): void {
    if (e.record === false) {
      this.bytes(e.bytes);
      return;
    }
    this.bytes(RECORD_HEAD);
    const n = e.bytes.length;
    if (n < 0x100) {
      this.buf[this.at++] = 0xc4;
      this.buf[this.at++] = n;
    } else if (n < 0x10000) {
      this.buf[this.at++] = 0xc5;
      this.buf.writeUInt16BE(n, this.at);
      this.at += 2;
    } else {
      this.buf[this.at++] = 0xc6;
      this.buf.writeUInt32BE(n, this.at);
      this.at += 4;
    }
    this.bytes(e.bytes);
  }

  /** uint is msgpackr's encoding of a uint32 with records off: a fixint below 0x80. */
  private uint(v: number): void {
    if (v < 0x80) this.buf[this.at++] = v;
    else if (v < 0x100) {
      this.buf[this.at++] = 0xcc;
      this.buf[this.at++] = v;
    } else this.wide(v, 0xcd, 0xce);
  }

  private arrayHeader(n: number): void {
    if (n < 0x10) this.buf[this.at++] = 0x90 | n;
    else this.wide(n, 0xdc, 0xdd);
  }

  /** wide: a msgpack tag and its big-endian 16-bit value below 2^16, else the 32-bit tag and value. */
  private wide(v: number, tag16: number, tag32: number): void {
    const short = v < 0x10000;
    this.buf[this.at++] = short ? tag16 : tag32;
    if (short) this.buf.writeUInt16BE(v, this.at);
    else this.buf.writeUInt32BE(v, this.at);
    this.at += short ? 2 : 4;
  }

  private bytes(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

/** EntryPart: a record entry's packed record (written inside RECORD_HEAD), or another entry's whole packing. */
type EntryPart = { readonly record: boolean; readonly bytes: Uint8Array };

/** batchParts: a plain batch's or a whole checkpoint's entries, its records as one RecordContainer gives them (format.ts packedEntry). */
function batchParts(entries: readonly WalEntry[]): EntryPart[] {
  const c = new RecordContainer();
  return entries.map((e) => (e.type === 'record' ? { record: true, bytes: c.bytes(e.record) } : { record: false, bytes: packValue(e) }));
}

/** payloadBytes: the exact length of a checkpoint frame's payload holding parts[lo, hi). */
function payloadBytes(batchId: number, parts: readonly EntryPart[], lo: number, hi: number, cp: CheckpointMark): number {
  let n = CP_HEAD.length + uintBytes(batchId) + ENTRIES_KEY.length + (hi - lo < 0x10 ? 1 : hi - lo < 0x10000 ? 3 : 5) + CP_TAIL[cp].length;
  for (let i = lo; i < hi; i++) {
    const p = parts[i] as EntryPart;
    const len = p.bytes.length;
    n += p.record ? RECORD_HEAD.length + (len < 0x100 ? 2 : len < 0x10000 ? 3 : 5) + len : len;
  }
  return n;
}

/** uintBytes: what GroupFrames.uint writes for a uint32. */
function uintBytes(v: number): number {
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
}

/** partsBytes bounds the entries' bytes: each record's with RECORD_HEAD and a bin32 header. */
function partsBytes(parts: readonly EntryPart[]): number {
  let n = 0;
  for (const p of parts) n += p.record ? RECORD_HEAD.length + 5 + p.bytes.length : p.bytes.length;
  return n;
}
