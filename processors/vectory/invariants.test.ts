// invariants.test: S4 over the logs across a restart — the `recover` line a restart writes is the
// baseline when a kill lost a durable promise's line, and is itself held to what was logged.
import t from 'tap';
import { checkS4 } from './invariants.js';

const at = (us: number): string => ` at ${1_700_000_000_000_000 + us}`;

t.test('S4: a recover line stands for a promise whose line a kill lost', async (t) => {
  const log = [`start${at(0)}`, `start${at(10)}`, `recover 3 1.65535.3 0.0.0${at(10)}`, `accept 3 1.65535.3${at(20)}`];
  t.same(checkS4([log]), [], 'the accept is within the recovered promise');
  t.match(
    checkS4([log.filter((l) => !l.startsWith('recover'))]),
    [/accepted 1\.65535\.3 above its promise/],
    'without it the accept is flagged',
  );
});

t.test('S4: a restart that recovered less than it logged, or accepted above its promise, is flagged', async (t) => {
  const before = [`start${at(0)}`, `promise 1 2.65535.0${at(5)}`, `accept 1 2.65535.0${at(6)}`, `start${at(10)}`];
  t.match(checkS4([[...before, `recover 1 1.65535.0 1.65535.0${at(10)}`]]), [
    /recovered promise 1\.65535\.0 below its logged 2\.65535\.0/,
    /recovered accept 1\.65535\.0 below its logged 2\.65535\.0/,
  ]);
  t.match(checkS4([[...before, `recover 1 2.65535.0 3.65535.0${at(10)}`]]), [/recovered accepted 3\.65535\.0 above its promise/]);
  t.same(
    checkS4([[...before, `recover 1 2.65535.0 2.65535.0${at(10)}`, `promise 1 3.65535.1${at(11)}`]]),
    [],
    'equal is what a restart recovers',
  );
});
