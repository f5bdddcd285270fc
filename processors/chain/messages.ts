// messages: chain replication's wire vocabulary (docs/protocols/chain.md §5–§8). Every chain
// and master message carries the sender's epoch; a node adopts a higher epoch only from the
// master (L4). Node ↔ node: Forward, Ack, Resend, the state transfer and Handover. Node ↔
// master: Join, Heartbeat, the configuration and the master's steps. Clients speak the shared
// client wire (runtime/client/wire.ts), mapped to Write/Read inside the node (§9).
import type { ClientReply, ClientRequest } from '../../runtime/client/wire.js';
import type { Config, RangeId } from './config.js';

/** UpdateOp: what a write does to its key. */
export type UpdateOp = 'put' | 'delete';

/** WriteResult: the result a write returns, also to a retry (W1, C4): put created/updated, delete deleted/notFound. */
export type WriteResult = 'created' | 'updated' | 'deleted' | 'notFound';

/** Update is one write as it travels down a chain; `result` is decided at the head and applied with it (dedup, C3). */
export interface Update {
  readonly seq: number;
  readonly op: UpdateOp;
  readonly key: string;
  readonly value?: string;
  readonly clientId: string;
  readonly reqNo: number;
  readonly result: WriteResult;
}

/** DedupEntry: a client's last write in a range (§4 `dedup`), carried with the state. */
export interface DedupEntry {
  readonly clientId: string;
  readonly reqNo: number;
  readonly seq: number;
  readonly result: WriteResult;
  /** atMs: when it was last used (C3 eviction after clientTtlMs; the holder's clock). */
  readonly atMs: number;
}

/** StoredValue: one key's state in a range's store (delete removes the key). */
export type StoredEntry = readonly [key: string, value: string, seq: number];

/** RangeReport: one range's progress in a heartbeat (M1; M4 reads sentLength). */
export interface RangeReport {
  readonly rangeId: RangeId;
  readonly role: NodeRole;
  readonly lastApplied: number;
  readonly lastAcked: number;
  readonly sentLength: number;
  /** servable: a joiner has applied up to its handover s1 (X4): a full member. */
  readonly servable: boolean;
  /** retired: the node answered Retire for the range and serves and forwards nothing for it (F6); optional: additive. */
  readonly retired?: boolean;
}

/** NodeRole: a node's role in one range (§4). */
export type NodeRole = 'head' | 'middle' | 'tail' | 'joining' | 'paused';

