// record: the log record (docs/protocols/traft.md §3.2). A missing position is absent from the log
// map (R2); a deliberate gap is a `noop` record. Records are immutable once built.
import { assert, InvariantError } from '../../runtime/assert.js';
import type { SmCommand } from './state_machine.js';
import { formatLeaderId, leaderIdEq, type LeaderId } from './leader_id.js';
import { createBitmap, EMPTY_BITMAP, firstFailing, hasSeq, members, type TailBitmap } from './tail_bitmap.js';
import type { DeltaBytes } from './bitmap_codec.js';

/** Seq is a 0-based log position. */
export type Seq = number;

/**
 * LogRecord: `(seq, author)` determines the content (R1). A record built here is a CompactRecord,
 * whose `overrides` is a getter on its prototype: a spread copy (`{...rec}`) has no `overrides`.
 * Never spread a record; build another with withListedOverrides or withRangedOverrides.
 */
export type LogRecord = {
  readonly seq: Seq;
  /** author is the leader that first proposed it; kept when re-adopted by later leaders. */
  readonly author: LeaderId;
  readonly kind: 'cmd' | 'noop';
  readonly cmd?: SmCommand;
  /** deps: earlier positions it interferes with (transitively closed, excludes seq). */
  readonly deps: TailBitmap;
  /**
   * overrides: {seq} ∪ earlier records whose effect it fully replaces (R5), ascending, only
   * positions ≥ the proposing leader's commit frontier. A sorted list, not a TailBitmap: a
   * TailBitmap holding {seq} costs seq/32 words (no full prefix), which grows without bound
   * in every record, message and WAL entry. Dropping overridden positions below the frontier
   * is safe: they are committed, also in `deps`, so they are applied before this record
   * instead of skipped, and this record overwrites them (same state).
   */
  readonly overrides: readonly Seq[];
  /** logKey is the instance-log KEY; '' for no-ops, which are never logged. */
  readonly logKey: string;
};

/** noopRecord fills a merge hole or the tail at establishment (§5.5, §5.6). */
export function noopRecord(seq: Seq, author: LeaderId): LogRecord {
  return new CompactRecord(seq, author, 'noop', undefined, EMPTY_BITMAP, '', SOLO);
}

/** SOLO: a CompactRecord's `ov` for overrides {seq}. */
const SOLO = -1;

/**
 * CompactRecord is every record a replica builds or reads (proposals, no-ops, folded forms, and
 * records decoded from messages and the WAL, decodedOv): their fields,
 * and the overrides as `ov`: SOLO for {seq}; a position `from` ≥ 0 for deps ∩ [from, seq) ∪ {seq}
 * (a `set` over one key: every same-key record above the frontier, ~1,250 at -l 10000), listed
 * only when read; else the list itself. A record lives from its proposal until the snapshot floor
 * passes it, so at -l 10000 nearly every one is promoted to the old generation: one object of
 * fixed shape per record, where a record literal with an own accessor closing over its list cost
 * several (accessor pair, closure, context, and a hidden mark), and every other record an array
 * of one.
 *
 * `overrides` is the prototype's getter, so a spread copy (plain fields, no `overrides`) is not a
 * LogRecord, and deep comparisons see `ov`, not a list: nothing outside tests copies or compares
 * records whole (R1 compares kind, logKey and cmd; the encoders read through rangeOf).
 */
export class CompactRecord implements LogRecord {
  readonly seq: Seq;
  readonly author: LeaderId;
  readonly kind: 'cmd' | 'noop';
  readonly cmd: SmCommand | undefined;
  readonly deps: TailBitmap;
  readonly logKey: string;
  readonly ov: Seq | readonly Seq[];
  /**
   * folded: this record's folded form (foldRecord), for the next replica of this process that
   * folds the very same object; set once, like a cache (records are immutable in content).
   */
  folded: CompactRecord | undefined;
  /**
   * packed and delta: this record's encodings (bitmap_codec.ts packedRecord, RecordContainer),
   * made once and shared by every container that writes it; a received record's are the bytes it
   * came in. Slots, not properties added later: an object given a property after its literal or
   * constructor (defineProperty) was a dictionary-mode object, ~300 bytes more per record.
   */
  packed: Uint8Array | undefined;
  delta: DeltaBytes | undefined;

