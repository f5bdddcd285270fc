// faults.test: `csplab run`'s fault flags parse into a time-ordered schedule; bad ones are usage errors.
import t from 'tap';
import { parseFault, parseFaults, parseLinkFlags, parseNetFault, parseNetFaults } from './faults.js';
import { CliError, EXIT } from '../exit.js';

t.test('each fault form parses', async (t) => {
  t.same(parseFault('kill', 'leader@2', 5), { action: 'kill', target: { type: 'leader' }, atMs: 2000 });
  t.same(parseFault('kill', 'master-leader@2', 5), { action: 'kill', target: { type: 'leader' }, atMs: 2000 }, 'master-leader is leader');
  t.throws(() => parseFault('restart', 'master-leader@2', 5), /expected a rank or killed/, 'only where leader is allowed');
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

t.test('partitions and cuts parse, with leader members; bad ones are usage errors naming the flag', async (t) => {
  const r = (rank: number) => ({ type: 'rank', rank });
  t.same(parseNetFault('partition', '0,1|2,3,4@2:3', 5), {
    action: 'partition',
    groups: [
      [r(0), r(1)],
      [r(2), r(3), r(4)],
    ],
    atMs: 2000,
    durationMs: 3000,
  });
  t.same(parseNetFault('partition', 'leader|0@1.5:0.5', 5), {
    action: 'partition',
    groups: [[{ type: 'leader' }], [r(0)]],
    atMs: 1500,
    durationMs: 500,
  });
  t.same(parseNetFault('cut', '0>1,leader@2:3', 5), {
    action: 'cut',
    from: [r(0)],
    to: [r(1), { type: 'leader' }],
    atMs: 2000,
    durationMs: 3000,
  });
  t.same(
    parseNetFaults({ cut: '0>1@3:1', partition: ['0|1@1:1'] }, 5).map((f) => f.action),
    ['partition', 'cut'],
    'ordered by time',
  );
  for (const [action, text, why] of [
    ['partition', '0,1|2@2', /--partition: expected/],
    ['partition', '0,1|1,2@2:1', /rank 1 is in two groups/],
    ['partition', '0,0|1@2:1', /0 is named twice/],
    ['partition', '0,1|5@2:1', /rank must be < 5/],
    ['partition', '0,1,2,3,4@2:1', /cuts nothing/],
    ['partition', '0|1@2:0', /duration must be > 0/],
    ['cut', '0>1>2@2:1', /--cut: expected/],
    ['cut', 'killed>1@2:1', /expected a rank or leader/],
  ] as const) {
    let caught: unknown;
    try {
      parseNetFault(action, text, 5);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof CliError && caught.status === EXIT.usage, `${action} ${text}: a usage error`);
    t.match((caught as Error | undefined)?.message ?? '', why);
  }
});

t.test('--delay, --dup and --skew parse; bad ones are usage errors', async (t) => {
  t.same(parseLinkFlags({}, 5), { delayMs: 0, jitterMs: 0, dupRate: 0 });
  t.same(parseLinkFlags({ delay: '50±25', dup: 0.1 }, 5), { delayMs: 50, jitterMs: 25, dupRate: 0.1 });
  t.same(parseLinkFlags({ delay: '50+-25' }, 5), { delayMs: 50, jitterMs: 25, dupRate: 0 });
  t.same(parseLinkFlags({ delay: '20' }, 5), { delayMs: 20, jitterMs: 0, dupRate: 0 });
  t.same(parseLinkFlags({ skew: '2:-300' }, 5), { delayMs: 0, jitterMs: 0, dupRate: 0, skew: { rank: 2, offsetMs: -300 } });
  for (const [flags, why] of [
    [{ delay: '10±20' }, /jitter must not exceed/],
    [{ delay: 'soon' }, /--delay: expected/],
    [{ dup: 0.9 }, /--dup: expected a probability/],
    [{ skew: '7:10' }, /rank must be < 5/],
    [{ skew: '2' }, /--skew: expected/],
  ] as const) {
    let caught: unknown;
    try {
      parseLinkFlags(flags, 5);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof CliError && caught.status === EXIT.usage, `${JSON.stringify(flags)}: a usage error`);
    t.match((caught as Error | undefined)?.message ?? '', why);
  }
});
