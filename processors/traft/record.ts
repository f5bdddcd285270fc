// record: the log record (docs/protocols/traft.md §3.2). A missing position is absent from the log
// map (R2); a deliberate gap is a `noop` record. Records are immutable once built.
import { assert } from '../../runtime/assert.js';
import type { SmCommand } from './state_machine.js';
import { formatLeaderId, leaderIdEq, type LeaderId } from './leader_id.js';
import { EMPTY_BITMAP, type TailBitmap } from './tail_bitmap.js';

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

/** overridesSeq: is q in rec.overrides (a short sorted list)? */
export function overridesSeq(rec: LogRecord, q: Seq): boolean {
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
