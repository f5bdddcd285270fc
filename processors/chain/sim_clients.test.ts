// sim_clients.test: chain on the simulator with simulated key-value clients (runtime/sim/
// clients.ts, per-key routing by not-leader hints) under 3 % drops and duplicates, jitter that
// reorders, 1 % damaged frames, a node killed and restarted, a node partitioned away for 1.5 s,
// and in every third seed the master killed and restarted. Each seed's client history must be
// linearizable by check/lin's kv model, no step may throw, and ops must keep completing.
// Replay one seed: CHAIN_CLIENT_SEED=<seed> npx tap processors/chain/sim_clients.test.ts
import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { rankTarget, type SimFault } from '../../runtime/sim/types.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { simulateChain } from './entry.js';

const SEEDS =
  process.env.CHAIN_CLIENT_SEED !== undefined ? [Number(process.env.CHAIN_CLIENT_SEED)] : Array.from({ length: 12 }, (_, i) => i + 1);

/** faults: seed s's schedule (ranks 1–5 are nodes, 0 the master). */
function faults(s: number): SimFault[] {
  const victim = 1 + (s % 5);
  const cut = 1 + ((s + 2) % 5);
  const others = [0, 1, 2, 3, 4, 5].filter((r) => r !== cut).map(rankTarget);
  const master: SimFault[] =
    s % 3 === 0
      ? [
          { action: 'kill', target: rankTarget(0), atMs: 3000 },
          { action: 'restart', target: rankTarget(0), atMs: 3500 },
        ]
      : [];
  return [
    { action: 'kill', target: rankTarget(victim), atMs: 1500 + ((s * 37) % 1000) },
    { action: 'restart', target: rankTarget(victim), atMs: 4500 },
    { action: 'partition', groups: [[rankTarget(cut)], others], atMs: 6000, durationMs: 1500 },
    ...master,
  ];
}

t.test('simulated clients see a linearizable store through kills, restarts and a partition', async (t) => {
  const program = await simulateChain(DEFAULT_CHAIN_OPTIONS, 1024);
  t.ok(program.clients, 'chain has a client port');
  for (const s of SEEDS) {
    const seed = String(s);
    const o = program.run({
      seed,
      ranks: 6,
      clusterId: `chain-${seed}`,
      loadMs: 10_000,
      faults: faults(s),
      link: { dropRate: 0.03, dupRate: 0.03, delayMs: 1, jitterMs: 3, damageRate: 0.01 },
      trace: false,
      clients: {
        clients: 8,
        load: { keys: 10, getShare: 0.4, deleteShare: 0.1, read: 'log', valueSize: 0, keyDist: 'uniform', zipfExponent: 0.99 },
        deadlineMs: 3000,
        routing: 'per-key',
      },
    });
    const replay = `replay: CHAIN_CLIENT_SEED=${seed} npx tap processors/chain/sim_clients.test.ts`;
    t.same(o.problems, [], `seed ${seed}: no step threw; ${replay}`);
    const lin = checkLinearizable(parseHistoryText(o.history?.toJsonl() ?? '', 'kv'), 'kv');
    t.equal(lin.verdict, 'linearizable', `seed ${seed}: linearizable; ${replay}`);
    const ok = o.clientStats?.ok ?? 0;
    // 40 seeds of this schedule completed 72…322 ops; an empty process left in a chain completed 0–10
    t.ok(ok >= 40, `seed ${seed}: ${ok} ops ok, ${o.clientStats?.info ?? 0} unknown; ${replay}`);
  }
});
