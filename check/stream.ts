// stream: the checker on a second thread, fed a simulation's instance logs while they are
// written, so that grading a long run costs little more than running it. The verdict is the
// one checkLogs gives the same lines (the ledger takes ranks interleaved, see ledger.ts); when
// the stream cannot stand for the logs (a crash cut back into lines already handed over, a
// line that is not ASCII, a worker that failed), finish says so and the caller grades the
// logs in process instead.
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { settings, type CheckOptions } from './grade.js';
import type { CheckResult } from './result.js';

/** StreamRank names a rank's log; ranks are begun in the order given, as checkLogs reads them. */
export interface StreamRank {
  readonly name: string;
  readonly node: number;
}

/** StreamRest: what a rank's log holds past the lines fed, at the end (see StreamingCheck.finish). */
export interface StreamRest {
  /** bytes: one ASCII line per newline, as fed; lines: how many. */
  readonly bytes: Uint8Array;
  readonly lines: number;
  /** unterminated: the log's last line was cut short mid-write, as RankLines.unterminated. */
  readonly unterminated: boolean;
}

/** ToWorker: the messages the grading thread takes, in order. */
export type ToWorker =
  | { readonly kind: 'feed'; readonly rank: number; readonly bytes: Uint8Array; readonly lines: number }
  | { readonly kind: 'finish'; readonly rests: readonly StreamRest[] };

/** FromWorker: the grading thread's one answer. */
export type FromWorker = { readonly result: CheckResult } | { readonly unusable: string };

/** WorkerSetup: the grading thread's workerData. */
export interface WorkerSetup {
  readonly ranks: readonly StreamRank[];
  readonly opts: CheckOptions;
  readonly port: MessagePort;
  /** signal: [0] becomes 1 once the answer is on port; [1] counts messages taken (progress). */
  readonly signal: Int32Array;
  /** spares: where the thread posts fresh chunks of spareBytes, their pages touched (none if 0). */
  readonly spares: MessagePort;
  readonly spareBytes: number;
}

/** SPARES_AHEAD: how many touched chunks the thread keeps posted ahead of the feeder. */
export const SPARES_AHEAD = 8;

/** WAIT_SLICE_MS: finish waits for the answer in slices of this, watching the thread make progress. */
const WAIT_SLICE_MS = 1000;
/**
 * STALLED_SLICES: slices without a message taken before finish gives up on the thread (it died:
 * a message takes milliseconds). Giving up costs only time: the caller grades in process.
 */
const STALLED_SLICES = 60;

/** StreamingCheck feeds logs to a grading thread, started at the first feed. */
export class StreamingCheck {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private spares: MessagePort | undefined;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private failed = false;

  /**
   * With spareBytes > 0 the thread also makes fresh chunks of that size for the feeder's next
   * lines (spare), their pages touched there: the page faults of a long run's logs are paid on
   * the second thread, not by the run.
   */
  constructor(
    private readonly ranks: readonly StreamRank[],
    private readonly opts: CheckOptions = {},
    private readonly spareBytes = 0,
  ) {
    settings(opts); // a bad option throws here, as checkLogs would
    if (!Number.isSafeInteger(spareBytes) || spareBytes < 0) throw new RangeError(`spareBytes must be an integer ≥ 0, got ${spareBytes}`);
  }

  /** spare: a fresh chunk of spareBytes on shared memory, its pages touched, if the thread has one ready. */
  spare(): Uint8Array | undefined {
    if (this.spares === undefined) return undefined;
    return receiveMessageOnPort(this.spares)?.message as Uint8Array | undefined;
  }

  /**
   * feed hands the rank ranks[rank] its next lines: bytes on a SharedArrayBuffer, one ASCII line
   * per newline, `lines` of them. They must not change afterwards (the thread reads them later).
   */
  feed(rank: number, bytes: Uint8Array, lines: number): void {
    if (this.failed) return;
    const worker = (this.worker ??= this.start());
    const msg: ToWorker = { kind: 'feed', rank, bytes, lines };
    worker.postMessage(msg);
  }

  /**
   * finish hands over each rank's rest and returns the verdict over all the lines, or undefined
   * when nothing was fed or the thread's reading is void (a rest undefined, lines that did not
   * count up, the thread failed): then grade the logs in process. The thread ends either way.
   */
  finish(rests: readonly (StreamRest | undefined)[]): CheckResult | undefined {
    const worker = this.worker;
    if (worker === undefined) return undefined;
    try {
      if (this.failed || rests.length !== this.ranks.length || rests.some((r) => r === undefined)) return undefined;
      const msg: ToWorker = { kind: 'finish', rests: rests as StreamRest[] };
      worker.postMessage(msg);
      const answer = this.await();
      return answer !== undefined && 'result' in answer ? answer.result : undefined;
    } finally {
      this.failed = true;
      void worker.terminate();
    }
  }

  private start(): Worker {
    const { port1, port2 } = new MessageChannel();
    const spares = new MessageChannel();
    this.port = port1;
    this.spares = spares.port1;
    const setup: WorkerSetup = {
      ...{ ranks: this.ranks, opts: this.opts, port: port2, signal: this.signal },
      ...{ spares: spares.port2, spareBytes: this.spareBytes },
    };
    const worker = new Worker(new URL('./stream_worker.js', import.meta.url), {
      workerData: setup,
      transferList: [port2, spares.port2],
      // the thread runs built JS alone: no loaders or hooks its parent was started with (a test runner's)
      execArgv: [],
    });
    // An error or exit is seen by finish as a thread that stopped taking messages; the listener
    // keeps an uncaught error in the thread from becoming one here.
    worker.on('error', () => (this.failed = true));
    worker.unref();
    return worker;
  }

  /** await blocks until the thread's answer is on the port (or it stalled: undefined). */
  private await(): FromWorker | undefined {
    const port = this.port as MessagePort;
    let taken = Atomics.load(this.signal, 1);
    let stalled = 0;
    while (stalled < STALLED_SLICES) {
      Atomics.wait(this.signal, 0, 0, WAIT_SLICE_MS);
      const answer = receiveMessageOnPort(port);
      if (answer !== undefined) return answer.message as FromWorker;
      if (Atomics.load(this.signal, 0) === 1) continue; // flagged a moment before the message shows
      const now = Atomics.load(this.signal, 1);
      stalled = now === taken ? stalled + 1 : 0;
      taken = now;
    }
    return undefined;
  }
}
