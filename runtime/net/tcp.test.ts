// tcp.test: real sockets on loopback (free ports): batches flow between ranks and to self in
// order, a restarted peer is redialed, every kind of bad input closes only its connection
// and is counted, and an absent or stalled peer costs the sender only counted drops.
import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { WIRE_VERSION } from './wire-version.js';
import { CLOSED, TIMEOUT } from '../chan.js';
import { RealClock, VirtualClock } from '../clock.js';
import { msgpackCodec } from './codec.js';
import { COPY_FRAME_BELOW, encodeFrame, FrameDecoder } from './frame.js';
import { DOWN_QUEUE_LIMIT, KEPT_LIMIT } from './peer.js';
import { encodeHello } from './handshake.js';
import { defined } from '../assert.js';
import { TcpTransport, type TcpEvent, type TcpOptions } from './tcp.js';

type Msg = { n: number; s?: string };
const clock = new RealClock();
// A hang bound, not a speed: loopback events come in ms, but a busy machine may stall a test for seconds.
const WAIT_MS = 30_000;

function validate(x: unknown): Msg {
  if (typeof x === 'object' && x !== null && typeof (x as { n?: unknown }).n === 'number') return x as Msg;
  throw new TypeError('not a Msg');
}

/** Events records a transport's events and lets a test await one (no sleeping). */
class Events {
  readonly list: TcpEvent[] = [];
  private waiters: { pred: (e: TcpEvent) => boolean; resolve: (e: TcpEvent) => void }[] = [];

  push(e: TcpEvent): void {
    this.list.push(e);
    this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
  }

  /** next waits for the first event matching pred from now on (bounded by WAIT_MS). */
  next(pred: (e: TcpEvent) => boolean): Promise<TcpEvent> {
    return new Promise((resolve, reject) => {
      const cancel = clock.schedule(WAIT_MS, () => reject(new Error('event not seen in time')));
      this.waiters.push({ pred, resolve: (e) => (cancel(), resolve(e)) });
    });
  }
}

interface Node {
  tr: TcpTransport<Msg>;
  logs: string[];
  events: Events;
}

