// gateway.test: the client port on real loopback sockets. Valid requests reach the rank's inbox
// from the connection's client address and replies go back on it; a request that fails
// validation is dropped and counted while its connection stays; garbage, an oversized frame and
// a foreign cluster's hello close their connection and are counted; nothing throws.
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import type { Chan } from '../chan.js';
import { encodeFrame, FrameDecoder } from '../net/frame.js';
import type { Inbound, Transport } from '../transport.js';
import { Writable } from 'node:stream';
import { batchFrames } from './batch.js';
import { CLIENT_ADDRESS_BASE, isClientAddress, withClientGateway, writeCorked, type ClientGateway } from './gateway.js';
import { parseClientReply, type ClientReply, type ClientRequest } from './wire.js';

type Msg = ClientRequest | ClientReply;

/** stubInner: a transport whose inbox records writes and resolves `when(n)` once it holds n batches. */
function stubInner(): { inner: Transport<Msg>; got: Inbound<Msg>[]; when: (n: number) => Promise<void> } {
  const got: Inbound<Msg>[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const inbox = {
    write(b: Inbound<Msg>): boolean {
      got.push(b);
      for (const w of waiters) if (got.length >= w.n) w.resolve();
      return true;
    },
  } as unknown as Chan<Inbound<Msg>>;
  const inner: Transport<Msg> = {
    rank: 0,
    inbox,
    send: () => {},
    close: async () => {},
    stats: () => ({ sent: 0, delivered: 0, dropped: 0, rejected: 0 }),
  };
  return { inner, got, when: (n) => new Promise((resolve) => (got.length >= n ? resolve() : waiters.push({ n, resolve }))) };
}

const json = (x: unknown): Buffer => encodeFrame(Buffer.from(JSON.stringify(x), 'utf8'));
const hello = (clusterId = 'c1', extra: Record<string, unknown> = {}): Buffer => json({ magic: 'csplab-client', clusterId, ...extra });
const req = (reqNo: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'client-req',
  client: 'a',
  reqNo,
  op: 'put',
  key: 'k',
  value: 'v',
  ...extra,
});

async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  return s;
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));

/** openGateway: a gateway of cluster c1 over the stub transport, closed at teardown, and one connection dialled to it. */
async function openGateway(t: Test): Promise<ReturnType<typeof stubInner> & { gw: ClientGateway<Msg>; a: Socket }> {
  const stub = stubInner();
  const gw = await withClientGateway<Msg>(stub.inner, {
    port: 0,
    clusterId: 'c1',
    toMsg: (r) => r,
    asReply: (m) => (m.type === 'client-reply' ? m : null),
    log: () => {},
  });
  t.teardown(() => gw.close());
  return { ...stub, gw, a: await dial(gw.port) };
}

/** replyFrames: every JSON frame the connection receives, and a promise of the first whole frame's arrival. */
function replyFrames(a: Socket): { frames: unknown[]; arrived: Promise<void> } {
  const frames: unknown[] = [];
  const dec = new FrameDecoder();
  const arrived = new Promise<void>((resolve) =>
    a.on('data', (c: Buffer) => {
      dec.push(c);
      for (let p = dec.next(); p !== undefined; p = dec.next()) frames.push(JSON.parse(p.toString('utf8')));
      if (frames.length > 0) resolve();
    }),
  );
  return { frames, arrived };
}

