// step_invariants.test: Paxos's per-step checker (step_invariants.ts) on the simulator
// (runtime/sim, checkEveryStep): a correct cluster keeps P1–P4 through a kill and restart; a
// core planted with each kind of bug is stopped at the step that shows it, by the rule named.
// Replay: node_modules/.bin/tap processors/paxos/step_invariants.test.ts
import t from 'tap';
import { simProgram } from '../../runtime/sim/bind.js';
import type { SimOptions } from '../../runtime/sim/types.js';
import { initPaxos, stepPaxos, type PaxosConfig } from './core.js';
import { paxosOf } from './protocol.js';
import { testConfig } from './testkit.js';

const CONFIG: PaxosConfig = testConfig(500, 20);
const OPTIONS: SimOptions = {
  seed: 'paxos-invariants',
  ranks: 5,
  clusterId: 'inv',
  loadMs: 4000,
  faults: [
    { action: 'kill', target: { type: 'rank', rank: 2 }, atMs: 1200 },
    { action: 'restart', target: { type: 'rank', rank: 2 }, atMs: 1900 },
  ],
  link: { dropRate: 0.02, dupRate: 0.02, delayMs: 2, jitterMs: 2, damageRate: 0 },
  trace: false,
  checkEveryStep: true,
};

/** planted: Paxos whose step output rank 1 alters once, 2 s in, with `plant` (undefined: nothing to alter yet). */
function planted(plant: (out: ReturnType<typeof stepPaxos>['out']) => ReturnType<typeof stepPaxos>['out'] | undefined) {
  let done = false;
  return paxosOf({
    initPaxos,
    stepPaxos: (s, input, nowMs) => {
      const res = stepPaxos(s, input, nowMs);
      if (done || s.self !== 1 || nowMs < 1_700_000_002_000) return res;
      const out = plant(res.out);
      if (out === undefined) return res;
      done = true;
      return { ...res, out };
    },
  });
}

t.test('a correct cluster keeps P1–P4 through a kill and restart', (t) => {
  const out = simProgram(paxosOf({ initPaxos, stepPaxos }), CONFIG).run(OPTIONS);
  t.equal(out.violation, undefined, 'no violation');
  t.same(out.problems, [], 'no problem');
  t.ok(Math.max(...out.ranks.map((r) => r.summary?.commits ?? 0)) > 50, 'work got done');
  t.end();
});

t.test('each planted bug is stopped by its rule', (t) => {
  const commitOf = (out: ReturnType<typeof stepPaxos>['out']): number => out.log.findIndex((e) => e.kind === 'commit');
  const cases: Array<[string, Parameters<typeof planted>[0], RegExp]> = [
    [
      'a commit of a KEY nobody generated',
      (out) => {
        const i = commitOf(out);
        if (i < 0) return undefined;
        return { ...out, log: out.log.map((e, j) => (j === i ? { ...e, key: 'z'.repeat(32) } : e)) };
      },
      /^P1: instance \d+ committed as z{32}, earlier as /,
    ],
    [
      'a GATHER sent before its round is durable',
      (out) => ({
        ...out,
        send: [...out.send, { to: 0, msg: { type: 'gather', from: 1, round: 10_000, frontier: -1, syncRound: -1, held: [] } }],
      }),
      /^P3: gather of round 10000 sent to rank 0 /,
    ],
  ];
  for (const [name, plant, rule] of cases) {
    const out = simProgram(planted(plant), CONFIG).run({ ...OPTIONS, faults: [] });
    t.match(out.violation?.rule ?? 'none', rule, `${name}: ${out.violation?.rule ?? 'no violation'}`);
    t.equal(out.violation?.rank, 1, `${name}: on the planted rank`);
  }
  t.end();
});
