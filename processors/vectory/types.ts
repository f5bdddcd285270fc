// types: the vocabulary Vectory's parts share (docs/protocols/vectory.md): ballots, virtual
// timestamps and shard-log entries. The shard agreement (Balance-Raft) decides entries; the
// vector layer orders every shard's committed entries into one global apply sequence.
import type { Vts } from '../../runtime/client/wire.js';

export type { Vts };

/** Ballot: compared by epoch, then rank (higher = less loaded), then nodeId; never reused (B-1, D3). */
export type Ballot = { readonly epoch: number; readonly rank: number; readonly nodeId: number };

/** Cmd: a client's write, as the shard log carries it. */
export type Cmd = { readonly op: 'put'; readonly key: string; readonly value: string } | { readonly op: 'delete'; readonly key: string };

/** EntryKind: a client write, a new master's noop (E4), or an idle shard's tick (V5). */
export type EntryKind = 'write' | 'noop' | 'tick';

/**
 * Entry: one position of a shard's log. `version` is stamped by the master that appended it
 * (V3) and is decided with the entry, so (version, shard) is its place in the global order.
 * A write carries its command and the client session that sent it (at-most-once, V6).
 */
export type Entry = {
  readonly index: number;
  readonly ballot: Ballot;
  readonly kind: EntryKind;
  readonly version: number;
  readonly cmd?: Cmd;
  readonly clientId?: string;
  readonly reqNo?: number;
};

/** compareBallot orders ballots lexicographically by (epoch, rank, nodeId). */
export function compareBallot(a: Ballot, b: Ballot): number {
  return a.epoch - b.epoch || a.rank - b.rank || a.nodeId - b.nodeId;
}

/** compareVts orders virtual timestamps by (version, shard) (V1, D12). */
export function compareVts(a: Vts, b: Vts): number {
  return a.version - b.version || a.shard - b.shard;
}

/** ZERO_BALLOT: below every ballot a node can campaign with (epoch ≥ 1). */
export const ZERO_BALLOT: Ballot = { epoch: 0, rank: 0, nodeId: 0 };

/** ZERO_VTS: below every stamp (versions start at 1). */
export const ZERO_VTS: Vts = { version: 0, shard: 0 };
