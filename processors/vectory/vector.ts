// vector: Vectory's vector agreement (docs/protocols/vectory.md §8) — one global order for every
// shard's writes, with no message round of its own. Each shard's log already decides a version
// per entry (V3); this layer stamps versions, keeps each shard's frontier of committed entries
// held here (V4), and applies entries across shards in (version, shard) order once nothing
// smaller can still commit (V6). Pure: the node feeds it committed entries and asks what is
// ready; no I/O, no clock.
//
// Start-up (V6): a shard with no committed entry held here has frontier 0, and its first entry
// (its first master's noop, E4) may carry any version ≥ 1, so nothing is applied anywhere until
// every shard has committed one entry. Applying earlier could pass over that first entry.
import { assert } from '../../runtime/assert.js';
import type { WriteResult } from '../../runtime/client/wire.js';
import { compareVts, ZERO_VTS, type Cmd, type Entry, type Vts } from './types.js';

/** Outcome: a write changed the store, was a late duplicate of its session (skipped), or a noop/tick. */
export type Outcome = 'applied' | 'skipped' | 'noop' | 'tick';

/** AppliedEntry: one step of the global apply sequence (the same on every node, S7). */
export type AppliedEntry = {
  readonly shard: number;
  readonly index: number;
  readonly vts: Vts;
  readonly outcome: Outcome;
  readonly cmd?: Cmd;
  readonly clientId?: string;
  readonly reqNo?: number;
  readonly result?: WriteResult;
};

/** ShardQueue: one shard's committed entries held here and not yet applied, in index order. */
type ShardQueue = {
  /** noted: index of the last committed entry handed in (its log up to here is held locally). */
  noted: number;
  /** frontier: version of that entry (V4); 0 until the shard's first entry is committed. */
  frontier: number;
  applied: number;
  pending: Entry[];
  head: number;
};

/** VectorState: one node's vector layer — vclock, frontiers, the applier and its store. */
export type VectorState = {
  readonly shards: number;
  vclock: number;
  /**
   * wanted: the highest version of a write or noop held here — what an idle shard's tick must
   * pass (V5). Ticks raise vclock but not this, so ticks never chase each other on a quiet cluster.
   */
  wanted: number;
  readonly queues: ShardQueue[];
  globalApplied: Vts;
  /** lastReqNo: per client session, the highest reqNo applied, over all shards (V6). */
  readonly lastReqNo: Map<string, number>;
  readonly store: Map<string, string>;
};

/** newVector: a node's vector layer before any entry is committed. */
export function newVector(shards: number): VectorState {
  assert(Number.isSafeInteger(shards) && shards >= 1, `shards must be an integer ≥ 1, got ${shards}`);
  const queues: ShardQueue[] = [];
  for (let s = 0; s < shards; s++) queues.push({ noted: 0, frontier: 0, applied: 0, pending: [], head: 0 });
  return { shards, vclock: 0, wanted: 0, queues, globalApplied: ZERO_VTS, lastReqNo: new Map(), store: new Map() };
}

function queue(v: VectorState, shard: number): ShardQueue {
  const q = v.queues[shard];
  assert(q !== undefined, () => `shard ${shard} is not in 0..${v.shards - 1}`);
  return q;
}

/** observeVersion raises vclock to a version seen anywhere (V2). */
export function observeVersion(v: VectorState, version: number): void {
  if (version > v.vclock) v.vclock = version;
}

/** observeEntry: an entry held here raises vclock (V2) and, unless a tick, what ticks must pass (V5). */
export function observeEntry(v: VectorState, e: Pick<Entry, 'kind' | 'version'>): void {
  observeVersion(v, e.version);
  if (e.kind !== 'tick' && e.version > v.wanted) v.wanted = e.version;
}

/**
 * stampVersion: the version a master gives a new entry of `shard` (V3). Above vclock so the
 * entry sorts after everything this node has seen, above the shard's last version so versions
 * rise along the log (S6), and above the client's `after` so the client's next operation sorts
 * after its previous one (V7).
 */
export function stampVersion(v: VectorState, shard: number, lastVersion: number, after?: Vts, kind: Entry['kind'] = 'write'): number {
  queue(v, shard);
  const version = Math.max(v.vclock, lastVersion, after?.version ?? 0) + 1;
  observeEntry(v, { kind, version });
  return version;
}

/**
 * noteCommitted hands in `shard`'s newly committed entries held locally, in index order, each
 * once; the frontier moves to the last one's version (V4).
 */
export function noteCommitted(v: VectorState, shard: number, entries: readonly Entry[]): void {
  const q = queue(v, shard);
  for (const e of entries) {
    assert(e.index === q.noted + 1, () => `shard ${shard}: committed entry ${e.index} handed in after ${q.noted}`);
    assert(e.version > q.frontier, () => `shard ${shard}: version ${e.version} at ${e.index} not above ${q.frontier} (S6)`);
    q.noted = e.index;
    q.frontier = e.version;
    q.pending.push(e);
    observeEntry(v, e);
  }
}

/** minFrontier: no entry of any shard with a version above it has been ruled out yet. */
function minFrontier(v: VectorState): number {
  let min = Infinity;
  for (const q of v.queues) min = Math.min(min, q.frontier);
  return min;
}

