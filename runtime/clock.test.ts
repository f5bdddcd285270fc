// Proves VirtualClock fires timers in time order (ties in scheduling order) with working cancel, RealClock's timer edge cases, and runUntilIdle.
import t from 'tap';
import { CLOSED, CspChan, TIMEOUT, type Chan } from './chan.js';
import { RealClock, VirtualClock, runUntilIdle } from './clock.js';

const T0 = 1_700_000_000_000;

t.test('timers fire in time order, ties in scheduling order, each at its due time', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: [string, number][] = [];
  const at = (label: string) => () => fired.push([label, clock.nowMs() - T0]);
  clock.schedule(30, at('c'));
  clock.schedule(10, at('a1'));
  clock.schedule(20, at('b'));
  clock.schedule(10, at('a2'));
  clock.schedule(10, at('a3'));
  t.equal(clock.pendingTimers(), 5);
  t.equal(clock.nextDueMs(), T0 + 10);
  await clock.advance(25);
  t.same(fired, [
    ['a1', 10],
    ['a2', 10],
    ['a3', 10],
    ['b', 20],
  ]);
  t.equal(clock.nowMs(), T0 + 25, 'time ends at the target');
  await clock.advance(5);
  t.same(fired.at(-1), ['c', 30]);
  t.equal(clock.pendingTimers(), 0);
  t.equal(clock.nextDueMs(), undefined);
});

t.test('many timers in random order still fire sorted (heap order)', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: number[] = [];
  const delays = Array.from({ length: 300 }, (_, i) => (i * 7919) % 101);
  delays.forEach((d, i) => clock.schedule(d, () => fired.push(d * 1000 + i)));
  await clock.advance(200);
  const sorted = [...fired].sort((x, y) => x - y);
  t.same(fired, sorted, 'by due time, then scheduling order');
  t.equal(fired.length, 300);
});

t.test('cancel works, and is harmless after firing or twice', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: string[] = [];
  const cancelA = clock.schedule(10, () => fired.push('a'));
  const cancelB = clock.schedule(20, () => fired.push('b'));
  cancelA();
  cancelA();
  t.equal(clock.pendingTimers(), 1);
  await clock.advance(30);
  t.same(fired, ['b']);
  cancelB();
  t.equal(clock.pendingTimers(), 0);
});

t.test('a timer cancelled by an earlier timer at the same instant does not fire', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: string[] = [];
  let cancelSecond = (): void => {};
  clock.schedule(10, () => {
    fired.push('first');
    cancelSecond();
  });
  cancelSecond = clock.schedule(10, () => fired.push('second'));
  await clock.advance(10);
  t.same(fired, ['first']);
});

t.test('mass cancellation is compacted and order survives', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: number[] = [];
  const cancels = Array.from({ length: 5000 }, (_, i) => clock.schedule(1000 + i, () => fired.push(i)));
  for (let i = 0; i < 5000; i++) if (i % 500 !== 0) cancels[i]!();
  t.equal(clock.pendingTimers(), 10);
  await clock.advance(10_000);
  t.same(fired, [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
});

t.test('schedule never fires synchronously; 0 and negative delays fire on the next advance', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: string[] = [];
  clock.schedule(0, () => fired.push('zero'));
  clock.schedule(-5, () => fired.push('negative'));
  t.same(fired, []);
  await runUntilIdle();
  t.same(fired, [], 'runUntilIdle does not move time');
  await clock.advance(0);
  t.same(fired, ['zero', 'negative']);
  t.equal(clock.nowMs(), T0);
});

t.test('timers scheduled while firing: due within the advance fire in it, later ones wait', async (t) => {
  const clock = new VirtualClock(T0);
  const fired: [string, number][] = [];
  clock.schedule(10, () => {
    fired.push(['outer', clock.nowMs() - T0]);
    clock.schedule(0, () => fired.push(['same-instant', clock.nowMs() - T0]));
    clock.schedule(5, () => fired.push(['inside', clock.nowMs() - T0]));
    clock.schedule(50, () => fired.push(['beyond', clock.nowMs() - T0]));
  });
  await clock.advance(20);
  t.same(fired, [
    ['outer', 10],
    ['same-instant', 10],
    ['inside', 15],
  ]);
  await clock.advance(40);
  t.same(fired.at(-1), ['beyond', 60]);
});

