// lossy: a Transport decorator that loses a seeded fraction of outbound messages (never the
// ones a rank sends itself). It brings the in-memory network's drop fault to real clusters, so
// a TCP run can exercise retransmission, catch-up and out-of-order commit the way a lossy
// network would. Drops are counted in stats().dropped.
import type { Random } from '../random.js';
import type { Transport, TransportStats } from '../transport.js';

export function withLoss<M>(inner: Transport<M>, random: Random, dropRate: number): Transport<M> {
  if (!(dropRate >= 0 && dropRate < 1)) throw new RangeError(`drop rate must be in [0, 1), got ${dropRate}`);
  if (dropRate === 0) return inner;
  let lost = 0;
  return {
    rank: inner.rank,
    inbox: inner.inbox,
    send(to: number, msg: M): void {
      if (to !== inner.rank && random.next() < dropRate) {
        lost++;
        return;
      }
      inner.send(to, msg);
    },
    close: () => inner.close(),
    stats(): TransportStats {
      const s = inner.stats();
      return { ...s, dropped: s.dropped + lost };
    },
  };
}
