// sweep.test: many seeds, each a 5-rank cluster under random loss, duplication, delay,
// partitions, a paused rank and a restarted rank; the checker's library must pass all three
// rules on every rank's log. A failing seed prints the command that replays it exactly.
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { startSim } from './sim.js';

const only = process.env.PAXOS_SEED;
const count = Number(process.env.PAXOS_SEEDS ?? 60);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => 1000 + i);

async function runSeed(seed: number): Promise<{ report: string; pass: boolean; best: number }> {
  const plan = new SeededRandom(`sweep-plan/${seed}`);
  const rounds = 12;
  const sim = startSim({
    seed,
    interval: 50 + plan.int(150),
    rounds,
    faults: { dropRate: plan.next() * 0.15, dupRate: plan.next() * 0.1, delayMs: [0, plan.int(60)] },
    tune: { pipelineWindow: 1 + plan.int(64), proposeBatch: 1 + plan.int(16), gatherGraceMs: plan.int(20) },
  });
  const { clock, net, startAtMs } = sim;
  const at = (ms: number): Promise<void> => clock.advanceTo(startAtMs + ms);
  // A partition episode, a pause and a restart, each at a seeded time.
  const cut = 1 + plan.int(4);
  await at(1000 + plan.int(2000));
  net.partition([[...Array(cut).keys()], [...Array(5 - cut).keys()].map((i) => i + cut)]);
  await clock.advance(300 + plan.int(1500));
  net.heal();
  const paused = plan.int(5);
  await at(5000 + plan.int(1000));
  net.pause(paused);
  await clock.advance(200 + plan.int(2000));
  net.resume(paused);
  const restarted = plan.int(5);
  await at(8500 + plan.int(1000));
  sim.restart(restarted, 1);
  await clock.advanceTo(sim.endAtMs + 10);
  const result = checkLogs(sim.sinks.map((s, i) => ({ name: `instancelog${i}.log`, lines: s.lines() })));
  return { report: formatReport(result), pass: result.verdict === 'pass', best: Math.max(...result.ranks.map((r) => r.commits)) };
}

t.test(`seeded fault sweep (${seeds.length} seeds)`, { timeout: 240_000 }, async (t) => {
  let failures = 0;
  for (const seed of seeds) {
    const { report, pass, best } = await runSeed(seed);
    if (!pass) {
      failures++;
      t.fail(
        `seed ${seed} broke a rule; replay: PAXOS_SEED=${seed} node_modules/.bin/tap --disable-coverage processors/paxos/sweep.test.ts\n${report}`,
      );
    }
    if (best < 100) t.fail(`seed ${seed}: no rank made progress (best ${best} commits)`);
  }
  t.equal(failures, 0, 'every seed passes all three rules');
});
