// record: the log record (traft.md 2.2). A missing position is absent from the log map (R2);
// a deliberate gap is a `noop` record. Records are immutable once built.
import { assert } from './assert.js';
import type { Command } from './command.js';
import { formatLeaderId, leaderIdEq, type LeaderId } from './leader_id.js';
import { createBitmap, EMPTY_BITMAP, type TailBitmap } from './tail_bitmap.js';

/** Seq is a 0-based log position. */
export type Seq = number;

/** LogRecord: `(seq, author)` determines the content (R1). */
export type LogRecord = {
  readonly seq: Seq;
  /** author is the leader that first proposed it; kept when re-adopted by later leaders. */
  readonly author: LeaderId;
  readonly kind: 'cmd' | 'noop';
  readonly cmd?: Command;
  /** deps: earlier positions it interferes with (transitively closed, excludes seq). */
  readonly deps: TailBitmap;
  /** overrides: {seq} ∪ earlier records whose effect it fully replaces (R5). */
  readonly overrides: TailBitmap;
  /** logKey is the instance-log KEY; '' for no-ops, which are never logged. */
  readonly logKey: string;
};

/** noopRecord fills a merge hole or the tail at establishment (3.5.5, 7.3). */
export function noopRecord(seq: Seq, author: LeaderId): LogRecord {
  return { seq, author, kind: 'noop', deps: EMPTY_BITMAP, overrides: createBitmap(0, seq), logKey: '' };
}

/** sameIdentity compares (seq, author), the record's identity. */
export function sameIdentity(a: { seq: Seq; author: LeaderId }, b: { seq: Seq; author: LeaderId }): boolean {
  return a.seq === b.seq && leaderIdEq(a.author, b.author);
}

/** assertSameRecord checks R1: equal identity must mean equal content (else a fatal bug). */
export function assertSameRecord(a: LogRecord, b: LogRecord): void {
  if (!sameIdentity(a, b)) return;
  assert(a.kind === b.kind && a.logKey === b.logKey && JSON.stringify(a.cmd) === JSON.stringify(b.cmd),
    () => `R1 violated: two contents for identity ${formatRecordId(a)}`);
}

/** formatRecordId renders `seq@(term,id)`. */
export function formatRecordId(r: { seq: Seq; author: LeaderId }): string {
  return `${r.seq}@${formatLeaderId(r.author)}`;
}

/** recordIdentity is a string key for maps in invariant checks. */
export function recordIdentity(r: { seq: Seq; author: LeaderId }): string {
  return `${r.seq}@${r.author.term}.${r.author.id}`;
}
