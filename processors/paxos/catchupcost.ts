// catchupcost: the CPU a Paxos catch-up costs per entry, in one process and deterministic (no
// network, no cluster): the two halves of issue 11 hole 3's far-behind rank.
// - receive: CATCHUP chunks of 16,384 entries, msgpack-encoded as the transport frames them, go
//   through what the driver does with each (decode, validatePaxosMsg, stepPaxos on rank 2 in its
//   round, the instance-log bytes through the protocol's writeLog, one file write per chunk);
// - serve: a leader rank in its proposing phase answers the resumed rank's LATEs (the first with
//   eight chunks, each later one with one more) and the transport encodes each chunk.
// A program, not a module: `npm run bench catchup` (scripts/bench/catchup.bench.ts) runs it as a
// child and writes its JSON (µs of process CPU per entry, by phase, and the collections) to
// docs/benchmarks.md. It lives beside the protocol because scripts know protocols only through
// the registry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { join } from 'node:path';
import { FileSink } from '../../runtime/driver/logsink.js';
import { LogText } from '../../runtime/driver/logtext.js';
import { msgpackCodec } from '../../runtime/net/codec.js';
import type { Envelope } from '../../runtime/protocol.js';
import { SeededRandom } from '../../runtime/random.js';
import { initPaxos, stepPaxos, type PaxosConfig, type PaxosState } from './core.js';
import { formatLine } from './instancelog.js';
import { paxos } from './protocol.js';
import type { LogEvent } from './events.js';
import type { LogBytes } from '../../runtime/protocol.js';
import { Leader } from './leader.js';
import { CATCHUP_CHUNK, type Entry, type PaxosMsg } from './messages.js';
import { validatePaxosMsg } from './wire.js';

const CHUNKS = Number(process.env.BENCH_CATCHUP_CHUNKS ?? 32);
const REPS = Number(process.env.BENCH_CATCHUP_REPS ?? 5);
const N = CHUNKS * CATCHUP_CHUNK;
/** PER_ROUND: entries committed per 1 s round at full rate (-o 1 -l 1000000), so estrounds have a real run's widths and gaps. */
const PER_ROUND = 40_000;
const L = 1_000_000;
const LEADER = 0;
const RESUMED = 2;
/** ROUND: the round the catch-up happens in, after every round the log covers; led by rank 0. */
const ROUND = Math.ceil(N / PER_ROUND / 5) * 5 + 5;

const config: PaxosConfig = {
  slotMs: 1000,
  interval: L,
  dataSize: 1000,
  eager: false,
  pipelineWindow: 512,
  proposeBatch: 64,
  gatherGraceMs: 20,
  retryMs: 100,
};

/** decidedLog: N entries as a real run's log holds them: PER_ROUND per round, KEYs of 32 letters from a seeded LCG. */
function decidedLog(): Entry[] {
  const out = new Array<Entry>(N);
  let x = 12345;
  const codes = new Array<number>(32);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < 32; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      codes[j] = 97 + ((x >>> 16) % 26);
    }
    out[i] = [Math.floor(i / PER_ROUND) * L + (i % PER_ROUND), String.fromCharCode(...codes)];
  }
  return out;
}

/** chunkFrames: the log as the serving leader sends it, each chunk one frame's payload. */
function chunkFrames(log: Entry[]): Buffer[] {
  const codec = msgpackCodec<PaxosMsg>();
  const frames: Buffer[] = [];
  for (let c = 0; c < CHUNKS; c++) {
    const entries = log.slice(c * CATCHUP_CHUNK, (c + 1) * CATCHUP_CHUNK);
    const base = c === 0 ? -1 : (log[c * CATCHUP_CHUNK - 1]?.[0] ?? -1);
    const msg: PaxosMsg = { type: 'catchup', from: LEADER, round: ROUND, base, entries };
    if (c + 1 < CHUNKS) msg.more = true;
    frames.push(codec.encode([msg]));
  }
  return frames;
}

