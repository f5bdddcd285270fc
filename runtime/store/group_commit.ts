// group_commit: the asynchronous writer behind a protocol's Store (runtime/protocol.ts). Batches
// are appended in order; everything queued while one fsync runs is synced by the next one (group
// commit), so a slow disk batches more instead of stalling the protocol. Both TRaft's WAL and the
// chain master's record use it; only how a group reaches the file differs (GroupSink).
import { defined } from '../assert.js';
import type { Store } from '../protocol.js';

/** GroupSink is what the writer needs of a file: append a group without syncing, then sync it. */
export interface GroupSink<B> {
  append(group: readonly B[]): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * GroupCommitStore reports a batchId through onPersisted only after the sync that covers it
 * returned. A failed append or sync is reported once through onError and stops all writing:
 * what follows a lost batch must never be reported durable.
 */
export class GroupCommitStore<B extends { readonly batchId: number }> implements Store<B> {
  private queue: B[] = [];
  /** draining: the running append/sync loop, if any (at most one: batches stay in order). */
  private draining: Promise<void> | undefined;
  private closed = false;
  private failure: unknown;

  constructor(
    private readonly sink: GroupSink<B>,
    private readonly onPersisted: (batchId: number) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** write queues batches (in batchId order) and returns at once. */
  write(batches: readonly B[]): void {
    if (this.closed) throw new Error('group commit: write after close');
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
        await this.sink.append(group);
        await this.sink.sync();
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
    await this.sink.close();
  }
}
