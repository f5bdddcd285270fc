// memnet.test: each fault (drop, dup, delay/reorder, partition, pause) is observable at the
// inbox and in the trace, and one seed replays one trace while another seed changes it.
import t from 'tap';
import { VirtualClock } from '../clock.js';
import { SeededRandom } from '../random.js';
import type { Inbound, Transport } from '../transport.js';
import { MemNet, type Faults, type MemNetOptions } from './memnet.js';

type Msg = { n: number };

function setup(ranks: number, faults: Partial<Faults> = {}, seed = 'memnet', extra: Partial<MemNetOptions<Msg>> = {}) {
  const clock = new VirtualClock();
  const net = new MemNet<Msg>({ ranks, clock, random: new SeededRandom(seed).fork('net'), faults, ...extra });
  const eps: Transport<Msg>[] = [];
  for (let r = 0; r < ranks; r++) eps.push(net.endpoint(r));
  return { clock, net, eps };
}

/** received flattens everything buffered in an inbox into message numbers, in order. */
function received(ep: Transport<Msg>): number[] {
  return ep.inbox.drain().flatMap((b: Inbound<Msg>) => b.msgs.map((m) => m.n));
}

t.test('without faults a burst arrives as one batch, never synchronously', async (t) => {
  const { clock, net, eps } = setup(2);
  for (let n = 0; n < 3; n++) eps[0]!.send(1, { n });
  t.same(eps[1]!.inbox.drain(), [], 'nothing is delivered inside send');
  await clock.advance(0);
  t.same(eps[1]!.inbox.drain(), [{ from: 0, msgs: [{ n: 0 }, { n: 1 }, { n: 2 }] }]);
  t.same(eps[0]!.stats(), { sent: 3, delivered: 0, dropped: 0, rejected: 0 });
  t.same(eps[1]!.stats(), { sent: 0, delivered: 3, dropped: 0, rejected: 0 });
  t.equal(net.trace().filter((e) => e.event === 'deliver').length, 3);
  await net.close();
});

t.test('self-sends loop back without faults', async (t) => {
  const { clock, net, eps } = setup(2, { dropRate: 1 });
  eps[0]!.send(0, { n: 7 });
  eps[0]!.send(1, { n: 8 });
  await clock.advance(0);
  t.same(received(eps[0]!), [7]);
  t.same(received(eps[1]!), []);
  await net.close();
});

t.test('drop: rate 1 loses everything, rate 0.5 about half', async (t) => {
  const all = setup(2, { dropRate: 1 });
  for (let n = 0; n < 10; n++) all.eps[0]!.send(1, { n });
  await all.clock.advance(10);
  t.same(received(all.eps[1]!), []);
  t.equal(all.eps[0]!.stats().dropped, 10, 'drops are charged to the sender');
  t.ok(all.net.trace().every((e) => e.event === 'drop' && e.reason === 'random'));
  await all.net.close();

  const half = setup(2, { dropRate: 0.5 });
  for (let n = 0; n < 1000; n++) half.eps[0]!.send(1, { n });
  await half.clock.advance(10);
  const got = received(half.eps[1]!).length;
  t.ok(got > 400 && got < 600, `about half delivered (${got})`);
  t.equal(got + half.net.stats().dropped, 1000, 'every message is delivered or dropped');
  await half.net.close();
});

