// applier: the apply order (docs/protocols/traft.md §6.6) as a pure function over the log and
// committed set. A record applies once committed and once every dep is applied or overridden by it;
// applying marks its whole `overrides` applied, so subsumed records are skipped forever (R5).
// What applying does is the state machine's (state_machine.ts).
import { WalCorruptError } from './wal/format.js';
import type { Snapshot } from './durable.js';
import { overridesSeq, type LogRecord, type Seq } from './record.js';
import type { Json, MachineKind, StateMachine } from './state_machine.js';
import { addSeq, bitmapLen, everyIn, firstMissing, hasSeq, WORD_BITS, wordOf, type TailBitmap } from './tail_bitmap.js';

/** Applier holds the applied positions and the state machine they produced. */
export type Applier = { applied: TailBitmap; sm: StateMachine };

/** newApplier is the empty state (no snapshot yet). */
export function newApplier(kind: MachineKind): Applier {
  return { applied: { offset: 0, words: [] }, sm: kind.create() };
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
  return { applied: snapshot.applied, sm };
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
  const from = firstMissing(a.applied);
  const top = bitmapLen(committed);
  // Word by word over committed \ applied: a step re-tests only the positions still waiting, never
  // every committed one above a stuck frontier, and builds no lists (this was the simulator's hot spot).
  for (let w = from - (from % WORD_BITS); w < top; w += WORD_BITS) {
    let d = (wordOf(committed, w) & ~wordOf(a.applied, w)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const s = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      // overrides lie at or below their record, so nothing later in d is applied yet; the check
      // keeps the old loop's guard should a record ever list a later position
      if (s < top && !hasSeq(a.applied, s) && applyOne(a, log, s, from, onSkip, onApply)) ran.push(s);
    }
  }
  return ran;
}

/** applyOne runs committed position s if it is stored and ready; says whether it ran. */
function applyOne(
  a: Applier,
  log: ReadonlyMap<Seq, LogRecord>,
  s: Seq,
  from: Seq,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
  onApply?: (applied: Applied) => void,
): boolean {
  const rec = log.get(s);
  if (rec === undefined) return false; // committed ⊆ accepted; defensive for torn views
  // deps below `from` are applied; the rest must be applied or overridden by rec
  if (!everyIn(rec.deps, a.applied, from, s, (q) => overridesSeq(rec, q))) return false;
  if (rec.kind === 'cmd' && rec.cmd !== undefined) {
    const result = a.sm.apply(rec.cmd);
    onApply?.({ rec, result });
  }
  for (const q of rec.overrides) {
    if (onSkip !== undefined && q !== s && !hasSeq(a.applied, q)) {
      const skipped = log.get(q);
      if (skipped !== undefined) onSkip(rec, skipped);
    }
    a.applied = addSeq(a.applied, q);
  }
  return true;
}

export { formatKv } from './lab_machine.js';
