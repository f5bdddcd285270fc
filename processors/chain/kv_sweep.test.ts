// kv_sweep.test: chain's KV under simulated clients (per-key routing) on runtime/sim, one seeded
// fault schedule per seed: lossy, duplicating, reordering and now and then damaging links, and
// in the first 80 % of the load crashes and restarts (one rank down at a time, the master
// included), pauses and partitions. Every seed's client history must be linearizable (check/lin's
// kv model), its apply lines must keep I3, I5 and I6 (audit.ts), and ops must complete.
// Replay one seed: CHAIN_KV_SEED=<n> npx tap processors/chain/kv_sweep.test.ts
// More seeds: CHAIN_KV_SEEDS=1000 npx tap processors/chain/kv_sweep.test.ts
import t from 'tap';
import { chainProgram, clientLoad, runKv, sweepSchedule, SWEEP_LOAD_MS, SWEEP_RANKS } from './kv_simkit.js';

const only = process.env.CHAIN_KV_SEED;
const count = Number(process.env.CHAIN_KV_SEEDS ?? 200);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);
t.test(`chain kv: ${seeds.length} seeds under drops, duplicates, delays, partitions, pauses, crashes and restarts`, async (t) => {
  const program = await chainProgram();
  let ok = 0;
  let kills = 0;
  let failing = 0;
  for (const seed of seeds) {
    const s = sweepSchedule(seed);
    kills += s.faults.filter((f) => f.action === 'kill').length;
    const r = runKv(program, {
      seed: String(seed),
      ranks: SWEEP_RANKS,
      clusterId: `kv-${seed}`,
      loadMs: SWEEP_LOAD_MS,
      trace: false,
      ...s,
      clients: clientLoad(6, 12, 1000),
    });
    ok += r.ok;
    if (r.failures.length > 0) {
      failing++;
      t.fail(`seed ${seed}: ${r.failures.slice(0, 3).join('; ')}; replay: CHAIN_KV_SEED=${seed} npx tap processors/chain/kv_sweep.test.ts`);
    }
  }
  t.equal(failing, 0, `every seed linearizable with its log invariants (${ok} ops ok)`);
  // the schedule did what it is for: ops completed, and ranks crashed and came back
  t.ok(ok > seeds.length * 20, `${ok} ok ops over ${seeds.length} seeds`);
  if (only === undefined) t.ok(kills >= seeds.length / 4, `${kills} kills`);
});
