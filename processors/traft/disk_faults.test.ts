// disk_faults.test: the simulator's WAL faults (docs/protocols/traft.md §8.5). A torn tail — the
// un-fsynced batches a crash loses — is dropped on recovery and the rank rejoins; a damaged
// durable batch (acknowledged, so peers count on it) keeps the rank down rather than replaying
// without it. The old recovery, which cut damage like a torn tail, is run too: the invariants
// must catch the acknowledged state it forgets, or this test could not tell the two apart.
import t from 'tap';
import type { SimDisk } from '../../runtime/sim/types.js';
import { leaders, replica, traftSim, type TraftSim } from './simkit.js';
import { bitmapLen, firstMissing } from './tail_bitmap.js';

const E = 1000;
const WINDOW = 20;
/** LOAD_MS: past every test's last step, so the lab load (100 a second per leader) never drains. */
const LOAD_MS = 20 * E;

function cluster(seed: string, disk: Partial<SimDisk> = {}): TraftSim {
  return traftSim({
    seed,
    ranks: 3,
    config: { electionMs: E, window: WINDOW, keys: 3, snapshotEvery: 0, setShare: 0.5 },
    loadMs: LOAD_MS,
    ratePerSec: 100,
    disk,
  });
}

/** crashFollower runs with load, then crashes a follower; returns it. */
function crashFollower(sim: TraftSim): number {
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0] ?? 0;
  const f = (l + 1) % 3;
  sim.fault({ action: 'kill', target: { type: 'rank', rank: f } });
  return f;
}

/**
 * crashAcknowledging runs with load, then crashes a follower at the first simulated ms it holds,
 * durable, a record the leader has not committed yet (so its last batch was acknowledged and
 * counted on, whatever the schedule); returns it.
 */
function crashAcknowledging(sim: TraftSim): number {
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0] ?? 0;
  const f = (l + 1) % 3;
  for (let at = 3 * E; at < 4 * E; at++) {
    sim.runUntil(at);
    const follower = replica(sim, f);
    const leader = replica(sim, l);
    if (follower === undefined || leader === undefined) break;
    if (follower.unpersisted.size === 0 && bitmapLen(follower.accepted) > firstMissing(leader.committed)) break;
  }
  sim.fault({ action: 'kill', target: { type: 'rank', rank: f } });
  return f;
}

const committed = (sim: TraftSim, r: number): number => {
  const s = replica(sim, r);
  return s === undefined ? 0 : firstMissing(s.committed);
};
const restart = (sim: TraftSim, rank: number): void => sim.fault({ action: 'restart', target: { type: 'rank', rank } });

t.test('a torn tail (un-fsynced batches lost at a crash) is dropped; the rank rejoins and catches up', async (t) => {
  const sim = cluster('torn');
  const f = crashFollower(sim);
  sim.runUntil(sim.now() + E);
  restart(sim, f);
  t.equal(sim.end(f), 'live', 'not refused');
  sim.runUntil(sim.now() + 3 * E);
  t.same(sim.problemsSoFar(), [], 'no invariant violated');
  t.ok(replica(sim, f) !== undefined, 'back');
  const l = leaders(sim, 3)[0] ?? 0;
  t.ok(committed(sim, f) > 0 && committed(sim, f) >= committed(sim, l) - WINDOW * 2, 'caught up with the leader');
});

t.test('a damaged acknowledged batch keeps the rank down; the others go on and nothing is lost', async (t) => {
  const sim = cluster('damage');
  const f = crashAcknowledging(sim);
  sim.damageLastBatch(f);
  sim.runUntil(sim.now() + E);
  restart(sim, f);
  t.equal(sim.end(f), 'refused', 'refused');
  t.match(sim.problemsSoFar(), [/ rank \d: WAL batch \d+ of \d+ is damaged; refusing to restart \(exit 4\)$/], 'with its reason');
  t.equal(replica(sim, f), undefined, 'stays down');
  const l = leaders(sim, 3)[0] ?? 0;
  const before = committed(sim, l);
  sim.runUntil(sim.now() + 3 * E);
  t.ok(committed(sim, l) > before, 'the two others keep committing');
  t.equal(sim.problemsSoFar().length, 1, 'no invariant violated (the refusal is the one problem)');
});

t.test('the old recovery (cut the damaged batch as if torn) forgets acknowledged state: the invariants catch it', async (t) => {
  const sim = cluster('damage', { onDamage: 'truncate' });
  const f = crashAcknowledging(sim);
  sim.damageLastBatch(f);
  sim.runUntil(sim.now() + E);
  restart(sim, f);
  t.equal(sim.end(f), 'live', 'restarted on the cut WAL');
  t.ok(sim.problemsSoFar().length > 0, 'a promise or acknowledgement forgotten');
  t.match(sim.problemsSoFar().join('\n'), new RegExp(`rank ${f}: invariant broken`), 'blamed on the restarted rank');
  t.comment(sim.problemsSoFar()[0] ?? '');
});

t.test('damageRate: random crashes with damage never lose data (seeded; replay: SEED=<seed> in this file)', async (t) => {
  const seeds = process.env.SEED !== undefined ? [process.env.SEED] : ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
  let refused = 0;
  for (const seed of seeds) {
    const sim = cluster(seed, { damageRate: 0.5 });
    for (let round = 0; round < 6; round++) {
      sim.runUntil(sim.now() + E);
      const down = [0, 1, 2].filter((r) => sim.end(r) !== 'live').length;
      const victim = (round * 2 + 1) % 3;
      if (down === 0) sim.fault({ action: 'kill', target: { type: 'rank', rank: victim } });
      sim.runUntil(sim.now() + E / 2);
      for (const r of [0, 1, 2]) restart(sim, r);
    }
    sim.runUntil(sim.now() + 2 * E);
    const ends = [0, 1, 2].map((r) => sim.end(r));
    refused += ends.filter((e) => e === 'refused').length;
    t.same(
      sim.problemsSoFar().filter((p) => !p.includes('refusing to restart')),
      [],
      `seed ${seed}: no invariant violated (replay: SEED=${seed} node_modules/.bin/tap processors/traft/disk_faults.test.ts)`,
    );
  }
  t.ok(seeds.length === 1 || refused > 0, `some damaged rank was refused (${refused})`);
});