function makeNode(rank: number, ranks: number, port: number, extra: Partial<TcpOptions<Msg>> = {}): Node {
  const logs: string[] = [];
  const events = new Events();
  const tr = new TcpTransport<Msg>({
    rank,
    ranks,
    peers: new Array(ranks).fill(undefined),
    listen: { port },
    clusterId: 'test-run',
    clock,
    validate,
    log: (line) => logs.push(line),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { tr, logs, events };
}

/** cluster starts n ranks on free ports and tells each where the others are. */
async function cluster(t: { teardown(fn: () => unknown): void }, n: number, extra: Partial<TcpOptions<Msg>> = {}): Promise<Node[]> {
  const nodes = Array.from({ length: n }, (_, r) => makeNode(r, n, 0, extra));
  t.teardown(() => Promise.all(nodes.map((x) => x.tr.close())));
  await Promise.all(nodes.map((x) => x.tr.start()));
  for (const a of nodes) for (const b of nodes) if (a !== b) a.tr.setPeer(b.tr.rank, { host: '127.0.0.1', port: b.tr.port });
  return nodes;
}

/** receive reads batches until count messages arrived (or a read times out). */
async function receive(node: Node, count: number): Promise<{ from: number; n: number }[]> {
  const got: { from: number; n: number }[] = [];
  while (got.length < count) {
    const b = await node.tr.inbox.read(WAIT_MS);
    if (b === TIMEOUT || b === CLOSED) break;
    for (const m of b.msgs) got.push({ from: b.from, n: m.n });
  }
  return got;
}

t.test('batches flow between ranks and to self, in send order', async (t) => {
  const [a, b] = await cluster(t, 2);
  for (let n = 0; n < 5000; n++) a!.tr.send(1, { n });
  for (let n = 0; n < 3; n++) a!.tr.send(0, { n });
  b!.tr.send(0, { n: 100 });
  let batches = 0;
  const got: number[] = [];
  while (got.length < 5000) {
    const batch = await b!.tr.inbox.read(WAIT_MS);
    if (batch === TIMEOUT || batch === CLOSED) break;
    batches++;
    t.equal(batch.from, 0);
    got.push(...batch.msgs.map((m) => m.n));
  }
  t.same(
    got,
    Array.from({ length: 5000 }, (_, n) => n),
    'all 5000 in order',
  );
  t.ok(batches < 100, `coalesced into few batches (${batches})`);
  const atA = await receive(a!, 4);
  t.same(
    atA.filter((m) => m.from === 0).map((m) => m.n),
    [0, 1, 2],
    'self-sends loop back',
  );
  t.same(
    atA.filter((m) => m.from === 1).map((m) => m.n),
    [100],
  );
  t.equal(a!.tr.stats().sent, 5003);
  t.equal(b!.tr.stats().delivered, 5000);
  t.throws(() => a!.tr.send(2, { n: 0 }), RangeError);
});

t.test('frames above COPY_FRAME_BELOW (header and payload written apart) arrive whole and in order among small ones', async (t) => {
  const [a, b] = await cluster(t, 2);
  // one message per flush: each big one is a frame of its own, sent as header + payload
  const sizes = [10, COPY_FRAME_BELOW + 1, 3, 5 * COPY_FRAME_BELOW, 0, COPY_FRAME_BELOW - 100];
  const got: Msg[] = [];
  for (const [n, size] of sizes.entries()) {
    a!.tr.send(1, { n, s: String.fromCharCode(97 + n).repeat(size) });
    const batch = await b!.tr.inbox.read(WAIT_MS);
    if (batch === TIMEOUT || batch === CLOSED) break;
    got.push(...batch.msgs);
  }
  t.same(
    got.map((m) => [m.n, m.s?.length, m.s === String.fromCharCode(97 + m.n).repeat(m.s?.length ?? -1)]),
    sizes.map((size, n) => [n, size, true]),
  );
});

t.test('transientPayloads: frames that span reads, assembled in one reused buffer, arrive whole', async (t) => {
  const [a, b] = await cluster(t, 2, { transientPayloads: true });
  // one message per flush, each a frame of its own spanning reads, each smaller than the one
  // before: every frame after the first is assembled in the buffer the first one grew
  const s = (n: number) => String.fromCharCode(97 + n).repeat(200_000 - 1000 * n);
  const got: Msg[] = [];
  for (let n = 0; n < 6; n++) {
    a!.tr.send(1, { n, s: s(n) });
    const batch = await b!.tr.inbox.read(WAIT_MS);
    if (batch === TIMEOUT || batch === CLOSED) break;
    got.push(...batch.msgs);
  }
  t.same(
    got.map((m) => [m.n, m.s === s(m.n)]),
    Array.from({ length: 6 }, (_, n) => [n, true]),
  );
});

t.test('a restarted peer is redialed and messages flow again', async (t) => {
  const [a, b] = await cluster(t, 2);
  a!.tr.send(1, { n: 1 });
  t.same(await receive(b!, 1), [{ from: 0, n: 1 }]);
  const port = b!.tr.port;
  const lost = a!.events.next((e) => e.type === 'disconnected' && e.peer === 1);
  await b!.tr.close();
  await lost;
  t.same(a!.tr.stats().connectedPeers, [], 'a saw the link drop');

  const b2 = makeNode(1, 2, port);
  t.teardown(() => b2.tr.close());
  b2.tr.setPeer(0, { host: '127.0.0.1', port: a!.tr.port });
  const back = a!.events.next((e) => e.type === 'connected' && e.peer === 1);
  await b2.tr.start();
  await back;
  a!.tr.send(1, { n: 2 });
  t.same(await receive(b2, 1), [{ from: 0, n: 2 }], 'a reaches the new incarnation');
  b2.tr.send(0, { n: 3 });
  t.same(await receive(a!, 1), [{ from: 1, n: 3 }], 'and it reaches a');
  t.ok(a!.tr.stats().connects >= 2);
});

/** rawConnection sends bytes to a transport and resolves when the transport closes it. */
/**
 * connectToStalledPeer starts node c and connects it, as rank 1's link, to a server that accepts
 * and never reads (a SIGSTOPped peer): the kernel's buffers fill, then c's queue.
 */
async function connectToStalledPeer(t: { teardown(fn: () => unknown): void }, c: Node): Promise<Socket[]> {
  const stalled: Socket[] = [];
  const server = createServer((s) => {
    s.pause();
    stalled.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of stalled) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  t.teardown(() => c.tr.close());
  await c.tr.start();
  const up = c.events.next((e) => e.type === 'connected');
  const address = server.address();
  c.tr.setPeer(1, { host: '127.0.0.1', port: typeof address === 'object' && address !== null ? address.port : 0 });
  await up;
  return stalled;
}

/** readMsgs resumes a stalled socket and decodes what it carries (hello first) until pred holds for a message. */
function readMsgs(socket: Socket, pred: (m: Msg) => boolean): Promise<Msg[]> {
  const frames = new FrameDecoder();
  const codec = msgpackCodec<Msg>();
  const got: Msg[] = [];
  let hello = true;
  return new Promise((resolve, reject) => {
    const cancel = clock.schedule(WAIT_MS, () => reject(new Error(`${got.length} messages read, the awaited one not among them`)));
    socket.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      for (let f = frames.next(); f !== undefined; f = frames.next()) {
        if (hello) hello = false;
        else for (const x of codec.decode(f)) got.push(validate(x));
      }
      if (!got.some(pred)) return;
      cancel();
      resolve(got);
    });
    socket.resume();
  });
}

function rawConnection(port: number, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port }, () => {
      for (const chunk of bytes) s.write(chunk);
    });
    s.on('error', () => {}); // a reset is one way to be closed
    s.once('close', () => resolve());
    s.resume();
  });
}

