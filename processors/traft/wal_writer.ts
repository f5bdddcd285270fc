// wal_writer: the consensus processor's asynchronous storage. Batches are appended in order;
// everything appended while one fsync runs is synced by the next one (group commit), and the
// highest batchId made durable is reported through `onPersisted` (the rank feeds it to a
// coalescing channel, so consensus never waits on the disk and never misses a completion).
import { defined } from '../../runtime/assert.js';
import type { WalBatch } from './durable.js';
/** WalAppender is what the writer needs of a WAL file (wal/file.ts's WalFile is one). */
export interface WalAppender {
  append(batches: readonly WalBatch[]): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export class WalWriter {
  private queue: WalBatch[] = [];
  /** draining: the running append/fsync loop, if any (at most one: batches stay in order). */
  private draining: Promise<void> | undefined;
  private closed = false;
  private failure: unknown;

  constructor(
    private readonly wal: WalAppender,
    private readonly onPersisted: (batchId: number) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** write queues batches (in batchId order) and returns at once. */
  write(batches: readonly WalBatch[]): void {
    if (this.closed) throw new Error('wal writer: write after close');
    if (this.failure !== undefined) return;
    for (const b of batches) this.queue.push(b);
    this.drain();
  }

  /** drain starts the loop unless it runs; one that ends with batches still queued starts again. */
  private drain(): void {
    this.draining ??= this.run().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && this.failure === undefined) this.drain();
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.wal.append(group);
        await this.wal.sync();
        this.onPersisted(defined(group[group.length - 1], 'a group is taken only from a non-empty queue').batchId);
      }
    } catch (e) {
      this.failure = e;
      this.onError(e);
    }
  }

  /** close waits for queued batches to be durable, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.wal.close();
  }
}