type Split = Record<string, number>;

/** cpuUs: this process's CPU (user + system) in µs so far. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** timed runs f and adds its CPU µs to split[name]. */
function timed<T>(split: Split, name: string, f: () => T): T {
  const t0 = cpuUs();
  const v = f();
  split[name] = (split[name] ?? 0) + cpuUs() - t0;
  return v;
}

/** receiver: rank 2's state, as it resumed: nothing committed, behind every rank. */
function receiver(): PaxosState {
  return initPaxos({ self: RESUMED, ranks: 5, config, startAtMs: 0, endAtMs: Number.MAX_SAFE_INTEGER, random: new SeededRandom('bench') });
}

type WriteLog = (events: readonly LogEvent[], atUs: number, text: LogBytes) => void;
/** writeLog: the protocol's byte writer when it has one (the driver's path), read loosely so an older build's bench compiles. */
const writeLog = process.env.BENCH_CATCHUP_LINES === 'format' ? undefined : (paxos as Partial<Record<'writeLog', WriteLog>>).writeLog;

/** logLines: a step's lines into the turn's text, as the driver writes them. */
function logLines(events: readonly LogEvent[], atUs: number, text: LogText): void {
  if (writeLog !== undefined) writeLog(events, atUs, text);
  else for (const ev of events) text.add(formatLine(ev, atUs));
}

/** receive steps every frame through rank 2 as the driver does; returns the CPU split (µs) and the commits. */
function receive(frames: Buffer[], dir: string): { split: Split; commits: number } {
  const codec = msgpackCodec<PaxosMsg>();
  const sink = new FileSink(join(dir, 'instancelog2.log'), true);
  const text = new LogText();
  let s = receiver();
  const split: Split = {};
  const nowMs = ROUND * 1000 + 100;
  for (const frame of frames) {
    const msgs = timed(split, 'decode + validate', () => codec.decode(frame).map(validatePaxosMsg));
    for (const msg of msgs) {
      const out = timed(split, 'step', () => {
        const r = stepPaxos(s, { type: 'message', from: LEADER, msg }, nowMs);
        s = r.state;
        // The round bound is durable at once, as FileRoundStore reports it (the LATE then leaves).
        for (const b of r.out.persist) s = stepPaxos(s, { type: 'persisted', batchId: b.batchId }, nowMs).state;
        return r.out;
      });
      timed(split, 'log lines', () => logLines(out.log, nowMs * 1000, text));
    }
    timed(split, 'log write', () => sink.write(text.take()));
  }
  sink.close();
  return { split, commits: s.counts.commits };
}

/** servingLeader: rank 0 leading ROUND with the whole log committed, its sync decided (proposing). */
function servingLeader(log: Entry[]): Leader {
  const l = new Leader({
    rank: LEADER,
    ranks: 5,
    interval: L,
    pipelineWindow: config.pipelineWindow,
    proposeBatch: config.proposeBatch,
    gatherGraceMs: config.gatherGraceMs,
    retryMs: config.retryMs,
    dataSize: config.dataSize,
    eager: false,
    random: new SeededRandom('bench'),
  });
  l.step({ type: 'committed', entries: log }, 0);
  l.step({ type: 'round', round: ROUND }, 0);
  const last = log.at(-1)?.[0] ?? -1;
  for (const from of [0, 1, 3, 4])
    l.step({ type: 'msg', msg: { type: 'gather', from, round: ROUND, frontier: last, syncRound: -1, held: [] } }, 0);
  l.step({ type: 'wake' }, 1000); // past the gather grace: the sync is imposed without rank 2
  for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'ack', from, round: ROUND, seq: -1 } }, 1000);
  if (l.phase !== 'proposing') throw new Error(`bench catchup: the serving leader is ${l.phase}, not proposing`);
  return l;
}