t.test('dup: rate 1 delivers every message twice', async (t) => {
  const { clock, net, eps } = setup(2, { dupRate: 1 });
  for (let n = 0; n < 5; n++) eps[0]!.send(1, { n });
  await clock.advance(0);
  const got = received(eps[1]!);
  t.same(
    [...got].sort((a, b) => a - b),
    [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
  );
  t.equal(net.stats().duplicated, 5);
  t.equal(net.trace().filter((e) => e.event === 'dup').length, 5);
  await net.close();
});

t.test('delay: nothing before minMs; a range reorders', async (t) => {
  const fixed = setup(2, { delayMs: [10, 10] });
  fixed.eps[0]!.send(1, { n: 1 });
  await fixed.clock.advance(9);
  t.same(received(fixed.eps[1]!), [], 'not yet at 9 ms');
  await fixed.clock.advance(1);
  t.same(received(fixed.eps[1]!), [1], 'delivered at 10 ms');
  t.equal(fixed.net.trace()[0]!.atMs, 10);
  await fixed.net.close();

  const spread = setup(2, { delayMs: [0, 50] });
  const sent = Array.from({ length: 100 }, (_, n) => n);
  for (const n of sent) spread.eps[0]!.send(1, { n });
  await spread.clock.advance(50);
  const got = received(spread.eps[1]!);
  t.same(
    [...got].sort((a, b) => a - b),
    sent,
    'all arrive',
  );
  t.not(got.join(','), sent.join(','), 'but out of order');
  await spread.net.close();
});

t.test('partition: sides cannot talk until heal; in-flight copies are cut', async (t) => {
  const { clock, net, eps } = setup(3, { delayMs: [5, 5] });
  net.partition([[0, 1], [2]]);
  eps[0]!.send(1, { n: 1 });
  eps[0]!.send(2, { n: 2 });
  await clock.advance(5);
  t.same(received(eps[1]!), [1]);
  t.same(received(eps[2]!), []);
  t.equal(net.trace().find((e) => e.to === 2)?.reason, 'partition');
  net.heal();
  eps[0]!.send(2, { n: 3 });
  await clock.advance(5);
  t.same(received(eps[2]!), [3], 'healed');
  eps[0]!.send(2, { n: 4 });
  net.partition([[0, 1]]); // rank 2 unlisted: isolated
  await clock.advance(5);
  t.same(received(eps[2]!), [], 'copy in flight when the partition began is lost');
  t.throws(
    () =>
      net.partition([
        [0, 1],
        [1, 2],
      ]),
    RangeError,
  );
  await net.close();
});

t.test('a blocked link is cut one way only', async (t) => {
  const { clock, net, eps } = setup(2);
  net.blockLink(0, 1);
  eps[0]!.send(1, { n: 1 });
  eps[1]!.send(0, { n: 2 });
  await clock.advance(0);
  t.same(received(eps[1]!), [], '0 → 1 is cut');
  t.same(received(eps[0]!), [2], '1 → 0 still works');
  net.unblockLink(0, 1);
  eps[0]!.send(1, { n: 3 });
  await clock.advance(0);
  t.same(received(eps[1]!), [3]);
  net.blockLink(1, 0);
  net.heal();
  eps[1]!.send(0, { n: 4 });
  await clock.advance(0);
  t.same(received(eps[0]!), [4], 'heal unblocks links too');
  await net.close();
});

t.test('pause holds inbound and outbound until resume', async (t) => {
  const { clock, net, eps } = setup(2);
  net.pause(1);
  eps[0]!.send(1, { n: 1 });
  eps[1]!.send(0, { n: 2 });
  await clock.advance(100);
  t.same(received(eps[1]!), [], 'paused rank receives nothing');
  t.same(received(eps[0]!), [], 'paused rank sends nothing');
  t.ok(net.isPaused(1));
  net.resume(1);
  t.same(received(eps[1]!), [1], 'held inbound delivered on resume');
  await clock.advance(0);
  t.same(received(eps[0]!), [2], 'held outbound sent on resume');
  await net.close();
});

t.test('inbox overflow drops the newest batch and counts it', async (t) => {
  const { clock, net, eps } = setup(2, {}, 'memnet', { inboxCapacity: 2 });
  for (let n = 0; n < 5; n++) {
    eps[0]!.send(1, { n });
    await clock.advance(1); // one batch per millisecond
  }
  t.same(received(eps[1]!), [0, 1]);
  t.equal(eps[1]!.stats().dropped, 3);
  t.same(
    net
      .trace()
      .filter((e) => e.reason === 'overflow')
      .map((e) => (e.msg as Msg).n),
    [2, 3, 4],
  );
  await net.close();
});

t.test('a closed endpoint drops as down; endpoint() again is a restart', async (t) => {
  const { clock, net, eps } = setup(2);
  await eps[1]!.close();
  eps[0]!.send(1, { n: 1 });
  await clock.advance(0);
  t.equal(net.trace()[0]!.reason, 'down');
  const restarted = net.endpoint(1);
  t.not(restarted, eps[1]);
  t.equal(net.endpoint(1), restarted, 'an open endpoint is returned as is');
  eps[0]!.send(1, { n: 2 });
  await clock.advance(0);
  t.same(received(restarted), [2]);
  await net.close();
  t.equal(clock.pendingTimers(), 0);
});

t.test('faults change at runtime and are validated', async (t) => {
  const { clock, net, eps } = setup(2);
  eps[0]!.send(1, { n: 1 });
  net.setFaults({ dropRate: 1 });
  eps[0]!.send(1, { n: 2 });
  await clock.advance(0);
  t.same(received(eps[1]!), [1]);
  t.throws(() => net.setFaults({ dropRate: 2 }), RangeError);
  t.throws(() => net.setFaults({ delayMs: [5, 1] }), RangeError);
  t.equal(net.faults().dropRate, 1, 'a rejected update changes nothing');
  await net.close();
});

/** scenario drives a small lossy cluster; its trace is the run's fingerprint. */
async function scenario(seed: string) {
  const { clock, net, eps } = setup(4, { dropRate: 0.2, dupRate: 0.2, delayMs: [1, 20] }, seed);
  for (let round = 0; round < 20; round++) {
    for (let from = 0; from < 4; from++) for (let to = 0; to < 4; to++) eps[from]!.send(to, { n: round * 100 + from * 10 + to });
    if (round === 5)
      net.partition([
        [0, 1],
        [2, 3],
      ]);
    if (round === 10) net.heal();
    if (round === 12) net.pause(3);
    if (round === 15) net.resume(3);
    await clock.advance(7);
  }
  await clock.advance(100);
  const trace = net.trace().map((e) => ({ ...e }));
  await net.close();
  return trace;
}

t.test('one seed replays one trace; another seed differs', async (t) => {
  const a1 = await scenario('seed-a');
  const a2 = await scenario('seed-a');
  const b = await scenario('seed-b');
  t.ok(a1.length > 300, `a substantial trace (${a1.length} entries)`);
  t.same(a2, a1, 'same seed, same trace');
  t.notSame(b, a1, 'different seed, different trace');
  for (const ev of ['deliver', 'drop', 'dup'] as const)
    t.ok(
      a1.some((e) => e.event === ev),
      `trace has ${ev}`,
    );
});
