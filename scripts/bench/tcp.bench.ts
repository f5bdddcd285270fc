// tcp.bench: two processes on loopback through runtime/net/tcp. One-way throughput of
// small (Paxos-sized) messages with coalescing, and ping-pong round-trip latency, for the
// JSON and msgpackr codecs; plus the codecs alone on small and bitmap-carrying batches,
// which is what chose the default codec. Writes section `tcp` of docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { CLOSED, TIMEOUT } from '../../runtime/chan.js';
import { RealClock } from '../../runtime/clock.js';
import { jsonCodec, msgpackCodec, type Codec } from '../../runtime/net/codec.js';
import { TcpTransport, type TcpEvent } from '../../runtime/net/tcp.js';
import { machine, writeSection } from './sections.js';
import { benchValidate, dataMsg, type BenchMsg } from './tcp-msgs.js';

const clock = new RealClock();
const PEER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'tcp-peer.js');
const THROUGHPUT_MSGS = 1_000_000;
const WARMUP_MSGS = 200_000;
const PINGS = 20_000;
const WARMUP_PINGS = 2_000;
const RUNS = 5;
const PING_BLOCKS = 4;
const SEND_CHUNK = 1000;
/** QUEUED_MAX paces the sender below the default queueLimit (65536), so nothing is dropped. */
const QUEUED_MAX = 32_768;

