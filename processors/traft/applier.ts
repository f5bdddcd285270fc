// applier: the apply order (docs/protocols/traft.md §6.6) as a pure function over the log and
// committed set. A record applies once committed and once every dep is applied or overridden by it;
// applying marks its whole `overrides` applied, so subsumed records are skipped forever (R5).
import type { Snapshot } from './durable.js';
import { overridesSeq, type LogRecord, type Seq } from './record.js';
import { addSeq, bitmapLen, firstMissing, hasSeq, members, type TailBitmap } from './tail_bitmap.js';

/** KvState is the lab state machine: key → integer. */
export type KvState = Map<string, number>;

/** Applier holds the applied positions and the state they produced. */
export type Applier = { applied: TailBitmap; kv: KvState };

/** newApplier is the empty state (no snapshot yet). */
export function newApplier(): Applier {
  return { applied: { offset: 0, words: [] }, kv: new Map() };
}

/** applierOf restores a snapshot's state: exactly its applied positions (§7.1, T25) and its kv. */
export function applierOf(snapshot: Snapshot): Applier {
  return { applied: snapshot.applied, kv: new Map(snapshot.kv) };
}

/**
 * applyCommitted runs every applicable committed record, ascending; returns the seqs run.
 * `onSkip`, if given, hears of each stored, unapplied q that applying a record skips (for checks).
 */
export function applyCommitted(
  a: Applier,
  log: ReadonlyMap<Seq, LogRecord>,
  committed: TailBitmap,
  onSkip?: (by: LogRecord, q: LogRecord) => void,
): Seq[] {
  const ran: Seq[] = [];
  const from = firstMissing(a.applied);
  for (const s of members(committed, from, bitmapLen(committed))) {
    if (hasSeq(a.applied, s)) continue;
    const rec = log.get(s);
    if (rec === undefined) continue; // committed ⊆ accepted; defensive for torn views
    const ready = members(rec.deps, from, s).every((q) => hasSeq(a.applied, q) || overridesSeq(rec, q));
    if (!ready) continue;
    if (rec.kind === 'cmd' && rec.cmd !== undefined) {
      const c = rec.cmd;
      a.kv.set(c.key, c.op === 'set' ? c.value : (a.kv.get(c.key) ?? 0) + 1);
    }
    for (const q of rec.overrides) {
      if (onSkip !== undefined && q !== s && !hasSeq(a.applied, q)) {
        const skipped = log.get(q);
        if (skipped !== undefined) onSkip(rec, skipped);
      }
      a.applied = addSeq(a.applied, q);
    }
    ran.push(s);
  }
  return ran;
}

/** formatKv renders the state sorted by key, for equality checks and messages. */
export function formatKv(kv: KvState): string {
  return [...kv.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
