// Tests of the invariants (invariants.ts): each is fed a case that breaks it and one that holds.
import t from 'tap';
import {
  checkAckedDurable,
  checkEpochsRise,
  checkGapFree,
  checkInProcess,
  checkNoFork,
  checkOneReader,
  checkOneSeq,
  checkPartition,
  checkPropagation,
} from './invariants.js';
import type { ApplyLine } from './log.js';
import { TestNet, wholeRing } from './testnet.js';
import { nodePosition } from './ring.js';
import type { Config } from './config.js';

function line(node: number, seq: number, over: Partial<ApplyLine> = {}): ApplyLine {
  return { node, rangeId: 'r', seq, key: `k${seq}`, op: 'put', clientId: `c${seq}`, reqNo: 1, epoch: 1, atUs: 0, ...over };
}

/** committed3: a 3-node chain [1,2,3] with two committed writes. */
function committed3(): TestNet {
  const net = new TestNet('inv');
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(2);
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'x', value: '1' });
  net.request(1, c, { client: 'b', reqNo: 1, op: 'put', key: 'y', value: '2' });
  net.deliver();
  return net;
}

const nodesOf = (net: TestNet) => [...net.nodes.values()];
const all = (net: TestNet, rank: number) => net.node(rank).ranges.get('all');

t.test('I1 propagation', (t) => {
  const net = committed3();
  t.same(checkPropagation(nodesOf(net)), []);
  const r = all(net, 3);
  if (r) r.lastApplied = 5;
  t.match(checkPropagation(nodesOf(net)), [/I1: range all: node 3 applied 5 > its pred 2's 2/]);
  t.end();
});

t.test('I2 in-process', (t) => {
  const net = committed3();
  net.down.add(3);
  const c = net.client();
  net.request(1, c, { client: 'z', reqNo: 1, op: 'put', key: 'z', value: '3' });
  net.deliver();
  t.same(checkInProcess(nodesOf(net)), [], 'seq 3 is in sent at 1 and 2');
  const r = all(net, 2);
  if (r) r.sent = [];
  t.match(checkInProcess(nodesOf(net)), [/I2: range all: node 2 applied 3/]);
  t.end();
});

t.test('I3 no fork, except on a failed node', (t) => {
  const good = [line(1, 1), line(2, 1), line(1, 2), line(2, 2)];
  t.same(checkNoFork(good), []);
  const forked = [...good, line(3, 2, { clientId: 'other' })];
  t.match(checkNoFork(forked), [/I3: range r seq 2: node 1 applied c2\/1, node 3 other\/1/]);
  t.same(checkNoFork(forked, new Set([3])), [], 'a failed node’s unacked tail is not held to it');
  t.end();
});

t.test('I4 an ok write stays at the tail', (t) => {
  const net = committed3();
  const c: Config = { epoch: 1, k: 3, nodes: [1, 2, 3].map((rank) => ({ rank, pos: nodePosition(rank) })), ranges: [wholeRing([1, 2, 3])] };
  const acked = [{ key: 'x', seq: 1, op: 'put' as const }];
  t.same(checkAckedDurable(acked, c, nodesOf(net), net.applyLines()), []);
  all(net, 3)?.store.delete('x');
  t.match(checkAckedDurable(acked, c, nodesOf(net), net.applyLines()), [/I4: key "x": ok put at seq 1 is not at tail 3/]);
  t.same(
    checkAckedDurable(acked, c, nodesOf(net), [...net.applyLines(), line(3, 7, { key: 'x', op: 'delete' })]),
    [],
    'a later delete explains it',
  );
  t.end();
});

t.test('I5 gap-free per node and range', (t) => {
  t.same(checkGapFree([line(1, 4), line(1, 5), line(2, 1), line(1, 6)]), [], 'a node may start anywhere (snapshot, parents)');
  t.match(checkGapFree([line(1, 1), line(1, 3)]), [/I5: node 1 range r: applied 3 after 1/]);
  t.end();
});

t.test('I6 one seq per request and range', (t) => {
  t.same(checkOneSeq([line(1, 1), line(2, 1)]), []);
  const twice = [line(1, 1, { clientId: 'a' }), line(1, 2, { clientId: 'a' })];
  t.match(checkOneSeq(twice), [/I6: range r: a\/1 applied at seq 1 and 2/]);
  t.end();
});

t.test('I7 epochs rise', (t) => {
  const ok = [
    { type: 'config', epoch: 1, summary: '' },
    { type: 'config', epoch: 3, summary: '' },
  ] as const;
  t.same(checkEpochsRise(1, ok), []);
  t.match(checkEpochsRise(1, [...ok, { type: 'config', epoch: 2, summary: '' }]), [/I7: node 1 installed epoch 2 after 3/]);
  t.end();
});

t.test('I8 one reader per part of the ring', (t) => {
  const net = committed3();
  t.same(checkOneReader(nodesOf(net), net.nowMs), []);
  const r2 = all(net, 2);
  if (r2) r2.chain = [1, 2]; // node 2 believes it is tail while 3 still serves
  t.match(checkOneReader(nodesOf(net), net.nowMs), [/I8: nodes 2 \(all\) and 3 \(all\) both serve reads/]);
  t.same(checkOneReader(nodesOf(net), net.nowMs + net.options.leaseMs), [], 'once the leases ran out nobody serves');
  t.end();
});

t.test('I10 partition', (t) => {
  const nodes = [1, 2, 3].map((rank) => ({ rank, pos: nodePosition(rank) }));
  const A = '4000000000000000';
  const B = 'c000000000000000';
  const good: Config = {
    epoch: 2,
    k: 3,
    nodes,
    ranges: [
      { rangeId: 'a', lo: B, hi: A, chain: [1, 2, 3] },
      { rangeId: 'b', lo: A, hi: B, chain: [2, 3, 1] },
    ],
  };
  t.same(checkPartition(good, true), []);
  const gap: Config = {
    ...good,
    ranges: [
      { rangeId: 'a', lo: B, hi: A, chain: [1, 2, 3] },
      { rangeId: 'b', lo: '5000000000000000', hi: B, chain: [2, 2] },
    ],
  };
  t.same(checkPartition(gap, true), [
    'I10: epoch 2: range b starts at 5000000000000000, not at 4000000000000000',
    'I10: epoch 2: range b names a node twice',
    'I10: epoch 2: range b has 2 members, not 3',
  ]);
  t.end();
});
