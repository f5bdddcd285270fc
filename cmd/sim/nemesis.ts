// nemesis: `--nemesis default`, a randomized fault schedule drawn from the seed, written in the
// schedule file's form (docs/faults.md) so a failing seed's schedule can be shrunk, saved and
// replayed by `sim --schedule` or `run --schedule`. Faults fall in the first 80% of the load,
// so the cluster has time to heal and drain before -t; at most one rank is killed at a time,
// and it is restarted before the next kill.
import { SeededRandom, type Random } from '../../runtime/random.js';
import type { ScheduleSpec } from '../schedule.js';

/** s formats seconds for a spec (ms precision: specs are decimal seconds). */
function s(x: number): string {
  return (Math.round(x * 1000) / 1000).toString();
}

/** shuffled: 0..n-1 in a random order (Fisher–Yates). */
function shuffled(rnd: Random, n: number): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [xs[i], xs[j]] = [xs[j] as number, xs[i] as number];
  }
  return xs;
}

function pick<T>(rnd: Random, xs: readonly T[]): T {
  return xs[rnd.int(xs.length)] as T;
}

/** nemesis draws the default schedule for `ranks` ranks and a load of tSec seconds. */
export function nemesis(seed: string, ranks: number, tSec: number): ScheduleSpec {
  const rnd = new SeededRandom(`csplab-nemesis/${seed.length}:${seed}`);
  const spec: Required<Pick<ScheduleSpec, 'kill' | 'restart' | 'pause' | 'partition' | 'cut'>> & ScheduleSpec = {
    kill: [],
    restart: [],
    pause: [],
    partition: [],
    cut: [],
    drop: Math.round(rnd.between(0, 0.05) * 1000) / 1000,
    dup: Math.round(rnd.between(0, 0.05) * 1000) / 1000,
    delay: `${s(rnd.between(1, 5))}±1`,
    damage: 0.001,
  };
  if (ranks > 1 && rnd.next() < 0.5) spec.skew = `${rnd.int(ranks)}:${Math.round(rnd.between(-300, 300))}`;
  const endS = 0.8 * tSec;
  let freeAt = 0; // no kill before the last killed rank is back
  for (let at = rnd.between(0.3, 1); at < endS; at += rnd.between(0.2, 1.5)) {
    const d = rnd.between(0.1, Math.min(2, Math.max(0.2, endS - at)));
    const who = (): string => (rnd.next() < 0.5 ? 'leader' : String(rnd.int(ranks)));
    switch (rnd.int(5)) {
      case 0:
        if (ranks < 3 || at < freeAt) break;
        spec.kill.push(`${who()}@${s(at)}`);
        spec.restart.push(`killed@${s(at + d)}`);
        freeAt = at + d + 0.01;
        break;
      case 1:
        spec.pause.push(`${who()}@${s(at)}:${s(d)}`);
        break;
      case 2: {
        const order = shuffled(rnd, ranks);
        const k = 1 + rnd.int(Math.max(1, ranks - 1));
        if (ranks > 1) spec.partition.push(`${order.slice(0, k).join(',')}|${order.slice(k).join(',')}@${s(at)}:${s(d)}`);
        break;
      }
      case 3:
        spec.partition.push(`leader@${s(at)}:${s(d)}`);
        break;
      default: {
        if (ranks < 2) break;
        const a = rnd.int(ranks);
        const b = (a + 1 + rnd.int(ranks - 1)) % ranks;
        spec.cut.push(`${pick(rnd, [String(a), 'leader'])}>${b}@${s(at)}:${s(d)}`);
      }
    }
  }
  return spec;
}
