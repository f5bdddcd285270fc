// turn.test: a consensus turn steps buffered network batches for at most TURN_MS of the rank's
// clock, then ends: its log lines are written and its sends handed on, and the rest of the
// backlog is stepped in the next turns, in order. One turn used to step everything buffered, so
// a rank that found seconds of work waiting sent nothing (a Paxos rank's LATEs for its next
// catch-up chunks) until it had done all of it. The clock here moves 10 ms per step, as a busy
// real rank's does; the simulator's virtual clock never moves inside a turn.
import t from 'tap';
import { VirtualClock } from '../clock.js';
import { MemNet } from '../net/memnet.js';
import type { Protocol, ProtocolOutput } from '../protocol.js';
import { SeededRandom } from '../random.js';
import type { LogSink } from './logsink.js';
import { startRank } from './rank.js';

type Msg = { n: number };

/** BusyClock: a virtual clock that also moves by `spentMs`, which each step adds to (work takes time). */
class BusyClock extends VirtualClock {
  spentMs = 0;
  override nowMs(): number {
    return super.nowMs() + this.spentMs;
  }
}

const out = (log: number[], stop = false): ProtocolOutput<Msg, never, number> => ({
  send: [],
  persist: [],
  log,
  trace: [],
  wakeAtMs: Infinity,
  stop,
});

/** busy logs one line per message and spends 10 ms of the clock on it; it stops after message 99. */
function busy(clock: BusyClock): Protocol<number, { stepped: number; ticks: number }, Msg, never, number, never, never> {
  return {
    name: 'busy',
    init: () => ({ stepped: 0, ticks: 0 }),
    step: (s, input) => {
      if (input.type === 'tick') s.ticks++;
      if (input.type !== 'message') return { state: s, out: out([]) };
      s.stepped++;
      clock.spentMs += 10;
      return { state: s, out: out([input.msg.n], input.msg.n === 99) };
    },
    validate: (x) => x as Msg,
    formatLog: (n) => `stepped ${n}`,
    recoverLog: () => {
      throw new Error('no restart here');
    },
    storage: { open: () => Promise.reject(new Error('no storage here')) },
    pollMs: () => 50,
    role: () => 'follower',
    round: () => 0,
    summary: (s) => ({ commits: s.stepped, generates: 0 }),
  };
}

/** WriteSink keeps each write's lines apart: one write per turn. */
class WriteSink implements LogSink {
  writes: string[][] = [];
  write(text: string | Uint8Array): void {
    const s = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
    this.writes.push(s.split('\n').filter((l) => l !== ''));
  }
  close(): void {}
}

t.test('a backlog is stepped a few messages per turn (TURN_MS of the clock), every turn’s lines written, all in order', async (t) => {
  const clock = new BusyClock();
  const net = new MemNet<Msg>({ ranks: 2, clock, random: new SeededRandom('turn'), faults: {}, traceLimit: 0 });
  const sink = new WriteSink();
  const protocol = busy(clock);
  const rank = startRank({
    protocol,
    rank: 0,
    ranks: 2,
    clusterId: 'turn',
    config: 0,
    loadUntilMs: 0,
    clock,
    random: new SeededRandom('rank'),
    transport: net.endpoint(0),
    sink,
    storage: { write: () => {} },
  });
  const peer = net.endpoint(1);
  for (let n = 0; n < 100; n++) peer.send(0, { n });
  await clock.advance(1000);
  t.equal((await rank.done).type, 'stopped', 'the rank stepped to message 99 and stopped');
  const lines = sink.writes.flat();
  t.same(
    lines,
    Array.from({ length: 100 }, (_, n) => `stepped ${n}`),
    'every message stepped once, in order',
  );
  const longest = Math.max(...sink.writes.map((w) => w.length));
  t.ok(
    sink.writes.length > 1 && longest <= 3,
    `no turn stepped much past 25 ms of work (${sink.writes.length} writes, longest ${longest} lines)`,
  );
  t.ok(rank.state().ticks >= sink.writes.length - 1, 'a turn cut short also steps the timers (a tick)');
  await net.close();
});
