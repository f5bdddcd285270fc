// netfaults.test: partitions and cuts lose what crosses them until their end, delay keeps a
// link FIFO unless jittered, dup duplicates the seeded fraction; self-sends are never touched.
import t from 'tap';
import { CspChan } from '../chan.js';
import { VirtualClock } from '../clock.js';
import { SeededRandom } from '../random.js';
import type { Inbound, Transport } from '../transport.js';
import { isBlocked, netFaultOf, withNetFaults, NO_LINK_FAULTS } from './netfaults.js';

function recorder(clock: VirtualClock, rank = 0): Transport<number> & { sent: { to: number; msg: number; atMs: number }[] } {
  const sent: { to: number; msg: number; atMs: number }[] = [];
  return {
    rank,
    sent,
    inbox: new CspChan<Inbound<number>>(clock, { name: 'in', capacity: 1, overflow: { type: 'drop-newest' } }),
    send: (to, msg) => void sent.push({ to, msg, atMs: clock.nowMs() }),
    close: async () => {},
    stats: () => ({ sent: sent.length, delivered: 0, dropped: 0, rejected: 0 }),
  };
}

t.test('a partition loses what crosses groups until it ends; within a group and to self pass', async (t) => {
  const clock = new VirtualClock();
  const inner = recorder(clock, 0);
  const net = withNetFaults(inner, clock, new SeededRandom('p'), NO_LINK_FAULTS);
  net.apply({
    type: 'partition',
    groups: [
      [0, 1],
      [2, 3, 4],
    ],
    untilMs: clock.nowMs() + 3000,
  });
  for (const to of [0, 1, 2, 3, 4]) net.send(to, to);
  t.same(
    inner.sent.map((s) => s.to),
    [0, 1],
    'only own group and self during the partition',
  );
  t.equal(net.stats().dropped, 3, 'the lost sends are counted as dropped');
  await clock.advance(3000);
  for (const to of [2, 3, 4]) net.send(to, to);
  t.same(
    inner.sent.map((s) => s.to),
    [0, 1, 2, 3, 4],
    'healed at untilMs',
  );
});

t.test('a rank named in no group is alone; a cut is one way', async (t) => {
  t.ok(isBlocked({ type: 'partition', groups: [[0]], untilMs: 1 }, 1, 2), 'ranks in no group are each alone');
  t.notOk(isBlocked({ type: 'partition', groups: [[0], [1, 2]], untilMs: 1 }, 1, 2));
  const cut = { type: 'cut' as const, from: [0], to: [1], untilMs: 1 };
  t.ok(isBlocked(cut, 0, 1));
  t.notOk(isBlocked(cut, 1, 0), 'the other direction passes');
  const clock = new VirtualClock();
  const inner = recorder(clock, 1);
  const net = withNetFaults(inner, clock, new SeededRandom('c'), NO_LINK_FAULTS);
  net.apply({ ...cut, untilMs: clock.nowMs() + 1000 });
  net.send(0, 7);
  t.same(
    inner.sent.map((s) => s.msg),
    [7],
    'rank 1 still reaches rank 0',
  );
  net.apply({ type: 'cut', from: [1], to: [0], untilMs: clock.nowMs() - 1 });
  net.send(0, 8);
  t.equal(inner.sent.length, 2, 'a fault already over when it arrives is ignored');
});

t.test('delay without jitter: every message waits the delay and each link stays FIFO', async (t) => {
  const clock = new VirtualClock();
  const inner = recorder(clock, 0);
  const net = withNetFaults(inner, clock, new SeededRandom('d'), { delayMs: 50, jitterMs: 0, dupRate: 0 });
  const start = clock.nowMs();
  for (let i = 0; i < 100; i++) {
    net.send(1 + (i % 2), i);
    if (i % 10 === 9) await clock.advance(7);
  }
  net.send(0, -1);
  t.same(inner.sent.at(-1), { to: 0, msg: -1, atMs: clock.nowMs() }, 'a send to self is not delayed');
  await clock.advance(200);
  const toOne = inner.sent.filter((s) => s.to === 1).map((s) => s.msg);
  t.same(
    toOne,
    Array.from({ length: 50 }, (_, i) => 2 * i),
    'link 0→1 in send order',
  );
  t.equal(inner.sent.length, 101);
  t.ok(
    inner.sent.filter((s) => s.to !== 0).every((s) => s.atMs - start >= 50),
    'none arrives before the delay',
  );
});

t.test('delay with jitter: each message within delay ± jitter, and the link reorders', async (t) => {
  const clock = new VirtualClock();
  const inner = recorder(clock, 0);
  const net = withNetFaults(inner, clock, new SeededRandom('j'), { delayMs: 50, jitterMs: 25, dupRate: 0 });
  const sentAt = new Map<number, number>();
  for (let i = 0; i < 200; i++) {
    sentAt.set(i, clock.nowMs());
    net.send(1, i);
    await clock.advance(1);
  }
  await clock.advance(100);
  t.equal(inner.sent.length, 200, 'all delivered');
  t.ok(
    inner.sent.every((s) => {
      const d = s.atMs - (sentAt.get(s.msg) ?? NaN);
      return d >= 25 && d <= 75;
    }),
    'each delay in [25, 75] ms',
  );
  const order = inner.sent.map((s) => s.msg);
  t.ok(
    order.some((m, i) => i > 0 && m < (order[i - 1] ?? -1)),
    'some message overtakes an earlier one',
  );
});

t.test('dup sends the seeded fraction twice, never to self; bad settings are refused', async (t) => {
  const clock = new VirtualClock();
  const inner = recorder(clock, 0);
  const net = withNetFaults(inner, clock, new SeededRandom('dup'), { delayMs: 0, jitterMs: 0, dupRate: 0.1 });
  for (let i = 0; i < 10_000; i++) net.send(1, i);
  for (let i = 0; i < 100; i++) net.send(0, i);
  const extra = inner.sent.length - 10_100;
  t.ok(extra > 850 && extra < 1150, `about 10% duplicated (${extra})`);
  t.equal(inner.sent.filter((s) => s.to === 0).length, 100, 'self-sends once each');
  t.throws(() => withNetFaults(inner, clock, new SeededRandom('x'), { delayMs: 10, jitterMs: 20, dupRate: 0 }), RangeError);
  t.throws(() => withNetFaults(inner, clock, new SeededRandom('x'), { delayMs: 0, jitterMs: 0, dupRate: 1 }), RangeError);
});

t.test('netFaultOf reads the stdin fault lines and refuses anything else', async (t) => {
  t.same(netFaultOf({ type: 'partition', groups: [[0, 1], [2]], fromMs: 5, untilMs: 9 }), {
    type: 'partition',
    groups: [[0, 1], [2]],
    fromMs: 5,
    untilMs: 9,
  });
  t.same(netFaultOf({ type: 'cut', from: [0], to: [1], untilMs: 9 }), { type: 'cut', from: [0], to: [1], untilMs: 9 });
  for (const bad of [
    null,
    'partition',
    { type: 'partition', groups: [[0, 'x']], untilMs: 9 },
    { type: 'partition', groups: [[0]] },
    { type: 'cut', from: [0], untilMs: 9 },
    { type: 'cut', from: [0], to: [1], fromMs: 'soon', untilMs: 9 },
    { type: 'flood', untilMs: 9 },
  ])
    t.equal(netFaultOf(bad), undefined, JSON.stringify(bad));
});
