// Tests of a node's reconfiguration (decision 2 of docs/protocols/chain.md): failures F1–F3
// by installing configurations by hand (the test plays the master), join at the tail X1–X5,
// retire (F6), pause (J3), split and merge from parents (J1, G2), and fencing by leases (L1, R2).
import t from 'tap';
import { inRange, nodePosition, positionOf } from './ring.js';
import { TestNet, wholeRing } from './testnet.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { stepNode } from './node.js';

function chain3(seed: string, options = DEFAULT_CHAIN_OPTIONS): TestNet {
  const net = new TestNet(seed, options);
  for (const r of [1, 2, 3]) net.add(r);
  net.install([wholeRing([1, 2, 3])]);
  net.advance(5);
  return net;
}

const at = (net: TestNet, rank: number) => net.node(rank).ranges.get('all');

t.test('F1 + F2 + C3: head and tail fail; the survivor commits what it applied and a retry gets the original result', (t) => {
  const net = chain3('f1f2');
  const c = net.client();
  net.down.add(3);
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.deliver();
  t.equal(at(net, 2)?.lastApplied, 1, 'the middle applied it');
  t.equal(net.lastReply(c), undefined, 'no ack: the tail is down');
  net.down.add(1);
  net.install([wholeRing([2])]);
  t.equal(at(net, 2)?.lastAcked, 1, 'F2: all it applied is committed');
  t.equal(at(net, 2)?.nextSeq, 2, 'F1: it continues from lastApplied + 1');
  net.advance(2);
  net.request(2, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  t.same(
    net.lastReply(c),
    { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: 'created' },
    'the retry: original result, no new seq',
  );
  t.equal(at(net, 2)?.lastApplied, 1);
  t.end();
});

t.test('F2: the middle becomes tail, acks upstream, and the head answers', (t) => {
  const net = chain3('f2');
  const c = net.client();
  net.down.add(3);
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.deliver();
  net.install([wholeRing([1, 2])]);
  net.deliver();
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: 'created' });
  const g = net.client();
  net.request(2, g, { client: 'b', reqNo: 2, op: 'get', key: 'k' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'b', reqNo: 2, status: 'ok', result: 'v' });
  t.end();
});

t.test('F3 by Resend: the middle fails; the head resends its sent to the new successor', (t) => {
  const net = chain3('f3');
  const c = net.client();
  net.down.add(2);
  for (let i = 1; i <= 3; i++) net.request(1, c, { client: `c${i}`, reqNo: 1, op: 'put', key: `k${i}`, value: `v${i}` });
  net.deliver();
  t.equal(at(net, 1)?.sent.length, 3, 'three unacked in sent');
  net.install([wholeRing([1, 3])]);
  net.deliver();
  t.equal(at(net, 3)?.lastApplied, 3, 'the tail got them all');
  t.equal(at(net, 1)?.sent.length, 0);
  t.equal(net.replies.get(c)?.length, 3, 'all answered');
  t.end();
});

t.test('F1: the head fails with a write it never forwarded; the new head reuses no seq twice', (t) => {
  const net = chain3('f1');
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v1' });
  net.deliver();
  net.faults.drop = 1;
  net.request(1, c, { client: 'a', reqNo: 2, op: 'put', key: 'k', value: 'v2' });
  net.faults.drop = 0;
  net.down.add(1);
  net.install([wholeRing([2, 3])]);
  net.advance(2);
  net.request(2, c, { client: 'a', reqNo: 2, op: 'put', key: 'k', value: 'v2' });
  net.deliver();
  t.same(net.lastReply(c), { type: 'client-reply', client: 'a', reqNo: 2, status: 'ok', result: 'updated' });
  t.same(
    net.applies(3).map((a) => [a.seq, a.reqNo]),
    [
      [1, 1],
      [2, 2],
    ],
    'seq 2 assigned once, by the new head',
  );
  t.end();
});

/** joinAt4: chain [1,2,3] with 5 keys, node 4 pulls 3's snapshot in chunks of 2 while writes continue. */
function joinAt4(seed: string): { net: TestNet; c: number } {
  const net = chain3(seed, { ...DEFAULT_CHAIN_OPTIONS, transferChunk: 2 });
  const c = net.client();
  for (let i = 1; i <= 5; i++) net.request(1, c, { client: `c${i}`, reqNo: 1, op: 'put', key: `k${i}`, value: `v${i}` });
  net.deliver();
  net.add(4);
  net.master(4, { type: 'join-as-tail', epoch: 1, rangeId: 'all', from: 3 });
  net.request(1, c, { client: 'c6', reqNo: 1, op: 'put', key: 'k6', value: 'v6' }); // applied at 3 after s0 or before: either way 4 gets it
  net.deliver();
  return { net, c };
}

