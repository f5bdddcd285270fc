// Proves Chan's contract on virtual time: read timeouts, close semantics, overflow policies with counters, select.
import t from 'tap';
import { CLOSED, ChannelOverflowError, CspChan, TIMEOUT, select, type Chan, type ChanOptions, type ReadResult } from './chan.js';
import { RealClock, VirtualClock, runUntilIdle } from './clock.js';

const T0 = 1_700_000_000_000;

function mk<T>(clock: VirtualClock | RealClock, opts: Partial<ChanOptions<T>> = {}): CspChan<T> {
  return new CspChan<T>(clock, { name: 'c', capacity: 10, overflow: { type: 'fail' }, ...opts });
}

/** Watched records when (in virtual time) a promise settled and with what. */
interface Watched<R> {
  settled: boolean;
  value?: R;
  atMs?: number;
}

function watch<R>(clock: VirtualClock, p: Promise<R>): Watched<R> {
  const w: Watched<R> = { settled: false };
  void p.then((v) => {
    w.settled = true;
    w.value = v;
    w.atMs = clock.nowMs();
  });
  return w;
}

/** conserved checks the stats invariant written = read + dropped + coalesced + buffered. */
function conserved<T>(c: Chan<T>): boolean {
  const s = c.stats();
  return s.written === s.read + s.dropped + s.coalesced + s.buffered;
}

t.test('read timeout fires exactly at t0 + timeout, not before', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const w = watch(clock, c.read(50));
  await clock.advance(49);
  t.equal(w.settled, false, 'still waiting at t0+49');
  await clock.advance(0.5);
  t.equal(w.settled, false, 'still waiting at t0+49.5');
  await clock.advance(0.5);
  t.equal(w.value, TIMEOUT);
  t.equal(w.atMs, T0 + 50, 'resolved when the clock reached t0+50');
  t.equal(clock.pendingTimers(), 0);
});

t.test('read timeout counts from when the read started', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  await clock.advance(7);
  const w = watch(clock, c.read(50));
  await clock.advance(49);
  t.equal(w.settled, false);
  await clock.advance(100);
  t.equal(w.value, TIMEOUT);
  t.equal(w.atMs, T0 + 57);
});

t.test('a value written before the timeout wins and cancels the timer', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const w = watch(clock, c.read(50));
  await clock.advance(20);
  t.equal(clock.pendingTimers(), 1);
  t.equal(c.write(7), true);
  await runUntilIdle();
  t.equal(w.value, 7);
  t.equal(w.atMs, T0 + 20);
  t.equal(clock.pendingTimers(), 0, 'timeout timer cancelled');
  await clock.advance(100);
  t.equal(w.value, 7, 'no later TIMEOUT');
  t.match(c.stats(), { written: 1, read: 1, buffered: 0 });
  t.ok(conserved(c));
});

t.test('a value written at the same instant as the timeout but after it fired is kept', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const w = watch(clock, c.read(50)); // its timer is scheduled first, so it fires first
  clock.schedule(50, () => c.write(42));
  await clock.advance(50);
  t.equal(w.value, TIMEOUT);
  t.equal(w.atMs, T0 + 50);
  t.match(c.stats(), { written: 1, read: 0, buffered: 1 });
  t.equal(await c.read(0), 42, 'next read gets the value');
});

t.test('a timed-out read never swallows a value written later', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  t.equal(await readAfter(clock, c, 10, 10), TIMEOUT);
  c.write(1);
  await runUntilIdle();
  t.match(c.stats(), { buffered: 1, read: 0 });
  t.equal(await c.read(10), 1);
  // Many timed-out reads leave dead takes behind in js-csp; none may eat a value.
  for (let i = 0; i < 200; i++) t.equal(await readAfter(clock, c, 5, 5), TIMEOUT);
  c.write(2);
  c.write(3);
  t.same(c.drain(), [2, 3]);
  t.ok(conserved(c));
});

async function readAfter<T>(clock: VirtualClock, c: Chan<T>, timeoutMs: number, advanceMs: number): Promise<ReadResult<T>> {
  const p = c.read(timeoutMs);
  await clock.advance(advanceMs);
  return p;
}

t.test('read(0) never waits; bad timeouts throw RangeError even with a value buffered', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  t.equal(await c.read(0), TIMEOUT, 'empty: TIMEOUT without advancing the clock');
  t.equal(clock.pendingTimers(), 0);
  c.write(5);
  t.equal(await c.read(0), 5);
  for (const bad of [-1, -0.001, NaN, Infinity, -Infinity]) {
    t.throws(() => c.read(bad), RangeError, `read(${bad})`);
  }
  c.write(6);
  t.throws(() => c.read(-1), RangeError, 'validated before taking a value');
  t.equal(c.stats().buffered, 1, 'the value stayed');
  c.close();
  t.equal(await c.read(1), 6);
  t.equal(await c.read(0), CLOSED);
});

