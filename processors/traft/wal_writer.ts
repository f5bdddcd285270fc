// wal_writer: the consensus processor's asynchronous storage. Batches are appended in order;
// everything appended while one fsync runs is synced by the next one (group commit), and the
// highest batchId made durable is reported through `onPersisted` (the rank feeds it to a
// coalescing channel, so consensus never waits on the disk and never misses a completion).
// The loop is runtime/store/group_commit.ts's, shared with the chain master's record.
import { GroupCommitStore, type GroupSink } from '../../runtime/store/group_commit.js';
import type { WalBatch } from './durable.js';

/** WalAppender is what the writer needs of a WAL file (wal/segments.ts's WalDir is one). */
export type WalAppender = GroupSink<WalBatch>;

/** WalWriter reports a batch durable only after the fsync covering it; a failure stops it and is reported once. */
export class WalWriter extends GroupCommitStore<WalBatch> {}
