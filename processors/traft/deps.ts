// deps: R4/R5 for the lab commands through a per-key index of the latest records, so a new
// record's `deps` and `overrides` cost O(1) bitmap unions (docs/protocols/traft.md §3.2).
import type { Command } from './command.js';
import type { LogRecord, Seq } from './record.js';
import { addSeq, bitmapLen, createBitmap, union, type TailBitmap } from './tail_bitmap.js';

/** KeyState: the latest `set` on a key and the `incr`s after it. */
export type KeyState = { lastSet: LogRecord | null; incrsSince: Seq[] };

/** KeyIndex maps a key to its KeyState. */
export type KeyIndex = Map<string, KeyState>;

/** indexRecord folds a stored record (ascending seq) into the index. */
export function indexRecord(ix: KeyIndex, rec: LogRecord): void {
  if (rec.kind !== 'cmd' || rec.cmd === undefined) return;
  const k = ix.get(rec.cmd.key) ?? { lastSet: null, incrsSince: [] };
  if (rec.cmd.op === 'set') {
    k.lastSet = rec;
    k.incrsSince = [];
  } else {
    k.incrsSince.push(rec.seq);
  }
  ix.set(rec.cmd.key, k);
}

/** buildKeyIndex scans a log ascending from the floor (at establishment); below it every position is committed, hence in every new record's deps. */
export function buildKeyIndex(log: ReadonlyMap<Seq, LogRecord>, floor: Seq, len: Seq): KeyIndex {
  const ix: KeyIndex = new Map();
  for (let s = floor; s < len; s++) {
    const r = log.get(s);
    if (r !== undefined) indexRecord(ix, r);
  }
  return ix;
}

/**
 * depsFor computes R4/R5 (overrides trimmed to positions ≥ frontier, see LogRecord.overrides) for a new `cmd` at `seq`. `deps` also includes the leader's commit
 * frontier [0, frontier): those positions are committed, so C2 is unchanged, and it keeps
 * deps bitmaps compact (a generalisation of R4's snapshot floor).
 */
export function depsFor(ix: KeyIndex, cmd: Command, seq: Seq, frontier: Seq): { deps: TailBitmap; overrides: Seq[] } {
  const k = ix.get(cmd.key);
  const f = Math.min(frontier, seq);
  let deps = createBitmap(f);
  const over: Seq[] = [];
  if (k?.lastSet) {
    deps = union(deps, addSeq(k.lastSet.deps, k.lastSet.seq));
    if (cmd.op === 'set') for (const q of k.lastSet.overrides) if (q >= f) over.push(q);
  }
  if (k && cmd.op === 'set') {
    for (const q of k.incrsSince) {
      deps = addSeq(deps, q);
      if (q >= f) over.push(q);
    }
  }
  over.push(seq);
  over.sort((a, b) => a - b);
  if (bitmapLen(deps) > seq) throw new RangeError(`deps of ${seq} reach ${bitmapLen(deps)}`);
  return { deps, overrides: over };
}