t.test('write rejects null and undefined; capacity and options are validated', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number | null | undefined>(clock);
  t.throws(() => c.write(null), TypeError);
  t.throws(() => c.write(undefined), TypeError);
  t.equal(c.stats().written, 0);
  for (const capacity of [0, -1, 1.5, NaN, Infinity, 1_000_001]) {
    t.throws(() => mk(clock, { capacity }), RangeError, `capacity ${capacity}`);
  }
  t.equal(mk(clock, { capacity: 1 }).stats().capacity, 1);
  t.equal(mk(clock, { capacity: 1_000_000 }).stats().capacity, 1_000_000);
  t.throws(() => mk(clock, { name: '' }), RangeError);
  t.throws(() => mk(clock, { overflow: { type: 'bogus' } as never }), RangeError);
  t.throws(() => mk(clock, { overflow: { type: 'coalesce' } as never }), TypeError);
});

t.test('values come out in write order; drain respects max', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  for (let i = 1; i <= 6; i++) c.write(i);
  t.same(c.drain(0), []);
  t.same(c.drain(2), [1, 2]);
  t.equal(await c.read(0), 3);
  t.same(c.drain(), [4, 5, 6]);
  t.same(c.drain(), []);
  t.throws(() => c.drain(-1), RangeError);
  t.throws(() => c.drain(1.5), RangeError);
  t.throws(() => c.drain(NaN), RangeError);
  t.ok(conserved(c));
});

t.test('close: buffered values stay readable, then CLOSED; writes are refused', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  c.write(1);
  c.write(2);
  c.write(3);
  c.close();
  c.close(); // idempotent
  t.equal(c.closed, true);
  t.equal(c.write(4), false, 'write after close');
  t.equal(c.stats().refused, 1);
  t.equal(await c.read(10), 1, 'read after close gets buffered value');
  t.same(c.drain(1), [2], 'drain after close gets buffered value');
  t.equal(c.exhausted, false);
  t.equal(await c.read(10), 3);
  t.equal(c.exhausted, true);
  t.equal(await c.read(10), CLOSED);
  t.same(c.drain(), []);
  t.equal(clock.pendingTimers(), 0);
  t.match(c.stats(), { written: 3, read: 3, buffered: 0 });
});

t.test('a blocked reader wakes with CLOSED on close, at that instant', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const w = watch(clock, c.read(1000));
  await clock.advance(30);
  c.close();
  await runUntilIdle();
  t.equal(w.value, CLOSED);
  t.equal(w.atMs, T0 + 30);
  t.equal(clock.pendingTimers(), 0);
});

t.test('a value handed to a blocked reader survives a close before the reader resumes', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const w = watch(clock, c.read(1000));
  await runUntilIdle();
  c.write(9);
  c.close(); // same turn: the value is already committed to the reader
  await runUntilIdle();
  t.equal(w.value, 9);
  t.equal(await c.read(10), CLOSED);
  t.match(c.stats(), { written: 1, read: 1, buffered: 0 });
});

