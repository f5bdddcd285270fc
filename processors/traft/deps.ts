// deps: R4/R5 over the state machine's interference keys (state_machine.ts Access) through a
// per-key index of the latest records, so a new record's `deps` and `overrides` cost O(1)
// bitmap unions per key (docs/protocols/traft.md §3.2).
import { rangeOf, type LogRecord, type Seq } from './record.js';
import type { RecordLookup } from './seq_log.js';
import type { Access, MachineKind, SmCommand } from './state_machine.js';
import {
  addSeq,
  bitmapLen,
  createBitmap,
  draftAdd,
  draftOf,
  draftUnion,
  membersAre,
  settleExact,
  union,
  type TailBitmap,
} from './tail_bitmap.js';

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
export function buildKeyIndex(kind: MachineKind, log: RecordLookup, floor: Seq, len: Seq): KeyIndex {
  const ix: KeyIndex = { kind, keys: new Map() };
  for (let s = floor; s < len; s++) {
    const r = log.get(s);
    if (r !== undefined) indexRecord(ix, r);
  }
  return ix;
}

/**
 * Deps is a new record's R4/R5: its deps, and its overrides either listed or, for an overwrite
 * of one key, as deps ∩ [ovFrom, seq) ∪ {seq} (record.ts withRangedOverrides).
 */
export type Deps = { deps: TailBitmap; overrides: Seq[]; ovFrom?: undefined } | { deps: TailBitmap; overrides?: undefined; ovFrom: Seq };

/**
 * depsFor computes R4/R5 (overrides trimmed to positions ≥ frontier, see LogRecord.overrides) for a new `cmd` at `seq`. `deps` also includes the leader's commit
 * frontier [0, frontier): those positions are committed, so C2 is unchanged, and it keeps
 * deps bitmaps compact (a generalisation of R4's snapshot floor). deps is built in one draft:
 * it spans the uncommitted window (~300 words at -l 10000), and copying it per union or added
 * seq was most of a leader's cost per proposal. An overwrite's overrides are a range of its
 * deps whenever its key's chain allows (overwriteFrom): not a list of ~window/keys numbers.
 */
export function depsFor(ix: KeyIndex, cmd: SmCommand, seq: Seq, frontier: Seq): Deps {
  const f = Math.min(frontier, seq);
  const draft = draftOf(createBitmap(f));
  const acc = ix.kind.access(cmd);
  let overwritten: KeyState | null = null;
  for (const a of acc) {
    const k = ix.keys.get(a.key);
    if (k === undefined) continue;
    dropBelow(k, f);
    if (a.mode === 'overwrite' && acc.length === 1) overwritten = k;
    if (k.last !== null) {
      draftUnion(draft, k.last.rec.deps);
      draftAdd(draft, k.last.rec.seq);
    }
    if (a.mode === 'commute') continue; // commuting records of the key do not interfere with it
    for (const c of k.commuting) draftAdd(draft, c.rec.seq);
  }
  const deps = settleExact(draft);
  if (bitmapLen(deps) > seq) throw new RangeError(`deps of ${seq} reach ${bitmapLen(deps)}`);
  if (overwritten === null) return { deps, overrides: [seq] };
  const from = overwriteFrom(overwritten, f);
  if (from >= 0) return { deps, ovFrom: from };
  const overrides = listedOverrides(overwritten, seq, f);
  // the list came from records that listed theirs (an earlier leader's, or a fallback's): a
  // range again when it is one, so the key's later overwrites are ranged
  const first = overrides[0] as Seq;
  return membersAre(deps, first, seq, overrides, overrides.length - 1) ? { deps, ovFrom: first } : { deps, overrides };
}

/**
 * overwriteFrom: the `from` for which an overwrite of the one key k at a new seq overrides
 * exactly deps ∩ [from, seq) ∪ {seq}, or -1 if none is known without listing. Its deps there
 * are k's last record's deps and seq and k's commuting records (one key, and [0, f) lies
 * below); it overrides the last record's overrides ≥ f and the commuting ones, so the range
 * holds when the last one is subsumable and ranged (or lies below f, or is not subsumable:
 * then the range starts above it), and every commuting record in range is subsumable.
 */
function overwriteFrom(k: KeyState, f: Seq): Seq {
  let from = f;
  const last = k.last;
  if (last !== null && last.rec.seq >= f) {
    if (!last.subsumable) from = last.rec.seq + 1;
    else {
      const r = rangeOf(last.rec);
      if (r < 0) return -1;
      from = Math.max(f, r);
    }
  }
  for (const c of k.commuting) if (!c.subsumable && c.rec.seq >= from) return -1;
  return from;
}

/** listedOverrides is an overwrite's R5 as a list: the last record's overrides ≥ f, the subsumable commuting ones, seq. */
function listedOverrides(k: KeyState, seq: Seq, f: Seq): Seq[] {
  const over: Seq[] = [];
  if (k.last !== null && k.last.subsumable) for (const q of k.last.rec.overrides) if (q >= f) over.push(q);
  for (const c of k.commuting) if (c.subsumable && c.rec.seq >= f) over.push(c.rec.seq);
  over.push(seq);
  // One key's overrides come ascending (its last record's, then the later commuting ones, then
  // seq); sorting only when they do not keeps a set's O(window / keys) list from a sort per proposal.
  if (!ascending(over)) over.sort((a, b) => a - b);
  return over;
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
