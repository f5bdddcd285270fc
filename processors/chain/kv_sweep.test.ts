// kv_sweep.test: chain's KV under simulated clients (per-key routing) on runtime/sim, one seeded
// fault schedule per seed: lossy, duplicating, reordering and now and then damaging links, and
// in the first 80 % of the load crashes and restarts (one rank down at a time, the master
// included), pauses and partitions. Every seed's client history must be linearizable (check/lin's
// kv model), its apply lines must keep I3, I5 and I6 (audit.ts), and ops must complete.
// Replay one seed: CHAIN_KV_SEED=<n> npx tap processors/chain/kv_sweep.test.ts
// More seeds: CHAIN_KV_SEEDS=1000 npx tap processors/chain/kv_sweep.test.ts
// The CRAQ sweep (--craq, reads at every member, Zipf keys) the same way: CHAIN_KV_CRAQ_SEED=<n>,
// CHAIN_KV_CRAQ_SEEDS=<count> (default 50).
import t, { type Test } from 'tap';
import type { SimClientLoad } from '../../runtime/sim/types.js';
import { chainProgram, clientLoad, runKv, sweepSchedule, SWEEP_LOAD_MS, SWEEP_RANKS } from './kv_simkit.js';

const only = process.env.CHAIN_KV_SEED;
const count = Number(process.env.CHAIN_KV_SEEDS ?? 200);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);
const craqOnly = process.env.CHAIN_KV_CRAQ_SEED;
const craqCount = Number(process.env.CHAIN_KV_CRAQ_SEEDS ?? 50);
const craqSeeds = craqOnly !== undefined ? [Number(craqOnly)] : Array.from({ length: craqCount }, (_, i) => i + 1);

/** zipfLoad: CRAQ's sweep load: few keys, Zipf-skewed, write-heavy, so reads often meet a dirty key. */
function zipfLoad(): SimClientLoad {
  const load = clientLoad(6, 12, 1000);
  return { ...load, load: { ...load.load, getShare: 0.4, keyDist: 'zipf', zipfExponent: 1.1 } };
}

/** sweep runs every seed's schedule and fails a seed whose run is not graded clean, printing its replay. */
async function sweep(t: Test, list: readonly number[], craq: boolean, replay: (seed: number) => string): Promise<void> {
  const program = await chainProgram(craq ? { craq: true } : {});
  let ok = 0;
  let kills = 0;
  let failing = 0;
  let versionQueries = 0;
  for (const seed of list) {
    const s = sweepSchedule(seed);
    kills += s.faults.filter((f) => f.action === 'kill').length;
    const r = runKv(program, {
      seed: String(seed),
      ranks: SWEEP_RANKS,
      clusterId: `kv-${seed}`,
      loadMs: SWEEP_LOAD_MS,
      trace: false,
      ...s,
      clients: craq ? zipfLoad() : clientLoad(6, 12, 1000),
    });
    ok += r.ok;
    versionQueries += r.o.ranks.reduce((n, x) => n + Number(x.summary?.versionQueries ?? 0), 0);
    if (r.failures.length > 0) {
      failing++;
      t.fail(`seed ${seed}: ${r.failures.slice(0, 3).join('; ')}; replay: ${replay(seed)}`);
    }
  }
  t.equal(failing, 0, `every seed linearizable with its log invariants (${ok} ops ok)`);
  // the schedule did what it is for: ops completed, and ranks crashed and came back
  t.ok(ok > list.length * 20, `${ok} ok ops over ${list.length} seeds`);
  if (list.length > 1) t.ok(kills >= list.length / 4, `${kills} kills`);
  if (craq) t.ok(versionQueries > list.length * 5, `${versionQueries} reads met a dirty key and asked the tail`);
}

t.test(`chain kv: ${seeds.length} seeds under drops, duplicates, delays, partitions, pauses, crashes and restarts`, (t) =>
  sweep(t, seeds, false, (seed) => `CHAIN_KV_SEED=${seed} npx tap processors/chain/kv_sweep.test.ts`),
);

t.test(`chain kv with CRAQ reads: ${craqSeeds.length} seeds, Zipf keys, the same faults`, (t) =>
  sweep(t, craqSeeds, true, (seed) => `CHAIN_KV_CRAQ_SEED=${seed} npx tap processors/chain/kv_sweep.test.ts`),
);