t.test('advanceTo never moves backwards; bad arguments throw', async (t) => {
  const clock = new VirtualClock(T0);
  await clock.advanceTo(T0 + 100);
  t.equal(clock.nowMs(), T0 + 100);
  await clock.advanceTo(T0 + 50);
  t.equal(clock.nowMs(), T0 + 100);
  await t.rejects(clock.advance(-1), RangeError);
  await t.rejects(clock.advance(NaN), RangeError);
  await t.rejects(clock.advance(Infinity), RangeError);
  await t.rejects(clock.advanceTo(NaN), RangeError);
  t.throws(() => clock.schedule(NaN, () => {}), RangeError);
  t.throws(() => clock.schedule(Infinity, () => {}), RangeError);
  t.throws(() => new VirtualClock(NaN), RangeError);
  t.equal(clock.pendingTimers(), 0);
});

t.test('overlapping advances are refused', async (t) => {
  const clock = new VirtualClock(T0);
  const first = clock.advance(10);
  await t.rejects(clock.advance(10), /another advance is running/);
  await first;
  t.equal(clock.nowMs(), T0 + 10);
  await clock.advance(10);
  t.equal(clock.nowMs(), T0 + 20, 'usable again afterwards');
});

t.test('nowUs is integer microseconds of nowMs', async (t) => {
  const clock = new VirtualClock(T0 + 0.0015);
  t.equal(clock.nowUs(), Math.floor((T0 + 0.0015) * 1000));
  t.ok(Number.isInteger(clock.nowUs()));
  const real = new RealClock();
  t.ok(Number.isInteger(real.nowUs()));
  t.ok(Math.abs(real.nowMs() - Date.now()) < 1000, 'RealClock is anchored to the epoch');
});

function chan<T>(clock: VirtualClock, name: string): Chan<T> {
  return new CspChan<T>(clock, { name, capacity: 16, overflow: { type: 'fail' } });
}

t.test('runUntilIdle lets a ping-pong of processors run to completion without time', async (t) => {
  const clock = new VirtualClock(T0);
  const ping = chan<number>(clock, 'ping');
  const pong = chan<number>(clock, 'pong');
  let last = -1;
  const echo = (async () => {
    for (;;) {
      const v = await ping.read(1000);
      if (v === CLOSED) return;
      if (v !== TIMEOUT) pong.write(v + 1);
    }
  })();
  const driver = (async () => {
    for (let i = 0; i < 200; i += 2) {
      ping.write(i);
      const v = await pong.read(1000);
      if (v === TIMEOUT || v === CLOSED) return;
      last = v;
    }
  })();
  await runUntilIdle();
  t.equal(last, 199, 'all 100 round trips happened');
  t.equal(clock.nowMs(), T0, 'no virtual time passed');
  await driver;
  ping.close();
  await runUntilIdle();
  await echo;
  t.equal(clock.pendingTimers(), 0);
});

t.test('runUntilIdle waits for long promise chains between channel operations', async (t) => {
  const clock = new VirtualClock(T0);
  const inbox = chan<number>(clock, 'in');
  const outbox = chan<number>(clock, 'out');
  void (async () => {
    const v = await inbox.read(1000);
    let x = v === TIMEOUT || v === CLOSED ? 0 : v;
    for (let i = 0; i < 10_000; i++) x = await Promise.resolve(x + 1);
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    outbox.write(x);
  })();
  inbox.write(5);
  await runUntilIdle();
  t.same(outbox.drain(), [10_005]);
});

t.test('runUntilIdle waits for a chain of processors handing a value along', async (t) => {
  const clock = new VirtualClock(T0);
  const stages = Array.from({ length: 20 }, (_, i) => chan<number>(clock, `s${i}`));
  for (let i = 0; i < 19; i++) {
    const from = stages[i]!;
    const to = stages[i + 1]!;
    void (async () => {
      const v = await from.read(1000);
      if (typeof v === 'number') to.write(v * 2);
    })();
  }
  await runUntilIdle();
  stages[0]!.write(1);
  await runUntilIdle();
  t.same(stages[19]!.drain(), [2 ** 19]);
});