t.test('bad input closes only that connection, is counted and logged once', async (t) => {
  const [a, b] = await cluster(t, 2, { maxFrameBytes: 1 << 20, handshakeTimeoutMs: 1000 });
  const mp = msgpackCodec<unknown>();
  const hello = (over: Record<string, unknown> = {}) =>
    encodeFrame(encodeHello({ clusterId: 'test-run', rank: 1, version: WIRE_VERSION, codec: 'msgpack', ...over }));
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(0x7ffffff0, 0);
  const cases: [string, string, Buffer[]][] = [
    ['garbage handshake', 'garbage', [encodeFrame(Buffer.from('hello'))]],
    ['an HTTP request', 'oversize', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
    ['oversized length', 'oversize', [huge]],
    ['wrong cluster id', 'cluster', [hello({ clusterId: 'other-run' })]],
    ['wrong version', 'version', [hello({ version: WIRE_VERSION + 1 })]],
    ['unknown rank', 'rank', [hello({ rank: 99 })]],
    ['garbage batch after a good handshake', 'garbage', [hello(), encodeFrame(Buffer.from([0xc1, 0xc1, 0xc1]))]],
    ['a batch that decodes but fails validate', 'invalid', [hello(), encodeFrame(mp.encode([{ n: 7 }, { bad: true }]))]],
    ['oversized frame after a good handshake', 'oversize', [hello(), huge]],
    ['no handshake at all', 'timeout', []],
  ];
  let rejected = 0;
  const byKind: Record<string, number> = {};
  for (const [name, kind, bytes] of cases) {
    await rawConnection(a!.tr.port, bytes);
    rejected++;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    t.equal(a!.tr.stats().rejected, rejected, `${name}: connection closed and counted`);
    t.same(a!.tr.stats().rejectedBy, byKind, `${name}: counted as ${kind}`);
  }
  for (const kind of ['garbage', 'oversize', 'cluster', 'version', 'rank', 'invalid', 'timeout']) {
    t.equal(a!.logs.filter((l) => l.includes(`: ${kind}: `)).length >= 1, true, `${kind} logged`);
  }
  // The same problem again is counted but not logged again.
  const linesBefore = a!.logs.length;
  await rawConnection(a!.tr.port, [hello({ clusterId: 'other-run' })]);
  t.equal(a!.tr.stats().rejected, rejected + 1);
  t.equal(a!.logs.length, linesBefore, 'a repeat is not logged again');

  b!.tr.send(0, { n: 42 });
  t.same(await receive(a!, 1), [{ from: 1, n: 42 }], 'the good peer still gets through (and nothing from the bad ones did)');
});

t.test('an absent or stalled peer costs the sender only counted drops', async (t) => {
  const a = makeNode(0, 2, 0, { queueLimit: 10 });
  const b = makeNode(1, 2, 0);
  t.teardown(() => Promise.all([a.tr.close(), b.tr.close()]));
  await Promise.all([a.tr.start(), b.tr.start()]);
  for (let n = 0; n < 25; n++) a.tr.send(1, { n });
  t.equal(a.tr.stats().dropped, 15, 'a peer with no address yet holds only queueLimit messages');
  a.tr.setPeer(1, { host: '127.0.0.1', port: b.tr.port });
  const got = await receive(b, 10);
  t.same(
    got.map((m) => m.n),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'the queued ones are sent once it is known',
  );

  // A peer that accepts but never reads (SIGSTOPped): kernel buffers fill, then the queue.
  const c = makeNode(0, 2, 0, { queueLimit: 1000 });
  await connectToStalledPeer(t, c);
  const payload = 'p'.repeat(200);
  let turns = 0;
  while (c.tr.stats().dropped === 0 && turns < 5000) {
    // Never blocking is structural: send returns at once, with nothing to await (no wall-clock bound).
    for (let n = 0; n < 1000; n++)
      if ((c.tr.send(1, { n, s: payload }) as unknown) !== undefined) t.fail('send returned something to wait on');
    turns++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.ok(c.tr.stats().dropped > 0, `drops began after ${turns} turns`);
  t.ok(c.tr.stats().bytesOut > 0);
});

t.test('a connected peer that has not read for a second is held only its newest messages, like a down one', async (t) => {
  // A 20 s SIGSTOP at full Paxos rate queued every PROPOSE of the pause (~250 MB) for the stopped rank in every sender,
  // which froze them all encoding it when it came back (issue 11, hole 3).
  const vclock = new VirtualClock();
  const c = makeNode(0, 2, 0, { queueLimit: 100_000, clock: vclock });
  await connectToStalledPeer(t, c);
  const payload = 'p'.repeat(2000);
  let turns = 0;
  // Fill the kernel's buffers until the link waits for a drain that never comes.
  while (c.tr.stats().queued < 1000 && turns++ < 5000) {
    for (let n = 0; n < 100; n++) c.tr.send(1, { n, s: payload });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.ok(c.tr.stats().queued >= 1000, 'a peer that stopped reading just now still has everything queued (it may be slow)');
  t.equal(c.tr.stats().dropped, 0);
  const queued = c.tr.stats().queued;
  await vclock.advance(1000);
  for (let n = 0; n < 500; n++) c.tr.send(1, { n, s: payload });
  t.equal(c.tr.stats().queued, DOWN_QUEUE_LIMIT, `after a second without a drain only the newest ${DOWN_QUEUE_LIMIT} are held`);
  t.equal(c.tr.stats().dropped, queued + 500 - DOWN_QUEUE_LIMIT, 'the older ones are dropped and counted');
});

t.test('frames a slow peer leaves queued in the socket arrive intact (the codec does not reuse memory a socket holds)', async (t) => {
  const c = makeNode(0, 2, 0, { queueLimit: 100_000 });
  const [socket] = await connectToStalledPeer(t, c);
  const s = (n: number) => String.fromCharCode(97 + (n % 26)).repeat(3000 + (n % 7));
  let n = 0;
  // One message per turn, so one frame per write, until the kernel's buffers are full and
  // frames wait in the socket (where their memory must not be reused by the next encode).
  while (c.tr.stats().queued === 0 && n < 100_000) {
    c.tr.send(1, { n, s: s(n) });
    n++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  for (let k = 0; k < 50; k++, n++) c.tr.send(1, { n, s: s(n) });
  const last = n - 1;
  const got = await readMsgs(defined(socket, 'the peer accepted'), (m) => m.n === last);
  t.equal(got.length, n, `all ${n} arrive`);
  t.ok(
    got.every((m, i) => m.n === i && m.s === s(i)),
    'each one whole and in order',
  );
});

t.test('a stalled peer is still held the messages keepWhenStalled marks (the oldest KEPT_LIMIT), in order, with its newest', async (t) => {
  // A Paxos rank resumed after a long pause reads slowly while it commits the catch-up chunks it has; a CATCHUP
  // queued behind them was dropped as stale by the COMMITs that followed it, and every later chunk was then
  // useless to it (a gap below them) until it re-asked: at high load it never caught up (issue 11, hole 3).
  const vclock = new VirtualClock();
  const c = makeNode(0, 2, 0, { queueLimit: 100_000, clock: vclock, keepWhenStalled: (m) => m.s === 'chunk' });
  const [socket] = await connectToStalledPeer(t, c);
  const payload = 'p'.repeat(2000);
  let turns = 0;
  while (c.tr.stats().queued < 1000 && turns++ < 5000) {
    for (let n = 0; n < 100; n++) c.tr.send(1, { n, s: payload });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const queued = c.tr.stats().queued;
  await vclock.advance(1000);
  for (let k = 0; k < KEPT_LIMIT + 5; k++) {
    c.tr.send(1, { n: -1 - k, s: 'chunk' });
    for (let n = 0; n < 100; n++) c.tr.send(1, { n: 1_000_000 + 100 * k + n });
  }
  t.equal(c.tr.stats().queued, DOWN_QUEUE_LIMIT + KEPT_LIMIT, `the newest ${DOWN_QUEUE_LIMIT} and ${KEPT_LIMIT} marked ones are held`);
  t.equal(c.tr.stats().dropped, queued + (KEPT_LIMIT + 5) * 101 - DOWN_QUEUE_LIMIT - KEPT_LIMIT, 'the rest are dropped and counted');
  const got = await readMsgs(defined(socket, 'the peer accepted'), (m) => m.n === 1_000_000 + 100 * (KEPT_LIMIT + 5) - 1);
  const held = got.filter((m) => m.n < 0 || m.n >= 1_000_000);
  const newest = Array.from({ length: DOWN_QUEUE_LIMIT }, (_, i) => 1_000_000 + 100 * (KEPT_LIMIT + 5) - DOWN_QUEUE_LIMIT + i);
  const marked = Array.from({ length: KEPT_LIMIT }, (_, k) => -1 - k);
  t.same(
    held.map((m) => m.n),
    [...marked, ...newest],
    'the oldest marked ones arrive, then the newest others, in send order',
  );
});

t.test('an unsendable message is dropped and logged; its neighbours are sent', async (t) => {
  const [a, b] = await cluster(t, 2, { maxFrameBytes: 1024 });
  a!.tr.send(1, { n: 1 });
  a!.tr.send(1, { n: 2, s: 'x'.repeat(2000) });
  a!.tr.send(1, { n: 3 });
  const got = await receive(b!, 2);
  t.same(
    got.map((m) => m.n),
    [1, 3],
  );
  t.equal(a!.tr.stats().dropped, 1);
  t.equal(a!.tr.stats().unsendable, 1, 'counted as unsendable, not only as a drop');
  t.match(a!.logs.join('\n'), /maxFrameBytes/);
  // A protocol resending it stays loud (logged at the 2nd, 4th, 8th … time), never flooding.
  for (let i = 0; i < 4; i++) a!.tr.send(1, { n: 4, s: 'x'.repeat(2000) });
  a!.tr.send(1, { n: 5 });
  t.same(
    (await receive(b!, 1)).map((m) => m.n),
    [5],
  );
  t.equal(a!.tr.stats().unsendable, 5);
  t.same(
    a!.logs.filter((l) => /unsendable message #/.test(l)).map((l) => /#(\d+)/.exec(l)?.[1]),
    ['1', '2', '4'],
  );
});

t.test('listen errors reject start() with the Node error code', async (t) => {
  const [a] = await cluster(t, 2);
  const clash = makeNode(1, 2, a!.tr.port);
  await t.rejects(clash.tr.start(), { code: 'EADDRINUSE' });
  await clash.tr.close();
  t.throws(() => makeNode(0, 2, 0, { peers: [undefined] }), RangeError, 'one peer entry per rank');
  t.throws(() => makeNode(0, 2, 0, { maxFrameBytes: 3 }), RangeError);
});