t.test('X1–X4: a joiner pulls the snapshot, reports Ready, and serves only after the handover', (t) => {
  const { net, c } = joinAt4('x');
  const ready = net.toMaster.find((m) => m.from === 4 && m.msg.type === 'ready');
  t.ok(ready, 'X3: Ready sent');
  const s0 = ready?.msg.type === 'ready' ? ready.msg.s0 : -1;
  t.ok(s0 >= 5, `s0 ${s0} covers the five writes before the join`);
  net.request(1, c, { client: 'c7', reqNo: 1, op: 'put', key: 'k7', value: 'v7' }); // into 3's transfer log
  net.deliver();
  net.install([wholeRing([1, 2, 3, 4])]);
  net.deliver();
  t.equal(at(net, 4)?.lastApplied, 7, 'X4: the handover log brought the joiner to s1');
  t.equal(at(net, 4)?.handoverS1, 7);
  t.equal(at(net, 3)?.role, 'middle');
  t.equal(at(net, 3)?.sent.length, 0, 'the joiner acked the log (W6 drops committed entries)');
  t.equal(at(net, 3)?.handover, undefined, 'and the handover is done');
  net.advance(2);
  const g = net.client();
  net.request(4, g, { client: 'r', reqNo: 1, op: 'get', key: 'k1' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 1, status: 'ok', result: 'v1' });
  net.request(3, g, { client: 'r', reqNo: 2, op: 'get', key: 'k1' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 2, status: 'not-leader', hint: 4 });
  net.request(1, c, { client: 'c8', reqNo: 1, op: 'put', key: 'k8', value: 'v8' });
  net.deliver();
  t.equal(at(net, 4)?.lastApplied, 8, 'and it takes new writes as tail');
  t.end();
});

t.test('X4: a joiner that missed the handover does not serve', (t) => {
  const { net } = joinAt4('x4');
  net.faults.drop = 1;
  net.install([wholeRing([1, 2, 3, 4])]);
  net.faults.drop = 0;
  net.advance(2);
  const g = net.client();
  net.request(4, g, { client: 'r', reqNo: 1, op: 'get', key: 'k1' });
  t.same(net.lastReply(g)?.status, 'electing', 'not servable before s1');
  net.advance(net.options.resendAfterMs + 5);
  net.request(4, g, { client: 'r', reqNo: 2, op: 'get', key: 'k6' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 2, status: 'ok', result: 'v6' }, 'W7 resent the handover and log');
  t.end();
});

t.test('X4: a lost Handover is resent even when the log reaches the joiner (its acks wait for the Handover)', (t) => {
  const { net } = joinAt4('x4-lost');
  net.request(1, net.client(), { client: 'c7', reqNo: 1, op: 'put', key: 'k7', value: 'v7' }); // into 3's transfer log
  net.deliver();
  net.dropIf = (m) => m.type === 'handover';
  net.install([wholeRing([1, 2, 3, 4])]);
  net.deliver();
  net.dropIf = null;
  t.equal(at(net, 4)?.lastApplied, 7, 'the log reached the joiner without its Handover');
  t.equal(at(net, 4)?.handoverS1, undefined);
  t.not(at(net, 3)?.handover, undefined, 'the old tail still owes the Handover (no ack ended it)');
  net.advance(net.options.resendAfterMs + 5);
  net.deliver();
  t.equal(at(net, 4)?.handoverS1, 7, 'W7 resent the Handover');
  t.equal(at(net, 3)?.handover, undefined, 'and the joiner acked it');
  const g = net.client();
  net.advance(2);
  net.request(4, g, { client: 'r', reqNo: 1, op: 'get', key: 'k7' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 1, status: 'ok', result: 'v7' }, 'the joiner serves');
  t.end();
});

t.test('X5: the tail dies before the joiner is servable; the master drops both, the middle becomes tail', (t) => {
  const { net, c } = joinAt4('x5');
  net.down.add(3);
  net.install([wholeRing([1, 2])]);
  t.equal(at(net, 4), undefined, 'the joiner dropped its copy');
  net.deliver();
  net.request(1, c, { client: 'c9', reqNo: 1, op: 'put', key: 'k9', value: 'v9' });
  net.deliver();
  t.same(net.lastReply(c)?.status, 'ok');
  t.end();
});

