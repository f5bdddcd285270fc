// wal_writer: the consensus processor's asynchronous storage. Batches are appended in order;
// everything appended while one fsync runs is synced by the next one (group commit), and the
// highest batchId made durable is reported through `onPersisted` (the rank feeds it to a
// coalescing channel, so consensus never waits on the disk and never misses a completion).
import type { WalBatch } from './durable.js';
import type { WalFile } from './wal/file.js';

export class WalWriter {
  private queue: WalBatch[] = [];
  private running = false;
  private closed = false;
  private failure: unknown;

  constructor(
    private readonly wal: WalFile,
    private readonly onPersisted: (batchId: number) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** write queues batches (in batchId order) and returns at once. */
  write(batches: readonly WalBatch[]): void {
    if (this.closed) throw new Error('wal writer: write after close');
    if (this.failure !== undefined) return;
    for (const b of batches) this.queue.push(b);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.wal.append(group);
        await this.wal.sync();
        this.onPersisted(group[group.length - 1]!.batchId);
      }
    } catch (e) {
      this.failure = e;
      this.onError(e);
    } finally {
      this.running = false;
    }
  }

  /** close waits for queued batches to be durable, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || (this.queue.length > 0 && this.failure === undefined)) {
      if (!this.running) void this.run();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.wal.close();
  }
}
