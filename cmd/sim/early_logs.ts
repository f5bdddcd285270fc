// early_logs: a simulated run's instance logs written while it runs. Each chunk the run hands
// over (SimSpec.onChunk: final bytes, in order) goes to its file through Node's thread pool
// (an asynchronous write is queued at once, and the pool's threads write it while the run goes
// on), so the end of the run writes only each log's last chunk. A log that took back a line it
// had handed over (LineLog.retracted) is written again whole.
import { closeSync, ftruncateSync, openSync, write } from 'node:fs';
import { assert } from '../../runtime/assert.js';
import { rankFiles } from '../../runtime/driver/logdir.js';
import type { LineLog } from '../../runtime/sim/line_log.js';
import { writeAll } from '../../runtime/write_all.js';

/** RankLog: what finish needs of a rank's log at the end of the run. */
export interface RankLog {
  readonly rank: number;
  readonly log: LineLog;
  readonly unterminated: boolean;
}

/** EarlyLogs holds one open instancelog<rank>.log per rank while a run writes them. */
export class EarlyLogs {
  private readonly fds: number[];
  /** written: per rank, the bytes and chunks handed to the pool so far. */
  private readonly bytes: number[];
  private readonly pieces: number[];
  private pending = 0;
  private failure: Error | undefined;
  private settled: (() => void) | undefined;

  /** the files are created (truncated) now: the directory must be ready. */
  constructor(dir: string, ranks: number) {
    this.fds = Array.from({ length: ranks }, (_, rank) => openSync(rankFiles(dir, rank).instanceLog, 'w'));
    this.bytes = this.fds.map(() => 0);
    this.pieces = this.fds.map(() => 0);
  }

  /** chunk queues a rank's next bytes (on memory nobody changes again) for writing at the file's end. */
  readonly chunk = (rank: number, bytes: Uint8Array): void => {
    const fd = this.fds[rank];
    assert(fd !== undefined, () => `no log file for rank ${rank}`);
    const at = this.bytes[rank] as number;
    this.bytes[rank] = at + bytes.length;
    this.pieces[rank] = (this.pieces[rank] as number) + 1;
    this.pending++;
    write(fd, bytes, 0, bytes.length, at, (e) => {
      if (e !== null) this.failure ??= e;
      if (--this.pending === 0) this.settled?.();
    });
  };

  /**
   * finish waits for the queued writes, writes what each log holds past them, and closes the
   * files; it returns the ranks whose queued chunks do not stand for their log (it took back a
   * line, or is not ASCII): the caller writes those whole again.
   */
  async finish(ranks: readonly RankLog[]): Promise<RankLog[]> {
    try {
      if (this.pending > 0) await new Promise<void>((resolve) => (this.settled = resolve));
      if (this.failure !== undefined) throw this.failure;
      return ranks.filter((r) => !this.complete(r));
    } finally {
      for (const fd of this.fds) closeSync(fd);
    }
  }

  /** complete writes a rank's log past the queued chunks; false if those do not stand for it. */
  private complete({ rank, log, unterminated }: RankLog): boolean {
    const fd = this.fds[rank];
    const pieces = log.fileBytes(!unterminated);
    const done = this.pieces[rank] as number;
    if (fd === undefined || pieces === undefined || log.retracted || pieces.length < done) return false;
    let at = 0;
    for (const [k, p] of pieces.entries()) {
      if (k >= done) writeAll(fd, p, p.length, at);
      at += p.length;
      if (k === done - 1 && at !== this.bytes[rank]) return false;
    }
    ftruncateSync(fd, at);
    return true;
  }
}
