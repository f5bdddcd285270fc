// sim.test: chain on the simulator (runtime/sim/, through entry.ts's simulateChain): seeded
// runs of a master and five nodes under drops, duplicates and delays, with a node killed and
// one restarted. No clients yet (they come with the simulator's client load): the master must
// install the first configuration, declare the killed node failed and bring every chain back
// to k members, and nothing may throw or fail validation. Replay one seed:
// CHAIN_SIM_SEED=<seed> npx tap processors/chain/sim.test.ts
import t from 'tap';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { simulateChain } from './entry.js';

const SEEDS = process.env.CHAIN_SIM_SEED !== undefined ? [process.env.CHAIN_SIM_SEED] : ['1', '2', '3', '4', '5'];

t.test(
  'a simulated cluster installs, detects a killed node and restores chains of 3 (the restarted rank joins as a new node)',
  async (t) => {
    const program = await simulateChain(DEFAULT_CHAIN_OPTIONS, 1024);
    for (const seed of SEEDS) {
      const o = program.run({
        seed,
        ranks: 6,
        clusterId: `chain-${seed}`,
        loadMs: 8000,
        faults: [
          { action: 'kill', target: { type: 'rank', rank: 3 }, atMs: 1000 },
          { action: 'restart', target: { type: 'rank', rank: 3 }, atMs: 5000 },
        ],
        link: { dropRate: 0.05, dupRate: 0.05, delayMs: 1, jitterMs: 1, damageRate: 0 },
        trace: false,
      });
      const replay = `replay: CHAIN_SIM_SEED=${seed} npx tap processors/chain/sim.test.ts`;
      t.same(o.problems, [], `seed ${seed}: no step threw; ${replay}`);
      const master = o.ranks[0]?.lines ?? [];
      t.ok(
        master.some((l) => l.includes('failed (M3)')),
        `seed ${seed}: rank 3 declared failed; ${replay}`,
      );
      const last = [...master].reverse().find((l) => l.startsWith('config ')) ?? '';
      const chains = [...last.matchAll(/\[([^\]]*)\]/g)].map((m) => (m[1] ?? '').split(' ').filter((x) => x !== ''));
      t.ok(chains.length >= 5 && chains.every((c) => c.length === 3), `seed ${seed}: chains of 3 at the end: ${last}; ${replay}`);
      const summary = o.ranks[0]?.summary;
      t.equal(summary?.lostRanges, 0, `seed ${seed}: no range lost; ${replay}`);
    }
  },
);
