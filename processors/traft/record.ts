// record: the log record (docs/protocols/traft.md §3.2). A missing position is absent from the log
// map (R2); a deliberate gap is a `noop` record. Records are immutable once built.
import { assert } from '../../runtime/assert.js';
import type { SmCommand } from './state_machine.js';
import { formatLeaderId, leaderIdEq, type LeaderId } from './leader_id.js';
import { EMPTY_BITMAP, firstFailing, hasSeq, members, type TailBitmap } from './tail_bitmap.js';

/** Seq is a 0-based log position. */
export type Seq = number;

/** LogRecord: `(seq, author)` determines the content (R1). */
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
  return { seq, author, kind: 'noop', deps: EMPTY_BITMAP, overrides: [seq], logKey: '' };
}

/**
 * OV_FROM marks a record whose overrides are deps ∩ [from, seq) ∪ {seq} (a `set` over one key:
 * every same-key record above the frontier, ~1,250 at -l 10000). Hidden (not enumerable), so a
 * spread copy carries the listed overrides and not the mark, which speaks of this object's deps.
 */
const OV_FROM = Symbol('overridesFrom');

/**
 * withRangedOverrides is a record whose overrides are deps ∩ [from, seq) ∪ {seq}, listed only
 * when read: the commit rule, the applier and the encoder ask rangeOf instead. A leader kept a
 * list per uncommitted `set`, most of its heap at -l 10000 and a push per member per proposal.
 * `overrides` is an own enumerable accessor, so a spread or a comparison still sees the list.
 */
export function withRangedOverrides(fields: Omit<LogRecord, 'overrides'>, from: Seq): LogRecord {
  assert(Number.isSafeInteger(from) && from >= 0 && from <= fields.seq, () => `overrides from ${from} above ${fields.seq}`);
  let list: Seq[] | undefined;
  const { seq, deps } = fields;
  const rec: LogRecord = {
    ...fields,
    get overrides(): readonly Seq[] {
      return (list ??= listOverrides(deps, seq, from));
    },
  };
  Object.defineProperty(rec, OV_FROM, { value: from });
  return rec;
}

/** listOverrides lists deps ∩ [from, seq) ∪ {seq}: a ranged record's overrides, and a received `ovFrom` record's (bitmap_codec.ts). */
export function listOverrides(deps: TailBitmap, seq: Seq, from: Seq): Seq[] {
  const o = members(deps, from, seq);
  o.push(seq);
  return o;
}

/** rangeOf is `from` of a withRangedOverrides record, or -1 for one that lists its overrides. */
export function rangeOf(rec: LogRecord): Seq {
  return (rec as { [OV_FROM]?: Seq })[OV_FROM] ?? -1;
}

/** overridesSeq: is q in rec.overrides (a short sorted list, or a range of its deps)? */
export function overridesSeq(rec: LogRecord, q: Seq): boolean {
  const from = rangeOf(rec);
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
  const from = rangeOf(rec);
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
  const from = rangeOf(rec);
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
  return rangeOf(rec) >= 0 ? 1 : rec.overrides.length;
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
