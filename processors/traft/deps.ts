// deps: R4/R5 over the state machine's interference keys (state_machine.ts Access) through a
// per-key index of the latest records, so a new record's `deps` and `overrides` cost O(1)
// bitmap unions per key (docs/protocols/traft.md §3.2).
import type { LogRecord, Seq } from './record.js';
import type { Access, MachineKind, SmCommand } from './state_machine.js';
import { addSeq, bitmapLen, createBitmap, draftAdd, draftOf, draftUnion, settle, union, type TailBitmap } from './tail_bitmap.js';

/** Lone: a record and whether an `overwrite` of the key may subsume it (it touched that key alone, not as a `write`). */
type Lone = { readonly rec: LogRecord; readonly subsumable: boolean };

/** KeyState: the latest non-commuting record of a key and the commuting ones after it. */
export type KeyState = { last: Lone | null; commuting: Lone[] };

/** KeyIndex maps an interference key to its KeyState; `kind` says which keys a command touches. */
export type KeyIndex = { readonly kind: MachineKind; readonly keys: Map<string, KeyState> };

function subsumable(acc: readonly Access[], a: Access): boolean {
  return acc.length === 1 && a.mode !== 'write';
}

/** indexRecord folds a stored record (ascending seq) into the index. */
export function indexRecord(ix: KeyIndex, rec: LogRecord): void {
  if (rec.kind !== 'cmd' || rec.cmd === undefined) return;
  const acc = ix.kind.access(rec.cmd);
  for (const a of acc) {
    const k = ix.keys.get(a.key) ?? { last: null, commuting: [] };
    const lone = { rec, subsumable: subsumable(acc, a) };
    if (a.mode === 'commute') k.commuting.push(lone);
    else {
      k.last = lone;
      k.commuting = [];
    }
    ix.keys.set(a.key, k);
  }
}

/** buildKeyIndex scans a log ascending from the floor (at establishment); below it every position is committed, hence in every new record's deps. */
export function buildKeyIndex(kind: MachineKind, log: ReadonlyMap<Seq, LogRecord>, floor: Seq, len: Seq): KeyIndex {
  const ix: KeyIndex = { kind, keys: new Map() };
  for (let s = floor; s < len; s++) {
    const r = log.get(s);
    if (r !== undefined) indexRecord(ix, r);
  }
  return ix;
}

/**
 * depsFor computes R4/R5 (overrides trimmed to positions ≥ frontier, see LogRecord.overrides) for a new `cmd` at `seq`. `deps` also includes the leader's commit
 * frontier [0, frontier): those positions are committed, so C2 is unchanged, and it keeps
 * deps bitmaps compact (a generalisation of R4's snapshot floor). deps is built in one draft:
 * it spans the uncommitted window (~300 words at -l 10000), and copying it per union or added
 * seq was most of a leader's cost per proposal.
 */
export function depsFor(ix: KeyIndex, cmd: SmCommand, seq: Seq, frontier: Seq): { deps: TailBitmap; overrides: Seq[] } {
  const f = Math.min(frontier, seq);
  const draft = draftOf(createBitmap(f));
  const over: Seq[] = [];
  const acc = ix.kind.access(cmd);
  for (const a of acc) {
    const k = ix.keys.get(a.key);
    if (k === undefined) continue;
    dropBelow(k, f);
    const overwrite = a.mode === 'overwrite' && acc.length === 1;
    if (k.last !== null) {
      draftUnion(draft, k.last.rec.deps);
      draftAdd(draft, k.last.rec.seq);
      if (overwrite && k.last.subsumable) for (const q of k.last.rec.overrides) if (q >= f) over.push(q);
    }
    if (a.mode === 'commute') continue; // commuting records of the key do not interfere with it
    for (const c of k.commuting) {
      draftAdd(draft, c.rec.seq);
      if (overwrite && c.subsumable && c.rec.seq >= f) over.push(c.rec.seq);
    }
  }
  over.push(seq);
  // One key's overrides come ascending (its last record's, then the later commuting ones, then
  // seq); sorting only when they do not keeps a set's O(window / keys) list from a sort per proposal.
  if (!ascending(over)) over.sort((a, b) => a - b);
  const deps = settle(draft);
  if (bitmapLen(deps) > seq) throw new RangeError(`deps of ${seq} reach ${bitmapLen(deps)}`);
  return { deps, overrides: over };
}

function ascending(xs: readonly Seq[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) <= (xs[i - 1] as number)) return false;
  return true;
}

/**
 * dropBelow forgets the commuting records below the frontier f. They add nothing to a new
 * record: they and their deps lie in [0, f), which every deps already holds, and overrides
 * start at f. Without it a key only ever incremented (the lab load with few sets, or a counter)
 * kept every record of the leadership, compacted or not: memory growing with the run (§3.2).
 * The list is ascending (indexRecord appends in seq order), so the stale ones are a prefix.
 */
function dropBelow(k: KeyState, f: Seq): void {
  let n = 0;
  while (n < k.commuting.length && (k.commuting[n] as Lone).rec.seq < f) n++;
  if (n > 0) k.commuting = k.commuting.slice(n);
}

/**
 * readDeps: the positions a read of `q`'s keys must see applied (§9.4 ReadIndex): every
 * record that interferes with it and, through their deps, everything they need; [0, frontier)
 * as for a command.
 */
export function readDeps(ix: KeyIndex, q: SmCommand, len: Seq, frontier: Seq): TailBitmap {
  let deps = createBitmap(Math.min(frontier, len));
  for (const a of ix.kind.access(q)) {
    const k = ix.keys.get(a.key);
    if (k === undefined) continue;
    if (k.last !== null) deps = union(deps, addSeq(k.last.rec.deps, k.last.rec.seq));
    for (const c of k.commuting) deps = union(deps, addSeq(c.rec.deps, c.rec.seq));
  }
  return deps;
}
