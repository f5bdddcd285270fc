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
import { FRAME_HEAD } from '../../../runtime/store/file_format.js';
import { packedRecord, packValue } from '../bitmap_codec.js';
import type { WalBatch, WalEntry } from '../durable.js';
import { encodeFrame, MAX_FRAME_BYTES } from './format.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** msgpackr (useRecords off) writes every plain object as a map16; keys are fixstrs. */
const MAP2 = [0xde, 0x00, 0x02];
const fixstr = (s: string): number[] => [0xa0 | s.length, ...ascii(s)];
/** BATCH_HEAD: `{ batchId: …` up to the id's value. */
const BATCH_HEAD = Buffer.from([...MAP2, ...fixstr('batchId')]);
/** ENTRIES_KEY: `entries: …` up to the array's header. */
const ENTRIES_KEY = Buffer.from(fixstr('entries'));
/** RECORD_HEAD: `{ type: 'record', packed: …` up to the bin header. */
const RECORD_HEAD = Buffer.from([...MAP2, ...fixstr('type'), ...fixstr('record'), ...fixstr('packed')]);

/** KEEP_BYTES: the largest buffer kept between groups; a larger group gets one of its own. */
const KEEP_BYTES = 8 * 2 ** 20;

/**
 * GroupFrames encodes groups of batches. The bytes encode() returns are valid until its next
 * call: the WAL writes one group and waits for the write before it encodes the next.
 */
export class GroupFrames {
  private buf = Buffer.allocUnsafeSlow(256 * 1024);
  private at = 0;

  /** encode is the frames of `batches` (checkpoints left out, as encodeFrame does), concatenated. */
  encode(batches: readonly WalBatch[]): Buffer {
    this.at = 0;
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafeSlow(256 * 1024);
    for (const b of batches) {
      if (b.batchId >>> 0 === b.batchId) this.frame(b);
      else this.bytes(encodeFrame(b)); // an id msgpackr writes as a float or uint64: its own encoding
    }
    return this.buf.subarray(0, this.at);
  }

  /** frame writes one batch's frame: head, then the payload, then the head's length and crc. */
  private frame(b: WalBatch): void {
    const head = this.at;
    this.room(FRAME_HEAD);
    this.at += FRAME_HEAD;
    this.bytes(BATCH_HEAD);
    this.uint(b.batchId);
    this.bytes(ENTRIES_KEY);
    this.arrayHeader(b.entries.length);
    for (const e of b.entries) this.entry(e);
    const payload = this.buf.subarray(head + FRAME_HEAD, this.at);
    if (payload.length > MAX_FRAME_BYTES) throw new RangeError(`WAL batch of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
    this.buf.writeUInt32LE(payload.length, head);
    this.buf.writeUInt32LE(crc32(payload), head + 4);
  }

  private entry(e: WalEntry): void {
    if (e.type !== 'record') {
      this.bytes(packValue(e));
      return;
    }
    const packed = packedRecord(e.record);
    this.bytes(RECORD_HEAD);
    const n = packed.length;
    this.room(5 + n);
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
    this.buf.set(packed, this.at);
    this.at += n;
  }

  /** uint is msgpackr's encoding of a uint32 with records off: a fixint below 0x80. */
  private uint(v: number): void {
    this.room(5);
    if (v < 0x80) this.buf[this.at++] = v;
    else if (v < 0x100) {
      this.buf[this.at++] = 0xcc;
      this.buf[this.at++] = v;
    } else if (v < 0x10000) {
      this.buf[this.at++] = 0xcd;
      this.buf.writeUInt16BE(v, this.at);
      this.at += 2;
    } else {
      this.buf[this.at++] = 0xce;
      this.buf.writeUInt32BE(v, this.at);
      this.at += 4;
    }
  }

  private arrayHeader(n: number): void {
    this.room(5);
    if (n < 0x10) this.buf[this.at++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.at++] = 0xdc;
      this.buf.writeUInt16BE(n, this.at);
      this.at += 2;
    } else {
      this.buf[this.at++] = 0xdd;
      this.buf.writeUInt32BE(n, this.at);
      this.at += 4;
    }
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** room grows the buffer (keeping what is written) so n more bytes fit. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.at + n, 2 * this.buf.length));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
