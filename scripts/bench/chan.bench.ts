// chan.bench: what the runtime's Chan (js-csp underneath, injected RealClock for read
// timeouts) costs in one process, next to a minimal promise queue measured in the same run:
// ping-pong (every read blocks) and batched throughput (a producer writes batches until the
// channel is full, a consumer reads one and drains the rest). Writes section `chan`.
import { loadavg } from 'node:os';
import { CLOSED, CspChan, TIMEOUT } from '../../runtime/chan.js';
import { RealClock } from '../../runtime/clock.js';
import { machine, writeSection } from './sections.js';

const clock = new RealClock();
const RUNS = 3;
const PING_ROUNDS = 100_000;
const BATCHED_MSGS = 4_000_000;
const CAPACITY = 1024;
const READ_TIMEOUT_MS = 10_000;

/** Queue is the shape both contenders share for the benchmark loops. */
interface Queue<T> {
  write(v: T): boolean;
  read(): Promise<T>;
  drain(): T[];
}

/** PromiseQueue is the baseline: a bounded array and at most one waiting reader. */
class PromiseQueue<T> implements Queue<T> {
  private buf: T[] = [];
  private head = 0;
  private waiter: ((v: T) => void) | undefined;

  constructor(private readonly capacity: number) {}

  write(v: T): boolean {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(v);
      return true;
    }
    if (this.buf.length - this.head >= this.capacity) return false;
    this.buf.push(v);
    return true;
  }

  read(): Promise<T> {
    if (this.head < this.buf.length) return Promise.resolve(this.take());
    return new Promise((resolve) => (this.waiter = resolve));
  }

  drain(): T[] {
    const out = this.buf.slice(this.head);
    this.buf = [];
    this.head = 0;
    return out;
  }

  private take(): T {
    const v = this.buf[this.head++]!;
    if (this.head === this.buf.length) {
      this.buf = [];
      this.head = 0;
    }
    return v;
  }
}

/** chanQueue adapts a CspChan (drop-newest, so a full write returns false) to Queue. */
function chanQueue<T>(name: string, capacity: number): Queue<T> {
  const c = new CspChan<T>(clock, { name, capacity, overflow: { type: 'drop-newest' } });
  return {
    write: (v) => c.write(v),
    read: async () => {
      const r = await c.read(READ_TIMEOUT_MS);
      if (r === TIMEOUT || r === CLOSED) throw new Error(`bench chan: read on ${name} gave ${String(r)}`);
      return r;
    },
    drain: () => c.drain(),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** pingPong returns round trips per second: every read finds the channel empty and blocks. */
async function pingPong(make: (name: string) => Queue<number>): Promise<number> {
  const ping = make('ping');
  const pong = make('pong');
  const echo = (async () => {
    for (let i = 0; i < PING_ROUNDS; i++) pong.write(await ping.read());
  })();
  const t0 = clock.nowMs();
  for (let i = 0; i < PING_ROUNDS; i++) {
    ping.write(i);
    await pong.read();
  }
  const elapsedMs = clock.nowMs() - t0;
  await echo;
  return PING_ROUNDS / (elapsedMs / 1000);
}

/**
 * batched returns messages per second, counting messages inside batches of batchMsgs. The
 * producer builds each batch afresh and the consumer touches every message (sums them), as
 * a socket reader and a processor would, so the rate is not just array lengths.
 */
async function batched(make: (name: string) => Queue<number[]>, batchMsgs: number): Promise<number> {
  const q = make('batches');
  const total = Math.floor(BATCHED_MSGS / batchMsgs) * batchMsgs;
  let sum = 0;
  const consume = (b: number[]) => {
    for (let i = 0; i < b.length; i++) sum += b[i]!;
    return b.length;
  };
  const consumer = (async () => {
    let got = 0;
    while (got < total) {
      got += consume(await q.read());
      for (const b of q.drain()) got += consume(b);
    }
    return got;
  })();
  const t0 = clock.nowMs();
  let sent = 0;
  let pending: number[] | undefined;
  while (sent < total) {
    for (;;) {
      if (pending === undefined) {
        if (sent >= total) break;
        pending = new Array<number>(batchMsgs);
        for (let i = 0; i < batchMsgs; i++) pending[i] = sent + i;
      }
      if (!q.write(pending)) break; // full: keep this batch for after the consumer ran
      sent += batchMsgs;
      pending = undefined;
    }
    await turn();
  }
  const got = await consumer;
  const elapsedMs = clock.nowMs() - t0;
  if (got !== total || sum !== (total * (total - 1)) / 2) throw new Error(`bench chan: consumer got ${got} of ${total} (sum ${sum})`);
  return total / (elapsedMs / 1000);
}

async function medianOf(run: () => Promise<number>): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await run());
  return { median: [...runs].sort((a, b) => a - b)[Math.floor(RUNS / 2)]!, runs };
}