interface CodecResult {
  codec: string;
  msgsPerSec: number[];
  bytesPerMsg: number;
  p50Us: number;
  p99Us: number;
  dropped: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function makeCodec(name: string): Codec<BenchMsg> {
  return name === 'json' ? jsonCodec<BenchMsg>() : msgpackCodec<BenchMsg>();
}

/** startPair starts rank 0 here and rank 1 in a child process, and waits for both links. */
async function startPair(codec: string): Promise<{ tr: TcpTransport<BenchMsg>; child: ChildProcess }> {
  const clusterId = `bench-${codec}-${process.pid}`;
  let onEvent: (e: TcpEvent) => void = () => {};
  const tr = new TcpTransport<BenchMsg>({
    rank: 0,
    ranks: 2,
    peers: [undefined, undefined],
    listen: { port: 0 },
    clusterId,
    clock,
    validate: benchValidate,
    codec: makeCodec(codec),
    onEvent: (e) => onEvent(e),
  });
  await tr.start();
  const child = spawn(process.execPath, [PEER_SCRIPT, codec, String(tr.port), clusterId], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const port = (JSON.parse(line) as { port: number }).port;
  let seen = 0;
  const both = new Promise<void>((resolve) => {
    onEvent = (e) => {
      if (e.type === 'connected' || e.type === 'accepted') seen |= e.type === 'connected' ? 1 : 2;
      if (seen === 3) resolve();
    };
  });
  tr.setPeer(1, { host: '127.0.0.1', port });
  await both;
  return { tr, child };
}

async function until(tr: TcpTransport<BenchMsg>, t: BenchMsg['type']): Promise<BenchMsg> {
  for (;;) {
    const b = await tr.inbox.read(10_000);
    if (b === TIMEOUT || b === CLOSED) throw new Error(`bench: no ${t} reply within 10 s`);
    const m = b.msgs.find((x) => x.type === t);
    if (m !== undefined) return m;
  }
}

/** oneWay sends n data messages paced by the outbound queue; rate = n / time to the fin reply. */
async function oneWay(tr: TcpTransport<BenchMsg>, n: number): Promise<number> {
  const t0 = clock.nowMs();
  let sent = 0;
  while (sent < n) {
    while (sent < n && tr.stats().queued < QUEUED_MAX) {
      const end = Math.min(n, sent + SEND_CHUNK);
      for (; sent < end; sent++) tr.send(1, dataMsg(sent));
    }
    await turn();
  }
  tr.send(1, { type: 'fin', ballot: 0, slot: 0, key: '', v: '' });
  const fin = await until(tr, 'fin');
  const elapsedMs = clock.nowMs() - t0;
  if (fin.slot !== n) throw new Error(`bench: peer counted ${fin.slot} of ${n} messages`);
  return n / (elapsedMs / 1000);
}

async function pingPong(tr: TcpTransport<BenchMsg>, n: number): Promise<number[]> {
  const rttUs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = clock.nowMs();
    tr.send(1, { type: 'ping', ballot: 0, slot: i, key: 'k0123456789abcdef0123456789abcde', v: '' });
    await until(tr, 'ping');
    rttUs.push((clock.nowMs() - t0) * 1000);
  }
  return rttUs;
}

interface Pair {
  codec: string;
  tr: TcpTransport<BenchMsg>;
  child: ChildProcess;
  msgsPerSec: number[];
  rttUs: number[];
  bytesOut: number;
}

async function stopPair(p: Pair): Promise<void> {
  await p.tr.close();
  const exited = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.stdin!.end();
  await exited;
}

/**
 * measureAll runs both codecs' pairs side by side and interleaves their runs (json, msgpack,
 * json, …), so load from anything else on the machine falls on both alike.
 */
async function measureAll(codecs: string[]): Promise<CodecResult[]> {
  const pairs: Pair[] = [];
  for (const codec of codecs) pairs.push({ codec, ...(await startPair(codec)), msgsPerSec: [], rttUs: [], bytesOut: 0 });
  for (const p of pairs) await oneWay(p.tr, WARMUP_MSGS);
  for (let r = 0; r < RUNS; r++) {
    for (const p of pairs) {
      const before = p.tr.stats().bytesOut;
      p.msgsPerSec.push(await oneWay(p.tr, THROUGHPUT_MSGS));
      p.bytesOut += p.tr.stats().bytesOut - before;
    }
  }
  for (const p of pairs) await pingPong(p.tr, WARMUP_PINGS);
  for (let block = 0; block < PING_BLOCKS; block++) for (const p of pairs) p.rttUs.push(...(await pingPong(p.tr, PINGS / PING_BLOCKS)));
  const results = pairs.map((p) => {
    const rtt = p.rttUs.sort((a, b) => a - b);
    return {
      codec: p.codec,
      msgsPerSec: p.msgsPerSec,
      bytesPerMsg: p.bytesOut / (RUNS * (THROUGHPUT_MSGS + 1)),
      p50Us: rtt[Math.floor(rtt.length * 0.5)]!,
      p99Us: rtt[Math.floor(rtt.length * 0.99)]!,
      dropped: p.tr.stats().dropped,
    };
  });
  for (const p of pairs) await stopPair(p);
  return results;
}

/** codecAlone times encode and decode of one batch shape, in-process (median of 3 rounds). */
function codecAlone(
  name: string,
  codec: Codec<unknown>,
  batch: unknown[],
  rounds: number,
): { encMps: number; decMps: number; bytes: number } {
  const enc: number[] = [];
  const dec: number[] = [];
  let buf = codec.encode(batch);
  for (let r = 0; r < 3; r++) {
    let t0 = clock.nowMs();
    for (let i = 0; i < rounds; i++) buf = codec.encode(batch);
    enc.push((batch.length * rounds) / ((clock.nowMs() - t0) / 1000));
    t0 = clock.nowMs();
    for (let i = 0; i < rounds; i++) codec.decode(buf);
    dec.push((batch.length * rounds) / ((clock.nowMs() - t0) / 1000));
  }
  void name;
  return { encMps: median(enc), decMps: median(dec), bytes: buf.length };
}

/** base64Json is JSON with Uint8Array as base64 strings: what JSON needs to carry bitmaps at all. */
function base64Json(): Codec<unknown> {
  const plain = jsonCodec<unknown>();
  return {
    name: 'json+base64',
    encode: (msgs) =>
      Buffer.from(JSON.stringify(msgs, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))),
    decode: (buf) => plain.decode(buf),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const k = (x: number) => `${(x / 1000).toFixed(0)}k`;

async function main(): Promise<void> {
  const small = Array.from({ length: 256 }, (_, i) => dataMsg(i));
  const bitmaps = Array.from({ length: 16 }, (_, i) => ({ type: 'append', term: 9, index: i, bits: new Uint8Array(4096).fill(i) }));
  const alone = [
    ['json', 'small ×256', codecAlone('json', jsonCodec(), small, 2000)],
    ['msgpackr', 'small ×256', codecAlone('msgpack', msgpackCodec(), small, 2000)],
    ['json+base64', '4 KiB bitmap ×16', codecAlone('json+base64', base64Json(), bitmaps, 300)],
    ['msgpackr', '4 KiB bitmap ×16', codecAlone('msgpack', msgpackCodec(), bitmaps, 300)],
  ] as const;
  const loadBefore = loadavg()[0]!;
  const results = await measureAll(['json', 'msgpack']);
  const loadAfter = loadavg()[0]!;
  const rows = results.map(
    (r) =>
      `| ${r.codec === 'msgpack' ? 'msgpackr' : 'json'} | ${k(median(r.msgsPerSec))} (${r.msgsPerSec.map(k).join(', ')}) | ${r.bytesPerMsg.toFixed(1)} | ${r.p50Us.toFixed(0)} | ${r.p99Us.toFixed(0)} | ${r.dropped} |`,
  );
  const ratio = (median(results[1]!.msgsPerSec) / median(results[0]!.msgsPerSec)).toFixed(1);
  const body = `
## TCP transport (\`tcp\`)

Command: \`npm run bench tcp\` (scripts/bench/tcp.bench.ts; the far end is dist/scripts/bench/tcp-peer.js in a child process).
Machine: ${machine()}; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (other work shares these cores).

Two processes on 127.0.0.1, one TcpTransport each. One-way: rank 0 sends ${THROUGHPUT_MSGS.toLocaleString('en')} Paxos-sized messages
(\`{t, ballot, slot, key: 32 chars, v}\`), paced only by its outbound queue (kept under ${QUEUED_MAX}); the rate is
messages / time until the peer's reply to a final \`fin\` carrying its count (which must equal what was sent; median of ${RUNS}
runs after a ${k(WARMUP_MSGS)} warm-up; both codecs' pairs run at once and take turns, so other load falls on both). Latency: ${PINGS.toLocaleString('en')} sequential pings echoed by the peer, timed by RealClock, after ${WARMUP_PINGS} warm-up.

| codec | one-way msgs/s, median (runs) | wire bytes/msg | RTT p50 µs | RTT p99 µs | dropped |
|---|---|---|---|---|---|
${rows.join('\n')}

Targets: ≥ 200k msgs/s one-way, RTT p50 ≤ 100 µs.

Codecs alone (in-process, one batch encoded/decoded repeatedly, median of 3):

| codec | batch | encode msgs/s | decode msgs/s | bytes/batch |
|---|---|---|---|---|
${alone.map(([c, b, r]) => `| ${c} | ${b} | ${k(r.encMps)} | ${k(r.decMps)} | ${r.bytes} |`).join('\n')}

Choice: **msgpackr** (\`msgpackCodec\`, records off) is the default codec: end to end on small messages it ran at
${ratio}× JSON's one-way rate here, and on binary (TRaft bitmaps, snapshots)
it is several times faster and smaller, while JSON cannot carry a Uint8Array at all without a base64 convention both
ends must know. \`jsonCodec\` stays available for debugging (readable frames); both ends must use the same codec
(the handshake carries its name).
`;
  writeSection('tcp', body);
  process.stdout.write(body);
}

void main().catch((e: unknown) => {
  process.stderr.write(`bench tcp failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
