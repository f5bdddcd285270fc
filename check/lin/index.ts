// lin: the linearizability checker (docs/history.md). checkLinearizable partitions a history per
// key (P-compositionality: a history is linearizable iff each key's sub-history is), tries the
// unique-values fast path, and otherwise searches; a failing key gets a minimal failing set.
import { fastPath } from './fastpath.js';
import { assertNever } from '../../runtime/assert.js';
import { canon, type History, type ModelName, type Op, type Value } from './history.js';
import { compile, initialState, kvText, type SearchOp } from './models.js';
import { search, type SearchVerdict } from './search.js';

export { HistoryError, type History, type ModelName, type Op } from './history.js';
export { parseHistoryText, readHistory } from './read.js';

export interface LinOptions {
  /** expired: true once the time limit has passed (cmd/ builds it on RealClock). */
  readonly expired?: () => boolean;
  /** fastPath: try the unique-values path first (default true). */
  readonly fastPath?: boolean;
}

export interface KeyResult {
  /** key: "" for a single register. */
  readonly key: string;
  readonly verdict: SearchVerdict;
  /** path: which algorithm decided: the fast path or the search. */
  readonly path: 'fast' | 'search';
  /** ops: how many ops of the key constrain the verdict (after dropping :fail writes, non-ok reads). */
  readonly ops: number;
  /** order: a linearization (linearizable) or the longest linearizable prefix (otherwise). */
  readonly order: readonly Op[];
  /** state: the model state after `order`. */
  readonly state: string;
  /** failing: a minimal set of ops that cannot be linearized (not linearizable only). */
  readonly failing: readonly Op[];
}

export interface LinResult {
  readonly model: ModelName;
  readonly verdict: SearchVerdict;
  readonly keys: readonly KeyResult[];
  readonly ops: number;
}

/** MINIMIZE_MAX is the most ops a failing set is shrunk from (one search per op). */
const MINIMIZE_MAX = 400;

/** checkLinearizable is the library API: the KV's own tests call it on the ops they record. */
export function checkLinearizable(history: History, model: ModelName = history.model, options: LinOptions = {}): LinResult {
  const byKey = new Map<string, SearchOp[]>();
  for (const op of history.ops) {
    const s = compile(op);
    if (s === undefined) continue;
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(s);
  }
  const keys: KeyResult[] = [];
  for (const [key, ops] of [...byKey].sort(([a], [b]) => compareKeys(a, b))) keys.push(checkKey(key, ops, model, options));
  return { model, verdict: worst(keys.map((k) => k.verdict)), keys, ops: history.ops.length };
}

function compareKeys(a: string, b: string): number {
  const na = Number(a),
    nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** worst: not linearizable beats unknown beats linearizable. */
export function worst(vs: readonly SearchVerdict[]): SearchVerdict {
  if (vs.includes('not linearizable')) return 'not linearizable';
  return vs.includes('unknown') ? 'unknown' : 'linearizable';
}

function checkKey(key: string, ops: SearchOp[], model: ModelName, options: LinOptions): KeyResult {
  const initial = initialState(model);
  const expired = options.expired;
  if (options.fastPath !== false) {
    const fast = fastPath(ops, model);
    if (fast === 'linearizable') return { key, verdict: fast, path: 'fast', ops: ops.length, order: [], state: initial, failing: [] };
    if (fast === 'not linearizable') {
      // The fast path is exact; the search explains the failure (or runs out of time trying).
      const r = checkKey(key, ops, model, { ...options, fastPath: false });
      return { ...r, verdict: fast, path: 'fast' };
    }
  }
  const r = search(ops, initial, expired ? { expired } : {});
  const order = r.order.map((i) => defined(ops[i]).op);
  if (r.verdict !== 'not linearizable' || r.stuck === undefined)
    return { key, verdict: r.verdict, path: 'search', ops: ops.length, order, state: r.state, failing: [] };
  const failing = minimize(ops, defined(ops[r.stuck]).op, initial, expired);
  return { key, verdict: r.verdict, path: 'search', ops: ops.length, order, state: r.state, failing };
}

function defined<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('index out of range');
  return v;
}

/**
 * minimize shrinks a non-linearizable key to a minimal failing set: no op of it can be dropped
 * with the rest still failing. It starts from the ops invoked before the stuck op returned. A
 * write whose value a remaining op saw is kept: dropping it would fail the read trivially
 * ("a value nobody wrote") and hide the real conflict.
 */
function minimize(ops: SearchOp[], stuck: Op, initial: string, expired?: () => boolean): Op[] {
  const fails = (set: SearchOp[]): boolean => search(set, initial, expired ? { expired } : {}).verdict === 'not linearizable';
  let cur = ops.filter((o) => o.op.invokeOrd <= stuck.completeOrd);
  if (!fails(cur)) cur = ops;
  if (cur.length <= MINIMIZE_MAX) {
    for (const o of [...cur]) {
      if (expired?.()) break;
      const trial = cur.filter((x) => x !== o);
      if (!trial.some((x) => sees(x.op, o.op)) && fails(trial)) cur = trial;
    }
  }
  return cur.map((o) => o.op).sort((a, b) => a.id - b.id);
}

/** sees: reader's output (or a successful cas's from) is, or contains for an append, what writer wrote. */
function sees(reader: Op, writer: Op): boolean {
  const seen =
    reader.f === 'read' || reader.f === 'get'
      ? reader.output
      : reader.f === 'cas' && reader.outcome !== 'fail'
        ? firstOf(reader.arg)
        : undefined;
  if (seen === undefined) return false;
  switch (writer.f) {
    case 'write':
    case 'put':
      return canon(seen) === canon(writer.arg) || (writer.f === 'put' && kvText(seen) === kvText(writer.arg));
    case 'cas':
      return canon(seen) === canon(Array.isArray(writer.arg) ? (writer.arg[1] ?? null) : null);
    case 'append':
      return typeof seen === 'string' && seen.includes(kvText(writer.arg));
    case 'read':
    case 'get':
    case 'delete':
      return false;
    default:
      return assertNever(writer.f, 'op');
  }
}

function firstOf(v: Value): Value | undefined {
  return Array.isArray(v) ? (v[0] ?? null) : undefined;
}
