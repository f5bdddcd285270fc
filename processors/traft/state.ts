// state: the replica state (docs/protocols/traft.md §3.5), and the two ways to make one: a fresh
// replica and a restart from durable state. The core owns the state linearly: step mutates the
// object it is given and hands it back; callers never keep or share the old reference.
import type { Random } from '../../runtime/random.js';
import { validateConfig, type Config, type Timing } from './config.js';
import { applierOf, newApplier, type Applier } from './applier.js';
import { labMachine } from './lab_machine.js';
import type { MachineKind } from './state_machine.js';
import type { DurableState, Snapshot, SnapshotEntry, WalEntry } from './durable.js';
import type { KeyIndex } from './deps.js';
import type { InstanceEvent, ProposeAnswer, TraceEvent } from './io.js';
import { leaderId, type LeaderId } from './leader_id.js';
import { KeyTable } from './key_table.js';
import { SeqLog } from './seq_log.js';
import type { ElectReply, Envelope, ForwardKind } from './messages.js';
import type { LogRecord, Seq } from './record.js';
import { bitmapOf, createBitmap, union, type TailBitmap } from './tail_bitmap.js';
import { Unpersisted } from './unpersisted.js';

/**
 * Inflight is one outstanding request to a follower; its positions (ascending; a list, not a
 * TailBitmap, which far from 0 costs seq/32 words) return to the pool on timeout.
 */
export type Inflight = { readonly kind: ForwardKind | 'snapshot'; readonly seqs: readonly Seq[]; readonly sentAtMs: number };

/** Progress is the leader's view of one follower (§3.6, §6.3). */
export type Progress = {
  /** known: some reply of this leadership arrived (or the follower's vote reply was kept). */
  known: boolean;
  /** synced: the follower acked a Sync of ours (its committer is our LeaderId). */
  synced: boolean;
  committer: LeaderId | null;
  /** accepted: union of reported positions; counts toward C1 only while synced. */
  accepted: TailBitmap;
  /** committed: union of the follower's own commit reports (chosen marks, I3). */
  committed: TailBitmap;
  /** syncAttempt: reqId of the current Sync attempt; older need-sync replies are ignored. */
  syncAttempt: number;
  /** syncFull: ship the whole [lo, baseTail) range (after need-sync). */
  syncFull: boolean;
  inflight: Map<number, Inflight>;
  lastSentAtMs: number;
  nextSendAtMs: number;
  backoffMs: number;
  /** lastAckAtMs: last reply naming our LeaderId as its vote (CheckQuorum). */
  lastAckAtMs: number;
  /** ackedReqId: the largest reqId of ours it answered naming our LeaderId as its vote (ReadIndex's quorum round, §9.4). */
  ackedReqId: number;
  /** keysTo: where its KEYs end per its last InstallSnapshot reply (the next part starts there); null before one. */
  keysTo: Seq | null;
  /**
   * reportsFromReqId: replies to requests with a lower reqId report nothing (§6.3): they were
   * sent before its last `need-keys` reply arrived, so they may predate its restart. 0 before one.
   */
  reportsFromReqId: number;
};

/** LeaderRole exists only while established (§5.6 onwards). */
export type LeaderRole = {
  readonly id: LeaderId;
  /** cmax: the maximum committer of the vote quorum (§5.5). */
  readonly cmax: LeaderId | null;
  readonly baseTail: Seq;
  readonly establishedAtMs: number;
  readonly progress: Map<number, Progress>;
  /** keyIndex: latest records per key, for O(1) deps/overrides (§3.2). */
  readonly keyIndex: KeyIndex;
  /** heldBack: seqs reported C1-but-not-C2 (trace `held-back`, once per seq); removed at commit. */
  readonly heldBack: Set<Seq>;
};

/** Campaign is a running candidacy (§5.1, §5.4); after the merge it waits for its batch. */
export type Campaign = {
  readonly cand: LeaderId;
  readonly deadlineMs: number;
  /** replies: granted replies, one per member (duplicates replace); a chunked one only once whole. */
  readonly replies: Map<number, ElectReply>;
  /** parts: the parts so far of a chunked grant, per member: one answer (id) at a time (§4.7). */
  readonly parts: Map<number, ReplyParts>;
  staleLog: boolean;
  /** merge: set once a quorum granted and the merge batch was submitted. */
  merge: { readonly batchId: number; readonly baseTail: Seq; readonly cmax: LeaderId | null } | null;
};

/**
 * PreVote is a follower's pre-vote (§5.1, D28): the ballot it would campaign with, and the
 * members that said they would grant it. Nothing of it is durable: it promises nothing.
 */
