// sweep.test: Vectory under simulated clients (per-shard routing, carrying `after`, local and master reads) on
// runtime/sim, 200 seeds a CI run (issue 21 asks ≥ 200), one seeded fault
// schedule per seed (simkit.ts sweepFaults): lossy, duplicating, reordering, now and then damaging
// links; crashes with restarts, pauses, partitions. Every seed's logs must keep S1–S6 and S11
// (invariants.ts over the logs, step_invariants.ts after every step) and its client history must
// be linearizable (writes and master reads, S8) and sequentially consistent (the whole history, S9).
// Replay one seed: VECTORY_SEED=<n> npx tap processors/vectory/sweep.test.ts
// More seeds: VECTORY_SEEDS=1000 npx tap processors/vectory/sweep.test.ts
import t from 'tap';
import { runGraded, sweepFaults } from './simkit.js';

const RANKS = 5;
const LOAD_MS = 3000;
const only = process.env.VECTORY_SEED;
const count = Number(process.env.VECTORY_SEEDS ?? 200);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);

t.test(`vectory: ${seeds.length} seeds under drops, duplicates, delays, partitions, pauses, crashes and restarts`, async (t) => {
  let ok = 0;
  let kills = 0;
  let failing = 0;
  for (const seed of seeds) {
    const f = sweepFaults(seed, RANKS, LOAD_MS);
    kills += f.faults.filter((x) => x.action === 'kill').length;
    const r = await runGraded(
      { shards: 4 },
      {
        seed: String(seed),
        ranks: RANKS,
        clusterId: `vectory-${seed}`,
        loadMs: LOAD_MS,
        trace: false,
        checkEveryStep: true,
        ...f,
        clients: {
          clients: 6,
          deadlineMs: 1000,
          load: { keys: 12, getShare: 0.4, deleteShare: 0.1, read: 'mix', valueSize: 0, keyDist: 'uniform', zipfExponent: 1 },
        },
      },
    );
    ok += r.ok;
    if (r.failures.length > 0) {
      failing++;
      t.fail(`seed ${seed}: ${r.failures.slice(0, 3).join('; ')}; replay: VECTORY_SEED=${seed} npx tap processors/vectory/sweep.test.ts`);
    }
  }
  t.equal(failing, 0, `every seed keeps its log invariants and a linearizable and sequentially consistent history (${ok} ops ok)`);
  t.ok(ok > seeds.length * 20, `${ok} ok ops over ${seeds.length} seeds`);
  if (only === undefined) t.ok(kills >= seeds.length / 4, `${kills} kills`);
});
