// shrink.test: a planted bug found by a sweep, shrunk, replayed (the example in docs/faults.md).
// The toy log (runtime/sim/toy.ts) with `sendEarly` sends an entry before its write is durable;
// a nemesis sweep finds a seed where that loses agreement, shrinking leaves a 1-minimal
// schedule (a kill of the leader and its restart), and the same schedule passes without the bug.
// Replay: node_modules/.bin/tap cmd/sim/shrink.test.ts
import t from 'tap';
import { simProgram } from '../../runtime/sim/bind.js';
import { toy } from '../../runtime/sim/toy.js';
import type { ScheduleSpec } from '../schedule.js';
import { nemesis } from './nemesis.js';
import { simulate, type SimSpec } from './once.js';
import { shrink } from './shrink.js';

const buggy = simProgram(toy, { sendEarly: true });
const correct = simProgram(toy, { sendEarly: false });

function spec(program: SimSpec['program'], seed: string, schedule: ScheduleSpec): SimSpec {
  return { program, ranks: 3, t: 4, seed, ratePerSec: 1000, schedule, trace: false };
}

t.test('the toy without the bug passes a nemesis sweep (what fails below is the planted bug, not the toy)', (t) => {
  for (let seed = 1; seed <= 60; seed++) {
    const s = String(seed);
    const { failures } = simulate(spec(correct, s, nemesis(s, 3, 4)));
    t.same(failures, [], `seed ${s} passes; replay: node_modules/.bin/tap cmd/sim/shrink.test.ts`);
  }
  t.end();
});

t.test('a sweep finds the planted bug, shrinking leaves a kill and a restart, and the fix passes it', (t) => {
  let found: string | undefined;
  for (let seed = 1; seed <= 200 && found === undefined; seed++) {
    const s = String(seed);
    if (simulate(spec(buggy, s, nemesis(s, 3, 4))).failures.length > 0) found = s;
  }
  t.ok(found !== undefined, `a seed in 1..200 fails with the planted bug (${found})`);
  if (found === undefined) return t.end();
  const seed = found;
  const fails = (sch: ScheduleSpec): boolean => simulate(spec(buggy, seed, sch)).failures.length > 0;
  const full = nemesis(seed, 3, 4);
  const { schedule, runs } = shrink(full, fails);
  t.comment(`seed ${seed}: shrunk to ${JSON.stringify(schedule)} in ${runs} runs`);
  t.ok(fails(schedule), 'the shrunk schedule still fails');
  t.ok((schedule.kill ?? []).length >= 1 && (schedule.restart ?? []).length >= 1, 'it kills a rank and restarts it');
  const entries = Object.values(schedule).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
  const fullEntries = Object.values(full).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
  t.ok(entries < fullEntries, `shrinking removed faults (${fullEntries} → ${entries})`);
  for (const key of Object.keys(schedule) as (keyof ScheduleSpec)[]) {
    const v = schedule[key];
    const variants: ScheduleSpec[] = Array.isArray(v)
      ? v.map((_, i) => ({ ...schedule, [key]: v.filter((_x, j) => j !== i) }))
      : [{ ...schedule, [key]: undefined }];
    for (const w of variants) t.notOk(fails(w), `1-minimal: without one of its ${key} entries it passes`);
  }
  t.same(simulate(spec(correct, seed, schedule)).failures, [], 'without the bug the shrunk schedule passes');
  t.end();
});
