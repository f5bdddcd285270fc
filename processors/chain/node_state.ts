// node_state: what a chain node holds (docs/protocols/chain.md §4): one RangeState per chain it
// is in (K2), its installed configuration and epoch, and its lease (L1). Memory only (C6): a
// restarted rank is a new node.
import type { Config, ConfigRange, RangeId } from './config.js';
import type { DedupEntry, NodeRole, StoredEntry, Update, WriteResult } from './messages.js';
import type { ChainOptions } from './options.js';
import { MASTER_RANK, type ChainOut } from './types.js';
import type { NodeToMaster } from './messages.js';

/** Stored: one key's value and the seq that wrote it. */
export interface Stored {
  readonly value: string;
  readonly seq: number;
}

/** Waiter: a client whose write is answered once its seq is acked (W8, C5). */
export interface Waiter {
  readonly to: number;
  readonly client: string;
  readonly reqNo: number;
  readonly result: WriteResult;
}

/** Snapshot: the tail's frozen copy at s0 for one joiner (X2); transferLog holds every seq > s0 since. */
export interface Snapshot {
  readonly joiner: number;
  readonly s0: number;
  readonly entries: readonly StoredEntry[];
  readonly dedup: readonly DedupEntry[];
  transferLog: Update[];
  /** overflow: the log passed maxTransferLog, so the join is aborted (X2). */
  overflow: boolean;
}

/** Joining: a joiner's pull of a snapshot from the tail (X1–X3). */
export interface Joining {
  readonly from: number;
  /** epoch: the JoinAsTail's, which Ready answers with (the master drops answers of an older step). */
  epoch: number;
  nextChunk: number;
  s0: number;
  done: boolean;
  pulledAtMs: number;
}

/**
 * DirtyKey: CRAQ's versions of one key at a member (R3): `base` is its value at the newest
 * clean version (null: absent), `versions` every newer one still unacked here, seq-ordered.
 */
export interface DirtyKey {
  base: string | null;
  readonly versions: { readonly seq: number; readonly value: string | null }[];
}

/** WaitingRead: a get at a member that waits for the tail's VersionReply (R3). */
export interface WaitingRead {
  readonly key: string;
  readonly to: number;
  readonly client: string;
  readonly reqNo: number;
  /** members: the chain, when the client asked who may answer its reads. */
  readonly members?: readonly number[];
}

/**
 * PendingQuery: one VersionQuery for every dirty get of a range that arrived in one turn; it goes
 * to the tail when the turn ends (sendQueries), so a burst of dirty reads costs the tail one query.
 */
export interface PendingQuery {
  readonly rangeId: RangeId;
  /** epoch: the query's; a reply or a configuration of another epoch ends its reads unanswered (`electing`). */
  readonly epoch: number;
  /** tail: the rank asked; only its reply counts. */
  readonly tail: number;
  readonly atMs: number;
  readonly reads: WaitingRead[];
}

export interface RangeState {
  readonly rangeId: RangeId;
  lo: string;
  hi: string;
  role: NodeRole;
  /** chain: the members in the installed epoch (empty while joining). */
  chain: readonly number[];
  pred: number | undefined;
  succ: number | undefined;
  readonly store: Map<string, Stored>;
  lastApplied: number;
  lastAcked: number;
  /** sent: updates forwarded and not yet acked, seq-ordered (the paper's Sent). */
  sent: Update[];
  /** nextSeq: the head's next seq (lastApplied + 1 whenever the head assigns). */
  nextSeq: number;
  readonly dedup: Map<string, DedupEntry>;
  /** waiting: head only: clients answered once their seq is acked. */
  readonly waiting: Map<number, Waiter[]>;
  /** lastAckAtMs: when an Ack last arrived or sent last changed hands (W7's timer). */
  lastAckAtMs: number;
  /** resendAsked: the last Resend this node asked for, so a burst of gaps asks once per resendAfterMs. */
  resendAsked: { from: number; atMs: number } | undefined;
  paused: boolean;
  /** pauseEpoch: the Pause's epoch, which Quiesced answers with. */
  pauseEpoch: number;
  /** quiescedSent: Quiesced was reported for this pause (J3). */
  quiescedSent: boolean;
  retired: boolean;
  /** handoverS1: a joiner serves only once lastApplied ≥ s1 (X4); undefined: not a joiner, or not told yet. */
  handoverS1: number | undefined;
  /** fromJoin: this range came from a snapshot transfer, so it is servable only after Handover. */
  fromJoin: boolean;
  snapshot: Snapshot | undefined;
  joining: Joining | undefined;
  /** outbox: updates applied this turn, forwarded together at its end (write.ts flush). */
  outbox: Update[];
  /** ackDue: lastAcked is to be acked upstream at the end of the turn. */
  ackDue: boolean;
  /** dirty: CRAQ only: keys with a version newer than lastAcked here (versions ≤ lastAcked are folded into base). */
  readonly dirty: Map<string, DirtyKey>;
  /** foldedUpTo: the lastAcked that dirty was last folded at, so a turn without a new Ack folds nothing. */
  foldedUpTo: number;
  /** handover: the old tail's Handover to its joiner, repeated with every resend until acked to s1 (X4). */
  handover: { readonly to: number; readonly s1: number } | undefined;
}

