// exclusive.test: the cluster lock is held while a holder has it, a second holder gets it only
// after the first releases, and a released lock is free. `flock -n` (fail instead of waiting) is
// the probe, so nothing here waits on a clock.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { holdExclusive } from './exclusive.js';

const free = (path: string): boolean => spawnSync('flock', ['-n', path, 'true']).status === 0;

/** blockedOn: the kernel lists a process blocked on path's flock (a `->` line of /proc/locks naming its inode). */
function blockedOn(path: string): boolean {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .some((line) => line.includes('->') && line.includes('FLOCK') && line.split(/\s+/).some((f) => f.endsWith(`:${inode}`)));
}

/** untilBlockedOrHeld: turns of the event loop until the second holder is blocked in the kernel, or (wrongly) has the lock. */
async function untilBlockedOrHeld(path: string, held: () => boolean): Promise<void> {
  while (!held() && !blockedOn(path)) await new Promise((resolve) => setImmediate(resolve));
}

t.test('one holder at a time; released means free', async (t) => {
  const path = join(t.testdir(), 'cluster.lock');
  const releaseA = await holdExclusive(path);
  t.notOk(free(path), 'held while the first holder has it');
  let bHeld = false;
  const b = holdExclusive(path).then((release) => {
    bHeld = true;
    return release;
  });
  await untilBlockedOrHeld(path, () => bHeld);
  t.notOk(bHeld, 'the second holder is blocked in the kernel, not holding');
  t.notOk(free(path), 'still held by the first');
  await releaseA();
  const releaseB = await b;
  t.ok(bHeld, 'the second holder has it once the first released');
  t.notOk(free(path), 'held by the second');
  await releaseB();
  t.ok(free(path), 'free once both released');
});
