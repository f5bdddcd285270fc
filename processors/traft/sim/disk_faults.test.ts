// disk_faults.test: the simulator's WAL faults (docs/protocols/traft.md §8.5). A torn tail — the
// un-fsynced batches a crash loses — is dropped on recovery and the rank rejoins; a damaged
// durable batch (acknowledged, so peers count on it) keeps the rank down rather than replaying
// without it. The old recovery, which cut damage like a torn tail, is run too: the invariants
// must catch the acknowledged state it forgets, or this test could not tell the two apart.
import t from 'tap';
import { defaultTiming } from '../config.js';
import { firstMissing } from '../tail_bitmap.js';
import { SimCluster, type DiskOptions, type LoadOptions, type NetOptions } from './cluster.js';

const E = 1000;
const CLEAN: NetOptions = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 10, longDelayRate: 0, longDelayMs: 0 };
const LOAD: LoadOptions = { intervalMs: 10, window: 20, keys: 3, setRate: 0.5 };

function cluster(seed: string, disk: Partial<DiskOptions> = {}): SimCluster {
  return new SimCluster({
    seed,
    ranks: 3,
    timing: defaultTiming(E),
    net: CLEAN,
    disk: { minFsyncMs: 0.5, maxFsyncMs: 3, keepUnsyncedRate: 0.5, tornLineRate: 0, ...disk },
    load: LOAD,
  });
}

/** crashFollower runs with load, then crashes a follower; returns it. */
function crashFollower(sim: SimCluster): number {
  sim.runFor(3 * E);
  const l = sim.leaders()[0] ?? 0;
  const f = (l + 1) % 3;
  sim.crash(f);
  return f;
}

const committed = (sim: SimCluster, r: number): number => firstMissing(sim.stateOf(r).committed);

t.test('a torn tail (un-fsynced batches lost at a crash) is dropped; the rank rejoins and catches up', async (t) => {
  const sim = cluster('torn');
  const f = crashFollower(sim);
  sim.runFor(E);
  sim.restart(f);
  t.equal(sim.ranks[f]!.refused, null, 'not refused');
  sim.runFor(3 * E);
  t.same(sim.violations, [], 'no invariant violated');
  t.ok(sim.alive(f), 'back');
  const l = sim.leaders()[0] ?? 0;
  t.ok(committed(sim, f) > 0 && committed(sim, f) >= committed(sim, l) - LOAD.window * 2, 'caught up with the leader');
});

t.test('a damaged acknowledged batch keeps the rank down; the others go on and nothing is lost', async (t) => {
  const sim = cluster('damage');
  const f = crashFollower(sim);
  sim.damageLastBatch(f);
  sim.runFor(E);
  sim.restart(f);
  t.match(sim.ranks[f]!.refused, /^rank \d: WAL batch \d+ of \d+ is damaged; refusing to restart \(exit 4\)$/, 'refused');
  t.notOk(sim.alive(f), 'stays down');
  const l = sim.leaders()[0] ?? 0;
  const before = committed(sim, l);
  sim.runFor(3 * E);
  t.ok(committed(sim, l) > before, 'the two others keep committing');
  t.same(sim.violations, [], 'no invariant violated');
});

t.test('the old recovery (cut the damaged batch as if torn) forgets acknowledged state: the invariants catch it', async (t) => {
  const sim = cluster('damage', { onDamage: 'truncate' });
  const f = crashFollower(sim);
  sim.damageLastBatch(f);
  sim.runFor(E);
  sim.restart(f);
  t.ok(sim.alive(f), 'restarted on the cut WAL');
  t.not(sim.violations, [], 'a promise or acknowledgement forgotten');
  t.match(sim.violations.join('\n'), new RegExp(`rank ${f}`), 'blamed on the restarted rank');
  t.comment(sim.violations[0] ?? '');
});

t.test('damageRate: random crashes with damage never lose data (seeded; replay: SEED=<seed> in this file)', async (t) => {
  const seeds = process.env.SEED !== undefined ? [process.env.SEED] : ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
  let refused = 0;
  for (const seed of seeds) {
    const sim = cluster(seed, { damageRate: 0.5 });
    for (let round = 0; round < 6; round++) {
      sim.runFor(E);
      const down = sim.ranks.filter((r) => !sim.alive(r.rank)).length;
      const victim = (round * 2 + 1) % 3;
      if (down === 0) sim.crash(victim);
      sim.runFor(E / 2);
      for (const r of sim.ranks) sim.restart(r.rank);
    }
    sim.runFor(2 * E);
    refused += sim.ranks.filter((r) => r.refused !== null).length;
    t.same(
      sim.violations,
      [],
      `seed ${seed}: no invariant violated (replay: SEED=${seed} node_modules/.bin/tap processors/traft/sim/disk_faults.test.ts)`,
    );
  }
  t.ok(seeds.length === 1 || refused > 0, `some damaged rank was refused (${refused})`);
});
