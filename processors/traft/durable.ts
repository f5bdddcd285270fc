// durable: the WAL's entries and batches (docs/protocols/traft.md §8.1) and replayWal, which
// rebuilds the durable part of a replica (vote, committer, log) from the batches that survived a
// crash. The file format lives in wal/; this is the pure meaning of its contents.
import { assertNever } from '../../runtime/assert.js';
import { compareLeaderId, formatLeaderId, type LeaderId } from './leader_id.js';
import type { LogRecord, Seq } from './record.js';
import type { Json } from './state_machine.js';
import type { TailBitmap } from './tail_bitmap.js';
import { WalCorruptError } from './wal/format.js';

/**
 * Snapshot is the state machine after exactly the positions in `applied` (§7.1), which covers
 * [0, floor) and may reach above it (out-of-order applies): restoring it with applied = [0, floor)
 * would apply those positions twice (T25). `kv` is the state machine's image (state_machine.ts;
 * the lab's is its `[key, integer]` pairs).
 */
export type Snapshot = { readonly floor: Seq; readonly applied: TailBitmap; readonly kv: Json };

/**
 * SnapshotEntry persists a snapshot with the instance-log KEYs of [keysFrom, floor) ('' for a
 * no-op): a restart whose instance log lost its last lines (a torn line) writes them again
 * from here, since the records below the floor are gone.
 */
export type SnapshotEntry = {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
  readonly keysFrom: Seq;
  readonly keys: readonly string[];
};

/** WalEntry is one durable change; a later `record` entry for a seq replaces the earlier. */
export type WalEntry =
  | { readonly type: 'vote'; readonly vote: LeaderId }
  | { readonly type: 'committer'; readonly committer: LeaderId }
  | { readonly type: 'record'; readonly record: LogRecord }
  | { readonly type: 'delete'; readonly seq: Seq }
  | SnapshotEntry;

/**
 * WalBatch is written and fsynced whole, in batchId order; `persisted{b}` covers all ≤ b.
 * `checkpoint`, when present, is the replica's whole durable state after this batch (its
 * snapshot entry, vote, committer, and every record at or above the floor): storage starts a
 * new WAL segment with it and removes the older segments once it is durable, so the WAL stays
 * bounded. Replaying the checkpoint alone gives the same state as replaying everything before.
 */
export type WalBatch = { readonly batchId: number; readonly entries: readonly WalEntry[]; readonly checkpoint?: readonly WalEntry[] };

/** DurableState is what recovery reads back: the latest snapshot (if any) and the log above it. */
export type DurableState = {
  readonly vote: LeaderId | null;
  readonly committer: LeaderId | null;
  readonly log: Map<Seq, LogRecord>;
  readonly snapshot: SnapshotEntry | null;
};

/** WalPosition: where a batch was read from (wal/segments.ts), for messages about what replaying it found. */
export type WalPosition = { readonly file: string; readonly offset: number };

/**
 * replayWal applies batches in order; vote, committer and the snapshot floor must never
 * decrease (S3). A snapshot entry drops the records below its floor (a checkpoint starts with
 * one). A WAL that breaks this passed its checksums, so it was written wrong or tampered with:
 * WalCorruptError naming the batch (and, given `positions`, its file and byte), which the CLI
 * maps to exit 4 like any other corruption (§8.5).
 */
export function replayWal(batches: Iterable<readonly WalEntry[]>, positions: readonly WalPosition[] = []): DurableState {
  let vote: LeaderId | null = null;
  let committer: LeaderId | null = null;
  const log = new Map<Seq, LogRecord>();
  let snapshot: SnapshotEntry | null = null;
  let i = 0;
  const refuse = (what: string): never => {
    const p = positions[i];
    const where = p === undefined ? `WAL batch ${i + 1} in replay order` : `${p.file}: WAL batch at byte ${p.offset}`;
    throw new WalCorruptError('corrupt', p?.offset ?? 0, `${where}: ${what}; refusing to start from an inconsistent WAL`);
  };
  for (const entries of batches) {
    for (const e of entries) {
      switch (e.type) {
        case 'vote':
          if (compareLeaderId(e.vote, vote) < 0) refuse(`vote decreases from ${formatLeaderId(vote)} to ${formatLeaderId(e.vote)}`);
          vote = e.vote;
          break;
        case 'committer':
          if (compareLeaderId(e.committer, committer) < 0)
            refuse(`committer decreases from ${formatLeaderId(committer)} to ${formatLeaderId(e.committer)}`);
          committer = e.committer;
          break;
        case 'record':
          if (snapshot === null || e.record.seq >= snapshot.snapshot.floor) log.set(e.record.seq, e.record);
          break;
        case 'delete':
          log.delete(e.seq);
          break;
        case 'snapshot':
          if (snapshot !== null && e.snapshot.floor < snapshot.snapshot.floor)
            refuse(`snapshot floor decreases from ${snapshot.snapshot.floor} to ${e.snapshot.floor}`);
          snapshot = e;
          for (const seq of log.keys()) if (seq < e.snapshot.floor) log.delete(seq);
          break;
        default:
          assertNever(e, 'WAL entry');
      }
    }
    i++;
  }
  return { vote, committer, log, snapshot };
}

/**
 * entriesToReplay lists what recovery replays from batches as submitted (the simulator's disk,
 * tests): each batch's entries, except that a batch's checkpoint replaces everything before.
 */
export function entriesToReplay(batches: readonly WalBatch[]): Array<readonly WalEntry[]> {
  const out: Array<readonly WalEntry[]> = [];
  for (const b of batches) {
    out.push(b.entries);
    if (b.checkpoint !== undefined) out.splice(0, out.length, b.checkpoint);
  }
  return out;
}
