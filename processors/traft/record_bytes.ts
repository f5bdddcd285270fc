// record_bytes: a record's own bytes in a fixed binary layout (docs/protocols/traft.md §4.6,
// §8.3). A record travels in every peer's append and sits in the WAL as these bytes. As a
// msgpack map they cost the leader a packing per record (the map's keys, the deps words copied
// into a words buffer, then into the packing, then into a slab) and every follower a map decode
// per record; here the leader writes the fields and the deps words once, straight into the slab,
// and a follower reads fixed offsets. Little-endian:
//
//   0  u8  RECORD_TAG (0xc1: the one byte msgpack never uses, so a record of this layout is told
//          apart from an older msgpack-map record, which a WAL may still hold)
//   1  u8  RECORD_LAYOUT (1)
//   2  u8  flags: 1 kind 'cmd' (else 'noop'), 2 ovFrom (else a listed overrides), 4 cmd present
//   3  u8  0
//   4  f64 seq | 12 f64 author.term | 20 f64 author.id | 28 f64 deps.offset | 36 f64 ovFrom (0 unless flag 2)
//   44 u32 n, then n u32 deps words (at offset 48: 4-aligned whenever the record is)
//   u16 logKey's UTF-8 length, its bytes; with flag 4: u32 length, the cmd's msgpack bytes;
//   without flag 2: u32 count, that many f64 overrides. The record ends there exactly.
//
// Layout 2 (DELTA_LAYOUT) is the same but for the deps words: a record's deps as an earlier
// record's in the same container (an append, an ElectReply, a WAL frame) plus a few positions
// (docs/protocols/traft.md §4.6). Consecutive records of one key carry nearly the same ~300
// words at -l 10000; as a delta they are ~20 bytes.
//
//   44 u32 n (the deps' word count), 48 f64 base seq, 56 u32 e, then e u32 extras (bit indices
//   from deps.offset, each < 32·n, ascending); then logKey, cmd and overrides as in layout 1.
//   The deps' words are word i of the base's deps at deps.offset + 32·i, OR the extras' bits.
import type { LogRecord } from './record.js';

export const RECORD_TAG = 0xc1;
const RECORD_LAYOUT = 1;
const DELTA_LAYOUT = 2;
const KIND_CMD = 1;
const HAS_OV_FROM = 2;
const HAS_CMD = 4;
/** WORDS_AT: where the deps words start; a multiple of 4, so aligned records have aligned words. */
const WORDS_AT = 48;
/** EXTRAS_AT: where a delta record's extras start (after its base seq and their count). */
const EXTRAS_AT = 60;

/** The words travel little-endian; on a little-endian machine a Uint32Array holds them as they travel. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** writeWords writes `words` as little-endian u32s at buf[at, at + 4·length) (a record's deps, a message's bitmap). */
export function writeWords(buf: Buffer, at: number, words: readonly number[]): void {
  if (LITTLE_ENDIAN && (buf.byteOffset + at) % 4 === 0) {
    // one typed-array set through a word view (~300 words per record at -l 10000): half a loop's time by hand
    new Uint32Array(buf.buffer, buf.byteOffset + at, words.length).set(words);
  } else for (let i = 0; i < words.length; i++) buf.writeUInt32LE((words[i] as number) >>> 0, at + 4 * i);
}

/** RawRecord: a record as its bytes read back, unvalidated (wire.ts recordFields, wal/format.ts recordOf check it). */
export type RawRecord = {
  seq: number;
  author: { term: number; id: number };
  kind: 'cmd' | 'noop';
  cmd?: unknown;
  deps: { offset: number; bin: Uint8Array } | DeltaDeps;
  logKey: string;
  ovFrom?: number;
  overrides?: number[];
};

/** DeltaDeps: deps read from a delta record, to resolve against the base (the record at `base` earlier in its container). */
export type DeltaDeps = { offset: number; n: number; base: number; extras: number[] };

/** Delta: what a delta record writes instead of the words: their count, its base's seq and the extra bit indices. */
export type Delta = { readonly n: number; readonly base: number; readonly extras: readonly number[] };

