// kv_sim.test: TRaft's kv store under simulated clients on the generic simulator (runtime/sim/,
// SimOptions.clients): seeded runs with a leader kill and restart, lossy, duplicating and
// reordering links, each client history graded by check/lin. Replay one seed with
// TRAFT_KV_SIM_SEED=<n>.
import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import type { SimOptions, SimOutcome } from '../../runtime/sim/types.js';
import { traftEntry } from './entry.js';
import { defined } from '../../runtime/assert.js';
import type { ReadMode } from '../../runtime/client/wire.js';

const only = process.env.TRAFT_KV_SIM_SEED;
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: 40 }, (_, i) => i + 1);

async function program(): Promise<{ run(o: SimOptions): SimOutcome }> {
  const usage = (m: string): Error => new Error(m);
  const read = (_n: string, v: unknown): number => Number(v);
  const flags = traftEntry.flags({ keys: 8, snapshotEvery: 50, machine: 'kv', leaseReads: true, clockDrift: 0.01 }, read, usage);
  if (flags.simulate === undefined) throw new Error('traft simulates');
  return flags.simulate({ o: 0.5, l: 20, t: 4 });
}

function options(seed: number): SimOptions {
  const read: ReadMode = (['index', 'lease', 'log'] as const)[seed % 3] ?? 'index';
  return {
    seed: String(seed),
    ranks: seed % 2 === 0 ? 3 : 5,
    clusterId: `kv-${seed}`,
    loadMs: 4000,
    faults: [
      { action: 'kill', target: { type: 'leader' }, atMs: 1200 },
      { action: 'restart', target: { type: 'killed' }, atMs: 2000 },
    ],
    link: { dropRate: 0.02, dupRate: 0.02, delayMs: 2, jitterMs: 1.5, damageRate: 0.01 },
    trace: false,
    clients: {
      clients: 6,
      deadlineMs: 1500,
      attemptMs: 300,
      load: { keys: 3, getShare: 0.4, deleteShare: seed % 4 === 0 ? 0.1 : 0, read, valueSize: 0, keyDist: 'uniform', zipfExponent: 1 },
    },
  };
}

t.test(`TRaft kv under simulated clients: every seed's history linearizable (${seeds.length} seeds)`, async (t) => {
  const p = await program();
  let ok = 0;
  let retries = 0;
  let drops = 0;
  for (const seed of seeds) {
    const out = p.run(options(seed));
    const history = defined(out.history, 'a client history');
    const lin = checkLinearizable(parseHistoryText(history.toJsonl(), 'kv'));
    const replay = `TRAFT_KV_SIM_SEED=${seed} node_modules/.bin/tap processors/traft/kv_sim.test.ts`;
    const n = history.counts();
    if (lin.verdict !== 'linearizable' || out.problems.length > 0 || n.ok === 0) {
      t.fail(`seed ${seed}: ${lin.verdict}, ${n.ok} ok, problems ${out.problems.slice(0, 2).join('; ')}; replay: ${replay}`);
      continue;
    }
    ok += n.ok;
    retries += out.clientStats?.retries ?? 0;
    drops += out.clientStats?.drops ?? 0;
  }
  t.ok(ok > seeds.length * 30, `${ok} ok ops over ${seeds.length} seeds`);
  // the faults reached the clients: requests and replies lost, ops retried after the kill
  if (only === undefined) t.ok(retries > seeds.length && drops > 0, `${retries} retries, ${drops} client messages lost`);
});
