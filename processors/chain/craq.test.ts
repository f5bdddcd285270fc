// Tests of CRAQ reads (R3, craq.ts) on a 3-node chain [1, 2, 3] with --craq, driven by hand
// through testnet.ts: clean keys answered at any member, dirty keys at the seq the tail has
// committed (never an uncommitted version, never one older than the last committed write), and
// a VersionQuery overtaken by a new configuration (T15) or lost ends the read `electing`.
import t from 'tap';
import type { ClientReply } from '../../runtime/client/wire.js';
import type { ChainMsg } from './messages.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { TestNet, wholeRing } from './testnet.js';

const CRAQ = { ...DEFAULT_CHAIN_OPTIONS, craq: true };

function chain3(seed = 'craq'): TestNet {
  const net = new TestNet(seed, CRAQ);
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  return net;
}

let reqNo = 0;

/** get reads key at rank and delivers what follows; the reply's result, or its status if not ok. */
function get(net: TestNet, rank: number, key = 'k'): string | null {
  const c = net.client();
  net.request(rank, c, { client: `r${rank}`, reqNo: ++reqNo, op: 'get', key });
  net.deliver();
  const r = net.lastReply(c);
  return r === undefined ? 'no reply' : r.status === 'ok' ? r.result : r.status;
}

function put(net: TestNet, value: string | null, key = 'k'): void {
  const c = net.client();
  const op = value === null ? ({ op: 'delete' } as const) : ({ op: 'put', value } as const);
  net.request(1, c, { client: 'w', reqNo: ++reqNo, key, ...op });
  net.deliver();
}

/** dropNth: the test net loses the n-th (from 1) message matching `what` from now on, and all later ones if `andAfter`. */
function dropNth(net: TestNet, what: (m: ChainMsg) => boolean, n: number, andAfter = false): void {
  let seen = 0;
  net.dropIf = (m) => {
    if (!what(m)) return false;
    seen++;
    return seen === n || (andAfter && seen > n);
  };
}

const isAck = (m: ChainMsg): boolean => m.type === 'ack';
const isForward = (m: ChainMsg): boolean => m.type === 'forward';

t.test('R3: a clean key is answered by every member from its own store, without asking the tail', (t) => {
  const net = chain3();
  put(net, 'v1');
  for (const r of [1, 2, 3]) t.equal(get(net, r), 'v1', `node ${r} answers v1`);
  t.equal(net.node(1).counts.cleanReads + net.node(2).counts.cleanReads, 2, 'head and middle answered clean, locally');
  t.equal(net.node(1).counts.versionQueries + net.node(2).counts.versionQueries, 0, 'no version query');
  t.equal(net.node(2).ranges.get('all')?.dirty.size, 0, 'the acked version was folded clean');
  t.end();
});

t.test('R3: a dirty key is answered at the tail’s committed seq: a committed write not yet acked here, never an unapplied one', (t) => {
  const net = chain3();
  put(net, 'v1');
  dropNth(net, isAck, 1, true); // v2 commits at the tail, but its ack never reaches 2 and 1
  put(net, 'v2');
  t.equal(net.node(3).ranges.get('all')?.lastApplied, 2, 'v2 is applied at the tail: committed');
  t.equal(net.node(1).ranges.get('all')?.lastAcked, 1, 'the head has not heard so');
  t.equal(get(net, 1), 'v2', 'the head, v2 dirty there, answers the committed v2 (not the older clean v1)');
  t.equal(get(net, 2), 'v2', 'so does the middle');
  t.ok(net.node(1).counts.versionQueries >= 1 && net.node(2).counts.versionQueries >= 1, 'both asked the tail');
  dropNth(net, isForward, 2, true); // v3 reaches the middle, never the tail: not committed
  put(net, 'v3');
  t.equal(net.node(2).ranges.get('all')?.store.get('k')?.value, 'v3', 'the middle holds v3');
  t.equal(get(net, 2), 'v2', 'the middle answers v2, the last committed value, not its dirty v3');
  t.equal(get(net, 1), 'v2', 'so does the head');
  t.equal(get(net, 3), 'v2', 'and the tail');
  t.end();
});

