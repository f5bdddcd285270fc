// faults.test: `csplab run`'s fault flags parse into a time-ordered schedule; bad ones are usage errors.
import t from 'tap';
import { parseFault, parseFaults } from './faults.js';
import { CliError, EXIT } from '../exit.js';

t.test('each fault form parses', async (t) => {
  t.same(parseFault('kill', 'leader@2', 5), { action: 'kill', target: { type: 'leader' }, atMs: 2000 });
  t.same(parseFault('kill', '3@1.5', 5), { action: 'kill', target: { type: 'rank', rank: 3 }, atMs: 1500 });
  t.same(parseFault('pause', 'leader@2:2', 5), { action: 'pause', target: { type: 'leader' }, atMs: 2000, durationMs: 2000 });
  t.same(parseFault('start', '4@2', 5), { action: 'start', target: { type: 'rank', rank: 4 }, atMs: 2000 });
  t.same(parseFault('restart', 'killed@3', 5), { action: 'restart', target: { type: 'killed' }, atMs: 3000 });
});

t.test('the schedule is ordered by time', async (t) => {
  const s = parseFaults({ restart: 'killed@3', kill: ['leader@2'], pause: ['1@0.5:1'] }, 5);
  t.same(
    s.map((f) => f.action),
    ['pause', 'kill', 'restart'],
  );
});

t.test('bad specs are usage errors naming the flag', async (t) => {
  for (const [action, text, why] of [
    ['kill', 'leader', /--kill: expected/],
    ['kill', '7@1', /rank must be < 5/],
    ['pause', '1@2', /needs a duration/],
    ['start', 'leader@2', /--start: expected a rank/],
    ['restart', 'leader@1', /expected a rank or killed/],
    ['kill', '1@-2', /--kill: expected/],
  ] as const) {
    let caught: unknown;
    try {
      parseFault(action, text, 5);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof CliError && caught.status === EXIT.usage, `${action} ${text}: a usage error`);
    t.match((caught as Error | undefined)?.message ?? '', why);
  }
});
