// applier: the apply order (docs/protocols/traft.md §6.6) as a pure function over the log and
// committed set. A record applies once committed and once every dep is applied or overridden by it;
// applying marks its whole `overrides` applied, so subsumed records are skipped forever (R5).
// What applying does is the state machine's (state_machine.ts).
import { WalCorruptError } from './wal/format.js';
import type { Snapshot } from './durable.js';
import { firstUnresolved, forEachOverride, type LogRecord, type Seq } from './record.js';
import type { RecordLookup } from './seq_log.js';
import type { Json, MachineKind, StateMachine } from './state_machine.js';
import {
  bitmapEq,
  bitmapLen,
  draftAdd,
  draftOf,
  firstMissing,
  hasSeq,
  settle,
  WORD_BITS,
  wordOf,
  type DraftBitmap,
  type TailBitmap,
} from './tail_bitmap.js';

/**
 * Applier holds the applied positions and the state machine they produced. A committed record
 * that was not ready is parked on one dep that held it back: while that dep stays unapplied the
 * record cannot be ready (its deps and overrides are its own, applied only grows, and folding a
 * record below the frontier only adds deps), so a pass skips it a word at a time instead of
 * testing it, and applying the dep releases it. Under a stuck dep most committed records wait,
 * and every step that commits something used to test them all (8% of a long run's CPU).
 */
export type Applier = {
  applied: TailBitmap;
  sm: StateMachine;
  /** parked: by aligned word base, the bits of committed positions parked on an unapplied dep. */
  readonly parked: Map<Seq, number>;
  /** waiters: by dep, the positions parked on it. */
  readonly waiters: Map<Seq, Seq[]>;
  /**
   * settledAt: the committed set of the last pass if it ran nothing and found every record
   * stored: with the same committed set (and applied unchanged, as nothing ran) a pass would run
   * nothing again, so it is skipped. Most steps commit nothing new.
   */
  settledAt: TailBitmap | null;
};

/** ALL_ABOVE: every bit of a word, shifted to keep those above a position. */
const ALL_ABOVE = 0xffffffff;

/** newApplier is the empty state (no snapshot yet). */
export function newApplier(kind: MachineKind): Applier {
  return { applied: { offset: 0, words: [] }, sm: kind.create(), parked: new Map(), waiters: new Map(), settledAt: null };
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
  return { applied: snapshot.applied, sm, parked: new Map(), waiters: new Map(), settledAt: null };
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
  log: RecordLookup,
  committed: TailBitmap,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
  onApply?: (applied: Applied) => void,
): Seq[] {
  const ran: Seq[] = [];
  if (isSettled(a, committed)) return ran;
  const from = firstMissing(a.applied);
  const top = bitmapLen(committed);
  let missing = false;
  // Applied positions go into one draft, made at the first record run: a step copies the
  // applied words at most once, not once per position (this was most of the run's garbage).
  let draft: DraftBitmap | null = null;
  // Word by word over committed \ applied: a step re-tests only the positions still waiting, never
  // every committed one above a stuck frontier, and builds no lists (this was the simulator's hot spot).
  for (let w = from - (from % WORD_BITS); w < top; w += WORD_BITS) {
    let d = (wordOf(committed, w) & ~wordOf(draft ?? a.applied, w) & ~(a.parked.get(w) ?? 0)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const s = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      // overrides lie at or below their record, so nothing later in d is applied yet; the check
      // keeps the old loop's guard should a record ever list a later position
      if (s >= top || hasSeq(draft ?? a.applied, s)) continue;
      const rec = log.get(s);
      if (rec === undefined) {
        missing = true; // committed ⊆ accepted; defensive for torn views
        continue;
      }
      const q = firstBlocker(draft ?? a.applied, rec, from);
      if (q !== -1) {
        park(a, s, q);
        continue;
      }
      draft ??= draftOf(a.applied);
      // a record parked on what this one applies, later in this word, is tested in this pass, as
      // before; one earlier in it was tested already (and found blocked) in this pass
      const above = s % WORD_BITS === WORD_BITS - 1 ? 0 : (ALL_ABOVE << ((s % WORD_BITS) + 1)) >>> 0;
      d = (d | (applyOne(a, draft, log, rec, w, onSkip, onApply) & above)) >>> 0;
      ran.push(s);
    }
  }
  if (draft !== null) a.applied = settle(draft);
  a.settledAt = ran.length === 0 && !missing ? committed : null;
  return ran;
}

/** isSettled: a pass over `committed` would run nothing (Applier.settledAt); most steps, so a caller may skip building its hooks. */
export function isSettled(a: Applier, committed: TailBitmap): boolean {
  return a.settledAt !== null && (a.settledAt === committed || bitmapEq(a.settledAt, committed));
}

/** park: committed position s waits for dep q. */
function park(a: Applier, s: Seq, q: Seq): void {
  const base = s - (s % WORD_BITS);
  a.parked.set(base, ((a.parked.get(base) ?? 0) | (1 << (s % WORD_BITS))) >>> 0);
  const list = a.waiters.get(q);
  if (list === undefined) a.waiters.set(q, [s]);
  else list.push(s);
}

/** unpark: s is no longer parked (its dep was applied, or it was itself). */
function unpark(a: Applier, s: Seq): void {
  const base = s - (s % WORD_BITS);
  const bits = a.parked.get(base);
  if (bits === undefined) return;
  const left = (bits & ~(1 << (s % WORD_BITS))) >>> 0;
  if (left === 0) a.parked.delete(base);
  else a.parked.set(base, left);
}

/** release unparks q's waiters; it returns those in the word at base w, for the running pass. */
function release(a: Applier, q: Seq, w: Seq): number {
  unpark(a, q);
  const list = a.waiters.get(q);
  if (list === undefined) return 0;
  a.waiters.delete(q);
  let here = 0;
  for (const x of list) {
    unpark(a, x);
    if (x - (x % WORD_BITS) === w) here |= 1 << (x % WORD_BITS);
  }
  return here >>> 0;
}

/** firstBlocker scans rec's deps; its own function, so the lookup path above allocates no closure context. */
function firstBlocker(applied: TailBitmap, rec: LogRecord, from: Seq): Seq {
  return firstUnresolved(rec, applied, from);
}

/**
 * applyOne runs a ready record and marks its overrides applied in the draft, releasing what
 * waited for them; it returns the released positions in the word at base w.
 */
function applyOne(
  a: Applier,
  applied: DraftBitmap,
  log: RecordLookup,
  rec: LogRecord,
  w: Seq,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
  onApply?: (applied: Applied) => void,
): number {
  if (rec.kind === 'cmd' && rec.cmd !== undefined) {
    const result = a.sm.apply(rec.cmd);
    onApply?.({ rec, result });
  }
  let here = 0;
  forEachOverride(rec, (q) => {
    if (onSkip !== undefined && q !== rec.seq && !hasSeq(applied, q)) {
      const skipped = log.get(q);
      if (skipped !== undefined) onSkip(rec, skipped);
    }
    draftAdd(applied, q);
    here |= release(a, q, w);
  });
  return here >>> 0;
}

export { formatKv } from './lab_machine.js';
