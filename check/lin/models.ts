// models: the sequential specifications ops are checked against (docs/history.md §Models).
// A state is a string so that (linearized set, state) pairs can be memoised cheaply:
// a register's state is canon(value) (nil is "null"); a kv key's state is its text, "" absent.
import { assertNever } from '../../runtime/assert.js';
import { canon, show, type ModelName, type Op, type Value } from './history.js';

/** Step applies an op to a state: the next state, or undefined when the op cannot happen there. */
export type Step = (state: string) => string | undefined;

/** SearchOp is an op as the search sees it. */
export interface SearchOp {
  readonly op: Op;
  /** required: the op took effect (ok, or a cas that failed); otherwise it may have, at most once. */
  readonly required: boolean;
  readonly step: Step;
  /** readOnly: the op never changes the state (read, get, a cas that failed); it only checks it. */
  readonly readOnly?: boolean;
}

export function initialState(model: ModelName): string {
  return model === 'register' ? canon(null) : '';
}

/** showState renders a state for reports: a register's value, or a key's text (absent for ""). */
export function showState(model: ModelName, state: string): string {
  if (model === 'kv') return state === '' ? 'absent' : JSON.stringify(state);
  return show(JSON.parse(state) as Value);
}

/** kvText is a kv value as text: append concatenates strings; nil and "" both mean absent. */
export function kvText(v: Value): string {
  return v === null ? '' : typeof v === 'number' ? String(v) : typeof v === 'string' ? v : canon(v);
}

/**
 * compile turns an op into what the search needs, or undefined when the op constrains nothing:
 * a read/get that did not end ok, a write/put/append/delete that ended :fail, a local get
 * (it promises sequential consistency only: `check --sc` checks it, docs/history.md).
 */
export function compile(op: Op): SearchOp | undefined {
  const known = op.outcome === 'ok' || op.outcome === 'fail';
  switch (op.f) {
    case 'read': {
      if (op.outcome !== 'ok') return undefined;
      const want = canon(op.output);
      return { op, required: true, readOnly: true, step: (s) => (s === want ? s : undefined) };
    }
    case 'get': {
      if (op.outcome !== 'ok' || op.local === true) return undefined;
      const want = kvText(op.output);
      return { op, required: true, readOnly: true, step: (s) => (s === want ? s : undefined) };
    }
    case 'write':
    case 'put': {
      if (op.outcome === 'fail') return undefined;
      const next = op.f === 'write' ? canon(op.arg) : kvText(op.arg);
      // A put that reports what it did happened only where the key was absent (created) or present (updated).
      if (op.result === 'created') return { op, required: known, step: (s) => (s === '' ? next : undefined) };
      if (op.result === 'updated') return { op, required: known, step: (s) => (s !== '' ? next : undefined) };
      return { op, required: known, step: () => next };
    }
    case 'append': {
      if (op.outcome === 'fail') return undefined;
      const tail = kvText(op.arg);
      return { op, required: known, step: (s) => s + tail };
    }
    case 'delete':
      if (op.outcome === 'fail') return undefined;
      if (op.result === 'deleted') return { op, required: known, step: (s) => (s !== '' ? '' : undefined) };
      if (op.result === 'notFound') return { op, required: known, readOnly: true, step: (s) => (s === '' ? s : undefined) };
      return { op, required: known, step: () => '' };
    case 'cas':
      return compileCas(op);
    default:
      return assertNever(op.f, 'op');
  }
}

/**
 * compileCas follows etcd's reading (docs/history.md §cas): :ok swapped from → to; :fail ran and
 * found the register not holding from (Knossos drops it instead); :info/open may have swapped.
 */
function compileCas(op: Op): SearchOp {
  const pair = op.arg as Value[];
  const from = canon(pair[0] ?? null);
  const to = canon(pair[1] ?? null);
  switch (op.outcome) {
    case 'ok':
      return { op, required: true, step: (s) => (s === from ? to : undefined) };
    case 'fail':
      return { op, required: true, readOnly: true, step: (s) => (s === from ? undefined : s) };
    case 'info':
    case 'open':
      return { op, required: false, step: (s) => (s === from ? to : s) };
    default:
      return assertNever(op.outcome, 'outcome');
  }
}
