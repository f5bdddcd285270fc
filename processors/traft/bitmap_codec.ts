// bitmap_codec: the compact encoding of TailBitmaps and records for the wire and the WAL
// (docs/protocols/traft.md §4.6, D8). A record's deps span the whole uncommitted window; as a
// msgpack array or JSON numbers they dominated encoding, decoding and bytes (§15). Encoded, a
// bitmap's words are little-endian u32s in one binary field (`bin`). A record travels and is
// logged as its own bytes (packedRecord, in record_bytes.ts's fixed layout): records are
// immutable, so the bytes are made once per record object and shared by the four peers'
// requests, resends and the WAL frame; a follower keeps the bytes it received, so its WAL
// writes them without encoding again.
import { Packr } from 'msgpackr';
import { assert, assertNever } from '../../runtime/assert.js';
import type { Message } from './messages.js';
import { CompactRecord, rangeOf, type LogRecord } from './record.js';
import { decodeRecord, encodeRecord, isLayoutRecord, LITTLE_ENDIAN, recordSize, writeWords, type Delta } from './record_bytes.js';
import { membersAre, WORD_BITS, type TailBitmap } from './tail_bitmap.js';

/** Below this many words a plain array is as small and cheaper to encode. */
const MIN_WORDS = 4;

type BinBitmap = { readonly offset: number; readonly bin: Uint8Array };

/**
 * Encodings are kept with the (immutable) object they encode: a record's in its CompactRecord
 * slots (record.ts), any other object's under symbols, hidden from spread, JSON and msgpack, so a
 * copy never inherits its bytes. WeakMaps held them before, and with one entry per record in
 * flight their upkeep in every young-generation GC was most of the 37% GC share of the
 * encode/decode path (node --cpu-prof of it, rounds of 6,913 records).
 */
const WORDS = Symbol('wordsBuffer');
const PACKED = Symbol('packedRecord');
const DELTA = Symbol('deltaRecord');
type Cached = { [WORDS]?: Buffer; [PACKED]?: Uint8Array; [DELTA]?: DeltaBytes };

/**
 * DeltaBytes: a record's bytes as a delta against the deps object `baseDeps` of the record at
 * `baseSeq` (null: no delta against it). Only the base's seq and deps are kept, not the base
 * record: a record holding its base would hold every earlier record of its key.
 */
export type DeltaBytes = { readonly baseSeq: number; readonly baseDeps: TailBitmap; readonly bytes: Uint8Array | null };

/** cache puts v on o (not enumerable, so not copied by a spread); an object that cannot take it is encoded again next time. */
function cache<K extends typeof WORDS | typeof PACKED | typeof DELTA>(o: object, key: K, v: NonNullable<Cached[K]>): void {
  if (Object.isExtensible(o)) Object.defineProperty(o, key, { value: v, writable: true });
}

/** packedOf: r's packed bytes, if made or received before. */
function packedOf(r: LogRecord): Uint8Array | undefined {
  return r instanceof CompactRecord ? r.packed : (r as Cached)[PACKED];
}

/** deltaOf: r's latest delta, if made or received before. */
function deltaOf(r: LogRecord): DeltaBytes | undefined {
  return r instanceof CompactRecord ? r.delta : (r as Cached)[DELTA];
}

/** keepPacked keeps r's packed bytes with it (a frozen record, a test's, is encoded again next time). */
function keepPacked(r: LogRecord, b: Uint8Array): void {
  if (!(r instanceof CompactRecord)) cache(r, PACKED, b);
  else if (Object.isExtensible(r)) r.packed = b;
}

/** keepDelta keeps r's latest delta with it, as keepPacked. */
function keepDelta(r: LogRecord, d: DeltaBytes): void {
  if (!(r instanceof CompactRecord)) cache(r, DELTA, d);
  else if (Object.isExtensible(r)) r.delta = d;
}