t.test('full channel, every policy: write returns at once, keeps/drops the right values', async (t) => {
  const clock = new VirtualClock(T0);

  t.test('drop-newest', async (t) => {
    const c = mk<number>(clock, { capacity: 2, overflow: { type: 'drop-newest' } });
    t.same([c.write(1), c.write(2), c.write(3), c.write(4)], [true, true, false, false]);
    t.same(c.drain(), [1, 2]);
    t.match(c.stats(), { written: 4, read: 2, dropped: 2, coalesced: 0, buffered: 0 });
    t.ok(conserved(c));
  });

  t.test('drop-oldest', async (t) => {
    const c = mk<number>(clock, { capacity: 2, overflow: { type: 'drop-oldest' } });
    t.same([c.write(1), c.write(2), c.write(3), c.write(4)], [true, true, true, true]);
    t.same(c.drain(), [3, 4]);
    t.match(c.stats(), { written: 4, read: 2, dropped: 2, coalesced: 0, buffered: 0 });
    t.ok(conserved(c));
  });

  t.test('coalesce: max of commit frontiers', async (t) => {
    const c = mk<number>(clock, { capacity: 2, overflow: { type: 'coalesce', merge: Math.max } });
    t.same([c.write(5), c.write(3), c.write(4)], [true, true, true]);
    t.match(c.stats(), { buffered: 1, coalesced: 2 }, '5, 3 and 4 folded into one');
    t.equal(c.write(2), true);
    t.same(c.drain(), [5, 2]);
    t.match(c.stats(), { written: 4, read: 2, dropped: 0, coalesced: 2, buffered: 0 });
    t.ok(conserved(c));
  });

  t.test('coalesce merges older into newer, in write order', async (t) => {
    const c = mk<string>(clock, { capacity: 3, overflow: { type: 'coalesce', merge: (older, newer) => `${older}+${newer}` } });
    for (const s of ['a', 'b', 'c', 'd']) c.write(s);
    t.same(c.drain(), ['a+b+c+d']);
    t.match(c.stats(), { coalesced: 3 });
  });

  t.test('coalesce with a broken merge throws and counts the loss', async (t) => {
    const c = mk<number>(clock, { capacity: 2, overflow: { type: 'coalesce', merge: () => null as unknown as number } });
    c.write(1);
    c.write(2);
    t.throws(() => c.write(3), /merge returned null/);
    t.match(c.stats(), { written: 3, dropped: 3, buffered: 0 });
    t.ok(conserved(c));
    const d = mk<number>(clock, {
      capacity: 1,
      overflow: {
        type: 'coalesce',
        merge: () => {
          throw new Error('merge bug');
        },
      },
    });
    d.write(1);
    t.throws(() => d.write(2), /merge bug/);
    t.ok(conserved(d));
    t.equal(d.write(3), true, 'the channel stays usable');
  });

  t.test('fail throws ChannelOverflowError and keeps the buffer', async (t) => {
    const c = mk<number>(clock, { name: 'acks', capacity: 2, overflow: { type: 'fail' } });
    c.write(1);
    c.write(2);
    const err = t.throws(() => c.write(3), ChannelOverflowError) as ChannelOverflowError;
    t.equal(err.channel, 'acks');
    t.match(err.message, /acks.*capacity of 2/);
    t.same(c.drain(), [1, 2]);
    t.match(c.stats(), { written: 3, read: 2, dropped: 1 });
    t.ok(conserved(c));
  });
});

t.test('writes never queue js-csp puts: 5000 writes into capacity 10', async (t) => {
  const clock = new VirtualClock(T0);
  for (const overflow of [{ type: 'drop-newest' }, { type: 'drop-oldest' }, { type: 'coalesce', merge: Math.max }] as const) {
    const c = mk<number>(clock, { capacity: 10, overflow });
    for (let i = 0; i < 5000; i++) c.write(i);
    const puts = (c.raw as unknown as { puts: { length: number } }).puts.length;
    t.equal(puts, 0, `${overflow.type}: no pending puts`);
    t.equal(c.stats().buffered, overflow.type === 'coalesce' ? 10 : 10);
    t.ok(conserved(c), overflow.type);
    const got = c.drain();
    if (overflow.type === 'drop-newest') t.same(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    if (overflow.type === 'drop-oldest') t.same(got, [4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999]);
    if (overflow.type === 'coalesce') t.equal(got[0], 4990, 'first value is the max of everything folded');
  }
});

t.test('a blocked reader receives a write directly; stats stay consistent', async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const got: ReadResult<number>[] = [];
  const reader = (async () => {
    for (;;) {
      const v = await c.read(100);
      got.push(v);
      if (v === CLOSED) return;
    }
  })();
  await runUntilIdle();
  for (let i = 0; i < 5; i++) {
    c.write(i);
    await runUntilIdle();
  }
  c.write(5);
  c.write(6);
  await clock.advance(100); // one TIMEOUT after the values
  c.close();
  await reader;
  t.same(got, [0, 1, 2, 3, 4, 5, 6, TIMEOUT, CLOSED]);
  t.match(c.stats(), { written: 7, read: 7, buffered: 0 });
});

t.test("concurrent blocked reads are bounded well below js-csp's 1024 takes", async (t) => {
  const clock = new VirtualClock(T0);
  const c = mk<number>(clock);
  const reads = Array.from({ length: 512 }, () => c.read(10));
  await t.rejects(c.read(10), /more than 512 concurrent blocked reads/);
  const d = mk<number>(clock, { name: 'd' });
  await t.rejects(select([d, c], 10, clock), /more than 512/, 'a select over the full channel rejects too');
  d.write(8);
  t.equal(await d.read(0), 8, 'the failed select left no live take on the other channel');
  c.write(1);
  await clock.advance(10);
  const results = await Promise.all(reads);
  t.equal(results.filter((r) => r === 1).length, 1, 'exactly one reader got the value');
  t.equal(results.filter((r) => r === TIMEOUT).length, 511);
  // The bound is released: another full round works.
  const again = Array.from({ length: 512 }, () => c.read(10));
  await clock.advance(10);
  t.equal(
    (await Promise.all(again)).every((r) => r === TIMEOUT),
    true,
  );
});