  constructor(
    seq: Seq,
    author: LeaderId,
    kind: 'cmd' | 'noop',
    cmd: SmCommand | undefined,
    deps: TailBitmap,
    logKey: string,
    ov: Seq | readonly Seq[],
  ) {
    this.seq = seq;
    this.author = author;
    this.kind = kind;
    this.cmd = cmd;
    this.deps = deps;
    this.logKey = logKey;
    this.ov = ov;
    this.folded = undefined;
    this.packed = undefined;
    this.delta = undefined;
  }

  /** overrides: a ranged record's are listed afresh on each read (only tests and a fallback of deps.ts read them). */
  get overrides(): readonly Seq[] {
    const ov = this.ov;
    if (typeof ov !== 'number') return ov;
    return ov === SOLO ? [this.seq] : listOverrides(this.deps, this.seq, ov);
  }
}

/**
 * withRangedOverrides is a record whose overrides are deps ∩ [from, seq) ∪ {seq}, listed only
 * when read: the commit rule, the applier and the encoder ask rangeOf instead. A leader kept a
 * list per uncommitted `set`, most of its heap at -l 10000 and a push per member per proposal.
 */
export function withRangedOverrides(fields: Omit<LogRecord, 'overrides'>, from: Seq): LogRecord {
  assert(Number.isSafeInteger(from) && from >= 0 && from <= fields.seq, () => `overrides from ${from} above ${fields.seq}`);
  return new CompactRecord(fields.seq, fields.author, fields.kind, fields.cmd, fields.deps, fields.logKey, from);
}

/** withListedOverrides is a record with these overrides (ascending, ending at seq); {seq} alone is kept without a list. */
export function withListedOverrides(fields: Omit<LogRecord, 'overrides'>, overrides: readonly Seq[]): LogRecord {
  return new CompactRecord(fields.seq, fields.author, fields.kind, fields.cmd, fields.deps, fields.logKey, listedOv(fields.seq, overrides));
}

/** listedOv is a CompactRecord's `ov` for a list of overrides: SOLO for {seq}, else the list. */
function listedOv(seq: Seq, overrides: readonly Seq[]): Seq | readonly Seq[] {
  return overrides.length === 1 && overrides[0] === seq ? SOLO : overrides;
}

/**
 * decodedOv is a CompactRecord's `ov` for overrides read from a message or the WAL (wire.ts,
 * wal/format.ts, after the fields are checked): a position `from` (the `ovFrom` of its bytes:
 * deps ∩ [from, seq) ∪ {seq}, so a `from` above seq means {seq}), kept as that range, or the
 * list. A follower keeps every record it receives until the next snapshot: one object of fixed
 * shape, as a replica's own.
 */
export function decodedOv(seq: Seq, overrides: Seq | readonly Seq[]): Seq | readonly Seq[] {
  if (typeof overrides !== 'number') return listedOv(seq, overrides);
  if (!(overrides >= 0)) throw new InvariantError(`overrides from ${overrides}: not a position`);
  return overrides >= seq ? SOLO : overrides;
}

/** listOverrides lists deps ∩ [from, seq) ∪ {seq}: a ranged record's overrides (its own, or a received `ovFrom` record's). */
export function listOverrides(deps: TailBitmap, seq: Seq, from: Seq): Seq[] {
  const o = members(deps, from, seq);
  o.push(seq);
  return o;
}

/** rangeOf is `from` of a ranged record (withRangedOverrides, or decodedOv's from `ovFrom`), or -1 for one that lists its overrides (as the encoders write them). */
export function rangeOf(rec: LogRecord): Seq {
  return rec instanceof CompactRecord && typeof rec.ov === 'number' && rec.ov !== SOLO ? rec.ov : -1;
}

/**
 * spanOf is a `from` with rec's overrides = deps ∩ [from, seq) ∪ {seq}, known without listing
 * them (seq for {seq}), or -1: rangeOf, and a record that only overrides itself.
 */
function spanOf(rec: LogRecord): Seq {
  if (!(rec instanceof CompactRecord) || typeof rec.ov !== 'number') return -1;
  return rec.ov === SOLO ? rec.seq : rec.ov;
}

/** overridesOnlyItself: are rec's overrides {seq} (a list of one, for a listing record)? */
export function overridesOnlyItself(rec: LogRecord): boolean {
  if (!(rec instanceof CompactRecord)) return rec.overrides.length <= 1;
  return rec.ov === SOLO || (typeof rec.ov !== 'number' && rec.ov.length <= 1);
}

