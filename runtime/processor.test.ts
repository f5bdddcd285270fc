// Proves ProcessorGroup fails fast on a crash (named, one-line report, others stopped) and that stop() ends every processor without data loss or waiting out timeouts.
import t from 'tap';
import { CLOSED, TIMEOUT, select, type Chan } from './chan.js';
import { VirtualClock, runUntilIdle } from './clock.js';
import { ProcessorGroup, crashMessage, type GroupOutcome } from './processor.js';

const T0 = 1_700_000_000_000;
const READ_TIMEOUT_MS = 1000;

function watchDone(clock: VirtualClock, group: ProcessorGroup): { outcome?: GroupOutcome; atMs?: number } {
  const w: { outcome?: GroupOutcome; atMs?: number } = {};
  void group.done.then((o) => {
    w.outcome = o;
    w.atMs = clock.nowMs();
  });
  return w;
}

/** loop is a well-behaved processor: handles values, keeps going on TIMEOUT, exits on CLOSED. */
function loop<T>(inbox: Chan<T>, seen: T[]): () => Promise<void> {
  return async () => {
    for (;;) {
      const v = await inbox.read(READ_TIMEOUT_MS);
      if (v === CLOSED) return;
      if (v !== TIMEOUT) seen.push(v);
    }
  };
}

t.test('a processor that throws takes the group down, named, and the others stop', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('rank2', clock);
  const w = watchDone(clock, g);
  const ticks = g.chan<number>({ name: 'ticks', capacity: 8, overflow: { type: 'drop-oldest' } });
  const acks = g.chan<string>({ name: 'acks', capacity: 8, overflow: { type: 'fail' } });
  const other = g.chan<string>({ name: 'other', capacity: 8, overflow: { type: 'fail' } });
  const seenTicks: number[] = [];
  g.spawn('ticker', loop(ticks, seenTicks));
  g.spawn('selector', async () => {
    for (;;) {
      const r = await select<number | string>([other, ticks], READ_TIMEOUT_MS, clock);
      if (r === CLOSED) return;
    }
  });
  g.spawn('acker', async () => {
    for (;;) {
      const v = await acks.read(READ_TIMEOUT_MS);
      if (v === CLOSED) return;
      if (v === 'poison') throw new Error('bad ack\n    at fake (stack.js:1:1)');
    }
  });
  await clock.advance(2500); // processors idle through a few timeouts
  t.same(g.processors().sort(), ['acker', 'selector', 'ticker']);
  ticks.write(1);
  await runUntilIdle();
  acks.write('poison');
  await runUntilIdle();
  t.ok(w.outcome, 'done resolved without advancing time');
  t.equal(w.atMs, T0 + 2500, 'at the instant of the crash');
  t.equal(w.outcome?.type, 'crashed');
  if (w.outcome?.type !== 'crashed') return;
  t.equal(w.outcome.crash.processor, 'acker');
  t.match(String(w.outcome.crash.error), /bad ack/);
  t.same(g.processors(), []);
  t.same(seenTicks, [1]);
  t.equal(ticks.closed && acks.closed && other.closed, true, 'every channel closed');
  const line = crashMessage(g.name, w.outcome.crash);
  t.equal(line, 'rank2: processor acker crashed: Error: bad ack at fake (stack.js:1:1)');
  t.notMatch(line, /\n/);
  t.notMatch(line, /processor\.test\.ts/, 'no stack trace');
});

t.test('crash in a processor body that throws synchronously', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const inbox = g.chan<number>({ name: 'in', capacity: 1, overflow: { type: 'fail' } });
  g.spawn('reader', loop(inbox, []));
  g.spawn('sync', () => {
    throw new TypeError('not a function');
  });
  const outcome = await g.done;
  t.same(outcome, { type: 'crashed', crash: { processor: 'sync', error: new TypeError('not a function') } });
  t.equal(
    crashMessage('g', (outcome as { crash: { processor: string; error: unknown } }).crash),
    'g: processor sync crashed: TypeError: not a function',
  );
});

t.test('the first crash is the one reported', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const inbox = g.chan<number>({ name: 'in', capacity: 4, overflow: { type: 'fail' } });
  g.spawn('first', async () => {
    await inbox.read(READ_TIMEOUT_MS);
    throw new Error('one');
  });
  g.spawn('second', async () => {
    const v = await inbox.read(5 * READ_TIMEOUT_MS);
    if (v === CLOSED) throw new Error('two, while stopping');
  });
  inbox.write(1);
  const outcome = await g.done;
  t.equal(outcome.type === 'crashed' && outcome.crash.processor, 'first');
});