/** recordSize: the bytes encodeRecord writes for r with these cmd bytes and ovFrom (−1: overrides listed), words or delta. */
export function recordSize(r: LogRecord, cmdBytes: Uint8Array | null, ovFrom: number, delta: Delta | null = null): number {
  const listed = ovFrom < 0 ? 4 + 8 * r.overrides.length : 0;
  const deps = delta === null ? WORDS_AT + 4 * r.deps.words.length : EXTRAS_AT + 4 * delta.extras.length;
  return deps + 2 + Buffer.byteLength(r.logKey) + (cmdBytes === null ? 0 : 4 + cmdBytes.length) + listed;
}

/**
 * encodeRecord writes r at buf[at, at + recordSize) and returns the end. `ovFrom` ≥ 0 stands for
 * r's overrides (they are deps ∩ [ovFrom, seq) ∪ {seq}; the caller checked), else they are listed.
 */
export function encodeRecord(
  buf: Buffer,
  at: number,
  r: LogRecord,
  cmdBytes: Uint8Array | null,
  ovFrom: number,
  delta: Delta | null = null,
): number {
  const flags = (r.kind === 'cmd' ? KIND_CMD : 0) | (ovFrom >= 0 ? HAS_OV_FROM : 0) | (cmdBytes === null ? 0 : HAS_CMD);
  buf[at] = RECORD_TAG;
  buf[at + 1] = delta === null ? RECORD_LAYOUT : DELTA_LAYOUT;
  buf[at + 2] = flags;
  buf[at + 3] = 0;
  buf.writeDoubleLE(r.seq, at + 4);
  buf.writeDoubleLE(r.author.term, at + 12);
  buf.writeDoubleLE(r.author.id, at + 20);
  buf.writeDoubleLE(r.deps.offset, at + 28);
  buf.writeDoubleLE(ovFrom >= 0 ? ovFrom : 0, at + 36);
  const p = delta === null ? writeDepsWords(buf, at, r) : writeDelta(buf, at, delta);
  return encodeTail(buf, p, r, cmdBytes, ovFrom);
}

function writeDepsWords(buf: Buffer, at: number, r: LogRecord): number {
  const words = r.deps.words;
  buf.writeUInt32LE(words.length, at + 44);
  writeWords(buf, at + WORDS_AT, words);
  return at + WORDS_AT + 4 * words.length;
}

function writeDelta(buf: Buffer, at: number, d: Delta): number {
  buf.writeUInt32LE(d.n, at + 44);
  buf.writeDoubleLE(d.base, at + 48);
  buf.writeUInt32LE(d.extras.length, at + 56);
  let p = at + EXTRAS_AT;
  for (const x of d.extras) {
    buf.writeUInt32LE(x, p);
    p += 4;
  }
  return p;
}

/** encodeTail writes logKey, cmd and listed overrides from p (both layouts) and returns the end. */
function encodeTail(buf: Buffer, at: number, r: LogRecord, cmdBytes: Uint8Array | null, ovFrom: number): number {
  let p = at;
  const keyLen = buf.write(r.logKey, p + 2, 'utf8');
  buf.writeUInt16LE(keyLen, p);
  p += 2 + keyLen;
  if (cmdBytes !== null) {
    buf.writeUInt32LE(cmdBytes.length, p);
    buf.set(cmdBytes, p + 4);
    p += 4 + cmdBytes.length;
  }
  if (ovFrom < 0) {
    const o = r.overrides;
    buf.writeUInt32LE(o.length, p);
    p += 4;
    for (const q of o) {
      buf.writeDoubleLE(q, p);
      p += 8;
    }
  }
  return p;
}

/** isLayoutRecord: do these bytes use this layout (not an older msgpack map)? */
export function isLayoutRecord(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === RECORD_TAG;
}

/**
 * decodeRecord reads encodeRecord's bytes back (deps words as a view of `bytes`, or a delta's
 * base and extras); `unpackCmd` reads the cmd's msgpack. Throws RangeError on bytes that are not
 * a whole record of layout 1 or 2.
 */
