// step_invariants.test: TRaft's per-step checker (step_invariants.ts) on the simulator
// (runtime/sim, checkEveryStep). A correct cluster keeps every invariant through a leader's
// kill and restart; a core whose restart forgets the vote it recovered from its WAL is stopped
// at that restart by T15, naming the rank, the step and the rule; one that reports another
// record at a seq the others commit is stopped by S1.
// Replay: node_modules/.bin/tap processors/traft/step_invariants.test.ts
import t from 'tap';
import { simProgram } from '../../runtime/sim/bind.js';
import type { SimFault, SimOptions } from '../../runtime/sim/types.js';
import { leaderId } from './leader_id.js';
import { traft, traftOf, type TraftConfig } from './protocol.js';
import { restartReplica } from './state.js';
import { step } from './step.js';

const CONFIG: TraftConfig = { electionMs: 500, window: 20, keys: 3, snapshotEvery: 0 };
const FAULTS: SimFault[] = [
  { action: 'kill', target: { type: 'leader' }, atMs: 1500 },
  { action: 'restart', target: { type: 'killed' }, atMs: 1700 },
];
const OPTIONS: SimOptions = {
  seed: 'step-invariants',
  ranks: 3,
  clusterId: 'inv',
  loadMs: 3000,
  ratePerSec: 200,
  faults: FAULTS,
  link: { dropRate: 0.02, dupRate: 0.02, delayMs: 2, jitterMs: 2, damageRate: 0 },
  trace: false,
  checkEveryStep: true,
};

t.test('a correct cluster keeps every invariant through a leader kill and restart', (t) => {
  const out = simProgram(traft, CONFIG).run(OPTIONS);
  t.equal(out.violation, undefined, 'no violation');
  t.same(out.problems, [], 'no problem');
  t.ok(
    out.ranks.every((r) => r.end === 'stopped'),
    'every rank drained and stopped (the checks at each stop ran)',
  );
  t.ok(Math.max(...out.ranks.map((r) => r.summary?.commits ?? 0)) > 100, 'work got done');
  t.end();
});

t.test('a restart that forgets its recovered vote breaks T15 at that restart', (t) => {
  const forgetful = traftOf({
    step,
    restartReplica: (o) => restartReplica(o.durable ? { ...o, durable: { ...o.durable, vote: leaderId(0, o.self) } } : o),
  });
  const out = simProgram(forgetful, CONFIG).run(OPTIONS);
  const v = out.violation;
  t.ok(v !== undefined, 'a violation stops the run');
  if (v === undefined) return t.end();
  t.match(v.rule, /^T15: restart forgot a promise: vote /, `by T15: ${v.rule}`);
  t.equal(v.atMs, 1700, 'at the restart');
  t.equal(out.resolved[1]?.rank, v.rank, 'on the restarted rank');
  t.equal(out.events, v.step, 'the run ended at that step');
  t.end();
});

t.test('a core that commits a second record at a decided seq breaks S1 at that step', (t) => {
  // Two seconds in, rank 0 reports its next commit mark with a made-up author: another record
  // than the one the other ranks commit at that seq (whichever rank marks it second is named).
  let planted = false;
  const lying = traftOf({
    restartReplica,
    step: (s, input, nowMs, random) => {
      const res = step(s, input, nowMs, random);
      if (planted || s.self !== 0 || nowMs < 1_700_000_002_000) return res;
      const trace = res.out.trace.map((ev) => {
        if (ev.type !== 'commit' || planted) return ev;
        planted = true;
        return { ...ev, author: leaderId(99, 0) };
      });
      return { ...res, out: { ...res.out, trace } };
    },
  });
  const out = simProgram(lying, CONFIG).run({ ...OPTIONS, faults: [] });
  t.ok(planted, 'the lie was told');
  t.match(out.violation?.rule ?? '', /^S1: seq \d+ committed as .*99/, `S1 names the made-up record: ${out.violation?.rule}`);
  t.end();
});