/** nextShard: the shard whose next unapplied entry has the smallest vts, or undefined. */
function nextShard(v: VectorState): number | undefined {
  let best: number | undefined;
  let bestVersion = Infinity;
  v.queues.forEach((q, s) => {
    const e = q.pending[q.head];
    // Ties on version go to the lower shard: vts orders by (version, shard).
    if (e !== undefined && e.version < bestVersion) {
      best = s;
      bestVersion = e.version;
    }
  });
  return best;
}

function take(q: ShardQueue): Entry {
  const e = q.pending[q.head];
  assert(e !== undefined, 'a shard picked to apply has a pending entry');
  q.head++;
  q.applied = e.index;
  if (q.head >= 256 && q.head * 2 >= q.pending.length) {
    q.pending.splice(0, q.head);
    q.head = 0;
  }
  return e;
}

/** applyWrite runs one client write on the store, or skips a session's stale retry (V6). */
function applyWrite(v: VectorState, shard: number, e: Entry): AppliedEntry {
  const vts = { version: e.version, shard };
  const cmd = e.cmd;
  assert(cmd !== undefined, () => `shard ${shard}: write at ${e.index} has no command`);
  const session = e.clientId !== undefined && e.reqNo !== undefined ? { clientId: e.clientId, reqNo: e.reqNo } : {};
  if (e.clientId !== undefined && e.reqNo !== undefined) {
    const last = v.lastReqNo.get(e.clientId);
    if (last !== undefined && e.reqNo <= last) return { shard, index: e.index, vts, outcome: 'skipped', cmd, ...session };
    v.lastReqNo.set(e.clientId, e.reqNo);
  }
  const had = v.store.has(cmd.key);
  let result: WriteResult;
  if (cmd.op === 'put') {
    v.store.set(cmd.key, cmd.value);
    result = had ? 'updated' : 'created';
  } else {
    v.store.delete(cmd.key);
    result = had ? 'deleted' : 'notFound';
  }
  return { shard, index: e.index, vts, outcome: 'applied', cmd, ...session, result };
}

/**
 * applyReady applies, smallest vts first, every committed entry no smaller entry can still
 * precede: one whose version is ≤ every shard's frontier (V6). Each later committed entry of a
 * shard has a version above its frontier (V3), so the sequence is the same on every node (S7).
 */
export function applyReady(v: VectorState): AppliedEntry[] {
  const out: AppliedEntry[] = [];
  const bound = minFrontier(v);
  for (;;) {
    const s = nextShard(v);
    if (s === undefined) break;
    const q = queue(v, s);
    const next = q.pending[q.head];
    if (next === undefined || next.version > bound) break;
    const e = take(q);
    const vts = { version: e.version, shard: s };
    assert(compareVts(vts, v.globalApplied) > 0, () => `apply order: ${JSON.stringify(vts)} after ${JSON.stringify(v.globalApplied)}`);
    v.globalApplied = vts;
    out.push(e.kind === 'write' ? applyWrite(v, s, e) : { shard: s, index: e.index, vts, outcome: e.kind });
  }
  return out;
}

/**
 * tickDue: whether the master of `shard` should append a tick now (V5) — the shard had no
 * entry this period and a write or noop held here has moved past it, so an idle shard would
 * hold its apply back. Only writes and noops count: with `vclock > lastVersion` (the spec's
 * wording) every tick raised vclock past the other shards, which ticked past it in turn — 20
 * ticks a second per shard forever, each an Append, a WAL write and an fsync on every node.
 * A tick itself need not be applied: a master read waits for the last write or noop (V10).
 */
export function tickDue(v: VectorState, shard: number, lastVersion: number, hadEntrySinceLastTick: boolean): boolean {
  queue(v, shard);
  return !hadEntrySinceLastTick && v.wanted > lastVersion;
}

/**
 * readLocal answers a local read at the applied prefix (V8): the key's value there and the
 * prefix's vts, or 'wait' while the prefix is below the client's `after` — comparing whole
 * vts, since a version alone can miss the client's own write (D17).
 */
export function readLocal(v: VectorState, key: string, after: Vts | undefined): { value: string | null; at: Vts } | 'wait' {
  if (after !== undefined && compareVts(v.globalApplied, after) < 0) return 'wait';
  return { value: v.store.get(key) ?? null, at: v.globalApplied };
}

/** appliedIndex: the last index of `shard` the global applier has applied (V10's wait). */
export function appliedIndex(v: VectorState, shard: number): number {
  return queue(v, shard).applied;
}

/** globalApplied: the vts of the last applied entry (ZERO_VTS before any). */
export function globalApplied(v: VectorState): Vts {
  return v.globalApplied;
}

/** frontierOf: the version of `shard`'s last committed entry held here (V4); 0 before any. */
export function frontierOf(v: VectorState, shard: number): number {
  return queue(v, shard).frontier;
}

/** committedIndex: the last index of `shard` handed to noteCommitted. */
export function committedIndex(v: VectorState, shard: number): number {
  return queue(v, shard).noted;
}
