// session.test: the client's retry logic as a pure state machine: a retry repeats the reqNo,
// hints are followed, `electing` backs off, the deadline gives an unknown outcome, `refused` fails.
import t from 'tap';
import { History } from './history.js';
import { ClientSession, laterVts, readTarget, type Action, type Op } from './session.js';
import type { ClientReply, ClientRequest } from './wire.js';

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

t.test('per-key routing: a guess per (read|write, key), moved by hints and timeouts', async (t) => {
  const s = new ClientSession({ ...o, routing: 'per-key' });
  t.same(sent(s.begin({ f: 'put', key: 'a', value: 'v' }, 0)), { rank: 0, reqNo: 1 }, 'an unseen route starts at the guess');
  t.same(sent(s.onReply(reply(1, { status: 'not-leader', hint: 2 }), 1)), { rank: 2, reqNo: 1 }, 'the head is rank 2');
  s.onReply(reply(1, { status: 'ok', result: 'created' }), 2);
  t.same(sent(s.begin({ f: 'get', key: 'a' }, 3)), { rank: 0, reqNo: 2 }, 'reads of a have a route of their own');
  t.same(sent(s.onReply(reply(2, { status: 'not-leader', hint: 1 }), 4)), { rank: 1, reqNo: 2 }, 'the tail is rank 1');
  s.onReply(reply(2, { status: 'ok', result: 'v' }), 5);
  t.same(sent(s.begin({ f: 'delete', key: 'a' }, 6)), { rank: 2, reqNo: 3 }, 'a delete writes: to the head learned for a');
  t.same(sent(s.onTimeout(106, true)), { rank: 0, reqNo: 3 }, 'no answer: the next rank');
  s.onReply(reply(3, { status: 'ok', result: null }), 107);
  t.same(sent(s.begin({ f: 'put', key: 'a', value: 'w' }, 108)), { rank: 0, reqNo: 4 }, 'the route remembers where the last write went');
  s.onReply(reply(4, { status: 'ok', result: null }), 109);
  t.same(sent(s.begin({ f: 'get', key: 'a' }, 110)), { rank: 1, reqNo: 5 }, 'the read route kept rank 1');
  s.onReply(reply(5, { status: 'ok', result: null }), 111);
  t.same(sent(s.begin({ f: 'get', key: 'b' }, 112)), { rank: 0, reqNo: 6 }, 'another key: the default guess, untouched by a');
  t.same(sent(new ClientSession(o).begin({ f: 'get', key: 'a' }, 0)), { rank: 0, reqNo: 1 }, 'leader routing is the default');
});

t.test("per-key routing with a shared table: one client's hint is every client's first try", async (t) => {
  const routes = new Map<string, number>();
  const a = new ClientSession({ ...o, client: 'a', routing: 'per-key', routes });
  const b = new ClientSession({ ...o, client: 'b', routing: 'per-key', routes });
  a.begin({ f: 'put', key: 'k', value: 'v' }, 0);
  a.onReply({ ...reply(1, { status: 'not-leader', hint: 2 }), client: 'a' }, 1);
  t.same(sent(b.begin({ f: 'put', key: 'k', value: 'w' }, 2)), { rank: 2, reqNo: 1 }, 'b writes k at the head a learned');
  const own = new ClientSession({ ...o, client: 'c', routing: 'per-key' });
  t.same(sent(own.begin({ f: 'put', key: 'k', value: 'x' }, 3)), { rank: 0, reqNo: 1 }, 'a session with its own table knows nothing of it');
  t.equal(routes.get('read:k'), undefined, 'the read route of k is still unknown');
});

