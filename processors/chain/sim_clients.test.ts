// sim_clients.test: chain on the simulator with simulated key-value clients (runtime/sim/
// clients.ts, per-key routing by not-leader hints) under lossy links and a node killed
// mid-load; each seed's client history must be linearizable by check/lin's kv model and ops
// must complete. Replay one seed: CHAIN_CLIENT_SEED=<seed> npx tap processors/chain/sim_clients.test.ts
import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { simulateChain } from './entry.js';

const SEEDS = process.env.CHAIN_CLIENT_SEED !== undefined ? [process.env.CHAIN_CLIENT_SEED] : ['1', '2', '3', '4', '5', '6'];

t.test('simulated clients see a linearizable store through a node failure', async (t) => {
  const program = await simulateChain(DEFAULT_CHAIN_OPTIONS, 1024);
  t.ok(program.clients, 'chain has a client port');
  for (const seed of SEEDS) {
    const o = program.run({
      seed,
      ranks: 6,
      clusterId: `chain-${seed}`,
      loadMs: 8000,
      faults: [{ action: 'kill', target: { type: 'rank', rank: 1 + (Number(seed) % 5) }, atMs: 2000 }],
      link: { dropRate: 0.02, dupRate: 0.02, delayMs: 1, jitterMs: 2, damageRate: 0 },
      trace: false,
      clients: {
        clients: 8,
        load: { keys: 20, getShare: 0.4, deleteShare: 0.1, read: 'log', valueSize: 0, keyDist: 'uniform', zipfExponent: 0.99 },
        deadlineMs: 2500,
        routing: 'per-key',
      },
    });
    const replay = `replay: CHAIN_CLIENT_SEED=${seed} npx tap processors/chain/sim_clients.test.ts`;
    t.same(o.problems, [], `seed ${seed}: no step threw; ${replay}`);
    const jsonl = o.history?.toJsonl() ?? '';
    const lin = checkLinearizable(parseHistoryText(jsonl, 'kv'), 'kv');
    t.equal(lin.verdict, 'linearizable', `seed ${seed}: linearizable; ${replay}`);
    const ok = o.clientStats?.ok ?? 0;
    t.ok(ok > 200, `seed ${seed}: ${ok} ops ok, ${o.clientStats?.info ?? 0} unknown, ${o.clientStats?.retries ?? 0} retries; ${replay}`);
  }
});
