// report: the text and JSON reports of `csplab check --lin` (docs/history.md §Reports).
import type { KeyResult, LinResult } from './index.js';
import { show, type Op } from './history.js';
import { showState } from './models.js';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** KEYS_LISTED: with more keys than this, only keys that are not linearizable are listed. */
const KEYS_LISTED = 20;

const verdictText = (v: KeyResult['verdict'], limit: KeyResult['limit'] = 'time limit'): string =>
  v === 'linearizable' ? 'linearizable' : v === 'not linearizable' ? 'NOT linearizable' : `unknown (${limit})`;

/** limitOf: what stopped the first undecided key (a file's unknown verdict names it). */
const limitOf = (r: LinResult): KeyResult['limit'] => r.keys.find((k) => k.verdict === 'unknown')?.limit;

/** describeOp is one op on one line: process, op, value, outcome, times and line numbers. */
export function describeOp(op: Op): string {
  const arg = op.f === 'read' || op.f === 'get' ? (op.outcome === 'ok' ? ` → ${show(op.output)}` : '') : ` ${show(op.arg)}`;
  const key = op.key === '' ? '' : ` key ${op.key}`;
  // A csplab history's times are ms as doubles: to the µs is enough to read, and fits a line.
  const t = (x: number | undefined): string => (x === undefined ? '' : ` (time ${Math.round(x * 1000) / 1000})`);
  const done =
    op.outcome === 'open'
      ? 'never completed'
      : `${op.outcome === 'info' ? 'info' : op.outcome} at line ${op.completeLine ?? '?'}${t(op.completeTime)}`;
  return `process ${String(op.process)}: ${op.f}${key}${arg}; invoked at line ${op.invokeLine}${t(op.invokeTime)}, ${done}`;
}

function keyLines(r: LinResult, k: KeyResult): string[] {
  const name = k.key === '' ? 'register' : `key ${k.key}`;
  const out = [`${name}: ${verdictText(k.verdict, k.limit)} (${k.ops} ops, ${k.path === 'fast' ? 'fast path' : 'search'})`];
  if (k.verdict === 'linearizable') return out;
  if (k.failing.length > 0) {
    const which = k.minimal ? '' : ' (shrinking ran out of its budget: the set may not be minimal)';
    out.push(
      k.failing.length === 1
        ? `  this op cannot be linearized (it reads or swaps from a value no op wrote)${which}:`
        : `  these ${k.failing.length} ops cannot be linearized together${which}:`,
    );
    for (const op of k.failing) out.push(`    ${describeOp(op)}`);
  } else if (k.verdict === 'not linearizable') out.push('  (naming the failing ops ran out of its budget)');
  const last = k.order[k.order.length - 1];
  out.push(
    `  longest linearizable prefix: ${plural(k.order.length, 'op')}, ending in state ${showState(r.model, k.state)}` +
      (last ? ` after ${describeOp(last)}` : ''),
  );
  return out;
}

/** formatLinReport is one file's report: a line per key (or only the failing ones), then a verdict. */
export function formatLinReport(file: string, r: LinResult): string {
  const out = [`${file}: ${r.model}, ${r.ops} ops, ${r.keys.length} ${r.keys.length === 1 ? 'key' : 'keys'}`];
  const listed = r.keys.length <= KEYS_LISTED ? r.keys : r.keys.filter((k) => k.verdict !== 'linearizable');
  for (const k of listed) out.push(...keyLines(r, k).map((l) => `  ${l}`));
  if (listed.length < r.keys.length) out.push(`  ${r.keys.length - listed.length} other keys: linearizable`);
  out.push(`verdict: ${verdictText(r.verdict, limitOf(r))}`, '');
  return out.join('\n');
}

const opJson = (op: Op): object => ({
  process: op.process,
  f: op.f,
  ...(op.key === '' ? {} : { key: op.key }),
  value: op.f === 'read' || op.f === 'get' ? op.output : op.arg,
  outcome: op.outcome,
  invokeLine: op.invokeLine,
  completeLine: op.completeLine ?? null,
  invokeTime: op.invokeTime ?? null,
  completeTime: op.completeTime ?? null,
});

/** linJson is one file's result as JSON (docs/history.md §Reports). */
export function linJson(file: string, r: LinResult): object {
  return {
    file,
    model: r.model,
    verdict: r.verdict,
    ...(r.verdict === 'unknown' ? { limit: limitOf(r) } : {}),
    ops: r.ops,
    keys: r.keys.map((k) => ({
      key: k.key,
      verdict: k.verdict,
      path: k.path,
      ops: k.ops,
      ...(k.limit === undefined ? {} : { limit: k.limit }),
      ...(k.verdict === 'linearizable'
        ? {}
        : {
            failing: k.failing.map(opJson),
            minimal: k.minimal,
            prefix: { ops: k.order.length, state: showState(r.model, k.state) },
          }),
    })),
  };
}
