// shutdown.test: a rank stops in order: consensus steps what is already buffered for it, every
// instance-log line of every step is written, and only then does the log sink close. Paxos's
// own shell closed all its channels at once, so the lines of a step made after the stop were
// refused by a closed channel and never reached the log (the graded record, and what a restart
// reads back).
import t from 'tap';
import { VirtualClock } from '../clock.js';
import { MemNet } from '../net/memnet.js';
import type { Protocol, ProtocolOutput } from '../protocol.js';
import { SeededRandom } from '../random.js';
import type { LogSink } from './logsink.js';
import { startRank } from './rank.js';

type Msg = { n: number };
type Echo = { stepped: number; stopAt: number };

const out = (log: number[], stop = false): ProtocolOutput<Msg, never, number> => ({
  send: [],
  persist: [],
  log,
  trace: [],
  wakeAtMs: Infinity,
  stop,
});

/** echo logs one line per message and asks to stop at message stopAt. */
const echo: Protocol<number, Echo, Msg, never, number, never, never> = {
  name: 'echo',
  init: (o) => ({ stepped: 0, stopAt: o.config }),
  step: (s, input) => {
    if (input.type !== 'message') return { state: s, out: out([]) };
    s.stepped++;
    return { state: s, out: out([input.msg.n], input.msg.n === s.stopAt) };
  },
  validate: (x) => x as Msg,
  formatLog: (n) => `stepped ${n}`,
  recoverLog: () => {
    throw new Error('no restart here');
  },
  storage: {
    open: () => Promise.reject(new Error('no storage here')),
  },
  pollMs: () => 50,
  role: () => 'follower',
  round: () => 0,
  summary: (s) => ({ commits: s.stepped, generates: 0 }),
};

/** StrictSink fails the test on any write after close, and counts what it was given. */
class StrictSink implements LogSink {
  lines: string[] = [];
  closed = 0;
  late = 0;
  write(text: string | Uint8Array): void {
    const s = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
    if (this.closed > 0) this.late++;
    else this.lines.push(...s.split('\n').filter((l) => l !== ''));
  }
  close(): void {
    this.closed++;
  }
}

t.test('stopped with messages buffered: every message stepped is logged, then the sink closes once', async (t) => {
  for (const stopAt of [0, 7, 63]) {
    const clock = new VirtualClock();
    const net = new MemNet<Msg>({ ranks: 2, clock, random: new SeededRandom('shutdown'), faults: {}, traceLimit: 0 });
    const sink = new StrictSink();
    const rank = startRank({
      protocol: echo,
      rank: 0,
      ranks: 2,
      clusterId: 'shutdown',
      config: stopAt,
      loadUntilMs: 0,
      clock,
      random: new SeededRandom('rank'),
      transport: net.endpoint(0),
      sink,
      storage: { write: () => {} },
    });
    // One batch of 100: the protocol asks to stop in the middle of it; the rest is buffered.
    const peer = net.endpoint(1);
    for (let n = 0; n < 100; n++) peer.send(0, { n });
    await clock.advance(1000);
    t.equal((await rank.done).type, 'stopped', `stop at ${stopAt}: the rank stopped`);
    const stepped = rank.state().stepped;
    t.ok(stepped > stopAt, `stop at ${stopAt}: it stepped up to the stop at least (${stepped})`);
    t.equal(sink.lines.length, stepped, `stop at ${stopAt}: one line for every message stepped`);
    t.same(
      sink.lines,
      Array.from({ length: stepped }, (_, n) => `stepped ${n}`),
      `stop at ${stopAt}: in order`,
    );
    t.same([sink.closed, sink.late], [1, 0], `stop at ${stopAt}: the sink closed once, after the last line`);
    await net.close();
  }
});