t.test('R3: a dirty delete is not read as absent; once the ack passes, the key is clean and absent', (t) => {
  const net = chain3();
  put(net, 'v1');
  dropNth(net, isForward, 2, true); // the delete stops at the middle
  put(net, null);
  t.equal(get(net, 2), 'v1', 'the middle answers v1 while the delete is uncommitted');
  net.dropIf = null;
  net.advance(DEFAULT_CHAIN_OPTIONS.resendAfterMs + 5); // W7 resends, the tail applies, the ack returns
  t.equal(net.node(2).ranges.get('all')?.dirty.size, 0, 'clean again');
  const before = net.node(2).counts.versionQueries;
  t.equal(get(net, 2), null, 'absent, answered locally');
  t.equal(net.node(2).counts.versionQueries, before, 'without asking the tail');
  t.end();
});

t.test('T15: a VersionQuery overtaken by a new configuration ends the read electing; a reply of another epoch is not taken', (t) => {
  const net = chain3();
  put(net, 'v1');
  dropNth(net, isAck, 1, true);
  put(net, 'v2'); // dirty at 1 and 2
  net.dropIf = (m) => m.type === 'version-reply';
  const c = net.client();
  net.request(2, c, { client: 'q', reqNo: 1, op: 'get', key: 'k' });
  net.deliver();
  t.equal(net.lastReply(c), undefined, 'the read waits for the tail');
  t.equal(net.node(2).craqReads.size, 1, 'one read waiting');
  net.dropIf = null;
  net.install([wholeRing([1, 2])]); // the tail changes: 2 is the tail now (F2)
  t.same(net.lastReply(c), { type: 'client-reply', client: 'q', reqNo: 1, status: 'electing' }, 'the waiting read ends electing');
  t.equal(net.node(2).craqReads.size, 0, 'nothing waits');
  const stale: ClientReply[] = [];
  net.step(2, { type: 'message', from: 3, msg: { type: 'version-reply', epoch: 1, rangeId: 'all', qid: 1, upTo: 1 } });
  t.same(net.replies.get(c)?.slice(1) ?? stale, [], 'the old epoch’s reply answers nobody');
  net.advance(5); // leases for the new epoch
  t.equal(get(net, 2), 'v2', 'the new tail answers v2: everything it applied is committed (F2)');
  t.equal(get(net, 1), 'v2', 'the head asks the new tail and answers v2');
  t.end();
});

t.test('R3: the tail answers a VersionQuery only in its own epoch, as the tail, with a lease', (t) => {
  const net = chain3();
  put(net, 'v1');
  const ask = (to: number, epoch: number): ChainMsg | undefined => {
    let reply: ChainMsg | undefined;
    net.dropIf = (m) => {
      if (m.type === 'version-reply') reply = m;
      return m.type === 'version-reply';
    };
    net.step(to, { type: 'message', from: 1, msg: { type: 'version-query', epoch, rangeId: 'all', qid: 9 } });
    net.dropIf = null;
    return reply;
  };
  t.match(ask(3, 1), { type: 'version-reply', upTo: 1 }, 'the tail of epoch 1 names seq 1');
  t.match(ask(3, 2), { type: 'version-reply', upTo: null }, 'not for another epoch');
  t.match(ask(2, 1), { type: 'version-reply', upTo: null }, 'a middle cannot say');
  net.leases = false;
  net.advance(DEFAULT_CHAIN_OPTIONS.leaseMs + 10);
  t.match(ask(3, 1), { type: 'version-reply', upTo: null }, 'a tail whose lease ran out cannot say (L2)');
  t.end();
});

t.test('R3, L2: a member without a lease answers no read; a lost query ends the read electing after resendAfterMs', (t) => {
  const net = chain3();
  put(net, 'v1');
  dropNth(net, isAck, 1, true);
  put(net, 'v2');
  net.dropIf = (m) => m.type === 'version-query';
  const c = net.client();
  net.request(1, c, { client: 'q', reqNo: 1, op: 'get', key: 'k' });
  net.advance(DEFAULT_CHAIN_OPTIONS.resendAfterMs - 5);
  t.equal(net.lastReply(c), undefined, 'still waiting');
  net.advance(10);
  t.same(net.lastReply(c), { type: 'client-reply', client: 'q', reqNo: 1, status: 'electing' }, 'given up: the client retries');
  net.dropIf = null;
  net.cutFromMaster.add(2);
  net.advance(DEFAULT_CHAIN_OPTIONS.leaseMs + 10);
  t.equal(get(net, 2), 'electing', 'a middle whose lease ran out does not answer, clean or dirty (L2)');
  t.end();
});