t.test('spread-reads routing: a read asks who may answer, the table is shared, reads rotate by turn', async (t) => {
  const routes = new Map<string, number>();
  const members = new Map<string, readonly number[]>();
  const shared = { ...o, ranks: 8, routing: 'spread-reads', routes, members, turnMs: 10 } as const;
  const a = new ClientSession({ ...shared, client: 'a' });
  const b = new ClientSession({ ...shared, client: 'b' });
  const first = request(a.begin({ f: 'get', key: 'k' }, 0));
  t.equal(first.members, true, 'an unknown key: the read asks for its members');
  t.same(sent(a.onReply({ ...reply(1, { status: 'not-leader', hint: 5, members: [3, 5, 7] }), client: 'a' }, 1)), { rank: 5, reqNo: 1 });
  t.same(members.get('k'), [3, 5, 7], 'a non-member named the chain');
  a.onReply({ ...reply(1, { status: 'ok', result: null }), client: 'a' }, 2);
  // (turn + 15) % 3: turns 0, 1, 2 of 10 ms pick members 0, 1, 2 of the list
  const b1 = b.begin({ f: 'get', key: 'k' }, 3);
  t.same(sent(b1), { rank: 3, reqNo: 1 }, 'b uses the table a filled: turn 0, member 3');
  t.notOk('members' in request(b1), 'and does not ask again');
  b.onReply({ ...reply(1, { status: 'ok', result: null }), client: 'b' }, 4);
  t.same(sent(a.begin({ f: 'get', key: 'k' }, 5)), { rank: 3, reqNo: 2 }, 'a in the same turn: the same member');
  a.onReply({ ...reply(2, { status: 'ok', result: null }), client: 'a' }, 6);
  t.same(sent(b.begin({ f: 'get', key: 'k' }, 12)), { rank: 5, reqNo: 2 }, 'the next turn: the next member');
  b.onReply({ ...reply(2, { status: 'ok', result: null }), client: 'b' }, 13);
  t.same(sent(b.begin({ f: 'get', key: 'k' }, 25)), { rank: 7, reqNo: 3 }, 'and the next');
  t.same(sent(b.onReply({ ...reply(3, { status: 'not-leader', hint: 4 }), client: 'b' }, 26)), { rank: 4, reqNo: 3 });
  t.equal(members.get('k'), undefined, 'a not-leader without members: the list was stale, forgotten');
  b.onReply({ ...reply(3, { status: 'ok', result: 'v', members: [4, 6] }), client: 'b' }, 27);
  t.same(members.get('k'), [4, 6], 'an ok reply names them too');
  a.begin({ f: 'put', key: 'k', value: 'v' }, 28);
  a.onReply({ ...reply(3, { status: 'not-leader', hint: 1 }), client: 'a' }, 29);
  t.same(members.get('k'), [4, 6], 'a write learns nothing of the read members');
  t.same(sent(b.begin({ f: 'put', key: 'k', value: 'w' }, 30)), { rank: 1, reqNo: 4 }, 'b writes k at the head a learned');
  b.onReply({ ...reply(4, { status: 'ok', result: null }), client: 'b' }, 31);
  t.same(sent(b.begin({ f: 'put', key: 'j', value: 'w' }, 32)), { rank: 0, reqNo: 5 }, 'another key: its own route, not k’s head');
  const own = new ClientSession({ ...o, client: 'c', routing: 'spread-reads' });
  t.equal(request(own.begin({ f: 'get', key: 'k' }, 31)).members, true, 'a session with its own table knows nothing of it');
});

t.test('readTarget: one member per list and turn; lists with other members start elsewhere', async (t) => {
  t.same(
    [0, 1, 2, 3].map((turn) => readTarget([1, 2, 3], turn * 5, 5)),
    [1, 2, 3, 1],
    'turns 0..3 of [1, 2, 3] (sum 6: no shift)',
  );
  t.equal(readTarget([1, 2, 3], 4.9, 5), 1, 'within a turn, the same member');
  t.equal(readTarget([2, 3, 4], 0, 5), 2, 'another list is shifted by its sum (9 % 3 = 0)');
  t.equal(readTarget([3, 4, 6], 0, 5), 4, '[3, 4, 6]: sum 13, member 1');
});

t.test('a put or delete may report what it did; a result its op cannot report is ignored and counted', async (t) => {
  const s = new ClientSession(o);
  s.begin({ f: 'put', key: 'k', value: 'v' }, 0);
  t.equal(s.onReply(reply(1, { status: 'ok', result: 'deleted' }), 1), null, 'a put cannot have deleted: ignored');
  t.equal(s.badReplies, 1);
  t.same(s.onReply(reply(1, { status: 'ok', result: 'created' }), 2), {
    type: 'done',
    outcome: { type: 'ok', result: 'created', wrote: 'created' },
  });
  s.begin({ f: 'delete', key: 'k' }, 3);
  t.same(s.onReply(reply(2, { status: 'ok', result: null }), 4), { type: 'done', outcome: { type: 'ok', result: null } }, 'or nothing');
});

function request(a: Action | null): ClientRequest {
  if (a?.type !== 'send') throw new Error(`expected a send, got ${JSON.stringify(a)}`);
  return a.req;
}