t.test('F6: a retired tail answers Retired and then serves and forwards nothing', (t) => {
  const net = chain3('retire');
  net.master(3, { type: 'retire', epoch: 1, rangeId: 'all' });
  t.ok(net.toMaster.some((m) => m.from === 3 && m.msg.type === 'retired'));
  net.advance(net.options.heartbeatMs);
  const hb = net.toMaster.filter((m) => m.from === 3 && m.msg.type === 'heartbeat').at(-1);
  t.same(
    hb?.msg.type === 'heartbeat' ? hb.msg.ranges.map((r) => [r.retired, r.servable]) : [],
    [[true, false]],
    'its heartbeat reports it retired',
  );
  const g = net.client();
  net.request(3, g, { client: 'r', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 1, status: 'not-leader', hint: null });
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.deliver();
  t.equal(at(net, 3)?.lastApplied, 0, 'applies nothing');
  t.equal(net.lastReply(c), undefined, 'so nothing commits until the master removes it');
  net.install([wholeRing([1, 2])], [1, 2, 3]);
  net.deliver();
  t.same(net.lastReply(c)?.status, 'ok');
  t.equal(at(net, 3), undefined, 'the removed member dropped the range');
  t.end();
});

t.test('J3: a paused head answers writes electing and reports Quiesced once sent drains; Resume reopens it', (t) => {
  const net = chain3('pause');
  const c = net.client();
  net.down.add(3);
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.master(1, { type: 'pause', epoch: 1, rangeId: 'all' });
  t.notOk(
    net.toMaster.some((m) => m.msg.type === 'quiesced'),
    'not quiesced with a write in flight',
  );
  net.request(1, c, { client: 'b', reqNo: 1, op: 'put', key: 'k', value: 'w' });
  t.same(net.lastReply(c), { type: 'client-reply', client: 'b', reqNo: 1, status: 'electing' });
  net.down.delete(3);
  net.advance(net.options.resendAfterMs + 5);
  const q = net.toMaster.find((m) => m.msg.type === 'quiesced');
  t.same(q?.msg, { type: 'quiesced', epoch: 1, rangeId: 'all', lastApplied: 1 });
  net.master(1, { type: 'resume', epoch: 1, rangeId: 'all' });
  net.request(1, c, { client: 'b', reqNo: 1, op: 'put', key: 'k', value: 'w' });
  net.deliver();
  t.same(net.lastReply(c), { type: 'client-reply', client: 'b', reqNo: 1, status: 'ok', result: 'updated' });
  t.end();
});

t.test('J1, G2, C7: a split builds both halves from the parent; a merge joins them at the larger seq', (t) => {
  const net = chain3('split');
  const c = net.client();
  const keys = Array.from({ length: 12 }, (_, i) => `key${i}`);
  keys.forEach((k, i) => net.request(1, c, { client: `c${i}`, reqNo: 1, op: 'put', key: k, value: `v${i}` }));
  net.deliver();
  const all = at(net, 3);
  t.equal(all?.lastApplied, 12);
  const P0 = '0000000000000000';
  const M = '8000000000000000';
  net.install([
    { rangeId: 'a', parents: ['all'], lo: P0, hi: M, chain: [1, 2, 3] },
    { rangeId: 'b', parents: ['all'], lo: M, hi: P0, chain: [1, 2, 3] },
  ]);
  const a = net.node(3).ranges.get('a');
  const b = net.node(3).ranges.get('b');
  t.equal(at(net, 3), undefined, 'the parent is gone');
  t.equal(a?.lastApplied, 12, 'C7: seq continues from the parent');
  t.equal((a?.store.size ?? 0) + (b?.store.size ?? 0), 12, 'the keys are split, none lost');
  for (const [k] of a?.store ?? []) t.ok(inRange(positionOf(k), P0, M), `${k} in (P0, M]`);
  net.advance(2);
  const inA = keys.find((k) => inRange(positionOf(k), P0, M)) ?? '';
  net.request(1, c, { client: 'x', reqNo: 1, op: 'put', key: inA, value: 'new' });
  net.deliver();
  t.equal(net.node(3).ranges.get('a')?.lastApplied, 13, 'a write to one half takes seq 13 there');
  net.install([{ rangeId: 'ab', parents: ['a', 'b'], lo: P0, hi: P0, chain: [1, 2, 3] }]);
  const ab = net.node(2).ranges.get('ab');
  t.equal(ab?.lastApplied, 13, 'G2: the merge continues from the larger lastApplied');
  t.equal(ab?.store.get(inA)?.value, 'new');
  t.equal(ab?.store.size, 12);
  t.end();
});

