// sweep.test: Paxos --eager under restart episodes, on runtime/sim with P1–P4 checked after
// every step and the checker's safety rules (1 and 3) graded at the end: short rounds,
// duplication and delays, a gather grace of 0 (the first quorum decides the sync) and 2–4
// episodes per seed. Each episode cuts the cluster into {a, b, z} | {m, n}, so every instance
// chosen meanwhile is accepted by a, b and z only; kills and restarts z at an off-grid moment,
// then flips the cut to {z, m, n} | {a, b}. Had z's restart forgotten its amnesia, {z, m, n}
// would sync without what a and b committed (issue 11, hole 1; docs/protocols/paxos.md §8).
// The delayed duplicate IMPOSE the old harness handed z is a unit test on the follower
// (decisions.test.ts); the grid plan is cmd/sim/sweep.test.ts's 100 grid seeds.
// Replay one seed: PAXOS_SEED=1003 node_modules/.bin/tap processors/paxos/sweep.test.ts
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { simProgram } from '../../runtime/sim/bind.js';
import type { SimFault, SimOptions } from '../../runtime/sim/types.js';
import { paxos } from './protocol.js';

const only = process.env.PAXOS_SEED;
// Modest by default (the suite shares two cores); PAXOS_SEEDS=500 for a long sweep.
const count = Number(process.env.PAXOS_SEEDS ?? 12);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => 1000 + i);
const SLOT_MS = 1000;
const ROUNDS = 10;

const rank = (r: number): { type: 'rank'; rank: number } => ({ type: 'rank', rank: r });

/** episodes: the seed's restart episodes as a fault schedule (ms after round 0). */
function episodes(plan: SeededRandom): SimFault[] {
  const faults: SimFault[] = [];
  let atMs = 0;
  const n = 2 + plan.int(3);
  for (let i = 0; i < n; i++) {
    const order = [0, 1, 2, 3, 4];
    for (let k = order.length - 1; k > 0; k--) {
      const x = plan.int(k + 1);
      [order[k], order[x]] = [order[x] ?? 0, order[k] ?? 0];
    }
    const [z = 0, a = 0, b = 0, m = 0, n2 = 0] = order;
    atMs += 100 + plan.int(600);
    const cutAt = atMs;
    atMs += 100 + plan.int(900);
    faults.push({ action: 'kill', target: rank(z), atMs }, { action: 'restart', target: rank(z), atMs: atMs + 1 });
    atMs += 1 + plan.int(40);
    faults.push({ action: 'partition', groups: [[a, b, z].map(rank), [m, n2].map(rank)], atMs: cutAt, durationMs: atMs - cutAt });
    const heal = 300 + plan.int(1500);
    faults.push({ action: 'partition', groups: [[z, m, n2].map(rank), [a, b].map(rank)], atMs, durationMs: heal });
    atMs += heal;
  }
  return faults.sort((x, y) => x.atMs - y.atMs);
}

function run(seed: number): { pass: boolean; report: string; problems: readonly string[]; restarts: number } {
  const plan = new SeededRandom(`sweep-eager/${seed}`);
  const config = {
    slotMs: SLOT_MS,
    interval: 5 + plan.int(40),
    dataSize: 64,
    eager: true,
    pipelineWindow: 1 + plan.int(16),
    proposeBatch: 1 + plan.int(4),
    gatherGraceMs: 0,
    retryMs: 5 + plan.int(40),
  };
  const maxDelay = 1 + plan.int(40);
  const o: SimOptions = {
    seed: `eager/${seed}`,
    ranks: 5,
    clusterId: 'sweep',
    loadMs: ROUNDS * SLOT_MS,
    faults: episodes(plan),
    link: { dropRate: plan.next() * 0.1, dupRate: plan.next() * 0.2, delayMs: maxDelay / 2, jitterMs: maxDelay / 2, damageRate: 0 },
    trace: false,
    checkEveryStep: true,
  };
  const out = simProgram(paxos, config).run(o);
  const result = checkLogs(out.ranks.map((r) => ({ name: `instancelog${r.rank}.log`, lines: r.lines, unterminated: r.unterminated })));
  // Rule 2 is left out: a rank restarted that often may commit nothing.
  const pass = out.problems.length === 0 && result.rules[0].verdict === 'pass' && result.rules[2].verdict === 'pass';
  const restarts = out.resolved.filter((f) => f.action === 'restart' && f.ignored !== true).length;
  return { pass, report: formatReport(result), problems: out.problems, restarts };
}

t.test(`seeded restart episodes, --eager (${seeds.length} seeds)`, async (t) => {
  let failures = 0;
  let restarts = 0;
  for (const seed of seeds) {
    const r = run(seed);
    restarts += r.restarts;
    if (!r.pass) {
      failures++;
      t.fail(
        `seed ${seed} broke a rule; replay: PAXOS_SEED=${seed} node_modules/.bin/tap processors/paxos/sweep.test.ts\n${r.problems.slice(0, 3).join('\n')}\n${r.report}`,
      );
    }
  }
  t.equal(failures, 0, 'every seed keeps P1–P4 and rules 1 and 3');
  t.ok(restarts >= 2 * seeds.length, `every episode restarted its rank (${restarts} restarts)`);
});
