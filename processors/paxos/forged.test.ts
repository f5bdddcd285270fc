// forged.test: a Paxos rank over real TCP on loopback counts a message as sent by the rank its
// connection's handshake proved. A peer that claims from ≥ ranks (whose NACK used to crash the
// receiver, exit 70) or another rank's from is dropped and counted; the rank keeps running
// (docs/protocols/paxos.md §10.17, issue 11 hole 7).
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { RealClock } from '../../runtime/clock.js';
import { SeededRandom } from '../../runtime/random.js';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { encodeFrame } from '../../runtime/net/frame.js';
import { encodeHello } from '../../runtime/net/handshake.js';
import { TcpTransport } from '../../runtime/net/tcp.js';
import { WIRE_VERSION } from '../../runtime/net/wire-version.js';
import { startRank } from '../../runtime/driver/rank.js';
import { MemorySink } from '../../runtime/driver/logsink.js';
import { MemoryRoundStore } from './roundstore.js';
import { paxos, roundStorage } from './protocol.js';
import { validatePaxosMsg } from './wire.js';
import type { PaxosMsg } from './messages.js';

const clock = new RealClock();
const WAIT_MS = 10_000;

/** until resolves once pred holds, checking on each clock tick, or rejects after WAIT_MS. */
function until(pred: () => boolean): Promise<void> {
  const deadline = clock.nowMs() + WAIT_MS;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pred()) resolve();
      else if (clock.nowMs() > deadline) reject(new Error('condition not reached in time'));
      else clock.schedule(5, check);
    };
    check();
  });
}

t.test('TCP: forged from fields are dropped and counted, the rank keeps running', async (t) => {
  const tr = new TcpTransport<PaxosMsg>({
    rank: 0,
    ranks: 3,
    peers: new Array(3).fill(undefined),
    listen: { port: 0 },
    clusterId: 'forged-run',
    clock,
    validate: validatePaxosMsg,
    log: () => {},
  });
  await tr.start();
  const now = clock.nowMs();
  const opened = roundStorage(new MemoryRoundStore(), 0);
  const rank = startRank({
    protocol: paxos,
    rank: 0,
    ranks: 3,
    clusterId: 'forged-run',
    config: { slotMs: 60_000, interval: 10, dataSize: 8, eager: false, pipelineWindow: 4, proposeBatch: 2, gatherGraceMs: 5, retryMs: 50 },
    startAtMs: now,
    loadUntilMs: now + 120_000,
    clock,
    random: new SeededRandom('forged'),
    transport: tr,
    sink: new MemorySink(),
    storage: opened.start(
      (batchId) => rank.persisted(batchId),
      (e) => {
        throw e;
      },
    ),
  });
  t.teardown(() => rank.stop());
  // Rank 1's connection (its handshake says rank 1) carries two forged messages and one honest.
  const batch = msgpackCodec<unknown>().encode([
    { type: 'read', from: 7, round: 0, frontier: -1 },
    { type: 'gather', from: 2, round: 0, frontier: -1, syncRound: -1, held: [] },
    { type: 'gather', from: 1, round: 0, frontier: -1, syncRound: -1, held: [] },
  ]);
  const hello = encodeFrame(encodeHello({ clusterId: 'forged-run', rank: 1, version: WIRE_VERSION, codec: 'msgpack' }));
  const s: Socket = connect({ host: '127.0.0.1', port: tr.port }, () => {
    s.write(hello);
    s.write(encodeFrame(batch));
  });
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  await until(() => Number(rank.stats().forged) >= 2);
  t.equal(Number(rank.stats().forged), 2, 'from 7 (≥ ranks) and from 2 on rank 1’s connection: both dropped and counted');
  rank.stop();
  t.equal((await rank.done).type, 'stopped', 'the rank ran on and stopped cleanly (no crash)');
});