/** Counts: the node's counters for the summary. */
export interface NodeCounts {
  applies: number;
  writesAccepted: number;
  reads: number;
  staleAnswers: number;
  wrongNode: number;
  busy: number;
  staleEpochDropped: number;
  higherEpochDropped: number;
  notFromNeighbour: number;
  resends: number;
  configsInstalled: number;
  /** otherIncarnationConfigs, otherIncarnationReplies: configurations and heartbeat replies addressed to another process of this rank, ignored. */
  otherIncarnationConfigs: number;
  otherIncarnationReplies: number;
  /** forwards, acksSent: Forward and Ack messages sent; applies per Forward shows how far turns batch (W5). */
  forwards: number;
  acksSent: number;
  /** cleanReads, versionQueries: CRAQ gets answered locally at a non-tail member, and those that asked the tail (R3). */
  cleanReads: number;
  versionQueries: number;
  /** queriesSent: VersionQuery messages sent (one per range per turn with dirty gets). */
  queriesSent: number;
  /** readsAbandoned: CRAQ gets ended `electing` because their query was lost or overtaken by an epoch (T15). */
  readsAbandoned: number;
  /** readTurns: turns that answered a get; reads per read turn is how many gets one wake-up's cost is spread over. */
  readTurns: number;
}

export interface NodeState {
  readonly rank: number;
  /** masters: the master ranks (one for `single`, the group for `replicated`); any of them may instruct this node. */
  readonly masters: readonly number[];
  /** incarnation: this process's, renewed when the master removes it (it rejoins as a new node). */
  incarnation: number;
  readonly options: ChainOptions;
  config: Config | undefined;
  epoch: number;
  readonly ranges: Map<RangeId, RangeState>;
  /** joined: the master knows this node (a config names it, or a heartbeat was answered). */
  joined: boolean;
  nextHbAtMs: number;
  hbNo: number;
  /** hbSent: send time and epoch of each recent heartbeat, by hbNo (L1). */
  readonly hbSent: Map<number, { atMs: number; epoch: number }>;
  leaseUntilMs: number;
  leaseEpoch: number;
  getConfigAtMs: number;
  stopped: boolean;
  /**
   * masterLeader, masterReplyAtMs: the master rank that last answered a heartbeat, and when. While
   * it keeps answering, heartbeats go to it alone (heartbeatTargets).
   */
  masterLeader: number | undefined;
  masterReplyAtMs: number;
  /** craqReads: version queries waiting for a VersionReply, each with the gets it carries, by query id (R3). */
  readonly craqReads: Map<number, PendingQuery>;
  /** openQueries: by range, the query this turn's dirty gets join; sent, and forgotten here, when the turn ends. */
  readonly openQueries: Map<RangeId, number>;
  nextQid: number;
  /** readsAtTurn: counts.reads when the last turn ended (readTurns). */
  readsAtTurn: number;
  readonly counts: NodeCounts;
}

