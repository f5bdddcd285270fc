// durable: the WAL's entries and batches (traft.md 7.8) and replayWal, which rebuilds the
// durable part of a replica (vote, committer, log) from the batches that survived a crash.
// The file format lives in wal/; this is the pure meaning of its contents.
import { assert, assertNever } from './assert.js';
import { compareLeaderId, formatLeaderId, type LeaderId } from './leader_id.js';
import type { LogRecord, Seq } from './record.js';

/** WalEntry is one durable change; a later `record` entry for a seq replaces the earlier. */
export type WalEntry =
  | { readonly t: 'vote'; readonly vote: LeaderId }
  | { readonly t: 'committer'; readonly committer: LeaderId }
  | { readonly t: 'record'; readonly record: LogRecord }
  | { readonly t: 'delete'; readonly seq: Seq };

/** WalBatch is written and fsynced whole, in batchId order; `persisted{b}` covers all ≤ b. */
export type WalBatch = { readonly batchId: number; readonly entries: readonly WalEntry[] };

/** DurableState is what recovery reads back (no snapshot: the floor is always 0). */
export type DurableState = {
  readonly vote: LeaderId | null;
  readonly committer: LeaderId | null;
  readonly log: Map<Seq, LogRecord>;
};

/** replayWal applies batches in order; vote and committer must never decrease (S3). */
export function replayWal(batches: Iterable<readonly WalEntry[]>): DurableState {
  let vote: LeaderId | null = null;
  let committer: LeaderId | null = null;
  const log = new Map<Seq, LogRecord>();
  for (const entries of batches) {
    for (const e of entries) {
      switch (e.t) {
        case 'vote':
          assert(compareLeaderId(e.vote, vote) >= 0, () => `WAL vote decreases to ${formatLeaderId(e.vote)}`);
          vote = e.vote;
          break;
        case 'committer':
          assert(compareLeaderId(e.committer, committer) >= 0, () => `WAL committer decreases to ${formatLeaderId(e.committer)}`);
          committer = e.committer;
          break;
        case 'record':
          log.set(e.record.seq, e.record);
          break;
        case 'delete':
          log.delete(e.seq);
          break;
        default:
          assertNever(e, 'WAL entry');
      }
    }
  }
  return { vote, committer, log };
}