/** serve walks rank 2 up the log as the leader answers its LATEs, encoding each chunk; returns the CPU split and entries sent. */
function serve(log: Entry[]): { split: Split; entries: number } {
  const codec = msgpackCodec<PaxosMsg>();
  const l = servingLeader(log);
  const split: Split = {};
  let entries = 0;
  let frontier = -1;
  for (let ask = 0; ask < CHUNKS && entries < N; ask++) {
    const late: PaxosMsg = { type: 'late', from: RESUMED, round: ROUND, frontier };
    const sends = timed(split, 'answer LATE', () => l.step({ type: 'msg', msg: late }, 1000 + ask).sends);
    const chunks = sends.filter((e): e is Envelope<PaxosMsg> & { msg: { type: 'catchup' } } => e.msg.type === 'catchup');
    timed(split, 'encode', () => {
      for (const e of chunks) codec.encode([e.msg]);
    });
    for (const e of chunks) entries += e.msg.entries.length;
    // Rank 2 committed the chunk at its frontier: its next LATE reports the next chunk's base.
    frontier = log[Math.min(N, (ask + 1) * CATCHUP_CHUNK) - 1]?.[0] ?? frontier;
  }
  return { split, entries };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** perEntry: the split as µs per entry, median over repetitions, with a total column. */
function perEntry(splits: Split[], per: number): { total: number; parts: [string, number][] } {
  const names = Object.keys(splits[0] ?? {});
  const parts = names.map((n): [string, number] => [n, median(splits.map((s) => (s[n] ?? 0) / per))]);
  const total = median(splits.map((s) => Object.values(s).reduce((a, b) => a + b, 0) / per));
  return { total, parts };
}

/** gc: the collections the process reported (minor: scavenges of the young generation, whose count grows with the bytes allocated). */
const gc = { minor: 0, major: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    gc.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** settled: the collections so far, once the observer has been told of them (it is told between turns). */
async function settled(): Promise<{ minor: number; major: number; ms: number }> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return { ...gc };
}

/** gcPer: collections per million entries over `reps` repetitions of N entries since `before`. */
function gcPer(before: { minor: number; major: number; ms: number }, after: { minor: number; major: number; ms: number }): string {
  const m = (REPS * N) / 1e6;
  return `${((after.minor - before.minor) / m).toFixed(0)} minor + ${((after.major - before.major) / m).toFixed(1)} major GCs, ${((after.ms - before.ms) / m).toFixed(0)} ms`;
}

async function main(): Promise<void> {
  // The log as a list of tuples is not held while rank 2 receives: no rank holds one, and the
  // collector would mark it at every major collection.
  const frames = chunkFrames(decidedLog());
  const dir = mkdtempSync(join(tmpdir(), 'csplab-bench-catchup-'));
  const rx: Split[] = [];
  const tx: Split[] = [];
  let rxGc: string;
  let txGc: string;
  try {
    // One unmeasured repetition of each warms the JIT, as a rank is warm when it resumes.
    receive(frames, dir);
    let before = await settled();
    for (let i = 0; i < REPS; i++) {
      const r = receive(frames, dir);
      if (r.commits !== N) throw new Error(`bench catchup: rank 2 committed ${r.commits} of ${N}`);
      rx.push(r.split);
    }
    let after = await settled();
    rxGc = gcPer(before, after);
    const log = decidedLog();
    serve(log);
    before = await settled();
    for (let i = 0; i < REPS; i++) {
      const s = serve(log);
      if (s.entries !== N) throw new Error(`bench catchup: the leader sent ${s.entries} of ${N}`);
      tx.push(s.split);
    }
    after = await settled();
    txGc = gcPer(before, after);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    chunks: CHUNKS,
    entries: N,
    perRound: PER_ROUND,
    interval: L,
    reps: REPS,
    receive: perEntry(rx, N),
    serve: perEntry(tx, N),
    rxGc,
    txGc,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
