// craq_stepcost.test: CRAQ's point (issue 18) under the simulator's step-cost model
// (SimOptions.stepCostUs): when each message costs its rank CPU time, tail-only reads of one hot
// range queue at that range's tail while its head and middle idle; CRAQ spreads them over all three.
// Read-only Zipf load (s = 2: the hottest key takes ~61% of the ops), no faults.
// Replay one side: `csplab sim --protocol chain --seed 1 --ranks 6 -t 2 --clients 32 --kv-keys 1000
// --key-dist zipf --zipf-exponent 2 --get-share 1 --deadline 1 --step-cost-us 1000 [--craq]`.
import t from 'tap';
import { chainProgram, clientLoad, runKv } from './kv_simkit.js';

const STEP_COST_US = 1000; // large so few simulated ops saturate a tail: the test stays cheap

async function readOps(craq: boolean): Promise<{ ok: number; failures: string[] }> {
  const program = await chainProgram(craq ? { craq: true } : {});
  const load = clientLoad(32, 1000, 1000);
  const r = runKv(program, {
    seed: '1',
    ranks: 6,
    clusterId: 'craq-stepcost',
    loadMs: 2000,
    faults: [],
    link: { dropRate: 0, dupRate: 0, delayMs: 0.1, jitterMs: 0, damageRate: 0 },
    trace: false,
    stepCostUs: STEP_COST_US,
    clients: { ...load, load: { ...load.load, getShare: 1, deleteShare: 0, keyDist: 'zipf', zipfExponent: 2 } },
  });
  return { ok: r.ok, failures: r.failures };
}

t.test('with a step cost, CRAQ reads of a hot range beat tail-only reads by at least 1.3x', async (t) => {
  const tail = await readOps(false);
  const craq = await readOps(true);
  t.same(tail.failures, [], 'tail-only run graded clean');
  t.same(craq.failures, [], 'CRAQ run graded clean');
  t.ok(craq.ok >= 1.3 * tail.ok, `CRAQ ${craq.ok} ok reads vs tail-only ${tail.ok} (${(craq.ok / tail.ok).toFixed(2)}x)`);
});
