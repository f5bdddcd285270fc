// io: what a driver feeds the core (Input) and what it gets back (Output). A thin loop reads
// messages, timer wake-ups, Persisted notifications and proposals, calls step, then writes
// `persist` batches to the WAL (in order), sends `send`, appends `log` lines to the instance
// log, and sleeps until `wakeAtMs` or the next input.
import type { SmCommand } from './state_machine.js';
import type { Applied } from './applier.js';
import type { WalBatch } from './durable.js';
import type { LeaderId } from './leader_id.js';
import type { Envelope, Message } from './messages.js';
import type { LogRecord, Seq } from './record.js';

/** Input is one event for the core. */
export type Input =
  | { readonly type: 'message'; readonly from: number; readonly msg: Message }
  /** tick: a wake-up; due timers run after every input anyway. */
  | { readonly type: 'tick' }
  /** persisted: every WAL batch up to batchId is durable. */
  | { readonly type: 'persisted'; readonly batchId: number }
  | { readonly type: 'propose'; readonly cmd: SmCommand; readonly logKey: string }
  /** read-round: a leader confirms its leadership for reads (§9.4): a heartbeat to every follower now; others ignore it. */
  | { readonly type: 'read-round' };

/** InstanceEvent is one instance-log line, in the order to write them (§2.3). */
export type InstanceEvent = { readonly event: 'generate' | 'commit'; readonly seq: Seq; readonly key: string };

/** ProposeAnswer answers a `propose` input at once (commit is reported by the trace). */
export type ProposeAnswer =
  | { readonly type: 'appended'; readonly seq: Seq; readonly logKey: string }
  | { readonly type: 'rejected'; readonly reason: 'not-leader' | 'electing'; readonly hint: LeaderId | null };

/** TraceEvent is for invariant checks and debugging; the protocol never reads it back. */
export type TraceEvent =
  | {
      readonly type: 'commit';
      readonly seq: Seq;
      readonly author: LeaderId;
      readonly kind: 'cmd' | 'noop';
      readonly logKey: string;
      readonly under: LeaderId;
    }
  /** held-back: the leader found `seq` quorum-accepted (C1) but its interference unresolved (C2); once per seq and leadership. */
  | { readonly type: 'held-back'; readonly seq: Seq }
  | { readonly type: 'campaign'; readonly cand: LeaderId }
  | { readonly type: 'pre-vote'; readonly cand: LeaderId }
  | { readonly type: 'merged'; readonly cand: LeaderId; readonly baseTail: Seq }
  | { readonly type: 'established'; readonly leader: LeaderId; readonly baseTail: Seq }
  | { readonly type: 'step-down'; readonly leader: LeaderId; readonly reason: string }
  | { readonly type: 'synced'; readonly leader: LeaderId; readonly deleted: readonly Seq[]; readonly replaced: readonly Seq[] }
  | { readonly type: 'ignored'; readonly why: string }
  /** skipped: applying `by` skipped the stored, unapplied `q` it overrides (§6.6; checked against R5). */
  | { readonly type: 'skipped'; readonly by: LogRecord; readonly q: LogRecord }
  /** snapshot: this step compacted the log below `floor`: a snapshot taken here, or installed (F9, merge). */
  | { readonly type: 'snapshot'; readonly floor: Seq; readonly installed: boolean };

/** Output is everything one step asks the driver to do. */
export type Output = {
  readonly send: readonly Envelope[];
  /** persist: at most one batch; write and fsync in order, then feed `persisted`. */
  readonly persist: readonly WalBatch[];
  readonly log: readonly InstanceEvent[];
  readonly trace: readonly TraceEvent[];
  readonly answers: readonly ProposeAnswer[];
  /** applied: the command records the state machine ran in this step, with their results (clients wait for them). */
  readonly applied: readonly Applied[];
  /** wakeAtMs: call step (a `tick`) no later than this. */
  readonly wakeAtMs: number;
};