t.test('R2, L1, F6: a tail cut from the master stops reading before a new tail takes writes', (t) => {
  const net = chain3('cut');
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'old' });
  net.deliver();
  net.cutFromMaster.add(3);
  net.advance(net.options.failTimeoutMs); // the master declares 3 failed only now (L3)
  net.install([wholeRing([1, 2])], [1, 2]); // 3 never hears of it
  net.advance(2);
  net.request(1, c, { client: 'a', reqNo: 2, op: 'put', key: 'k', value: 'new' });
  net.deliver();
  t.same(net.lastReply(c)?.status, 'ok', 'the write committed at the new tail');
  const g = net.client();
  net.request(3, g, { client: 'r', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(g), { type: 'client-reply', client: 'r', reqNo: 1, status: 'electing' }, 'the old tail never answers old');
  t.end();
});

t.test('L4: a chain message of a lower epoch is refused; a higher one is dropped and asks for the config', (t) => {
  const net = chain3('l4');
  const n2 = net.node(2);
  net.step(2, {
    type: 'message',
    from: 1,
    msg: {
      type: 'forward',
      epoch: 0,
      rangeId: 'all',
      updates: [{ seq: 1, op: 'delete', key: 'k', clientId: 'a', reqNo: 1, result: 'notFound' }],
    },
  });
  t.equal(n2.ranges.get('all')?.lastApplied, 0);
  t.equal(n2.counts.staleEpochDropped, 1);
  const asked = net.toMaster.filter((m) => m.msg.type === 'get-config').length;
  net.step(2, {
    type: 'message',
    from: 1,
    msg: {
      type: 'forward',
      epoch: 5,
      rangeId: 'all',
      updates: [{ seq: 1, op: 'delete', key: 'k', clientId: 'a', reqNo: 1, result: 'notFound' }],
    },
  });
  t.equal(n2.ranges.get('all')?.lastApplied, 0);
  t.equal(net.toMaster.filter((m) => m.msg.type === 'get-config').length, asked + 1, 'GetConfig');
  net.step(2, {
    type: 'message',
    from: 3,
    msg: {
      type: 'forward',
      epoch: 1,
      rangeId: 'all',
      updates: [{ seq: 1, op: 'delete', key: 'k', clientId: 'a', reqNo: 1, result: 'notFound' }],
    },
  });
  t.equal(n2.ranges.get('all')?.lastApplied, 0, 'a Forward only from the installed pred');
  t.end();
});

t.test('C3: dedup entries idle for clientTtlMs are evicted', (t) => {
  const net = chain3('ttl', { ...DEFAULT_CHAIN_OPTIONS, clientTtlMs: 50 });
  const c = net.client();
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.deliver();
  t.equal(at(net, 2)?.dedup.size, 1);
  net.advance(60);
  t.equal(at(net, 2)?.dedup.size, 0);
  t.end();
});

t.test('X4: a join with no write after s0 ends the handover too (no resends forever)', (t) => {
  const net = chain3('x4-idle');
  net.add(4);
  net.master(4, { type: 'join-as-tail', epoch: 1, rangeId: 'all', from: 3 });
  net.deliver();
  net.install([wholeRing([1, 2, 3, 4])]);
  net.deliver();
  const before = net.node(3).counts.resends;
  net.advance(3 * net.options.resendAfterMs);
  t.equal(at(net, 3)?.handover, undefined);
  t.equal(net.node(3).counts.resends, before, 'nothing resent');
  t.equal(at(net, 4)?.handoverS1, 0);
  t.end();
});