export type PreVote = { readonly cand: LeaderId; readonly grants: Set<number> };

/** ReplyParts collects the parts of one chunked ElectReply (`id`), indexed by `at`. */
export type ReplyParts = { readonly id: number; readonly got: Array<ElectReply | undefined>; count: number };

/** SyncStaging holds the records and digest entries of one leader's Sync chunks until the last one (F4, §4.7). */
export type SyncStaging = { readonly leader: LeaderId; readonly records: Map<Seq, LogRecord>; readonly digest: Map<Seq, LeaderId> };

/**
 * KeyStage holds snapshot KEYs of [from, from + keys.length) received in parts (§4.7), from ≤
 * keys.length when staged; installed with the part that reaches the floor, never before.
 */
export type KeyStage = { readonly from: Seq; readonly keys: string[] };

/** ParkedSend is a message held until WAL batch `batchId` is durable (§8.2). */
export type ParkedSend = { readonly batchId: number; readonly env: Envelope };

/** ReplicaState: persisted fields first, then volatile ones. */
export type ReplicaState = {
  readonly self: number;
  readonly config: Config;
  readonly timing: Timing;
  // ---- persisted ----
  /** vote: largest LeaderId promised; never decreases. */
  vote: LeaderId;
  /** committer: leader whose full base this replica holds; never decreases, ≤ vote. */
  committer: LeaderId | null;
  /** log: records at positions ≥ floor only. */
  log: SeqLog;
  /** floor: every position below it is committed, applied and compacted into `snapshot` (§7). */
  floor: Seq;
  /** snapshot: the latest snapshot (floor > 0), sent to followers below the floor (F9). */
  snapshot: Snapshot | null;
  // ---- derived / volatile ----
  /** machine: the state machine's kind: its commands' interference keys, its snapshot images. */
  readonly machine: MachineKind;
  /** applier: the state machine and its applied positions (§6.6), run after every step. */
  applier: Applier;
  /**
   * keys: the instance-log KEY of every position that has its commit line ('' for a no-op),
   * keys.length ≥ loggedUpTo + 1. The lab's per-position key index (§7.3), as bytes (key_table.ts:
   * ~36 B a position): a snapshot sent to a lagging rank carries the KEYs it still has to log (F9).
   */
  keys: KeyTable;
  /** accepted: positions actually stored (never positions merely overridden, §12.8). */
  accepted: TailBitmap;
  /** committed: chosen positions holding the chosen record; ⊆ accepted; grows. */
  committed: TailBitmap;
  maxTermSeen: number;
  leaderHint: LeaderId | null;
  lastLeaderContactMs: number;
  electionDeadlineMs: number;
  /** loggedUpTo: every position ≤ it has had its commit line (or is a no-op). */
  loggedUpTo: number;
  campaign: Campaign | null;
  /** preVote: a follower's running pre-vote (§5.1); null otherwise. */
  preVote: PreVote | null;
  /** failedElections: elections started since this replica last heard a leader (the backoff, §9.3). */
  failedElections: number;
  leader: LeaderRole | null;
  staged: SyncStaging | null;
  keyStage: KeyStage | null;
  // ---- storage handshake ----
  lastBatchId: number;
  persistedBatchId: number;
  parked: ParkedSend[];
  /** unpersisted: positions whose record sits in a batch not yet durable. */
  readonly unpersisted: Unpersisted;
  nextReqId: number;
};

/** Role is derived (§3.5), never stored. */
export type Role = 'leader' | 'candidate' | 'follower';

/** roleOf derives the role: an established leader, a running campaign, or a follower. */
export function roleOf(s: ReplicaState): Role {
  if (s.leader !== null) return 'leader';
  if (s.campaign !== null) return 'candidate';
  return 'follower';
}

/** Effects collects one step's outputs; finish (step.ts) turns it into an Output. */
export type Effects = {
  readonly send: Envelope[];
  /** afterPersist: replies and requests that promise state; parked until durable. */
  readonly afterPersist: Envelope[];
  readonly entries: WalEntry[];
  readonly log: InstanceEvent[];
  readonly trace: TraceEvent[];
  readonly answers: ProposeAnswer[];
  /** snapshot: set when this step took or installed a snapshot; its batch then carries a checkpoint. */
  snapshot: SnapshotEntry | null;
};

/** newEffects is an empty collector. */
export function newEffects(): Effects {
  return { send: [], afterPersist: [], entries: [], log: [], trace: [], answers: [], snapshot: null };
}

