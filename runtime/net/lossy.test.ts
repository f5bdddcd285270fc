// lossy.test: the decorator drops the seeded fraction of sends to others, never sends to self, and counts them.
import t from 'tap';
import { CspChan } from '../chan.js';
import { VirtualClock } from '../clock.js';
import { SeededRandom } from '../random.js';
import type { Inbound, Transport } from '../transport.js';
import { withLoss } from './lossy.js';

function recorder(): Transport<number> & { sent: [number, number][] } {
  const sent: [number, number][] = [];
  return {
    rank: 0,
    sent,
    inbox: new CspChan<Inbound<number>>(new VirtualClock(), { name: 'in', capacity: 1, overflow: { type: 'drop-newest' } }),
    send: (to, msg) => void sent.push([to, msg]),
    close: async () => {},
    stats: () => ({ sent: sent.length, delivered: 0, dropped: 0, rejected: 0 }),
  };
}

t.test('drops about the given fraction to peers, none to self, and counts them', async (t) => {
  const inner = recorder();
  const lossy = withLoss(inner, new SeededRandom('lossy'), 0.2);
  for (let i = 0; i < 10_000; i++) lossy.send(1 + (i % 4), i);
  for (let i = 0; i < 100; i++) lossy.send(0, i);
  const toPeers = inner.sent.filter(([to]) => to !== 0).length;
  t.ok(toPeers > 7700 && toPeers < 8300, `about 80% of peer sends pass (${toPeers})`);
  t.equal(inner.sent.filter(([to]) => to === 0).length, 100, 'sends to self are never dropped');
  t.equal(lossy.stats().dropped, 10_000 - toPeers);
});

t.test('rate 0 is the transport itself; rates outside [0, 1) are refused', async (t) => {
  const inner = recorder();
  t.equal(withLoss(inner, new SeededRandom('x'), 0), inner);
  t.throws(() => withLoss(inner, new SeededRandom('x'), 1), RangeError);
  t.throws(() => withLoss(inner, new SeededRandom('x'), -0.1), RangeError);
});