export interface NodeSetup {
  rank: number;
  incarnation: number;
  nowMs: number;
  options: ChainOptions;
  /** masters: default [MASTER_RANK], the single master. */
  masters?: readonly number[];
}

/** initNode: an empty node that joins at its first step (decision 1). */
export function initNode(s: NodeSetup): NodeState {
  return {
    rank: s.rank,
    masters: s.masters ?? [MASTER_RANK],
    incarnation: s.incarnation,
    options: s.options,
    config: undefined,
    epoch: 0,
    ranges: new Map(),
    joined: false,
    nextHbAtMs: s.nowMs,
    hbNo: 0,
    hbSent: new Map(),
    leaseUntilMs: -Infinity,
    leaseEpoch: -1,
    getConfigAtMs: -Infinity,
    stopped: false,
    masterLeader: undefined,
    masterReplyAtMs: -Infinity,
    craqReads: new Map(),
    openQueries: new Map(),
    nextQid: 1,
    counts: {
      applies: 0,
      writesAccepted: 0,
      reads: 0,
      staleAnswers: 0,
      wrongNode: 0,
      busy: 0,
      staleEpochDropped: 0,
      otherIncarnationConfigs: 0,
      otherIncarnationReplies: 0,
      higherEpochDropped: 0,
      notFromNeighbour: 0,
      resends: 0,
      configsInstalled: 0,
      forwards: 0,
      acksSent: 0,
      cleanReads: 0,
      versionQueries: 0,
      queriesSent: 0,
      readsAbandoned: 0,
      readTurns: 0,
    },
    readsAtTurn: 0,
  };
}

/** newRange: an empty range state (first epoch, or a joiner before its snapshot). */
export function newRange(rangeId: RangeId, lo: string, hi: string, nowMs: number): RangeState {
  return {
    rangeId,
    lo,
    hi,
    role: 'joining',
    chain: [],
    pred: undefined,
    succ: undefined,
    store: new Map(),
    lastApplied: 0,
    lastAcked: 0,
    sent: [],
    nextSeq: 1,
    dedup: new Map(),
    waiting: new Map(),
    lastAckAtMs: nowMs,
    resendAsked: undefined,
    paused: false,
    pauseEpoch: 0,
    quiescedSent: false,
    retired: false,
    handoverS1: undefined,
    fromJoin: false,
    snapshot: undefined,
    joining: undefined,
    handover: undefined,
    outbox: [],
    ackDue: false,
    dirty: new Map(),
    foldedUpTo: 0,
  };
}

/** roleIn: a member's role from its place in the chain; a one-node chain is its own head (and tail). */
export function roleIn(c: ConfigRange, rank: number): NodeRole {
  const i = c.chain.indexOf(rank);
  if (i < 0) return 'joining';
  if (i === 0) return 'head';
  return i === c.chain.length - 1 ? 'tail' : 'middle';
}

/** isHead / isTail: by position, so a one-node chain is both. */
export function isHead(r: RangeState, rank: number): boolean {
  return r.chain[0] === rank;
}

export function isTail(r: RangeState, rank: number): boolean {
  return r.chain.length > 0 && r.chain[r.chain.length - 1] === rank;
}

/** hasLease: L1/L2: a lease granted in the installed epoch and not yet run out (the node's own clock). */
export function hasLease(n: NodeState, nowMs: number): boolean {
  return n.leaseEpoch === n.epoch && nowMs < n.leaseUntilMs;
}

/** servable: a member that may answer clients for this range — a joiner only after its handover (X4). */
export function servable(r: RangeState): boolean {
  if (r.retired || r.role === 'joining') return false;
  if (!r.fromJoin) return true;
  return r.handoverS1 !== undefined && r.lastApplied >= r.handoverS1;
}

/**
 * toMasters: a node's message for the master goes to every master rank: only the group's leader
 * acts on it (the others drop it), and a node need not learn who leads, nor wait out a timeout
 * on a dead one, when the leadership moves (chain-master.md §12.4).
 */
export function toMasters(n: NodeState, out: ChainOut, msg: NodeToMaster): void {
  for (const m of n.masters) out.send(m, msg);
}