/** RestartOptions: what a (re)starting replica is given. */
export type RestartOptions = {
  readonly self: number;
  readonly config: Config;
  readonly timing: Timing;
  /** durable: replayed WAL; omit for a fresh replica. */
  readonly durable?: DurableState;
  /** loggedUpTo: highest commit seq already in the instance log (-1 if none). */
  readonly loggedUpTo?: number;
  /**
   * keys: the KEYs of the instance log's commit lines by seq ('' where none), as keysFromLines
   * reads them, or as keyTableFromLines does (copied, not kept: the reading is the caller's).
   */
  readonly keys?: readonly string[] | KeyTable;
  readonly nowMs: number;
  readonly random: Random;
  /** machine: the replicated state machine's kind (state_machine.ts); the lab's when absent. */
  readonly machine?: MachineKind;
};

/**
 * nothingDurable: no vote, committer, record or snapshot survived (a first start, or a crash
 * before the first WAL batch was synced). Such a replica never acked a leader or granted a vote:
 * both wait until the adopted ballot is durable (§8.1, V4), so no leader's lease counts on it (D31).
 */
function nothingDurable(d: DurableState | undefined): boolean {
  return d === undefined || (d.vote === null && d.committer === null && d.log.size === 0 && d.snapshot === null);
}

/**
 * restartReplica builds a follower from durable state (§8.5 recovery): not established,
 * committed re-learnt from the leader, and `lastLeaderContactMs := now` (V2: it may have
 * promised a lease before the crash).
 */
export function restartReplica(o: RestartOptions): ReplicaState {
  validateConfig(o.config, o.timing, o.self);
  const log = SeqLog.of(o.durable?.log.values() ?? []);
  const vote = o.durable?.vote ?? leaderId(0, o.self);
  const E = o.timing.electionTimeoutMs;
  const snap = o.durable?.snapshot ?? null;
  const floor = snap?.snapshot.floor ?? 0;
  const loggedUpTo = o.loggedUpTo ?? -1;
  const machine = o.machine ?? labMachine;
  const fresh = o.timing.freshStart === true && nothingDurable(o.durable);
  return {
    self: o.self,
    config: o.config,
    timing: o.timing,
    vote,
    committer: o.durable?.committer ?? null,
    log,
    floor,
    snapshot: snap?.snapshot ?? null,
    machine,
    applier: snap === null ? newApplier(machine) : applierOf(machine, snap.snapshot),
    keys: recoveredKeys(o.keys ?? [], loggedUpTo, snap),
    accepted: union(bitmapOf(log.keys()), createBitmap(floor)),
    committed: createBitmap(floor),
    maxTermSeen: vote.term,
    leaderHint: null,
    lastLeaderContactMs: fresh ? o.nowMs - E : o.nowMs,
    electionDeadlineMs: o.nowMs + (fresh ? freshDeadlineMs(o.timing, o.random) : o.random.between(E, 2 * E)),
    loggedUpTo,
    campaign: null,
    preVote: null,
    failedElections: 0,
    leader: null,
    staged: null,
    keyStage: null,
    lastBatchId: 0,
    persistedBatchId: 0,
    parked: [],
    unpersisted: new Unpersisted(),
    nextReqId: 1,
  };
}

/** freshDeadlineMs: a fresh replica's first election deadline after its start, one draw either way (D31, D32). */
function freshDeadlineMs(timing: Timing, random: Random): number {
  const H = timing.heartbeatIntervalMs;
  const spread = timing.freshStartSpreadMs;
  return spread === undefined ? random.between(0, timing.electionTimeoutMs) + H : H / 4 + random.between(0, spread);
}

/**
 * recoveredKeys rebuilds the key index: the instance log's KEYs up to loggedUpTo, then those
 * the snapshot entry holds for positions the log lost (a torn last line below the floor): their
 * commit lines are written again by the first step (emitCommitLines).
 */
function recoveredKeys(logged: readonly string[] | KeyTable, loggedUpTo: number, snap: DurableState['snapshot']): KeyTable {
  let keys: KeyTable;
  if (logged instanceof KeyTable) keys = logged.copyOf(Math.min(logged.length, loggedUpTo + 1));
  else {
    keys = new KeyTable();
    for (let p = 0; p <= loggedUpTo && p < logged.length; p++) keys.push(logged[p] as string);
  }
  while (keys.length < loggedUpTo + 1) keys.push('');
  if (snap === null) return keys;
  // Positions below keysFrom that the scan did not reach had no commit line: no-ops (a torn
  // line is always the last, at or above the snapshot's keysFrom).
  for (let p = keys.length; p < snap.snapshot.floor; p++) keys.push(p >= snap.keysFrom ? (snap.keys[p - snap.keysFrom] ?? '') : '');
  return keys;
}
