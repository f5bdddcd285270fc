// tcp-peer: the far end of the TCP benchmark, run as a child process by tcp.bench.ts:
// `node dist/scripts/bench/tcp-peer.js <codec> <parentPort> <clusterId>`. It prints its
// port as one JSON line, counts 'data' messages, echoes 'ping's, answers 'fin' with the
// count, and exits when stdin closes (so it never outlives the parent).
import { RealClock } from '../../runtime/clock.js';
import { CLOSED, TIMEOUT } from '../../runtime/chan.js';
import { jsonCodec, msgpackCodec } from '../../runtime/net/codec.js';
import { TcpTransport } from '../../runtime/net/tcp.js';
import { benchValidate, type BenchMsg } from './tcp-msgs.js';

async function main(): Promise<void> {
  const [codecName, parentPort, clusterId] = process.argv.slice(2);
  const clock = new RealClock();
  const tr = new TcpTransport<BenchMsg>({
    rank: 1,
    ranks: 2,
    peers: [{ host: '127.0.0.1', port: Number(parentPort) }, undefined],
    listen: { port: 0 },
    clusterId: clusterId!,
    clock,
    validate: benchValidate,
    codec: codecName === 'json' ? jsonCodec() : msgpackCodec(),
  });
  await tr.start();
  process.stdout.write(`${JSON.stringify({ port: tr.port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void tr.close().then(() => process.exit(0)));
  let count = 0;
  for (;;) {
    const batch = await tr.inbox.read(60_000);
    if (batch === CLOSED) return;
    if (batch === TIMEOUT) continue;
    for (const m of batch.msgs) {
      if (m.type === 'data') count++;
      else if (m.type === 'ping') tr.send(0, m);
      else if (m.type === 'fin') {
        tr.send(0, { type: 'fin', slot: count, ballot: 0, key: '', v: '' });
        count = 0;
      }
    }
  }
}

void main();