t.test('select', async (t) => {
  t.test('first available; earlier channel wins ties; reads are counted', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    b.write('b1');
    t.same(await select([a, b], 10, clock), { index: 1, value: 'b1' });
    a.write('a1');
    b.write('b2');
    t.same(await select([a, b], 10, clock), { index: 0, value: 'a1' });
    t.same(await select([a, b], 10, clock), { index: 1, value: 'b2' });
    t.equal(a.stats().read + b.stats().read, 3);
  });

  t.test('waits for the first write, at the right time', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    const w = watch(clock, select([a, b], 100, clock));
    clock.schedule(10, () => b.write('x'));
    clock.schedule(20, () => a.write('y'));
    await clock.advance(30);
    t.same(w.value, { index: 1, value: 'x' });
    t.equal(w.atMs, T0 + 10);
    t.same(a.drain(), ['y'], "the other channel's value was not consumed");
    t.same(b.drain(), []);
    t.equal(clock.pendingTimers(), 0);
  });

  t.test('times out exactly at the deadline and swallows nothing afterwards', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    const w = watch(clock, select([a, b], 30, clock));
    await clock.advance(29);
    t.equal(w.settled, false);
    await clock.advance(1);
    t.equal(w.value, TIMEOUT);
    t.equal(w.atMs, T0 + 30);
    a.write('late-a');
    b.write('late-b');
    await runUntilIdle();
    t.same([a.drain(), b.drain()], [['late-a'], ['late-b']]);
    t.equal(await select([a, b], 0, clock), TIMEOUT, 'timeout 0 does not wait');
  });

  t.test('a closed channel does not end the select while others are open', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    a.close();
    const w1 = watch(clock, select([a, b], 50, clock));
    await clock.advance(5);
    t.equal(w1.settled, false, 'already-closed channel ignored');
    b.write('b1');
    await runUntilIdle();
    t.same(w1.value, { index: 1, value: 'b1' });

    const c = mk<string>(clock, { name: 'c' });
    const w2 = watch(clock, select([b, c], 30, clock));
    clock.schedule(10, () => b.close());
    await clock.advance(29);
    t.equal(w2.settled, false, 'channel closing during the wait ignored');
    await clock.advance(1);
    t.equal(w2.value, TIMEOUT);
    t.equal(w2.atMs, T0 + 5 + 30, 'the original deadline holds');
  });

  t.test('buffered values of a closed channel are still selected', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    a.write('last');
    a.close();
    t.same(await select([a, b], 10, clock), { index: 0, value: 'last' });
    b.close();
    t.equal(await select([a, b], 10, clock), CLOSED);
  });

  t.test('all closed → CLOSED, at the instant the last one closes', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    const b = mk<string>(clock, { name: 'b' });
    const w = watch(clock, select([a, b], 100, clock));
    clock.schedule(10, () => a.close());
    clock.schedule(20, () => b.close());
    await clock.advance(50);
    t.equal(w.value, CLOSED);
    t.equal(w.atMs, T0 + 20);
    t.equal(clock.pendingTimers(), 0);
  });

  t.test('argument validation', async (t) => {
    const clock = new VirtualClock(T0);
    const a = mk<string>(clock, { name: 'a' });
    t.throws(() => select([], 10, clock), RangeError);
    t.throws(() => select([a], -1, clock), RangeError);
    t.throws(() => select([a], NaN, clock), RangeError);
    const fake = { name: 'fake' } as unknown as Chan<string>;
    t.throws(() => select([a, fake], 10, clock), TypeError);
  });
});

t.test('RealClock: a short read timeout resolves TIMEOUT after about that long', async (t) => {
  const clock = new RealClock();
  const c = mk<number>(clock);
  const startMs = clock.nowMs();
  t.equal(await c.read(5), TIMEOUT);
  const tookMs = clock.nowMs() - startMs;
  t.ok(tookMs >= 4, `took ${tookMs} ms`);
  // Only a hang fails here: a busy machine may run the timer late, by seconds.
  t.ok(tookMs < 30_000, `took ${tookMs} ms`);
  const p = c.read(1000);
  c.write(3);
  t.equal(await p, 3, 'a write wakes a real-clock read at once');
});