t.test('L1, decision 1: Removed drops every range and rejoins as a new incarnation', (t) => {
  const net = chain3('removed');
  const before = net.node(2).incarnation;
  net.master(2, { type: 'removed' });
  t.equal(net.node(2).ranges.size, 0, 'no ranges');
  net.advance(net.options.heartbeatMs);
  const join = net.toMaster.filter((m) => m.from === 2 && m.msg.type === 'join').at(-1);
  t.ok(join?.msg.type === 'join' && join.msg.incarnation > before, 'a Join with a new incarnation');
  const g = net.client();
  net.request(2, g, { client: 'r', reqNo: 1, op: 'get', key: 'k' });
  t.same(net.lastReply(g)?.status, 'not-leader', 'it serves nothing');
  const now = net.node(2).incarnation;
  net.master(2, { type: 'removed' }); // answering a heartbeat that overtook the new Join
  t.equal(net.node(2).incarnation, now, 'a node without ranges keeps its incarnation (no churn)');
  t.end();
});

t.test('a retired range with unacked updates never asks to wake at the current instant (no spin)', (t) => {
  const net = chain3('spin');
  const c = net.client();
  net.down.add(3);
  net.request(1, c, { client: 'a', reqNo: 1, op: 'put', key: 'k', value: 'v' });
  net.deliver();
  net.master(2, { type: 'retire', epoch: 1, rangeId: 'all' });
  t.equal(at(net, 2)?.sent.length, 1, 'the retired middle still holds its unacked update');
  net.advance(net.options.resendAfterMs + 1);
  let wake = -1;
  const out = { send: () => {}, log: () => {}, persist: () => {}, wakeAt: (ms: number) => (wake = ms), stop: () => {} };
  stepNode(net.node(2), { type: 'tick' }, net.nowMs, out);
  t.ok(wake > net.nowMs, `wakes at ${wake}, after now ${net.nowMs}`);
  t.end();
});

t.test('a process the master has not yet acknowledged asks no configuration, however new a peer’s epoch (decision 1)', (t) => {
  // Found by the log audit's I7 (kv_sweep seeds 11, 98, 132, 135, 174): a restarted rank, its Join lost, got a
  // Forward meant for its dead predecessor, asked GetConfig, installed the configuration naming its old self
  // (empty ranges at epoch 1), and stopped sending Join; the master failed it only after failTimeoutMs.
  const net = new TestNet('no-early-get-config');
  net.leases = false;
  net.add(1);
  net.step(1, { type: 'message', from: 2, msg: { type: 'forward', epoch: 3, rangeId: 'r/1', updates: [] } });
  t.same(
    net.toMaster.filter((m) => m.msg.type === 'get-config'),
    [],
    'no GetConfig before the master answered a heartbeat',
  );
  t.ok(
    net.toMaster.some((m) => m.msg.type === 'join'),
    'it keeps sending Join',
  );
  net.master(1, { type: 'heartbeat-reply', hbNo: 1, epoch: 3, incarnation: 1 });
  t.ok(
    net.toMaster.some((m) => m.msg.type === 'get-config'),
    'once acknowledged, a newer epoch makes it ask (M2)',
  );
  t.end();
});

t.test('a restarted process ignores a configuration or heartbeat reply addressed to its old incarnation (I7’s class)', (t) => {
  // The master addresses both to the incarnation it knows. Rank 2 restarted (a new, empty
  // process) before its Join reached the master, and the next configuration, still naming rank 2
  // in the chain, reached the new process: installed, it would hold a range it has no data of,
  // and stop joining (a heartbeat reply or a configuration naming it counts as joined). A late
  // reply to the old process's heartbeat would stop it joining too, and the master, ignoring the
  // new process's heartbeats until it joins, would never hear of it again (restart_config.test.ts).
  const net = chain3('restarted-config');
  const restarted = net.add(2, 2);
  const config = { epoch: 2, k: 3, nodes: [1, 2, 3].map((rank) => ({ rank, pos: nodePosition(rank) })), ranges: [wholeRing([1, 2, 3])] };
  net.master(2, { type: 'config', config, incarnation: 1 });
  t.equal(restarted.epoch, 0, 'the new process installs no configuration meant for its old self');
  t.equal(restarted.ranges.size, 0, 'and holds no range');
  t.equal(restarted.counts.otherIncarnationConfigs, 1, 'counted as meant for another incarnation');
  net.master(2, { type: 'heartbeat-reply', hbNo: 1, epoch: 2, incarnation: 1 });
  t.equal(restarted.counts.otherIncarnationReplies, 1, 'a reply to the old process’s heartbeat is ignored too');
  t.notOk(restarted.joined, 'it is not joined: it keeps sending Join at each heartbeat until the master answers');
  net.master(2, { type: 'config', config, incarnation: 2 });
  t.equal(restarted.epoch, 2, 'a configuration addressed to this incarnation is installed');
  t.end();
});
