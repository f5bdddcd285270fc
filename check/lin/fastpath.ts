// fastpath: a register (or kv key of get/put) whose written values are unique. Each read names
// the write it saw, so the ops fall into clusters (a write and its reads) and the question is
// whether the clusters can be ordered; Gibbons & Korach's zone test decides it in O(n log n)
// (docs/history.md §Fast path). A put reporting created/updated only says whether it was the
// first write, which one more pass decides. A key with a cas, append, delete or a repeated
// value goes to the search: this path answers exactly, or not at all.
import type { ModelName, Op } from './history.js';
import { kvText, type SearchOp } from './models.js';

export type FastVerdict = 'linearizable' | 'not linearizable' | 'search';

interface Cluster {
  /** minEnd: the earliest completion of an op in the cluster; maxStart: the latest invoke. */
  minEnd: number;
  maxStart: number;
  write?: Op;
}

/** valueOf is a written or read value as the model compares it ("" and nil are absent in kv). */
function valueOf(model: ModelName, v: Op['arg']): string {
  if (model === 'kv') return kvText(v);
  return JSON.stringify(v);
}

/** clusters groups each write with the reads that saw it; undefined sends the key to the search. */
function clusters(ops: readonly SearchOp[], model: ModelName): Map<string, Cluster> | undefined {
  const absent = valueOf(model, null);
  const byValue = new Map<string, Cluster>([[absent, { minEnd: -Infinity, maxStart: -Infinity }]]);
  for (const { op } of ops) {
    if (op.f !== 'write' && op.f !== 'put') continue;
    const v = valueOf(model, op.arg);
    if (byValue.has(v)) return undefined; // a repeated value (or a write of the initial one)
    // A write that may not have happened counts only if a read saw it; its end is then unknown.
    byValue.set(v, { minEnd: op.completeOrd, maxStart: op.invokeOrd, write: op });
  }
  for (const { op } of ops) {
    if (op.f === 'write' || op.f === 'put') continue;
    if (op.f !== 'read' && op.f !== 'get') return undefined; // cas, append, delete: search
  }
  return byValue;
}

/** fastPath decides a key whose written values are unique, or answers 'search'. */
export function fastPath(ops: readonly SearchOp[], model: ModelName): FastVerdict {
  const byValue = clusters(ops, model);
  if (byValue === undefined) return 'search';
  const seen = new Set<Cluster>();
  for (const { op } of ops) {
    if (op.f !== 'read' && op.f !== 'get') continue;
    const c = byValue.get(valueOf(model, op.output));
    if (c === undefined) return 'not linearizable'; // read a value nobody wrote
    if (c.write && op.completeOrd < c.write.invokeOrd) return 'not linearizable'; // read before the write began
    c.minEnd = Math.min(c.minEnd, op.completeOrd);
    c.maxStart = Math.max(c.maxStart, op.invokeOrd);
    seen.add(c);
  }
  const all = [...byValue.values()];
  const counted = (c: Cluster): boolean => c.write === undefined || c.write.completeOrd !== Infinity || seen.has(c);
  const zones = all.filter(counted);
  const unread = all.filter((c) => !counted(c));
  return zonesOrderable(zones) && firstWriteFits(zones, unread) ? 'linearizable' : 'not linearizable';
}

/**
 * firstWriteFits: with no delete and unique values, the key is absent only before the first
 * write, so a put that reports created must be linearized as the first write and one that
 * reports updated must not be. Cluster C must precede D iff an op of C ends before an op of D
 * begins (C.minEnd < D.maxStart); the zone test has shown that relation acyclic, so any write
 * cluster no other one must precede can go first (right after the initial one) and the rest
 * follow in a topological order. An unread write that may not have happened (`unread`) can be
 * left out, or go first when nothing must precede it.
 */
function firstWriteFits(zones: readonly Cluster[], unread: readonly Cluster[]): boolean {
  const writes = zones.filter((c) => c.write !== undefined);
  const created = writes.filter((c) => c.write?.result === 'created');
  if (created.length === 0 && !writes.some((c) => c.write?.result === 'updated')) return true;
  if (created.length > 1) return false;
  // the two earliest ends among the writes' clusters: the earliest end of "every other" in O(1)
  let first: Cluster | undefined;
  let end1 = Infinity,
    end2 = Infinity;
  for (const c of writes) {
    if (c.minEnd < end1) [end2, end1, first] = [end1, c.minEnd, c];
    else if (c.minEnd < end2) end2 = c.minEnd;
  }
  // ordinals are equal for events at one :time (concurrent), so only a strictly earlier end must precede
  const canGoFirst = (c: Cluster): boolean => c.maxStart <= (c === first ? end2 : end1);
  const only = created[0];
  if (only !== undefined) return canGoFirst(only);
  return [...writes, ...unread].some((c) => c.write?.result === undefined && canGoFirst(c));
}

/**
 * zonesOrderable: a cluster whose ops all overlap is a backward zone [maxStart, minEnd];
 * otherwise it is a forward zone [minEnd, maxStart], and its ops force a span of the order.
 * The clusters can be ordered iff no two forward zones overlap and no backward zone lies
 * inside a forward one.
 */
function zonesOrderable(zones: readonly Cluster[]): boolean {
  const forward = zones.filter((c) => c.minEnd < c.maxStart).sort((a, b) => a.minEnd - b.minEnd);
  for (let i = 1; i < forward.length; i++) {
    const a = forward[i - 1],
      b = forward[i];
    if (a !== undefined && b !== undefined && b.minEnd < a.maxStart) return false;
  }
  for (const c of zones) {
    if (c.minEnd < c.maxStart) continue;
    // Forward zones are disjoint and sorted, so only the last one starting before c can hold it.
    let lo = 0,
      hi = forward.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((forward[mid]?.minEnd ?? Infinity) < c.maxStart) lo = mid + 1;
      else hi = mid;
    }
    const f = forward[lo - 1];
    if (f !== undefined && c.minEnd < f.maxStart) return false;
  }
  return true;
}