const usPerRound = (roundsPerSec: number) => (1e6 / roundsPerSec).toFixed(2);
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);

async function main(): Promise<void> {
  const contenders = [
    ['Chan (CspChan, RealClock)', <T>(name: string) => chanQueue<T>(name, CAPACITY)],
    ['promise queue', <T>(_name: string) => new PromiseQueue<T>(CAPACITY)],
  ] as const;
  const loadBefore = loadavg()[0]!;
  const rows: string[] = [];
  let pingMedians: number[] = [];
  const cases: [string, (make: <T>(name: string) => Queue<T>) => Promise<number>][] = [
    ['ping-pong, round trips/s', (make) => pingPong(make)],
    ['batched ×1, msgs/s', (make) => batched(make, 1)],
    ['batched ×64, msgs/s', (make) => batched(make, 64)],
    ['batched ×256, msgs/s', (make) => batched(make, 256)],
  ];
  for (const [label, run] of cases) {
    const cells: string[] = [];
    const medians: number[] = [];
    for (const [name, make] of contenders) {
      process.stderr.write(`bench chan: ${label} — ${name}\n`);
      const r = await medianOf(() => run(make));
      medians.push(r.median);
      cells.push(`${fmt(r.median)} (${r.runs.map(fmt).join(', ')})`);
    }
    if (label.startsWith('ping-pong')) pingMedians = medians;
    rows.push(`| ${label} | ${cells.join(' | ')} | ${(medians[1]! / medians[0]!).toFixed(1)}× |`);
  }
  const body = `
## Channels (\`chan\`)

Command: \`npm run bench chan\` (scripts/bench/chan.bench.ts).
Machine: ${machine()}; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (other work shares these cores).

The runtime's \`Chan\` (CspChan over js-csp; a blocked read arms a RealClock timer for its timeout) against a
minimal bounded promise queue, in the same run, same loops. Ping-pong: two channels of capacity ${CAPACITY}, one
echo loop, ${PING_ROUNDS.toLocaleString('en')} round trips (every read blocks). Batched: a producer writes batches of N messages
until the channel (capacity ${CAPACITY} batches) refuses one, then yields a turn; the consumer reads one batch and drains the
rest; ${(BATCHED_MSGS / 1e6).toFixed(0)}M messages, counted inside batches; each batch is a fresh array and the consumer\nreads every message. Median of ${RUNS} (runs in parentheses).

| case | Chan | promise queue | queue / Chan |
|---|---|---|---|
${rows.join('\n')}

Target: ≥ 1M msgs/s batched through Chan. Reading: a ping-pong round trip (two blocking reads) costs
${usPerRound(pingMedians[0]!)} µs through Chan and ${usPerRound(pingMedians[1]!)} µs through the bare queue; that cost is per channel
operation, so moving batches divides it by the batch size (at 64 messages per batch Chan is close to the bare
queue). Keep blocking reads off per-message paths.
`;
  writeSection('chan', body);
  process.stdout.write(body);
}

void main().catch((e: unknown) => {
  process.stderr.write(`bench chan failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
