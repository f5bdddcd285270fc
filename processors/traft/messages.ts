// messages: the wire messages between replicas (traft.md 3.3, 4.2). Replies carry state, not
// deltas, so duplicates and reordering are harmless. Snapshots (InstallSnapshotReq) are not
// built yet: the floor is always 0.
import type { LeaderId } from './leader_id.js';
import type { LogRecord, Seq } from './record.js';
import type { TailBitmap } from './tail_bitmap.js';

/** ElectReq asks for a vote; sent only once `vote = candidate` is durable. */
export type ElectReq = {
  readonly type: 'ElectReq';
  readonly candidate: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly clusterId: string;
};

/** ElectReplyReason names why a vote was refused. */
export type ElectReplyReason = 'stale-ballot' | 'leader-alive' | 'stale-log' | 'other-cluster';

/** ElectReply answers an ElectReq; `candidate` echoes the request so stale replies are known. */
export type ElectReply = {
  readonly type: 'ElectReply';
  readonly candidate: LeaderId;
  readonly granted: boolean;
  readonly reason?: ElectReplyReason;
  readonly vote: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly committed: TailBitmap;
  /** records: E1's shipped records, ascending; empty unless granted with an equal committer. */
  readonly records: readonly LogRecord[];
};

/** ForwardKind: a new leader's Sync, a synced follower's append, or a heartbeat. */
export type ForwardKind = 'sync' | 'append' | 'heartbeat';

/** ForwardReq replicates records and carries the leader's `committed` (4.5). */
export type ForwardReq = {
  readonly type: 'ForwardReq';
  readonly leader: LeaderId;
  readonly kind: ForwardKind;
  /** lo, baseTail, digest, last: sync only. digest lists [p, author] for p in [lo, baseTail). */
  readonly lo?: Seq;
  readonly baseTail?: Seq;
  readonly digest?: ReadonlyArray<readonly [Seq, LeaderId]>;
  readonly last?: boolean;
  readonly records: readonly LogRecord[];
  readonly committed: TailBitmap;
  readonly reqId: number;
};

/** ForwardReply reports the follower's full state; `leader` echoes the request's leader. */
export type ForwardReply = {
  readonly type: 'ForwardReply';
  readonly leader: LeaderId;
  readonly ok: boolean;
  readonly reason?: 'stale-leader' | 'need-sync';
  readonly vote: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly committed: TailBitmap;
  readonly reqId: number;
};

/** Message is every replica-to-replica message. */
export type Message = ElectReq | ElectReply | ForwardReq | ForwardReply;

/** Envelope addresses a message to a member. */
export type Envelope = { readonly to: number; readonly msg: Message };