/** wordsBuffer: b's words as bytes, kept on b (a bitmap sent again and again, like committed). */
function wordsBuffer(b: TailBitmap): Buffer {
  let buf = (b as Cached)[WORDS];
  if (buf === undefined) {
    // allocUnsafe: small buffers come from Node's shared pool, not an ArrayBuffer of their own each
    buf = Buffer.allocUnsafe(b.words.length * 4);
    writeWords(buf, 0, b.words);
    cache(b, WORDS, buf);
  }
  return buf;
}

/** decodeWords reads little-endian u32 words (any alignment); null when the length is not a multiple of 4. */
export function decodeWords(bytes: Uint8Array): number[] | null {
  if (bytes.length % 4 !== 0) return null;
  const n = bytes.length / 4;
  const words = new Array<number>(n);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) words[i] = u32[i] as number;
    return words;
  }
  if (LITTLE_ENDIAN) {
    // a record's bytes sit anywhere in a frame or a slab: unaligned words are assembled from their
    // bytes, not copied first (a copy is an ArrayBuffer of its own, malloc'd and freed only by a GC:
    // a leader decodes every record's deps once, ~1.2 KB each at -l 10000)
    for (let i = 0, p = 0; i < n; i++, p += 4)
      words[i] =
        ((bytes[p] as number) | ((bytes[p + 1] as number) << 8) | ((bytes[p + 2] as number) << 16) | ((bytes[p + 3] as number) << 24)) >>>
        0;
    return words;
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) words[i] = buf.readUInt32LE(i * 4);
  return words;
}

/**
 * LazyWords is a received record's deps, whose words are made on first read (`resolve`). A
 * follower receives every record's deps (~300 words at -l 10000) and, committing in position
 * order, folds the record before anything reads them: decoding them into an array per record was
 * decode time and old-generation heap for nothing. Classes, so that the ~6,000 a follower holds
 * between snapshots are objects of fixed shape: an object literal with an accessor and a hidden
 * count added by defineProperty was a dictionary-mode object with a closure and a context, ~500
 * bytes more each. `words` is the prototype's getter, so a spread copy or a deep comparison sees
 * the fields, not the words (testkit.ts plainBitmap).
 */
abstract class LazyWords implements TailBitmap {
  readonly offset: number;
  /** n: how many words, known before they are made (wordCount). */
  readonly n: number;
  private decoded: readonly number[] | null = null;

  constructor(offset: number, n: number) {
    this.offset = offset;
    this.n = n;
  }

  get words(): readonly number[] {
    return (this.decoded ??= this.resolve());
  }

  /** resolve makes the words, once, and lets go of what they were made from. */
  protected abstract resolve(): readonly number[];
}

/** LazyBitmap: deps sent as their words' bytes (`bin`, whole words, checked by the caller). */
class LazyBitmap extends LazyWords {
  private bin: Uint8Array | null;

  constructor(offset: number, bin: Uint8Array) {
    super(offset, bin.length / 4);
    this.bin = bin;
  }

  protected resolve(): readonly number[] {
    const words = decodeWords(this.bin as Uint8Array) ?? [];
    this.bin = null;
    return words;
  }
}

/** lazyBitmap: a received record's deps read from `bin` on first use (LazyBitmap). */
export function lazyBitmap(offset: number, bin: Uint8Array): TailBitmap {
  return new LazyBitmap(offset, bin);
}

/**
 * LazyDelta: deps sent as a delta against an earlier record's of the same message. The base is
 * dropped once resolved; until then a chain of bases reaches back only within that message.
 */
class LazyDelta extends LazyWords {
  private base: TailBitmap | null;
  private readonly extras: readonly number[];

  constructor(offset: number, n: number, base: TailBitmap, extras: readonly number[]) {
    super(offset, n);
    this.base = base;
    this.extras = extras;
  }

  protected resolve(): readonly number[] {
    const words = resolveDelta(this.offset, this.n, this.base as TailBitmap, this.extras);
    this.base = null;
    return words;
  }
}

/** lazyDeltaBitmap: a received delta's deps (LazyDelta). */
export function lazyDeltaBitmap(offset: number, n: number, base: TailBitmap, extras: readonly number[]): TailBitmap {
  return new LazyDelta(offset, n, base, extras);
}