t.test('R3: a node outside the key’s chain names a member: a different one for different clients', (t) => {
  const net = new TestNet('craq-hint', CRAQ);
  for (const r of [1, 2, 3, 4]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  const hints = new Set<number | null>();
  for (let i = 0; i < 24; i++) {
    const c = net.client();
    net.request(4, c, { client: `c${i}`, reqNo: 1, op: 'get', key: 'k' });
    const r = net.lastReply(c);
    if (r?.status === 'not-leader') hints.add(r.hint);
  }
  t.same(
    [...hints].sort((a, b) => (a ?? 0) - (b ?? 0)),
    [1, 2, 3],
    'every member is named to some client (without --craq: only the tail, R1)',
  );
  t.end();
});

t.test('R3: a get that asks (members) is told the chain: by a non-member, and with a clean or a dirty answer', (t) => {
  const net = new TestNet('craq-members', CRAQ);
  for (const r of [1, 2, 3, 4]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  put(net, 'v1');
  const ask = (rank: number): ClientReply | undefined => {
    const c = net.client();
    net.request(rank, c, { client: 'm', reqNo: ++reqNo, op: 'get', key: 'k', members: true });
    net.deliver();
    return net.lastReply(c);
  };
  const outside = ask(4);
  t.equal(outside?.status, 'not-leader');
  t.same(outside?.status === 'not-leader' ? outside.members : undefined, [1, 2, 3], 'rank 4 names the whole chain');
  t.same(ask(1), { type: 'client-reply', client: 'm', reqNo, status: 'ok', result: 'v1', members: [1, 2, 3] }, 'a clean read at the head');
  dropNth(net, isAck, 1, true);
  put(net, 'v2');
  t.same(
    ask(2),
    { type: 'client-reply', client: 'm', reqNo, status: 'ok', result: 'v2', members: [1, 2, 3] },
    'a dirty read, after the tail',
  );
  const plain = get(net, 2);
  t.equal(plain, 'v2', 'a get that does not ask is answered as before');
  const c = net.client();
  net.request(2, c, { client: 'p', reqNo: ++reqNo, op: 'get', key: 'k' });
  net.deliver();
  t.notOk('members' in (net.lastReply(c) ?? {}), 'without members in its reply');
  t.end();
});

t.test('R3: the dirty gets of one range that arrive in one turn share one VersionQuery, and all are answered', (t) => {
  const net = chain3();
  put(net, 'a1', 'a');
  put(net, 'b1', 'b');
  dropNth(net, isAck, 1, true);
  put(net, 'a2', 'a'); // a and b dirty at 1 and 2 from here on
  put(net, 'b2', 'b');
  const asks = [
    { c: net.client(), key: 'a' },
    { c: net.client(), key: 'b' },
    { c: net.client(), key: 'a' },
  ];
  let qs = 0;
  net.dropIf = (m) => {
    if (m.type === 'version-query') qs++;
    return false;
  };
  const msgs = asks.map(({ c, key }, i) => ({
    type: 'message' as const,
    from: c,
    msg: { type: 'client-req' as const, client: `t${i}`, reqNo: 1, op: 'get' as const, key },
  }));
  net.turn(2, msgs);
  net.deliver();
  t.equal(qs, 1, 'one query for three dirty gets');
  t.same(
    asks.map(({ c }) => net.lastReply(c)),
    asks.map(({ key }, i) => ({ type: 'client-reply', client: `t${i}`, reqNo: 1, status: 'ok', result: `${key}2` })),
    'each answered at the committed seq',
  );
  t.equal(net.node(2).counts.versionQueries, 3, 'three gets asked');
  t.equal(net.node(2).counts.queriesSent, 1, 'in one message');
  t.equal(net.node(2).craqReads.size, 0, 'nothing waits');
  t.end();
});