t.test('runUntilIdle reports a loop that never blocks', async (t) => {
  const clock = new VirtualClock(T0);
  const a = chan<number>(clock, 'a');
  const b = chan<number>(clock, 'b');
  const bounce = (from: Chan<number>, to: Chan<number>) => async () => {
    for (;;) {
      const v = await from.read(1000);
      if (v === CLOSED) return;
      if (v !== TIMEOUT) to.write(v);
    }
  };
  const loops = [bounce(a, b)(), bounce(b, a)()];
  a.write(1);
  await t.rejects(runUntilIdle(), /still busy after/);
  a.close();
  b.close();
  await Promise.all(loops);
});

t.test('RealClock: timers fire, cancel works, sleepMs resolves', async (t) => {
  const clock = new RealClock();
  const fired: string[] = [];
  const cancel = clock.schedule(1, () => fired.push('cancelled'));
  cancel();
  await new Promise<void>((resolve) => clock.schedule(5, () => resolve()));
  await clock.sleepMs(1);
  t.same(fired, [], 'the cancelled timer never fired');
  t.throws(() => clock.schedule(NaN, () => {}), RangeError);
  const before = clock.nowMs();
  await clock.sleepMs(-5);
  t.ok(clock.nowMs() - before < 1000);
});

t.test("RealClock chains delays beyond setTimeout's 2^31-1 ms limit", async (t) => {
  // Fake both timers and time: each armed timer "fires" by moving performance.now() forward
  // by the ms it was armed for, so the chaining is checked against the clock it serves.
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const realNow = performance.now.bind(performance);
  let fakeNow = 0;
  const armed: { fn: () => void; ms: number; cleared: boolean }[] = [];
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const h = { fn, ms, cleared: false };
    armed.push(h);
    return h;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((h: { cleared: boolean }) => {
    h.cleared = true;
  }) as unknown as typeof clearTimeout;
  performance.now = () => fakeNow;
  const fireNext = (): void => {
    const h = armed[armed.length - 1]!;
    fakeNow += h.ms;
    h.fn();
  };
  try {
    const clock = new RealClock();
    const max = 2_147_483_647;
    let fired = 0;
    clock.schedule(max * 2 + 5, () => fired++);
    fireNext();
    fireNext();
    t.equal(fired, 0, 'not after the first two chunks');
    fireNext();
    t.same(
      armed.map((h) => h.ms),
      [max, max, 5],
    );
    t.equal(fired, 1);
    const cancel = clock.schedule(max + 1, () => fired++);
    fireNext();
    cancel();
    t.equal(armed[armed.length - 1]!.cleared, true, 'cancel clears the current chunk');
    t.equal(fired, 1, 'a cancelled timer never fires');
    clock.schedule(10, () => fired++);
    fakeNow += 9.4; // setTimeout fired early by 0.6 ms on our clock
    armed[armed.length - 1]!.fn();
    t.equal(fired, 1, 'an early fire is not passed on');
    t.equal(armed[armed.length - 1]!.ms, 1, 're-armed for the remainder (rounded up)');
    fireNext();
    t.equal(fired, 2);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
    performance.now = realNow;
  }
});

t.test('RealClock never fires a timer before its delay has passed on its own clock', async (t) => {
  const clock = new RealClock();
  const early: number[] = [];
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => {
      const delayMs = 1 + (i % 7) + 0.3;
      const startMs = clock.nowMs();
      return new Promise<void>((resolve) =>
        clock.schedule(delayMs, () => {
          const lateMs = clock.nowMs() - startMs - delayMs;
          if (lateMs < 0) early.push(lateMs);
          resolve();
        }),
      );
    }),
  );
  t.same(early, [], 'no timer fired early');
});

t.test('SkewedClock: a constant offset from the machine clock, delays unchanged', async (t) => {
  const { SkewedClock } = await import('./clock.js');
  const skewed = new SkewedClock(-300);
  const before = skewed.nowMs();
  const base = skewed.base.nowMs();
  const after = skewed.nowMs();
  t.ok(before + 300 <= base && base <= after + 300, 'base lies between two skewed reads, 300 ms on');
  await new Promise<void>((resolve) => skewed.schedule(1, resolve));
  t.ok(skewed.nowMs() >= before + 1, 'a delay passes at the real rate');
  t.throws(() => new SkewedClock(NaN), RangeError);
});