/** overridesSeq: is q in rec.overrides (a short sorted list, or a range of its deps)? */
export function overridesSeq(rec: LogRecord, q: Seq): boolean {
  const from = spanOf(rec);
  if (from >= 0) return q === rec.seq || (q >= from && q < rec.seq && hasSeq(rec.deps, q));
  const o = rec.overrides;
  let lo = 0;
  let hi = o.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((o[mid] as number) < q) lo = mid + 1;
    else hi = mid;
  }
  return lo < o.length && o[lo] === q;
}

/**
 * firstUnresolved is the least member of rec.deps \ done in [lo, rec.seq) that rec does not
 * override, or -1 (C2 with done = committed, the apply order's blocker with done = applied). A
 * ranged record overrides all of its deps from `from` on, so only [lo, from) is scanned.
 */
export function firstUnresolved(rec: LogRecord, done: TailBitmap, lo: Seq): Seq {
  const from = spanOf(rec);
  if (from >= 0) return firstFailing(rec.deps, done, lo, Math.min(from, rec.seq), never);
  return firstFailing(rec.deps, done, lo, rec.seq, isListedOverride, rec);
}

/** isListedOverride: rec lists x among its overrides (firstFailing's pred, rec its context: no closure per call). */
function isListedOverride(x: Seq, rec: LogRecord): boolean {
  return overridesSeq(rec, x);
}

function never(): boolean {
  return false;
}

/** forEachOverride calls fn on rec's overrides, ascending, without listing a ranged record's. */
export function forEachOverride(rec: LogRecord, fn: (q: Seq) => void): void {
  const from = spanOf(rec);
  if (from < 0) {
    for (const q of rec.overrides) fn(q);
    return;
  }
  firstFailing(rec.deps, EMPTY_BITMAP, from, rec.seq, (q) => {
    fn(q);
    return true;
  });
  fn(rec.seq);
}

/** overridesWireLength is |rec.overrides|, or 1 for a ranged one (its wire form is one number, ovFrom). */
export function overridesWireLength(rec: LogRecord): number {
  return spanOf(rec) >= 0 ? 1 : rec.overrides.length;
}

/**
 * foldRecord is rec's folded form (commit.ts foldBelowFrontier): deps [0, seq), overrides {seq},
 * the rest as rec's. `share` keeps it on rec for the next replica of this process that folds the
 * very same object: replicas in one process (the simulator's ranks, which share the records a
 * leader sends, nothing being encoded) each folded a copy of their own, five equal records kept
 * per position until the next snapshot. Records are immutable, so one folded form serves every
 * replica; it is on the original, so it never keeps the original alive. Only a CompactRecord has
 * the slot; rank processes, whose records each replica receives as bytes, do not share (commit.ts).
 */
export function foldRecord(rec: LogRecord, share: boolean): LogRecord {
  const compact = rec instanceof CompactRecord;
  if (compact && rec.folded !== undefined) return rec.folded;
  const folded = new CompactRecord(rec.seq, rec.author, rec.kind, rec.cmd, createBitmap(rec.seq), rec.logKey, SOLO);
  if (share && compact && Object.isExtensible(rec)) rec.folded = folded; // a test's frozen record is folded again next time
  return folded;
}

/** sameIdentity compares (seq, author), the record's identity. */
export function sameIdentity(a: { seq: Seq; author: LeaderId }, b: { seq: Seq; author: LeaderId }): boolean {
  return a.seq === b.seq && leaderIdEq(a.author, b.author);
}

/** assertSameRecord checks R1: equal identity must mean equal content (else a fatal bug). */
export function assertSameRecord(a: LogRecord, b: LogRecord): void {
  if (!sameIdentity(a, b)) return;
  assert(
    a.kind === b.kind && a.logKey === b.logKey && JSON.stringify(a.cmd) === JSON.stringify(b.cmd),
    () => `R1 violated: two contents for identity ${formatRecordId(a)}`,
  );
}

/** formatRecordId renders `seq@(term,id)`. */
export function formatRecordId(r: { seq: Seq; author: LeaderId }): string {
  return `${r.seq}@${formatLeaderId(r.author)}`;
}
