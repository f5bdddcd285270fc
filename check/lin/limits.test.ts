// Proves the checker's two budgets: a search whose memo would pass memoBytes stops with verdict
// unknown (memory limit) instead of growing, and explaining a failure (naming and shrinking the
// failing set) runs on its own budget, so it never turns a decided failure into unknown; when it
// runs out, the set found so far is reported as possibly not minimal.
import t from 'tap';
import { checkLinearizable, parseHistoryText } from './index.js';
import { formatLinReport, linJson } from './report.js';
import { generateHistory } from '../../scripts/bench/gen-history.js';

/** failing: a register history of concurrent clients whose last ok read returns 9, a value no op wrote. */
function failing(processes: number, ops: number, seed: string): string {
  const lines: string[] = [];
  const o = { model: 'register', format: 'edn', processes, ops, values: 3, info: 0.1, replace: true } as const;
  const stats = generateHistory({ ...o, seed }, (l) => lines.push(l));
  const at = (stats.okReads[stats.okReads.length - 1] ?? 1) - 1;
  lines[at] = (lines[at] ?? '').replace(/:value [0-9]+/, ':value 9');
  return lines.join('\n');
}

t.test('a memo past its byte budget gives unknown (memory limit), not a bigger heap', async (t) => {
  const h = parseHistoryText(failing(3, 100, 'memo'));
  const decided = checkLinearizable(h, 'register', { fastPath: false });
  t.equal(decided.verdict, 'not linearizable', 'with the default budget the search decides');
  const capped = checkLinearizable(h, 'register', { fastPath: false, memoBytes: 16 * 1024 });
  t.equal(capped.verdict, 'unknown');
  t.equal(capped.keys[0]?.limit, 'memory limit');
  t.match(formatLinReport('h.edn', capped), 'register: unknown (memory limit)');
  t.match(formatLinReport('h.edn', capped), 'verdict: unknown (memory limit)\n');
  t.match(linJson('h.edn', capped), { verdict: 'unknown', limit: 'memory limit', keys: [{ limit: 'memory limit' }] });
});

t.test('the shrink has its own budget: out of it, the failure stands with the set so far', async (t) => {
  const h = parseHistoryText(failing(3, 100, 'shrink'));
  const full = checkLinearizable(h, 'register');
  t.equal(full.verdict, 'not linearizable');
  t.equal(full.keys[0]?.minimal, true);

  const cut = checkLinearizable(h, 'register', { shrinkBudget: () => () => true });
  t.equal(cut.verdict, 'not linearizable', 'the verdict does not wait for the shrink');
  const k = cut.keys[0];
  t.ok((k?.failing.length ?? 0) > (full.keys[0]?.failing.length ?? Infinity), `unshrunk: ${k?.failing.length} ops`);
  t.equal(k?.minimal, false);
  t.ok(
    k?.failing.some((o) => o.f === 'read' && o.output === 9),
    'the set still holds the bad read',
  );
  t.match(formatLinReport('h.edn', cut), 'cannot be linearized together (shrinking ran out of its budget: the set may not be minimal):');
  t.match(linJson('h.edn', cut), { keys: [{ minimal: false }] });
});

t.test("the verdict's time limit running out during the shrink changes nothing", async (t) => {
  const h = parseHistoryText(failing(3, 100, 'shrink'));
  let shrinking = false;
  const r = checkLinearizable(h, 'register', {
    // Expired from the moment the shrink starts: the old shared limit stopped the shrink here.
    expired: () => shrinking,
    shrinkBudget: () => {
      shrinking = true;
      return () => false;
    },
  });
  t.ok(shrinking, 'the shrink ran');
  t.equal(r.verdict, 'not linearizable');
  t.same(r.keys[0]?.failing, checkLinearizable(h, 'register').keys[0]?.failing, 'the same set as with no limits');
  t.equal(r.keys[0]?.minimal, true);
});

t.test('a failure the fast path finds is named on the shrink budget too', async (t) => {
  const lines = [
    '{:process 0, :type :invoke, :f :write, :value 1}',
    '{:process 0, :type :ok, :f :write, :value 1}',
    '{:process 1, :type :invoke, :f :read, :value nil}',
    '{:process 1, :type :ok, :f :read, :value 2}',
  ];
  const r = checkLinearizable(parseHistoryText(lines.join('\n')), 'register', { expired: () => true });
  t.equal(r.keys[0]?.path, 'fast');
  t.equal(r.verdict, 'not linearizable', 'an expired verdict limit does not stop explaining a decided failure');
  t.same(
    r.keys[0]?.failing.map((o) => o.invokeLine),
    [3],
  );
});
