// lin: the linearizability checker (docs/history.md). checkLinearizable partitions a history per
// key (P-compositionality: a history is linearizable iff each key's sub-history is), tries the
// unique-values fast path, and otherwise searches; a failing key gets a minimal failing set.
import { fastPath } from './fastpath.js';
import { assertNever, defined } from '../../runtime/assert.js';
import { canon, type History, type ModelName, type Op, type Value } from './history.js';
import { compile, initialState, kvText, type SearchOp } from './models.js';
import { search, type SearchLimit, type SearchOptions, type SearchVerdict } from './search.js';

export { HistoryError, type History, type ModelName, type Op } from './history.js';
export { parseHistoryText, readHistory } from './read.js';

export interface LinOptions {
  /** expired: true once the time limit has passed (cmd/ builds it on RealClock). */
  readonly expired?: () => boolean;
  /** fastPath: try the unique-values path first (default true). */
  readonly fastPath?: boolean;
  /** memoBytes caps each search's memo (default DEFAULT_MEMO_BYTES); past it a key is unknown (memory limit). */
  readonly memoBytes?: number;
  /**
   * shrinkBudget starts the budget of explaining a failure — naming and shrinking the failing
   * set once the verdict is known — and returns its expired test. It is apart from `expired`
   * so the verdict never waits on the explanation; when it runs out the set found so far is
   * reported as not minimal. Absent: the explanation runs to the end.
   */
  readonly shrinkBudget?: () => () => boolean;
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
  /** failing: a set of ops that cannot be linearized (not linearizable only); minimal unless `minimal` is false. */
  readonly failing: readonly Op[];
  /** minimal: false when the shrink ran out of budget (or the set was too big to shrink). */
  readonly minimal: boolean;
  /** limit: what stopped the search of an unknown key. */
  readonly limit?: SearchLimit;
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
  const base = { key, ops: ops.length, minimal: true };
  const fast = options.fastPath === false ? undefined : fastPath(ops, model);
  if (fast === 'linearizable') return { ...base, verdict: 'linearizable', path: 'fast', order: [], state: initial, failing: [] };
  const budget = { ...(options.memoBytes === undefined ? {} : { memoBytes: options.memoBytes }) };
  if (fast === 'not linearizable') {
    // The fast path is exact: the verdict stands, and the search only names the failing ops,
    // on the explanation's budget (an unknown there leaves the set empty, not the verdict).
    const shrink = explainBudget(options);
    const r = search(ops, initial, { ...budget, ...shrink });
    if (r.verdict !== 'not linearizable' || r.stuck === undefined)
      return {
        ...base,
        verdict: 'not linearizable',
        path: 'fast',
        order: r.order.map((i) => opAt(ops, i)),
        state: r.state,
        failing: [],
        minimal: false,
      };
    return {
      ...base,
      verdict: 'not linearizable',
      path: 'fast',
      ...explained(ops, r.order, r.state, r.stuck, initial, { ...budget, ...shrink }),
    };
  }
  const r = search(ops, initial, { ...budget, ...(options.expired ? { expired: options.expired } : {}) });
  const order = r.order.map((i) => opAt(ops, i));
  if (r.verdict === 'unknown')
    return { ...base, verdict: 'unknown', path: 'search', order, state: r.state, failing: [], ...(r.limit ? { limit: r.limit } : {}) };
  if (r.verdict === 'linearizable' || r.stuck === undefined)
    return { ...base, verdict: r.verdict, path: 'search', order, state: r.state, failing: [] };
  return {
    ...base,
    verdict: r.verdict,
    path: 'search',
    ...explained(ops, r.order, r.state, r.stuck, initial, { ...budget, ...explainBudget(options) }),
  };
}

function explainBudget(options: LinOptions): { expired?: () => boolean } {
  return options.shrinkBudget ? { expired: options.shrinkBudget() } : {};
}

function explained(
  ops: SearchOp[],
  order: readonly number[],
  state: string,
  stuck: number,
  initial: string,
  budget: SearchOptions,
): { order: Op[]; state: string; failing: Op[]; minimal: boolean } {
  const m = minimize(ops, opAt(ops, stuck), initial, budget);
  return { order: order.map((i) => opAt(ops, i)), state, ...m };
}

function opAt(ops: readonly SearchOp[], i: number): Op {
  return defined(ops[i], 'op of the key').op;
}

/**
 * minimize shrinks a non-linearizable key to a minimal failing set: no op of it can be dropped
 * with the rest still failing. It starts from the ops invoked before the stuck op returned. A
 * write whose value a remaining op saw is kept: dropping it would fail the read trivially
 * ("a value nobody wrote") and hide the real conflict. Each trial search runs on the shrink's
 * budget; a trial that cannot decide keeps its op, and the set is then not known to be minimal.
 */
function minimize(ops: SearchOp[], stuck: Op, initial: string, budget: SearchOptions): { failing: Op[]; minimal: boolean } {
  let minimal = true;
  const fails = (set: SearchOp[]): boolean => {
    const v = search(set, initial, budget).verdict;
    if (v === 'unknown') minimal = false;
    return v === 'not linearizable';
  };
  let cur = ops.filter((o) => o.op.invokeOrd <= stuck.completeOrd);
  if (cur.length < ops.length && !fails(cur)) cur = ops;
  if (cur.length > MINIMIZE_MAX) return { failing: cur.map((o) => o.op).sort((a, b) => a.id - b.id), minimal: false };
  // Passes repeat until none drops an op: a write kept because a read saw it may become
  // droppable once that read is dropped later in the same pass.
  for (let dropped = true; dropped;) {
    dropped = false;
    for (const o of [...cur]) {
      if (budget.expired?.()) return { failing: cur.map((x) => x.op).sort((a, b) => a.id - b.id), minimal: false };
      const trial = cur.filter((x) => x !== o);
      if (!trial.some((x) => sees(x.op, o.op)) && fails(trial)) {
        cur = trial;
        dropped = true;
      }
    }
  }
  return { failing: cur.map((o) => o.op).sort((a, b) => a.id - b.id), minimal };
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
