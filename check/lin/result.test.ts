// result.test: a put or delete that reports what it did (docs/history.md `result`) is checked
// by the kv model — created only where the key was absent, updated where present, deleted where
// present, notFound where absent — in JSONL and EDN, on keys the fast path would otherwise take;
// a result its op cannot report is a malformed line.
import t from 'tap';
import { History } from '../../runtime/client/history.js';
import { checkLinearizable, HistoryError, parseHistoryText } from './index.js';

const line = (process: number, type: string, f: string, value: string | null, result?: string): string =>
  JSON.stringify({ process, type, f, key: 'k', value, ...(result !== undefined ? { result } : {}) });

/** seq: ops one after another by process 0: each [f, value, result]. */
function seq(ops: readonly [string, string | null, string?][]): string {
  return ops.flatMap(([f, v, r]) => [line(0, 'invoke', f, v), line(0, 'ok', f, v, r)]).join('\n');
}

const verdict = (text: string): string => checkLinearizable(parseHistoryText(text, 'kv')).verdict;

t.test('created, updated, deleted and notFound are checked against the key', async (t) => {
  t.equal(
    verdict(
      seq([
        ['put', 'a', 'created'],
        ['put', 'b', 'updated'],
        ['delete', null, 'deleted'],
        ['delete', null, 'notFound'],
      ]),
    ),
    'linearizable',
  );
  t.equal(verdict(seq([['put', 'a', 'updated']])), 'not linearizable', 'updated a key nobody wrote');
  t.equal(
    verdict(
      seq([
        ['put', 'a', 'created'],
        ['put', 'b', 'created'],
      ]),
    ),
    'not linearizable',
    'created a key that held a',
  );
  t.equal(verdict(seq([['delete', null, 'deleted']])), 'not linearizable', 'deleted an absent key');
  t.equal(
    verdict(
      seq([
        ['put', 'a'],
        ['delete', null, 'notFound'],
      ]),
    ),
    'not linearizable',
    'notFound while the key held a',
  );
  t.equal(
    verdict(
      seq([
        ['put', 'a'],
        ['put', 'b'],
      ]),
    ),
    'linearizable',
    'without results the same puts are fine',
  );
});

t.test('concurrent creates: only one of them can have created the key', async (t) => {
  const both = [
    line(0, 'invoke', 'put', 'a'),
    line(1, 'invoke', 'put', 'b'),
    line(0, 'ok', 'put', 'a', 'created'),
    line(1, 'ok', 'put', 'b', 'created'),
  ].join('\n');
  t.equal(verdict(both), 'not linearizable');
  const one = both.replace(/"b","result":"created"/, '"b","result":"updated"');
  t.equal(verdict(one), 'linearizable', 'a then b');
});

t.test('EDN carries results as keywords; a result the op cannot report is malformed', async (t) => {
  const edn = [
    '{:process 0, :type :invoke, :f :put, :key "k", :value "a"}',
    '{:process 0, :type :ok, :f :put, :key "k", :value "a", :result :updated}',
  ].join('\n');
  t.equal(verdict(edn), 'not linearizable', 'the EDN result is read and checked');
  t.throws(() => parseHistoryText(seq([['put', 'a', 'deleted']]), 'kv'), HistoryError, "put's result must be created or updated");
  t.throws(() => parseHistoryText(seq([['get', null, 'created']]), 'kv'), /get reports no result/);
});

t.test('round trip: the client library records results, the checker reads them back', async (t) => {
  const h = new History();
  const put = { f: 'put', key: 'k', value: 'c0.1' } as const;
  const del = { f: 'delete', key: 'k' } as const;
  h.invoke(0, put, 0);
  h.complete(0, put, { type: 'ok', result: 'created', wrote: 'created' }, 1);
  h.invoke(0, del, 2);
  h.complete(0, del, { type: 'ok', result: 'notFound', wrote: 'notFound' }, 3);
  const ops = parseHistoryText(h.toJsonl(), 'kv').ops;
  t.same(
    ops.map((o) => o.result),
    ['created', 'notFound'],
  );
  t.equal(verdict(h.toJsonl()), 'not linearizable', 'notFound right after a create is caught');
});
