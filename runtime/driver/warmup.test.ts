// warmup.test: the throwaway cluster runs the protocol through the wire's path and stops on its
// budget. The toy protocol (runtime/sim/toy.ts): rank 0 leads, followers commit what it sends.
import t from 'tap';
import { toy, type ToyMsg } from '../sim/toy.js';
import { warmUp } from './warmup.js';

const config = { sendEarly: false };

t.test('the cluster generates and commits, every message read back through validate', (t) => {
  let validated = 0;
  const lines: string[] = [];
  const counted = {
    ...toy,
    validate: (x: unknown): ToyMsg => {
      validated++;
      t.notOk(x !== null && typeof x === 'object' && Object.getPrototypeOf(x) !== Object.prototype, 'a decoded plain object');
      return toy.validate(x);
    },
    formatLog: (ev: Parameters<typeof toy.formatLog>[0], atUs: number) => {
      const line = toy.formatLog(ev, atUs);
      lines.push(line);
      return line;
    },
  };
  const r = warmUp(counted, { config, ranks: 3, budgetMs: Infinity, cpuMs: () => 0, maxSteps: 400 });
  t.ok(r.steps >= 400, `${r.steps} steps`);
  t.ok(r.messages > 0, `${r.messages} messages`);
  t.equal(validated, r.messages, 'each message validated once');
  t.equal(r.logLines, lines.length);
  t.ok(
    lines.some((l) => l.startsWith('commit')),
    'a follower committed',
  );
  t.ok(
    lines.some((l) => l.startsWith('generate')),
    'the leader generated',
  );
  t.end();
});

t.test('persisted sees every WAL batch, in order, before its persisted report', (t) => {
  const ids: number[] = [];
  let reported = 0;
  const counted = {
    ...toy,
    step: (...a: Parameters<typeof toy.step>) => {
      if (a[1].type === 'persisted') {
        t.ok(ids.includes(a[1].batchId), `batch ${a[1].batchId} was handed over before its report`);
        reported++;
      }
      return toy.step(...a);
    },
  };
  warmUp(counted, {
    config,
    ranks: 3,
    budgetMs: Infinity,
    cpuMs: () => 0,
    maxSteps: 200,
    persisted: (b) => ids.push(...b.map((x) => x.batchId)),
  });
  t.ok(ids.length > 0 && reported > 0, `${ids.length} batches, ${reported} reports`);
  t.end();
});

t.test('stops once the CPU budget is spent', (t) => {
  let cpu = 0;
  const r = warmUp(toy, { config, ranks: 3, budgetMs: 10, cpuMs: () => (cpu += 1) });
  // one read at the start, then one per round: ten rounds of 5 virtual ms fit the budget
  t.ok(r.steps > 0);
  t.ok(r.virtualMs <= 50, `${r.virtualMs} virtual ms`);
  t.end();
});
