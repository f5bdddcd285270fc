// disk: one simulated rank's disk. WAL batches are written at once and become durable after an
// fsync latency, in order; a crash keeps a random prefix of the batches not yet durable (the
// rest were never written or were torn, which recovery cuts like a torn tail). The instance
// log survives a crash, except that its last line may be cut short mid-write.
import type { Random } from '../random.js';
import { LineLog, type LogTap } from './line_log.js';
import type { SimDisk } from './types.js';

/** DiskChange: the disk faults a scripted test may change mid-run. */
export type DiskChange = Partial<Pick<SimDisk, 'keepUnsyncedRate' | 'tornLineRate'>>;

export class Disk<P extends { readonly batchId: number }> {
  /** durable: the batches recovery replays; a superseding batch (a checkpoint) replaces those before it. */
  durable: P[] = [];
  /** pending: the batches written but not yet durable, in batchId order. */
  private pending: P[] = [];
  private lastDurableAtMs = 0;
  readonly lines: LineLog;
  /** torn: the last line was cut short by a crash (a restart cuts it, as the FileSink does). */
  torn = false;
  /** tornWord: the first word of the line a crash cut short (a report needs to know a commit line was lost). */
  tornWord: string | undefined;
  /** damaged: the index in `durable` of a batch that reads back damaged (acknowledged, so peers count on it), or null. */
  private damaged: number | null = null;

  constructor(
    private o: SimDisk,
    private readonly random: Random,
    private readonly supersedes: ((batch: P) => boolean) | undefined,
    tap?: LogTap,
  ) {
    this.lines = new LineLog(tap);
  }

  /** retune changes this disk's faults from now on (a scripted test's kill that keeps no unsynced write). */
  retune(change: DiskChange): void {
    this.o = { ...this.o, ...change };
  }

  /** write queues batches for fsync; it returns when the last of them is durable. */
  write(batches: readonly P[], nowMs: number): number {
    const latency = this.random.between(this.o.minFsyncMs, this.o.maxFsyncMs);
    const durableAtMs = Math.max(this.lastDurableAtMs, nowMs + latency);
    this.lastDurableAtMs = durableAtMs;
    for (const batch of batches) this.pending.push(batch);
    return durableAtMs;
  }

  /** synced makes every batch up to batchId durable (shifted off one by one: a report covers a batch or two). */
  synced(batchId: number): void {
    const { pending } = this;
    for (let first = pending[0]; first !== undefined && first.batchId <= batchId; first = pending[0]) {
      pending.shift();
      this.keep(first);
    }
  }

  /** crash keeps a random prefix of the unsynced batches and maybe tears the last line; it returns how many batches were lost. */
  crash(): number {
    let kept = 0;
    for (const batch of this.pending) {
      if (!(this.random.next() < this.o.keepUnsyncedRate)) break;
      this.keep(batch);
      kept++;
    }
    // drawn only when damage is on, so seeds without it replay exactly as before
    const damageRate = this.o.damageRate ?? 0;
    if (damageRate > 0 && this.random.next() < damageRate) this.damageLast();
    const lost = this.pending.length - kept;
    this.pending = [];
    this.lastDurableAtMs = 0;
    const line = this.lines.at(this.lines.length - 1);
    if (line !== undefined && line.length > 0 && this.random.next() < this.o.tornLineRate) {
      this.lines.cutLast(this.random.int(line.length));
      this.torn = true;
      this.tornWord = line.split(' ', 1)[0];
    }
    return lost;
  }

  /** damageLast makes the last durable batch read back damaged (a disk fault; nothing durable: nothing to damage). */
  damageLast(): void {
    if (this.durable.length > 0) this.damaged = this.durable.length - 1;
  }

  /**
   * recover is a restart's reading of the WAL: a damaged batch refuses the restart (the reason
   * returned, as the real WAL's exit 4), or with onDamage 'truncate' is cut with all after it.
   */
  recover(rank: number): string | undefined {
    if (this.damaged === null) return undefined;
    if (this.o.onDamage !== 'truncate')
      return `rank ${rank}: WAL batch ${this.damaged + 1} of ${this.durable.length} is damaged; refusing to restart (exit 4)`;
    this.durable = this.durable.slice(0, this.damaged);
    this.damaged = null;
    return undefined;
  }

  /** reopen is a restart's view of the instance log: a torn last line is cut. */
  reopen(): LineLog {
    if (this.torn) this.lines.pop();
    this.torn = false;
    this.tornWord = undefined;
    return this.lines;
  }

  private keep(batch: P): void {
    if (this.supersedes?.(batch) === true) this.durable = [batch];
    else this.durable.push(batch);
  }
}
