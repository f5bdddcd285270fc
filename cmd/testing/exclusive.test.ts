// exclusive.test: the cluster lock is held while a holder has it, a second holder gets it only
// after the first releases, and a released lock is free. `flock -n` (fail instead of waiting) is
// the probe, so nothing here waits on a clock.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { holdExclusive } from './exclusive.js';

const free = (path: string): boolean => spawnSync('flock', ['-n', path, 'true']).status === 0;

t.test('one holder at a time; released means free', async (t) => {
  const path = join(t.testdir(), 'cluster.lock');
  const releaseA = await holdExclusive(path);
  t.notOk(free(path), 'held while the first holder has it');
  let bHeld = false;
  const b = holdExclusive(path).then((release) => {
    bHeld = true;
    return release;
  });
  t.notOk(free(path), 'still held');
  t.notOk(bHeld, 'the second holder is still waiting');
  await releaseA();
  const releaseB = await b;
  t.ok(bHeld, 'the second holder has it once the first released');
  t.notOk(free(path), 'held by the second');
  await releaseB();
  t.ok(free(path), 'free once both released');
});