export type ChainMsg =
  // --- node → node (every one names its range and the sender's epoch) ---
  /** Forward: updates seq-ordered, from pred to succ (W3–W5); several in one message. */
  | { readonly type: 'forward'; readonly epoch: number; readonly rangeId: RangeId; readonly updates: readonly Update[] }
  /** Ack: every seq ≤ upTo is applied at the tail (W5, W6; cumulative). */
  | { readonly type: 'ack'; readonly epoch: number; readonly rangeId: RangeId; readonly upTo: number }
  /** Resend: the successor is missing seq `from` (W4). */
  | { readonly type: 'resend'; readonly epoch: number; readonly rangeId: RangeId; readonly from: number }
  /** TransferPull: a joiner asks the tail for snapshot chunk chunkNo (X2). */
  | { readonly type: 'transfer-pull'; readonly epoch: number; readonly rangeId: RangeId; readonly chunkNo: number }
  /** Transfer: one chunk of the tail's frozen snapshot at snapshotSeq (X2); `last` ends it. */
  | {
      readonly type: 'transfer';
      readonly epoch: number;
      readonly rangeId: RangeId;
      readonly chunkNo: number;
      readonly snapshotSeq: number;
      readonly entries: readonly StoredEntry[];
      readonly dedup: readonly DedupEntry[];
      readonly last: boolean;
    }
  /** Handover: the old tail, now middle, has applied up to s1; the joiner serves once it has too (X4). */
  | { readonly type: 'handover'; readonly epoch: number; readonly rangeId: RangeId; readonly s1: number }
  /** VersionQuery: a member holding a dirty key asks the tail what it has committed (R3); qid matches the reply. */
  | { readonly type: 'version-query'; readonly epoch: number; readonly rangeId: RangeId; readonly qid: number }
  /**
   * VersionReply: every seq ≤ upTo of the range is applied at the tail (R3); null: the addressee
   * cannot say (not the tail of that epoch, no lease), so the read is retried.
   */
  | {
      readonly type: 'version-reply';
      readonly epoch: number;
      readonly rangeId: RangeId;
      readonly qid: number;
      readonly upTo: number | null;
    }
  // --- node → master ---
  /** Join: a node (re)started with an empty store and asks for a place (a restart is a new node, §8.3). */
  | { readonly type: 'join'; readonly incarnation: number }
  /** Heartbeat: M1; hbNo is echoed by the reply, so the lease runs from this send (L1). */
  | {
      readonly type: 'heartbeat';
      readonly incarnation: number;
      readonly hbNo: number;
      readonly epoch: number;
      readonly ranges: readonly RangeReport[];
    }
  /** GetConfig: the node saw a higher epoch (L4) or an old one in a reply (M2). */
  | { readonly type: 'get-config' }
  /** Ready: the joiner holds the full snapshot at s0 (X3). */
  | { readonly type: 'ready'; readonly epoch: number; readonly rangeId: RangeId; readonly s0: number }
  /** Retired: the node serves and forwards nothing for the range any more (F6). */
  | { readonly type: 'retired'; readonly epoch: number; readonly rangeId: RangeId }
  /** Quiesced: the paused head's `sent` is empty at lastApplied (J3). */
  | { readonly type: 'quiesced'; readonly epoch: number; readonly rangeId: RangeId; readonly lastApplied: number }
  /** Leave: the node asks to be removed gracefully (§7.4; `csplab kv run --remove`). */
  | { readonly type: 'leave' }
  // --- master → node ---
  /**
   * HeartbeatReply: the lease runs to the heartbeat's send time + leaseMs (L1). It echoes the
   * heartbeat's incarnation too: a reply to a dead process's heartbeat, arriving after the rank
   * restarted, neither joins nor leases the new process (hbNo restarts at every process).
   */
  | { readonly type: 'heartbeat-reply'; readonly hbNo: number; readonly epoch: number; readonly incarnation: number }
  /** Removed: the master declared this node failed (or it left): no lease; rejoin as new. */
  | { readonly type: 'removed' }
  /**
   * NewConfig: install this configuration (epochs only grow, §7). It names the addressee's
   * incarnation as the master knows it: a restarted process of that rank holds none of its old
   * self's data, and ignores a configuration that still names the old self in chains.
   */
  | { readonly type: 'config'; readonly config: Config; readonly incarnation: number }
  /** JoinAsTail: pull the range's state from `from`, the tail (X1). */
  | { readonly type: 'join-as-tail'; readonly epoch: number; readonly rangeId: RangeId; readonly from: number }
  /** Retire: stop serving and forwarding the range, answer Retired (F6). */
  | { readonly type: 'retire'; readonly epoch: number; readonly rangeId: RangeId }
  /** Pause: the head answers new writes busy and reports Quiesced once `sent` drains (J3). */
  | { readonly type: 'pause'; readonly epoch: number; readonly rangeId: RangeId }
  /** Resume: the pause is over (aborted, or installed in the next epoch). */
  | { readonly type: 'resume'; readonly epoch: number; readonly rangeId: RangeId }
  /** Stop: a leaving node's ranges are handed on; it stops (§7.4 G1). */
  | { readonly type: 'stop' }
  // --- clients (runtime/client/wire.ts) ---
  | ClientRequest
  | ClientReply;

/** NodeToMaster: what a node sends the master. */
export type NodeToMaster = Extract<ChainMsg, { type: 'join' | 'heartbeat' | 'get-config' | 'ready' | 'retired' | 'quiesced' | 'leave' }>;

/** MasterToNode: what the master sends a node. */
export type MasterToNode = Extract<
  ChainMsg,
  { type: 'heartbeat-reply' | 'removed' | 'config' | 'join-as-tail' | 'retire' | 'pause' | 'resume' | 'stop' }
>;

/** NodeToNode: the chain's own messages. */
export type NodeToNode = Extract<
  ChainMsg,
  { type: 'forward' | 'ack' | 'resend' | 'transfer-pull' | 'transfer' | 'handover' | 'version-query' | 'version-reply' }
>;
