// Tests of the chain's write path (W1–W8) and tail reads (R1, R2) on a 3-node chain [1, 2, 3]
// driven by hand through testnet.ts.
import t from 'tap';
import { TestNet, wholeRing } from './testnet.js';

/** chain3: nodes 1, 2, 3 with chain [1, 2, 3] over the whole ring, leases granted. */
function chain3(seed = 'w'): TestNet {
  const net = new TestNet(seed);
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  return net;
}

t.test('W1–W8: a put is applied down the chain, answered by the head after the ack, read at the tail', (t) => {
  const net = chain3();
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v1' });
  t.equal(net.lastReply(c), undefined, 'no reply before the ack returns (W8)');
  net.deliver();
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: 'created' });
  for (const r of [1, 2, 3]) t.equal(net.node(r).ranges.get('all')?.lastApplied, 1, `node ${r} applied seq 1`);
  t.equal(net.node(1).ranges.get('all')?.sent.length, 0, 'the head dropped the acked update from sent (W6)');
  const g = net.client();
  net.request(3, g, { client: 'b', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'b', reqNo: 1, status: 'ok', result: 'v1' });
  net.request(2, g, { client: 'b', reqNo: 2, op: 'get', key: 'k' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'b', reqNo: 2, status: 'not-leader', hint: 3 }, 'a middle names the tail (R1)');
  net.request(3, g, { client: 'b', reqNo: 3, op: 'put', key: 'k', value: 'x' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'b', reqNo: 3, status: 'not-leader', hint: 1 }, 'the tail names the head');
  t.end();
});

t.test('W1, C4: a retry gets the original result, never a second seq; an older reqNo is dropped', (t) => {
  const net = chain3();
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'delete', key: 'k' });
  net.request(1, c, { client: 'a', reqNo: 1, op: 'delete', key: 'k' }); // retry before the ack: parked
  net.deliver();
  t.same(
    net.replies.get(c)?.map((r) => (r.status === 'ok' ? r.result : r.status)),
    ['notFound', 'notFound'],
    'both answered notFound (C4)',
  );
  net.request(1, c, { client: 'a', reqNo: 1, op: 'delete', key: 'k' }); // retry after the ack: from dedup
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: 'notFound' });
  t.equal(net.node(3).ranges.get('all')?.lastApplied, 1, 'one seq for reqNo 1');
  const before = net.replies.get(c)?.length;
  net.request(1, c, { client: 'a', reqNo: 0, op: 'put', key: 'k', value: 'old' });
  net.deliver();
  t.equal(net.replies.get(c)?.length, before, 'an older reqNo gets no answer');
  t.equal(net.node(3).ranges.get('all')?.lastApplied, 1, 'and no seq');
  t.end();
});

t.test('W2: a full window answers electing (busy)', (t) => {
  const net = new TestNet('busy', { ...chain3().options, maxInFlight: 2 });
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  const c = net.client();
  for (let i = 1; i <= 3; i++) net.request(1, c, { client: `c${i}`, reqNo: 1, op: 'put', key: `k${i}`, value: `v${i}` });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'c3', reqNo: 1, status: 'electing' });
  net.deliver();
  t.equal(net.replies.get(c)?.filter((r) => r.status === 'ok').length, 2, 'the two admitted writes commit');
  t.end();
});

t.test('W4, W7: a lost forward is healed by Resend on the next gap, or by the resend timer', (t) => {
  const net = chain3();
  const c = net.client();
  net.faults.drop = 1;
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k1', value: 'v1' });
  net.faults.drop = 0;
  net.request(1, c, { client: 'b', reqNo: 1, op: 'put', key: 'k2', value: 'v2' });
  net.deliver();
  t.equal(net.node(2).ranges.get('all')?.lastApplied, 2, 'the middle asked Resend(1) on seeing seq 2 and got both');
  t.equal(net.replies.get(c)?.length, 2, 'both answered');
  net.faults.drop = 1;
  net.request(1, c, { client: 'a', reqNo: 2, op: 'put', key: 'k1', value: 'v3' });
  net.faults.drop = 0;
  net.advance(net.options.resendAfterMs - 10);
  t.equal(net.node(2).ranges.get('all')?.lastApplied, 2, 'nothing before resendAfterMs');
  net.advance(20);
  t.equal(net.node(3).ranges.get('all')?.lastApplied, 3, 'the timer resent it (W7)');
  t.equal(net.replies.get(c)?.length, 3);
  t.end();
});

t.test('R2, L2: without a lease a tail answers electing and a head takes no writes', (t) => {
  const net = new TestNet('nolease');
  net.leases = false;
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  const c = net.client();
  net.request(3, c, { client: 'a', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 1, status: 'electing' });
  net.request(1, c, { client: 'a', reqNo: 2, op: 'put', key: 'k', value: 'v' });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 2, status: 'electing' });
  t.end();
});

t.test('L1: a lease runs out leaseMs after the heartbeat it answered; the tail then reads stale', (t) => {
  const net = chain3();
  const c = net.client();
  net.leases = false;
  net.advance(net.options.leaseMs - 10);
  net.request(3, c, { client: 'a', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: null }, 'still inside the lease');
  net.advance(20);
  net.request(3, c, { client: 'a', reqNo: 2, op: 'get', key: 'k' });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 2, status: 'electing' }, 'the lease lapsed');
  t.end();
});

t.test('W5: writes of one turn travel in one Forward and come back in one Ack per hop', (t) => {
  const net = chain3('batch');
  const c = net.client();
  const before = net.sent;
  net.turn(
    1,
    Array.from({ length: 10 }, (_, i) => ({
      type: 'message' as const,
      from: c,
      msg: { type: 'client-req' as const, client: `c${i}`, reqNo: 1, op: 'put' as const, key: `k${i}`, value: 'v' },
    })),
  );
  net.deliver();
  t.equal(net.replies.get(c)?.length, 10, 'all ten answered');
  t.equal(net.sent - before, 4 + 10, 'two Forwards, two Acks, ten replies');
  t.end();
});
