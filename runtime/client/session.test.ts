// session.test: the client's retry logic as a pure state machine: a retry repeats the reqNo,
// hints are followed, `electing` backs off, the deadline gives an unknown outcome, `refused` fails.
import t from 'tap';
import { ClientSession, type Action } from './session.js';
import type { ClientReply } from './wire.js';

const o = { client: 'c0', ranks: 3, deadlineMs: 1000, attemptMs: 100, backoffMs: 10 };
const reply = (reqNo: number, body: Record<string, unknown>): ClientReply =>
  ({ type: 'client-reply', client: 'c0', reqNo, ...body }) as ClientReply;

function sent(a: Action | null): { rank: number; reqNo: number } {
  if (a?.type !== 'send') throw new Error(`expected a send, got ${JSON.stringify(a)}`);
  return { rank: a.rank, reqNo: a.req.reqNo };
}

t.test('a retry keeps its reqNo; hints and timeouts move it; ok ends it', async (t) => {
  const s = new ClientSession(o);
  t.same(sent(s.begin({ f: 'put', key: 'k', value: 'v' }, 0)), { rank: 0, reqNo: 1 }, 'first try at the guess');
  t.same(sent(s.onReply(reply(1, { status: 'not-leader', hint: 2 }), 5)), { rank: 2, reqNo: 1 }, 'the hint, same reqNo');
  t.same(sent(s.onTimeout(105, true)), { rank: 0, reqNo: 1 }, 'no answer: the next rank, same reqNo');
  t.equal(s.onReply(reply(0, { status: 'ok', result: null }), 110), null, 'a reply to an older request is ignored');
  t.same(s.onReply(reply(1, { status: 'ok', result: null }), 120), { type: 'done', outcome: { type: 'ok', result: null } });
  t.equal(s.retries, 2, 'two retries');
  t.same(sent(s.begin({ f: 'get', key: 'k' }, 130)), { rank: 0, reqNo: 2 }, 'the next op: a new reqNo, at the rank that answered');
});

t.test('electing backs off; the deadline makes the outcome unknown; refused fails', async (t) => {
  const s = new ClientSession(o);
  s.begin({ f: 'put', key: 'k', value: 'v' }, 0);
  t.same(s.onReply(reply(1, { status: 'electing' }), 1), { type: 'wait', untilMs: 11 }, 'electing: wait the backoff');
  t.same(sent(s.onTimeout(11, false)), { rank: 0, reqNo: 1 }, 'then the same rank again');
  t.same(s.onTimeout(1000, true), { type: 'done', outcome: { type: 'info' } }, 'past the deadline: unknown (it may have run)');
  s.begin({ f: 'get', key: 'k', read: 'lease' }, 2000);
  t.same(s.onReply(reply(2, { status: 'refused', why: 'lease reads are off' }), 2001), {
    type: 'done',
    outcome: { type: 'fail', why: 'lease reads are off' },
  });
  t.throws(
    () => {
      s.begin({ f: 'get', key: 'k' }, 3000);
      s.begin({ f: 'get', key: 'k' }, 3000);
    },
    /outstanding/,
    'one op at a time',
  );
});
