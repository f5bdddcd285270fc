// messages: the wire messages between replicas (docs/protocols/traft.md §4). Replies carry state,
// not deltas, so duplicates and reordering are harmless.
import type { Snapshot } from './durable.js';
import type { LeaderId } from './leader_id.js';
import type { LogRecord, Seq } from './record.js';
import type { TailBitmap } from './tail_bitmap.js';

/** ElectReq asks for a vote; sent only once `vote = candidate` is durable. */
export type ElectReq = {
  readonly type: 'ElectReq';
  readonly candidate: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  /** frontier: the candidate's commit frontier; a voter whose floor is above it ships its snapshot with the KEYs from here. */
  readonly frontier: Seq;
  readonly clusterId: string;
  /** pre: a pre-vote (§5.1): would you grant `candidate`? Sent without voting; a voter's answer changes nothing. */
  readonly pre?: true;
};

/**
 * SnapshotShipment carries a snapshot and the instance-log KEYs of [keysFrom, floor) ('' for
 * no-ops), which the receiver has not logged yet (§7.3, F9).
 */
export type SnapshotShipment = {
  readonly snapshot: Snapshot;
  readonly keysFrom: Seq;
  readonly keys: readonly string[];
  /**
   * part: the KEYs end below the floor and more follow (§4.7). A part is only ever staged:
   * nothing is installed, voted or counted on it.
   */
  readonly part?: true;
};

/** ElectReplyReason names why a vote was refused. */
export type ElectReplyReason = 'stale-ballot' | 'leader-alive' | 'stale-log' | 'other-cluster';

/** ElectReply answers an ElectReq; `candidate` echoes the request so stale replies are known. */
export type ElectReply = {
  readonly type: 'ElectReply';
  readonly candidate: LeaderId;
  readonly granted: boolean;
  readonly reason?: ElectReplyReason;
  /** pre: the answer to a pre-vote: `granted` says the voter would grant; it voted nothing and ships nothing. */
  readonly pre?: true;
  readonly vote: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly committed: TailBitmap;
  /** records: E1's shipped records, ascending; empty unless granted with an equal committer. */
  readonly records: readonly LogRecord[];
  /** snapshot: with E1's records, when the candidate lacks positions below the voter's floor (which it can no longer ship). */
  readonly snapshot?: SnapshotShipment;
  /**
   * part: this reply is part `at` of `of` of one answer `id` (§4.7); the candidate counts the
   * grant only once every part of one answer arrived, and merges their records and KEYs.
   */
  readonly part?: ElectReplyPart;
};

/** ElectReplyPart places one chunk of a granted ElectReply too large for one message. */
export type ElectReplyPart = { readonly id: number; readonly at: number; readonly of: number };

/** ForwardKind: a new leader's Sync, a synced follower's append, or a heartbeat. */
export type ForwardKind = 'sync' | 'append' | 'heartbeat';

/** ForwardReq replicates records and carries the leader's `committed` (§6.5). */
export type ForwardReq = {
  readonly type: 'ForwardReq';
  readonly leader: LeaderId;
  readonly kind: ForwardKind;
  /**
   * lo, baseTail, digest, last: sync only. The digests of an attempt's chunks together list
   * [p, author] for every p in [lo, baseTail) (§4.7).
   */
  readonly lo?: Seq;
  readonly baseTail?: Seq;
  readonly digest?: ReadonlyArray<readonly [Seq, LeaderId]>;
  readonly last?: boolean;
  readonly records: readonly LogRecord[];
  readonly committed: TailBitmap;
  readonly reqId: number;
};

/** InstallSnapshotReq is F9: a leader's snapshot for a follower below its floor; answered by a ForwardReply. */
export type InstallSnapshotReq = {
  readonly type: 'InstallSnapshotReq';
  readonly leader: LeaderId;
  readonly shipment: SnapshotShipment;
  readonly reqId: number;
};

/**
 * ForwardReply reports the follower's full state; `leader` echoes the request's leader.
 * `need-keys`: an InstallSnapshotReq whose KEYs start above what the follower has logged (its
 * earlier reports were from before a restart); the leader retries from this reply's frontier.
 */
export type ForwardReply = {
  readonly type: 'ForwardReply';
  readonly leader: LeaderId;
  readonly ok: boolean;
  readonly reason?: 'stale-leader' | 'need-sync' | 'need-keys';
  readonly vote: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly committed: TailBitmap;
  readonly reqId: number;
  /** keysTo: in a reply to an InstallSnapshotReq, where the KEYs we logged or staged end (the next part starts there, §4.7). */
  readonly keysTo?: Seq;
};

/** Message is every replica-to-replica message. */
export type Message = ElectReq | ElectReply | ForwardReq | InstallSnapshotReq | ForwardReply;

/** Envelope addresses a message to a member. */
export type Envelope = { readonly to: number; readonly msg: Message };
