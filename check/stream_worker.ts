// stream_worker: the grading thread of check/stream.ts. It keeps one Ledger, takes each rank's
// lines as they are fed (ranks interleaved), and at `finish` ends every rank and answers with
// the verdict, or with why its reading is void.
import { workerData, parentPort } from 'node:worker_threads';
import { assert } from '../runtime/assert.js';
import { feedLine, settings, verdict } from './grade.js';
import { Ledger, type RankIngest } from './ledger.js';
import { SPARES_AHEAD, type FromWorker, type ToWorker, type WorkerSetup } from './stream.js';

/** PIECE_BYTES: how much text is decoded at a time (a young-generation string, not a large object). */
const PIECE_BYTES = 32 * 1024;
const LF = 0x0a;

const setup = workerData as WorkerSetup;
const s = settings(setup.opts);
const ledger = new Ledger(s.examples, s.maxLineBytes);
const sinks: RankIngest[] = setup.ranks.map((r) => ledger.beginRank(r.node, r.name));
const lineNo: number[] = setup.ranks.map(() => 0);
let unusable: string | undefined;

/** take feeds one rank's lines, counting them against how many the feeder said they are. */
function take(rank: number, bytes: Uint8Array, lines: number): void {
  const sink = sinks[rank];
  assert(sink !== undefined, () => `no rank ${rank}`);
  const before = lineNo[rank] as number;
  let n = before;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < buf.length;) {
    let end = Math.min(buf.length, at + PIECE_BYTES);
    if (end < buf.length) {
      const nl = buf.lastIndexOf(LF, end - 1);
      end = nl >= at ? nl + 1 : buf.indexOf(LF, end) + 1 || buf.length;
    }
    const text = buf.toString('latin1', at, end);
    for (let from = 0; from < text.length;) {
      const nl = text.indexOf('\n', from);
      const stop = nl < 0 ? text.length : nl;
      feedLine(text.slice(from, stop), ++n, sink, s.maxLineBytes);
      from = stop + 1;
    }
    at = end;
  }
  lineNo[rank] = n;
  if (n - before !== lines) unusable ??= `rank ${rank}: ${n - before} lines read where ${lines} were written`;
}

/** PAGE_BYTES: a page; touching one byte of each makes the kernel back the whole chunk now. */
const PAGE_BYTES = 4096;

/** postSpare makes a fresh shared chunk, touches every page of it, and posts it to the feeder. */
function postSpare(): void {
  if (setup.spareBytes === 0) return;
  const chunk = new Uint8Array(new SharedArrayBuffer(setup.spareBytes));
  for (let at = 0; at < chunk.length; at += PAGE_BYTES) chunk[at] = 0;
  setup.spares.postMessage(chunk);
}

function answer(msg: FromWorker): void {
  setup.port.postMessage(msg);
  Atomics.store(setup.signal, 0, 1);
  Atomics.notify(setup.signal, 0);
}

function finish(rests: Extract<ToWorker, { kind: 'finish' }>['rests']): void {
  rests.forEach((r, rank) => take(rank, r.bytes, r.lines));
  if (unusable !== undefined) return answer({ unusable });
  sinks.forEach((sink, rank) => sink.end({ lines: lineNo[rank] as number, unterminated: rests[rank]?.unterminated ?? false }));
  answer({ result: verdict(ledger, s, []) });
}

for (let k = 0; k < SPARES_AHEAD; k++) postSpare();

parentPort?.on('message', (msg: ToWorker) => {
  try {
    if (unusable === undefined || msg.kind === 'finish') {
      if (msg.kind === 'feed') {
        postSpare(); // the feeder filled a chunk: one more ahead, before the grading
        take(msg.rank, msg.bytes, msg.lines);
      } else finish(msg.rests);
    }
  } catch (e) {
    unusable ??= e instanceof Error ? e.message : String(e);
    if (msg.kind === 'finish') answer({ unusable });
  } finally {
    Atomics.add(setup.signal, 1, 1);
  }
});
