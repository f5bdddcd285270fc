// runner.test: the kv runner over a real loopback socket with a virtual clock. A client whose
// first guess is a rank it has no connection to (a killed node) tries the next rank after the
// 50 ms backoff, not after the 1 s attempt timeout, and the op completes there with its reqNo.
// With --batch-ms, the clients' requests to one rank wait that long and leave in one frame.
import t, { type Test } from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { RealClock, VirtualClock } from '../clock.js';
import { encodeFrame, FrameDecoder } from '../net/frame.js';
import { SeededRandom } from '../random.js';
import { KvRunner } from './runner.js';

/** fakeStore answers every request ok (a put created) and records the requests it saw. */
function fakeStore(): { server: Server; seen: Array<{ reqNo: number }>; frames: number[]; ready: Promise<number> } {
  const seen: Array<{ reqNo: number }> = [];
  const frames: number[] = []; // requests per frame
  const server = createServer((socket: Socket) => {
    const decoder = new FrameDecoder(1 << 16);
    let hello = true;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
        const x = JSON.parse(p.toString('utf8')) as unknown;
        if (hello) {
          hello = false;
          continue;
        }
        // with batchMs the runner's hello asks for batched frames and its requests come as arrays;
        // these replies come one per frame, which a batch connection's reader takes as well
        const reqs = (Array.isArray(x) ? x : [x]) as Array<{ client: string; reqNo: number }>;
        frames.push(reqs.length);
        for (const req of reqs) {
          seen.push({ reqNo: req.reqNo });
          const reply = { type: 'client-reply', client: req.client, reqNo: req.reqNo, status: 'ok', result: 'created' };
          socket.write(encodeFrame(Buffer.from(JSON.stringify(reply), 'utf8')));
        }
      }
    });
  });
  const ready = new Promise<number>((resolve) =>
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    }),
  );
  return { server, seen, frames, ready };
}

type RunnerOptions = ConstructorParameters<typeof KvRunner>[0];

/** runnerOn: a runner on the virtual clock whose `rank` talks to the fake store; both closed at teardown. */
async function runnerOn(
  t: Test,
  rank: number,
  o: Omit<RunnerOptions, 'load' | 'deadlineMs' | 'clusterId' | 'clock'> & { keys: number },
): Promise<{ runner: KvRunner; store: ReturnType<typeof fakeStore>; clock: VirtualClock }> {
  const store = fakeStore();
  const port = await store.ready;
  const clock = new VirtualClock();
  const { keys, ...rest } = o;
  const load = { keys, getShare: 0, deleteShare: 0, read: 'index', valueSize: 0, keyDist: 'uniform', zipfExponent: 1 } as const;
  const runner = new KvRunner({ ...rest, load, deadlineMs: 2000, clusterId: 'c1', clock });
  runner.setPort(rank, port);
  t.teardown(() => {
    runner.close();
    store.server.close();
  });
  return { runner, store, clock };
}

/** settled: whether `done` settles; a real-time bound on the loopback round trip as a hang guard only, not a synchronisation. */
async function settled(done: Promise<void>): Promise<'done' | 'hung'> {
  let cancelGuard = (): void => {};
  const guard = new Promise<'hung'>((resolve) => (cancelGuard = new RealClock().schedule(20_000, () => resolve('hung'))));
  const out = await Promise.race([done.then(() => 'done' as const), guard]);
  cancelGuard();
  return out;
}

t.test('a rank with no connection is passed after the backoff, not the attempt timeout', async (t) => {
  // rank 0 (client 0's first guess) has no connection
  const { runner, store, clock } = await runnerOn(t, 1, { ranks: 2, clients: 1, keys: 1, random: new SeededRandom('runner-test') });
  const start = clock.nowMs();
  const done = runner.run(start, start + 50);
  await clock.advance(50); // the backoff; the attempt timeout would be 1000
  t.equal(await settled(done), 'done', 'the op completed at the next rank');
  t.same(store.seen, [{ reqNo: 1 }], 'one request reached the connected rank, with the first reqNo');
  const ok = runner.history.events.filter((e) => e.type === 'ok');
  t.equal(ok.length, 1, 'one ok op');
  t.equal(ok[0]?.time, 50, 'completed 50 virtual ms in: after the backoff');
});

t.test('batchMs: requests to one rank wait batchMs on the clock and leave as one frame in one write', async (t) => {
  const { runner, store, clock } = await runnerOn(t, 0, { ranks: 1, clients: 3, keys: 4, batchMs: 5, random: new SeededRandom('batch') });
  const start = clock.nowMs();
  const done = runner.run(start, start + 5); // one op per client: the load ends when they complete
  await clock.advance(4);
  t.same(runner.report().requests, { writes: 0, frames: 0, messages: 0 }, 'nothing written before batchMs');
  await clock.advance(1);
  t.equal(await settled(done), 'done', 'all three ops completed');
  t.same(store.frames, [3], 'the three requests arrived in one frame');
  t.same(runner.report().requests, { writes: 1, frames: 1, messages: 3 }, 'one socket write');
  t.same(
    runner.history.events.filter((e) => e.type === 'ok').map((e) => e.time),
    [5, 5, 5],
    'each completed after the 5 virtual ms its request waited',
  );
});