/** wordCount is b.words.length without decoding a received bitmap's words. */
export function wordCount(b: TailBitmap): number {
  return b instanceof LazyWords ? b.n : b.words.length;
}

/**
 * binBitmap is the wire form of a message's bitmap (its fields when short: a received one's words
 * are a getter msgpack would not see); a record's deps are written by record_bytes.ts.
 */
function binBitmap(b: TailBitmap): TailBitmap | BinBitmap {
  return b.words.length < MIN_WORDS ? { offset: b.offset, words: b.words } : { offset: b.offset, bin: wordsBuffer(b) };
}

/**
 * overridesFrom: a `set`'s overrides are usually exactly its deps in [o[0], seq) plus seq (R5
 * over one key; often long lists). Then only o[0] is written
 * (`ovFrom`), read back as that range (record.ts decodedOv); otherwise null (write the list).
 */
function overridesFrom(r: LogRecord): number | null {
  const o = r.overrides;
  if (o.length < 8 || o[o.length - 1] !== r.seq) return null;
  const from = o[0] as number;
  return membersAre(r.deps, from, r.seq, o, o.length - 1) ? from : null;
}

/** packr: plain MessagePack (no shared structures: every record's bytes decode on their own). */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * Records are written into slabs of records only. msgpackr's packings are views into ≥ 4 MiB
 * buffers it shares between every Packr of the process (the WAL's frames, the TCP codec's
 * messages), each freed only once nothing views it: a few live records kept whole buffers of
 * long-written frames. A record's bytes live about a window (seconds), and records free slabs
 * in about the order they filled them.
 */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabAt = 0;

/** slabAt gives `size` bytes for one record: in the current slab (4-aligned, so its words are), or a buffer of its own when large. */
function slabView(size: number): { buf: Buffer; at: number } {
  let at = (slabAt + 3) & ~3;
  if (size > SLAB_BYTES / 16) return { buf: Buffer.allocUnsafeSlow(size), at: 0 };
  if (at + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    at = 0;
  }
  slabAt = at + size;
  return { buf: slab, at };
}

/** encodeInSlab writes r (words, or a delta) into slab space and returns a plain view of its bytes. */
function encodeInSlab(r: LogRecord, delta: Delta | null): Uint8Array {
  const ranged = rangeOf(r);
  const from = ranged >= 0 ? ranged : (overridesFrom(r) ?? -1);
  const cmdBytes = r.cmd === undefined ? null : packr.pack(r.cmd);
  const size = recordSize(r, cmdBytes, from, delta);
  const { buf, at } = slabView(size);
  const end = encodeRecord(buf, at, r, cmdBytes, from, delta);
  assert(end === at + size, () => `record ${r.seq} wrote ${end - at} bytes, sized ${size}`);
  // a plain Uint8Array view: a Buffer's subarray goes through its species constructor
  return new Uint8Array(buf.buffer, buf.byteOffset + at, size);
}

/**
 * packedRecord is the record's bytes (record_bytes.ts layout: deps words written once, straight
 * into the slab), made once per record object; `overrides` as ovFrom where they are a range.
 */
export function packedRecord(r: LogRecord): Uint8Array {
  let b = packedOf(r);
  if (b === undefined) {
    b = encodeInSlab(r, null);
    keepPacked(r, b);
  }
  return b;
}

/** Below this many deps words a delta saves too little to pay for its check. */
const MIN_DELTA_WORDS = 8;
/** MAX_EXTRAS: a delta with more extra positions is not worth it (the lab's have one or two). */
const MAX_EXTRAS = 64;

/**
 * deltaExtras: the positions of d missing from base, as bit indices from d.offset, when
 * d = [0, d.offset) ∪ (base ∩ [d.offset, ∞)) ∪ those positions exactly; null when base has a
 * member d lacks, or too many are missing. One pass over d's words.
 */