t.test('a processor overflowing a fail channel crashes the group with ChannelOverflowError', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('r0', clock);
  const out = g.chan<number>({ name: 'commits', capacity: 2, overflow: { type: 'fail' } });
  g.spawn('producer', async () => {
    for (let i = 0; i < 3; i++) out.write(i);
  });
  const outcome = await g.done;
  t.equal(outcome.type, 'crashed');
  if (outcome.type !== 'crashed') return;
  t.equal(
    crashMessage('r0', outcome.crash),
    'r0: processor producer crashed: ChannelOverflowError: channel commits overflowed its capacity of 2 (policy: fail)',
  );
});

t.test('stop(): every processor exits at once, not after its read timeout', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const w = watchDone(clock, g);
  const a = g.chan<number>({ name: 'a', capacity: 4, overflow: { type: 'fail' } });
  const b = g.chan<number>({ name: 'b', capacity: 4, overflow: { type: 'fail' } });
  const seen: number[] = [];
  g.spawn('pa', loop(a, seen));
  g.spawn('pb', async () => {
    for (;;) {
      const r = await select([b, a], 10 * READ_TIMEOUT_MS, clock);
      if (r === CLOSED) return;
    }
  });
  await clock.advance(300);
  g.stop();
  g.stop(); // idempotent
  await runUntilIdle();
  t.same(w.outcome, { type: 'stopped' });
  t.equal(w.atMs, T0 + 300, 'all exited within one read timeout (in fact, immediately)');
  t.equal(clock.pendingTimers(), 0, 'no read timers left behind');
  t.throws(() => g.spawn('late', async () => {}), /after stop/);
});

t.test('stop(): processors drain what is buffered before exiting (no data lost)', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const inbox = g.chan<number>({ name: 'in', capacity: 8, overflow: { type: 'fail' } });
  const seen: number[] = [];
  g.spawn('consumer', loop(inbox, seen));
  inbox.write(1);
  inbox.write(2);
  inbox.write(3);
  g.stop(); // before the consumer has run at all
  t.same(await g.done, { type: 'stopped' });
  t.same(seen, [1, 2, 3]);
  t.match(g.stats(), [{ name: 'in', written: 3, read: 3, buffered: 0 }]);
});

t.test('stop() with no processors resolves stopped; adopted channels are closed', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const other = new ProcessorGroup('h', clock);
  const inbox = g.adopt(other.chan<number>({ name: 'inbox', capacity: 1, overflow: { type: 'drop-newest' } }));
  g.stop();
  t.same(await g.done, { type: 'stopped' });
  t.equal(inbox.closed, true);
});

t.test('a processor that returns early does not end the group; stop() does', async (t) => {
  const clock = new VirtualClock(T0);
  const g = new ProcessorGroup('g', clock);
  const w = watchDone(clock, g);
  const inbox = g.chan<number>({ name: 'in', capacity: 1, overflow: { type: 'fail' } });
  g.spawn('oneshot', async () => {});
  g.spawn('loop', loop(inbox, []));
  await runUntilIdle();
  t.same(g.processors(), ['loop']);
  t.equal(w.outcome, undefined);
  t.throws(() => g.spawn('loop', async () => {}), /already exists/);
  g.stop();
  await runUntilIdle();
  t.same(w.outcome, { type: 'stopped' });
});

t.test('crashMessage is one line for any thrown value', async (t) => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const noMessage = new RangeError();
  const cases: [unknown, string][] = [
    [new Error('multi\nline\r\n  message'), 'Error: multi line message'],
    [noMessage, 'RangeError'],
    ['plain string', 'plain string'],
    [{ code: 7 }, '{"code":7}'],
    [undefined, 'undefined'],
    [null, 'null'],
    [42n, '42'],
    [Symbol('s'), 'Symbol(s)'],
    [circular, '[object Object]'],
    [Object.create(null), '{}'],
  ];
  for (const [error, want] of cases) {
    const line = crashMessage('g', { processor: 'p', error });
    t.equal(line, `g: processor p crashed: ${want}`);
    t.notMatch(line, /[\r\n]/);
  }
  const hostile = {
    toJSON() {
      throw new Error('no');
    },
    toString() {
      throw new Error('no');
    },
  };
  t.equal(crashMessage('g', { processor: 'p', error: hostile }), 'g: processor p crashed: [object Object]');
});
