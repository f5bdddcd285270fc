// ownlimit.test: on the virtual clock, an own-time limit (the boot's, the end's) counts a rank's
// own time (wall less its wait for a CPU): a rank that never waits is given up at the limit, a
// starved one is not (until the wall cap), and one starved and then hung is given up once its own
// time has run out.
import t from 'tap';
import { VirtualClock } from '../../runtime/clock.js';
import { armOwnTimeLimit } from './ownlimit.js';

/** rig: a boot limit of 120 s (wall cap 900 s) over ranks whose waits the test sets as time goes on. */
function rig(waits: (elapsedMs: number) => (number | undefined)[]) {
  const clock = new VirtualClock(0);
  const expired: number[] = [];
  const cancel = armOwnTimeLimit({
    clock,
    limitMs: 120_000,
    wallCapMs: 900_000,
    waiting: () => waits(clock.nowMs()),
    expired: (ms) => expired.push(ms),
  });
  return { clock, expired, cancel };
}

t.test('a rank that never waits for a CPU (hung asleep, or spinning) is given up at the limit', async (t) => {
  const r = rig(() => [0, undefined]);
  await r.clock.advanceTo(119_999);
  t.same(r.expired, [], 'not before');
  await r.clock.advanceTo(120_000);
  t.same(r.expired, [120_000], 'at 120 s of wall time, all of it its own');
  await r.clock.advanceTo(2_000_000);
  t.equal(r.expired.length, 1, 'once');
  t.equal(r.clock.pendingTimers(), 0, 'and nothing left scheduled');
});

t.test('a starved rank is given the time it waits, up to the wall cap', async (t) => {
  // its threads queued for all but 10 s of the time (and a second rank that is fine)
  const r = rig((ms) => [Math.max(0, ms - 10_000), 0].slice(0, ms < 5_000 ? 2 : 1));
  await r.clock.advanceTo(899_999);
  t.same(r.expired, [], '10 s of its own in 900 s of wall time');
  await r.clock.advanceTo(900_000);
  t.same(r.expired, [900_000], 'the wall cap still ends it');
});

t.test('starved for 300 s, then hung: given up 120 s of its own time after its spawn', async (t) => {
  const r = rig((ms) => [Math.max(0, Math.min(ms, 300_000) - 10_000)]); // ran its first 10 s, queued until 300 s, then asleep
  await r.clock.advanceTo(409_999);
  t.same(r.expired, [], 'own time at 409.999 s: 10 s before the queue, 109.999 s hung');
  await r.clock.advanceTo(410_000);
  t.same(r.expired, [410_000]);
});

t.test('a cancelled limit never fires', async (t) => {
  const r = rig(() => [0]);
  r.cancel();
  await r.clock.advanceTo(1_000_000);
  t.same(r.expired, []);
});

t.test("the end's grace: 5 s of a rank's own time, a wait for a CPU not counted", async (t) => {
  const clock = new VirtualClock(0);
  const expired: number[] = [];
  // queued for the first 20 s after the end (a busy machine), then hung asleep
  armOwnTimeLimit({
    clock,
    limitMs: 5000,
    wallCapMs: 300_000,
    waiting: () => [Math.min(clock.nowMs(), 20_000)],
    expired: (ms) => expired.push(ms),
  });
  await clock.advanceTo(24_999);
  t.same(expired, [], 'a wall-clock grace of 5 s would have killed it at 5 s');
  await clock.advanceTo(25_000);
  t.same(expired, [25_000], 'killed once it had 5 s of its own');
});