export function deltaExtras(d: TailBitmap, base: TailBitmap): number[] | null {
  const words = d.words;
  const n = words.length;
  const bw = base.words;
  const gap = d.offset - base.offset;
  if (n < MIN_DELTA_WORDS || gap < 0 || gap % WORD_BITS !== 0 || base.offset + WORD_BITS * bw.length > d.offset + WORD_BITS * n)
    return null;
  const shift = gap / WORD_BITS;
  // A delta is 12 bytes of base and count plus 4 per extra against 4 per word: it must come out smaller.
  const most = Math.min(MAX_EXTRAS, n - 4);
  const extras: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = words[i] as number;
    const j = i + shift;
    const b = j < 0 ? -1 : j < bw.length ? (bw[j] as number) : 0;
    if ((b & ~w) !== 0) return null;
    let x = w & ~b;
    while (x !== 0) {
      if (extras.length === most) return null;
      extras.push(WORD_BITS * i + 31 - Math.clz32(x & -x));
      x &= x - 1;
    }
  }
  return extras;
}

/**
 * resolveDelta: the words deltaExtras described, from the base's deps. Whole words: d's word i
 * is the base's word at d.offset + 32·i (all ones below the base's offset) with the extras' bits.
 */
export function resolveDelta(offset: number, n: number, base: TailBitmap, extras: readonly number[]): number[] {
  const bw = base.words;
  const shift = (offset - base.offset) / WORD_BITS;
  const words = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i + shift;
    words[i] = j < 0 ? 0xffffffff : j < bw.length ? (bw[j] as number) >>> 0 : 0;
  }
  for (const x of extras) {
    const i = x >>> 5;
    words[i] = ((words[i] as number) | (1 << (x & 31))) >>> 0;
  }
  return words;
}

/** extrasOk: are these a delta's extras over n words (integers ascending below 32·n)? Read input only resolves when they are. */
export function extrasOk(extras: unknown, n: number): extras is number[] {
  if (!Array.isArray(extras) || extras.length > WORD_BITS * n) return false;
  let prev = -1;
  for (const x of extras as unknown[]) {
    if (!Number.isSafeInteger(x) || (x as number) <= prev || (x as number) >= WORD_BITS * n) return false;
    prev = x as number;
  }
  return true;
}

/**
 * deltaProblem: what is wrong with a received delta of n words at `offset` over `base` (null:
 * nothing), so that resolving it yields a normal-form bitmap (tail_bitmap.ts) or is refused at
 * decode, never later inside the core: the extras ascend below 32·n; the delta starts at or above
 * its base's offset, a whole number of words from it (a sender's deps contain the base's, so its
 * frontier is no lower); the base ends within the delta; and when the base ends below the delta's
 * last word, an extra is in that word (no trailing zero word). One all-ones first word can only be
 * seen by resolving: it comes from the base's words, and lazily read deltas are not resolved here.
 */
export function deltaProblem(offset: number, n: number, base: TailBitmap, extras: unknown): string | null {
  if (!extrasOk(extras, n)) return 'extras must be positions ascending below its words';
  const gap = offset - base.offset;
  if (gap < 0 || gap % WORD_BITS !== 0) return "offset must be a whole number of words at or above its base's";
  const baseEnd = base.offset + WORD_BITS * wordCount(base);
  const end = offset + WORD_BITS * n;
  if (baseEnd > end) return 'must hold every word of its base';
  if (baseEnd < end && !((extras.at(-1) ?? -1) >= WORD_BITS * (n - 1))) return 'must not end in an empty word';
  return null;
}

/** cmdKey: the lab's and kv's command key, whose earlier record is the likely delta base; undefined for others. */
function cmdKey(r: LogRecord): unknown {
  const k = r.cmd?.key;
  return typeof k === 'string' ? k : undefined;
}