t.test('valid requests in, replies out; bad input dropped and counted, never a crash', async (t) => {
  const { gw, got, when, a } = await openGateway(t);
  a.write(Buffer.concat([hello(), json(req(1)), json(req(2, { op: 'bogus' })), json(req(3, { value: 7 })), json(req(4))]));
  await when(2);
  t.same(
    got.map((b) => (b.msgs[0] as ClientRequest).reqNo),
    [1, 4],
    'requests 1 and 4 delivered; 2 (bad op) and 3 (bad value) dropped, the connection stays',
  );
  const from = got[0]?.from ?? -1;
  t.ok(isClientAddress(from) && from >= CLIENT_ADDRESS_BASE, 'from a client address, above every rank');
  const replies = replyFrames(a);
  gw.send(from, { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: null });
  await replies.arrived;
  t.same(
    parseClientReply(replies.frames[0]),
    { type: 'client-reply', client: 'a', reqNo: 1, status: 'ok', result: null },
    'the reply came back on that connection',
  );
  const bad: Array<[string, Buffer]> = [
    ['not JSON', encodeFrame(Buffer.from('{nope', 'utf8'))],
    ['a foreign cluster', hello('other')],
    ['an oversized length', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['a request before the hello', json(req(1))],
  ];
  for (const [what, bytes] of bad) {
    const s = await dial(gw.port);
    const done = closed(s);
    s.write(bytes);
    await done;
    t.pass(`${what}: the gateway closed the connection`);
  }
  t.equal(gw.stats().rejected, 2 + bad.length, 'every bad frame counted');
  t.equal(got.length, 2, 'nothing bad reached the rank');
  a.destroy();
});

t.test('writeCorked: frames written anywhere in one event-loop iteration leave in one socket write', async (t) => {
  // The runner reads several ranks' replies in one iteration (CRAQ spreads reads over a chain),
  // each reply's next request written from a different tick; one flush per tick made a syscall of
  // nearly every request (docs/benchmarks.md, CRAQ).
  const writes: number[] = [];
  const sink = new Writable({
    writev(chunks, done) {
      writes.push(chunks.length);
      done();
    },
    write(_chunk, _enc, done) {
      writes.push(1);
      done();
    },
  });
  const frame = json(req(1));
  writeCorked(sink, frame);
  process.nextTick(() => writeCorked(sink, frame));
  await Promise.resolve();
  writeCorked(sink, frame);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.same(writes, [3], 'three frames from a tick, the next tick and a microtask: one write of three');
  writeCorked(sink, frame);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.same(writes, [3, 1], 'the next iteration writes again');
});

t.test('batch: a hello asking for it, arrays of requests in as one inbox batch, replies of one iteration out as one array', async (t) => {
  const { gw, got, when, a } = await openGateway(t);
  a.write(Buffer.concat([hello('c1', { batch: true }), json([req(1), req(2, { op: 'bogus' }), req(3)])]));
  await when(1);
  t.same(
    got.map((b) => b.msgs.map((m) => (m as ClientRequest).reqNo)),
    [[1, 3]],
    'one inbox batch of the frame’s valid requests; the bad one dropped',
  );
  t.equal(gw.stats().rejected, 1, 'the bad request counted');
  const { frames, arrived } = replyFrames(a);
  const from = got[0]?.from ?? -1;
  const ok = (reqNo: number): ClientReply => ({ type: 'client-reply', client: 'a', reqNo, status: 'ok', result: null });
  gw.send(from, ok(1));
  gw.send(from, ok(3));
  await arrived;
  t.same(frames, [[ok(1), ok(3)]], 'both replies in one frame, an array');
  a.destroy();
});

t.test('batchFrames: arrays within the frame limit, every message once, in order', async (t) => {
  const parts = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(100) }));
  const frames = batchFrames(parts, 1000);
  t.ok(frames.length > 1, `split into ${frames.length} frames`);
  const dec = new FrameDecoder(1000);
  dec.push(Buffer.concat(frames));
  const back: unknown[] = [];
  for (let p = dec.next(); p !== undefined; p = dec.next()) back.push(...(JSON.parse(p.toString('utf8')) as unknown[]));
  t.same(
    back,
    parts.map((p) => JSON.parse(p) as unknown),
    'all 50, in order, each frame within 1000 bytes (the decoder enforces it)',
  );
  t.same(batchFrames([], 1000), [], 'nothing to send: no frame');
});
