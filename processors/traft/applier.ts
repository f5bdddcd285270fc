// applier: the apply order (docs/protocols/traft.md §6.6) as a pure function over the log and
// committed set. A record applies once committed and once every dep is applied or overridden by it;
// applying marks its whole `overrides` applied, so subsumed records are skipped forever (R5).
// What applying does is the state machine's (state_machine.ts).
import { WalCorruptError } from './wal/format.js';
import type { Snapshot } from './durable.js';
import { overridesSeq, type LogRecord, type Seq } from './record.js';
import type { Json, MachineKind, StateMachine } from './state_machine.js';
import {
  bitmapEq,
  bitmapLen,
  draftAdd,
  draftOf,
  firstFailing,
  firstMissing,
  hasSeq,
  settle,
  WORD_BITS,
  wordOf,
  type DraftBitmap,
  type TailBitmap,
} from './tail_bitmap.js';

/**
 * Applier holds the applied positions and the state machine they produced. `blockedBy` caches,
 * per committed record that was not ready, one dep that held it back: while that dep stays
 * unapplied the record cannot be ready, so a step re-tests it with one lookup instead of a scan of
 * its deps (under a stuck dep most committed records wait, and every step used to scan them all).
 */
export type Applier = {
  applied: TailBitmap;
  sm: StateMachine;
  readonly blockedBy: Map<Seq, Seq>;
  /**
   * settledAt: the committed set of the last pass if it ran nothing and found every record
   * stored: with the same committed set (and applied unchanged, as nothing ran) a pass would run
   * nothing again, so it is skipped. Most steps commit nothing new.
   */
  settledAt: TailBitmap | null;
};

/** newApplier is the empty state (no snapshot yet). */
export function newApplier(kind: MachineKind): Applier {
  return { applied: { offset: 0, words: [] }, sm: kind.create(), blockedBy: new Map(), settledAt: null };
}

/** applierOf restores a snapshot's state: exactly its applied positions (§7.1, T25) and its machine. */
export function applierOf(kind: MachineKind, snapshot: Snapshot): Applier {
  const sm = kind.restore(snapshot.kv);
  if (sm === null)
    throw new WalCorruptError(
      'corrupt',
      0,
      `a snapshot whose image is not a ${kind.name} machine's: ${kind.checkImage(snapshot.kv) ?? ''}`,
    );
  return { applied: snapshot.applied, sm, blockedBy: new Map(), settledAt: null };
}

/** Applied is one command record run by the machine, with its result (a client waits for it). */
export type Applied = { readonly rec: LogRecord; readonly result: Json };

/**
 * applyCommitted runs every applicable committed record, ascending; returns the seqs run.
 * `onSkip`, if given, hears of each stored, unapplied q that applying a record skips (for checks);
 * `onApply` of each command's result.
 */
export function applyCommitted(
  a: Applier,
  log: ReadonlyMap<Seq, LogRecord>,
  committed: TailBitmap,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
  onApply?: (applied: Applied) => void,
): Seq[] {
  const ran: Seq[] = [];
  if (a.settledAt !== null && (a.settledAt === committed || bitmapEq(a.settledAt, committed))) return ran;
  const from = firstMissing(a.applied);
  const top = bitmapLen(committed);
  let missing = false;
  // Applied positions go into one draft, made at the first record run: a step copies the
  // applied words at most once, not once per position (this was most of the run's garbage).
  let draft: DraftBitmap | null = null;
  // Word by word over committed \ applied: a step re-tests only the positions still waiting, never
  // every committed one above a stuck frontier, and builds no lists (this was the simulator's hot spot).
  for (let w = from - (from % WORD_BITS); w < top; w += WORD_BITS) {
    let d = (wordOf(committed, w) & ~wordOf(draft ?? a.applied, w)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const s = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      // overrides lie at or below their record, so nothing later in d is applied yet; the check
      // keeps the old loop's guard should a record ever list a later position
      if (s >= top || hasSeq(draft ?? a.applied, s)) continue;
      const rec = log.get(s);
      if (rec === undefined) missing = true; // committed ⊆ accepted; defensive for torn views
      if (rec === undefined || blocked(a, draft ?? a.applied, rec, from)) continue;
      draft ??= draftOf(a.applied);
      applyOne(a, draft, log, rec, onSkip, onApply);
      ran.push(s);
    }
  }
  if (draft !== null) a.applied = settle(draft);
  a.settledAt = ran.length === 0 && !missing ? committed : null;
  return ran;
}

/**
 * blocked: some dep of rec at or above `from` (those below are applied) is neither applied nor
 * overridden by rec. The cached blocker answers exactly when it still holds (deps and overrides
 * are rec's own, applied only grows); else the deps are scanned and a new blocker kept.
 */
function blocked(a: Applier, applied: TailBitmap, rec: LogRecord, from: Seq): boolean {
  const q = a.blockedBy.get(rec.seq);
  if (q !== undefined && q < rec.seq && hasSeq(rec.deps, q) && !hasSeq(applied, q) && !overridesSeq(rec, q)) return true;
  const first = firstBlocker(applied, rec, from);
  if (first === -1) {
    a.blockedBy.delete(rec.seq);
    return false;
  }
  a.blockedBy.set(rec.seq, first);
  return true;
}

/** firstBlocker scans rec's deps; its own function, so the lookup path above allocates no closure context. */
function firstBlocker(applied: TailBitmap, rec: LogRecord, from: Seq): Seq {
  return firstFailing(rec.deps, applied, from, rec.seq, (x) => overridesSeq(rec, x));
}

/** applyOne runs a ready record and marks its overrides applied in the draft. */
function applyOne(
  a: Applier,
  applied: DraftBitmap,
  log: ReadonlyMap<Seq, LogRecord>,
  rec: LogRecord,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
  onApply?: (applied: Applied) => void,
): void {
  if (rec.kind === 'cmd' && rec.cmd !== undefined) {
    const result = a.sm.apply(rec.cmd);
    onApply?.({ rec, result });
  }
  for (const q of rec.overrides) {
    if (onSkip !== undefined && q !== rec.seq && !hasSeq(applied, q)) {
      const skipped = log.get(q);
      if (skipped !== undefined) onSkip(rec, skipped);
    }
    draftAdd(applied, q);
    a.blockedBy.delete(q);
  }
}

export { formatKv } from './lab_machine.js';