t.test('carryAfter: the largest vts/at answered goes out as after on every request, retries included', async (t) => {
  const s = new ClientSession({ ...o, carryAfter: true });
  t.notOk('after' in request(s.begin({ f: 'put', key: 'a', value: '1' }, 0)), 'nothing answered yet: no after');
  const done = s.onReply(reply(1, { status: 'ok', result: null, vts: { version: 10, shard: 5 } }), 1);
  t.same(done, { type: 'done', outcome: { type: 'ok', result: null, vts: { version: 10, shard: 5 } } }, 'the outcome keeps the vts');
  t.same(request(s.begin({ f: 'get', key: 'a', read: 'local' }, 2)).after, { version: 10, shard: 5 });
  t.same(request(s.onTimeout(102, true)).after, { version: 10, shard: 5 }, 'a retry repeats the request, after included');
  s.onReply(reply(2, { status: 'ok', result: '1', at: { version: 10, shard: 2 } }), 103);
  t.same(s.after, { version: 10, shard: 5 }, 'a smaller at (10, 2) does not lower it: compared as a whole vts (D17)');
  s.begin({ f: 'get', key: 'b', read: 'master' }, 104);
  s.onReply(reply(3, { status: 'ok', result: null, at: { version: 12, shard: 0 } }), 105);
  t.same(request(s.begin({ f: 'delete', key: 'b' }, 106)).after, { version: 12, shard: 0 }, 'a read raises it');
  const plain = new ClientSession(o);
  plain.begin({ f: 'put', key: 'a', value: '1' }, 0);
  plain.onReply(reply(1, { status: 'ok', result: null, vts: { version: 3, shard: 0 } }), 1);
  t.notOk('after' in request(plain.begin({ f: 'get', key: 'a' }, 2)), 'a store that does not use it never sees after');
  t.equal(laterVts(undefined, undefined), undefined);
  t.same(laterVts({ version: 4, shard: 0 }, { version: 3, shard: 9 }), { version: 4, shard: 0 });
});

t.test('per-shard routing: writes and master reads to the shard master, local reads to the home rank', async (t) => {
  const routes = new Map<string, number>();
  const shardOf = (key: string): number => Number(key.slice(1)) % 2;
  const a = new ClientSession({ ...o, ranks: 5, client: 'a', routing: 'per-shard', shardOf, routes });
  const b = new ClientSession({ ...o, ranks: 5, client: 'b', routing: 'per-shard', shardOf, routes });
  a.guess = 3;
  b.guess = 4;
  t.same(sent(a.begin({ f: 'put', key: 'k1', value: 'v' }, 0)), { rank: 3, reqNo: 1 }, 'an unseen shard: the home rank first');
  t.same(
    sent(a.onReply({ ...reply(1, { status: 'not-leader', hint: 1 }), client: 'a' }, 1)),
    { rank: 1, reqNo: 1 },
    'shard 1 is mastered by 1',
  );
  a.onReply({ ...reply(1, { status: 'ok', result: null }), client: 'a' }, 2);
  t.same(
    sent(b.begin({ f: 'get', key: 'k3', read: 'master' }, 3)),
    { rank: 1, reqNo: 1 },
    'another key of shard 1, another client: rank 1',
  );
  b.onReply({ ...reply(1, { status: 'ok', result: null }), client: 'b' }, 4);
  t.same(sent(b.begin({ f: 'get', key: 'k3', read: 'local' }, 5)), { rank: 4, reqNo: 2 }, 'a local read stays home');
  t.same(sent(b.onTimeout(105, true)), { rank: 0, reqNo: 2 }, 'home does not answer: the next rank');
  b.onReply({ ...reply(2, { status: 'ok', result: null }), client: 'b' }, 106);
  t.equal(b.guess, 0, 'which is home from now on');
  t.same(sent(a.begin({ f: 'put', key: 'k2', value: 'v' }, 7)), { rank: 3, reqNo: 2 }, 'shard 0 is still unknown');
  t.same([...routes.keys()], ['shard:1', 'shard:0'], 'the table is per shard, not per key');
  t.throws(() => new ClientSession({ ...o, routing: 'per-shard' }), RangeError, 'per-shard routing needs shardOf');
});

t.test('the history keeps a write’s vts and a get’s at, as docs/history.md says', async (t) => {
  const h = new History();
  const s = new ClientSession({ ...o, carryAfter: true });
  const run = (op: Op, body: Record<string, unknown>, time: number): void => {
    h.invoke(0, op, time);
    s.begin(op, time);
    const done = s.onReply(reply(time / 10 + 1, { status: 'ok', ...body }), time + 1);
    if (done?.type !== 'done') throw new Error('not done');
    h.complete(0, op, done.outcome, time + 1);
  };
  run({ f: 'put', key: 'a', value: 'x' }, { result: null, vts: { version: 2, shard: 1 } }, 0);
  run({ f: 'get', key: 'a', read: 'local' }, { result: 'x', at: { version: 2, shard: 1 } }, 10);
  run({ f: 'get', key: 'a', read: 'local' }, { result: 'x', at: { version: 1, shard: 0 } }, 20);
  const lines = h.toJsonl().trim().split('\n');
  t.match(lines[1], '"vts":{"version":2,"shard":1}');
  t.match(lines[3], '"at":{"version":2,"shard":1}');
  t.notMatch(lines[5], '"at":{"version":2', 'each get its own at');
  t.notMatch(lines[1], '"at"', 'a write carries no at');
  t.match(lines[2], '"read":"local"', "a get's invoke records Vectory's read mode");
  t.notMatch(lines[3], '"vts"', 'a get carries no vts');
});
