// once: a simulated run whose client history carries a global write order's stamps (Vectory's)
// is graded by --sc as well as --lin; an unstamped history is graded by --lin alone; a stamped
// history with an unstamped ok op fails (the store forgot a stamp).
import t from 'tap';
import type { SimProgram } from '../../runtime/protocol.js';
import { History } from '../../runtime/client/history.js';
import type { Outcome } from '../../runtime/client/session.js';
import type { SimOutcome } from '../../runtime/sim/types.js';
import { simulate } from './once.js';

const put = { f: 'put', key: 'a', value: 'x' } as const;
const local = { f: 'get', key: 'a', read: 'local' } as const;

function history(steps: readonly [typeof put | typeof local, Outcome][]): History {
  const h = new History();
  steps.forEach(([op, outcome], i) => {
    h.invoke(0, op, i * 2);
    h.complete(0, op, outcome, i * 2 + 1);
  });
  return h;
}

function graded(h: History) {
  const outcome: SimOutcome = {
    ranks: [],
    resolved: [],
    events: 0,
    simMs: 0,
    problems: [],
    drops: 0,
    history: h,
    clientStats: { ok: h.counts().ok, fail: 0, info: 0, retries: 0, badReplies: 0, strayReplies: 0, drops: 0 },
  };
  const program: SimProgram = { name: 'fake', clients: true, run: () => outcome, audit: () => [] };
  return simulate({ program, ranks: 3, t: 1, seed: '1', ratePerSec: 0, schedule: {}, trace: false });
}

t.test('a stamped history is graded by --sc too', async (t) => {
  const vts = { version: 2, shard: 0 };
  const good = graded(
    history([
      [put, { type: 'ok', result: null, vts }],
      [local, { type: 'ok', result: 'x', at: vts }],
    ]),
  );
  t.same(good.failures, []);
  t.equal(good.sc?.verdict, 'sequentially consistent');
  const back = graded(
    history([
      [put, { type: 'ok', result: null, vts }],
      [local, { type: 'ok', result: null, at: { version: 1, shard: 3 } }],
    ]),
  );
  t.equal(back.lin?.verdict, 'linearizable', '--lin leaves the local get out');
  t.match(back.failures, [/client history not sequentially consistent \(program-order: process 0 read at \(1, 3\) after its write/]);
  const forgot = graded(
    history([
      [put, { type: 'ok', result: null, vts }],
      [local, { type: 'ok', result: 'x' }],
    ]),
  );
  t.match(forgot.failures, [/client history: line 4: an ok get without "at"/]);
  const plain = graded(history([[put, { type: 'ok', result: null }]]));
  t.same(plain.failures, []);
  t.equal(plain.sc, undefined, 'no stamps: --lin alone');
});