/**
 * RecordContainer gives each record of one container (an append's or ElectReply's records, a WAL
 * frame's record entries), in order, its bytes: a delta against the latest earlier record of
 * the same key in the container when that is one (the receiver resolves it against the latest
 * earlier record of that seq, so the bytes are self-contained), else packedRecord's. A delta is
 * made once per record and base and shared by every container holding both (four peers'
 * appends, resends, the WAL).
 *
 * While the container's seqs ascend (appends, and a leader's WAL frames: all but a Sync's
 * replacements), a seq names one record of it, so the latest earlier record of a key is all a
 * delta needs checking against: one map per container, not a second one by seq (an insert and
 * a lookup fewer per record for each of a leader's five containers: four appends and the WAL).
 * After a seq that does not ascend, the rest of the container is packed whole: the receiver
 * would resolve a later delta's base as the latest record of its seq, which may be another one.
 */
export class RecordContainer {
  private readonly byKey = new Map<unknown, LogRecord>();
  private lastSeq = -1;
  private ascending = true;

  bytes(r: LogRecord): Uint8Array {
    if (r.seq <= this.lastSeq) this.ascending = false;
    this.lastSeq = r.seq;
    const k = cmdKey(r);
    if (k === undefined) return packedRecord(r);
    const b = (this.ascending ? this.deltaBytes(r, this.byKey.get(k)) : null) ?? packedRecord(r);
    this.byKey.set(k, r);
    return b;
  }

  private deltaBytes(r: LogRecord, base: LogRecord | undefined): Uint8Array | null {
    if (base === undefined) return null;
    const d = deltaOf(r);
    // the base's deps object, not only its seq: a position replaced (a Sync) or folded holds another record
    if (d !== undefined && d.baseSeq === base.seq && d.baseDeps === base.deps) return d.bytes;
    if (wordCount(r.deps) < MIN_DELTA_WORDS) return null;
    const extras = deltaExtras(r.deps, base.deps);
    const bytes = extras === null ? null : encodeInSlab(r, { n: wordCount(r.deps), base: base.seq, extras });
    keepDelta(r, { baseSeq: base.seq, baseDeps: base.deps, bytes });
    return bytes;
  }
}

/** packRecords is a container's records' bytes (RecordContainer). */
export function packRecords(records: readonly LogRecord[]): Uint8Array[] {
  const c = new RecordContainer();
  return records.map((r) => c.bytes(r));
}

/** rememberDelta: `bytes`, a delta against `base` (earlier in the same container), decoded as `r`. */
export function rememberDelta(r: LogRecord, base: LogRecord, bytes: Uint8Array): void {
  keepDelta(r, { baseSeq: base.seq, baseDeps: base.deps, bytes });
}

/** rememberPacked: `bytes` decoded (and validated) as `r`, so writing `r` again reuses them. */
export function rememberPacked(r: LogRecord, bytes: Uint8Array): void {
  keepPacked(r, bytes);
}

const unpackCmd = (b: Uint8Array): unknown => packr.unpack(b);

/**
 * unpackRecord reads packedRecord's bytes back to the compact form (unvalidated), or an older
 * msgpack-map record's (a WAL written before the layout; tests); throws on anything else.
 */
export function unpackRecord(bytes: Uint8Array): unknown {
  return isLayoutRecord(bytes) ? decodeRecord(bytes, unpackCmd) : packr.unpack(bytes);
}

/** packValue and unpackValue are the same plain msgpack for a WAL frame's body. */
export function packValue(v: unknown): Uint8Array {
  return packr.pack(v);
}

export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** toWire is the message as sent over TCP (validateTraftMsg reads both forms back). */
export function toWire(m: Message): unknown {
  switch (m.type) {
    case 'ElectReq':
      return { ...m, accepted: binBitmap(m.accepted) };
    case 'ElectReply':
      return { ...m, accepted: binBitmap(m.accepted), committed: binBitmap(m.committed), records: packRecords(m.records) };
    case 'ForwardReq':
      return { ...m, committed: binBitmap(m.committed), records: m.records.length === 0 ? m.records : packRecords(m.records) };
    case 'ForwardReply':
      return { ...m, accepted: binBitmap(m.accepted), committed: binBitmap(m.committed) };
    case 'InstallSnapshotReq':
      return m; // rare: its snapshot goes in the plain form, which validateTraftMsg reads too
    default:
      return assertNever(m, 'message');
  }
}