export function decodeRecord(bytes: Uint8Array, unpackCmd: (b: Uint8Array) => unknown): RawRecord {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout = bytes[1];
  if (bytes.length < WORDS_AT || bytes[0] !== RECORD_TAG || (layout !== RECORD_LAYOUT && layout !== DELTA_LAYOUT))
    throw new RangeError('not a record of layout 1 or 2');
  const flags = bytes[2] as number;
  const n = v.getUint32(44, true);
  const offset = v.getFloat64(28, true);
  let p: number;
  let deps: RawRecord['deps'];
  if (layout === RECORD_LAYOUT) {
    need(v, WORDS_AT, 4 * n);
    p = WORDS_AT + 4 * n;
    // plain Uint8Array views: a Buffer's subarray goes through its species constructor, per record
    deps = { offset, bin: new Uint8Array(bytes.buffer, bytes.byteOffset + WORDS_AT, 4 * n) };
  } else {
    const e = need(v, 48, 12) && v.getUint32(56, true);
    need(v, EXTRAS_AT, 4 * e);
    // read as they are: the readers check a delta whole against its base (bitmap_codec.ts deltaProblem)
    const extras = new Array<number>(e);
    for (let i = 0; i < e; i++) extras[i] = v.getUint32(EXTRAS_AT + 4 * i, true);
    p = EXTRAS_AT + 4 * e;
    deps = { offset, n, base: v.getFloat64(48, true), extras };
  }
  return decodeTail(bytes, v, p, flags, deps, unpackCmd);
}

/** decodeTail reads the fields after the deps (both layouts) and checks the record ends there. */
function decodeTail(
  bytes: Uint8Array,
  v: DataView,
  at: number,
  flags: number,
  deps: RawRecord['deps'],
  unpackCmd: (b: Uint8Array) => unknown,
): RawRecord {
  let p = at;
  const keyLen = need(v, p, 2) && v.getUint16(p, true);
  const logKey = utf8(bytes, p + 2, need(v, p + 2, keyLen) && keyLen);
  p += 2 + keyLen;
  let cmd: unknown;
  if ((flags & HAS_CMD) !== 0) {
    const len = need(v, p, 4) && v.getUint32(p, true);
    cmd = unpackCmd(new Uint8Array(bytes.buffer, bytes.byteOffset + p + 4, need(v, p + 4, len) && len));
    p += 4 + len;
  }
  const r: RawRecord = {
    seq: v.getFloat64(4, true),
    author: { term: v.getFloat64(12, true), id: v.getFloat64(20, true) },
    kind: (flags & KIND_CMD) !== 0 ? 'cmd' : 'noop',
    deps,
    logKey,
  };
  if (cmd !== undefined) r.cmd = cmd;
  if ((flags & HAS_OV_FROM) !== 0) r.ovFrom = v.getFloat64(36, true);
  else {
    const count = need(v, p, 4) && v.getUint32(p, true);
    p += 4;
    need(v, p, 8 * count);
    const o = new Array<number>(count);
    for (let i = 0; i < count; i++) o[i] = v.getFloat64(p + 8 * i, true);
    r.overrides = o;
    p += 8 * count;
  }
  if (p !== bytes.length) throw new RangeError(`record of ${bytes.length} bytes ends at ${p}`);
  return r;
}

/** need: true if [at, at + n) lies within v, else RangeError (a truncated or garbled record). */
function need(v: DataView, at: number, n: number): true {
  if (at + n > v.byteLength) throw new RangeError(`record field at ${at} runs past its ${v.byteLength} bytes`);
  return true;
}

/** utf8 reads a short string: ASCII from its char codes in one call (an instance-log KEY), anything else through Buffer. */
function utf8(bytes: Uint8Array, at: number, len: number): string {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset + at, len);
  let ascii = len <= 64;
  for (let i = 0; ascii && i < len; i++) ascii = (view[i] as number) < 0x80;
  if (ascii) return String.fromCharCode.apply(null, view as unknown as number[]);
  return Buffer.from(view.buffer, view.byteOffset, len).toString('utf8');
}
