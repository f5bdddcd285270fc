// state: one Vectory node — every shard's Balance-Raft state (docs/protocols/vectory.md §4), the
// vector layer's state, and what one step accumulates (sends, WAL ops, log events). Steps update
// it in place (runtime/protocol.ts: step owns its state linearly).
import type { Envelope } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import type { VectoryConfig } from './config.js';
import type { VMsg } from './messages.js';
import type { Ballot, Entry } from './types.js';
import { compareBallot, ZERO_BALLOT } from './types.js';
import { newApplyLag, type ApplyLag } from './lag.js';
import { newVector, type VectorState } from './vector.js';
import type { VLogEvent } from './log.js';

export type Role = 'follower' | 'candidate' | 'master';

/** Vote: one Collect grant as the candidate holds it (pages from CollectMore appended). */
export type Vote = { accepted: Ballot; commitIndex: number; lastIndex: number; entries: Entry[]; complete: boolean };

/** Peer: what a master knows of one follower of one shard (P1, P3, A5). */
export type Peer = { match: number; syncing: boolean; syncFrom: number; staged: number; next: number; heardAt: number };

export type ShardState = {
  readonly id: number;
  promised: Ballot;
  accepted: Ballot;
  /** log[i − 1] is the entry at index i. */
  log: Entry[];
  commitIndex: number;
  role: Role;
  deadline: number;
  maxEpochSeen: number;
  /** master: the node whose ballot this node follows (a client's hint), null while unknown. */
  master: number | null;
  /** noted: the highest index handed to the vector layer (V4). */
  noted: number;
  votes: Map<number, Vote>;
  peers: Peer[];
  masterSince: number;
  noopIndex: number;
  writesFencedUntil: number;
  fenceHint: number | null;
  hadEntrySinceTick: boolean;
  /** stage: a Sync being received, not yet installed (P2, D16). */
  stage: { ballot: Ballot; prevIndex: number; entries: Entry[] } | undefined;
};

/** WalOp: one change to the persisted fields (§4: promised, accepted, log). */
export type WalOp =
  | { readonly op: 'promise' | 'accept'; readonly shard: number; readonly ballot: Ballot }
  | { readonly op: 'cut'; readonly shard: number; readonly above: number }
  | { readonly op: 'put'; readonly shard: number; readonly entries: readonly Entry[] };

export type WalBatch = { readonly batchId: number; readonly ops: readonly WalOp[] };

/** Waiter: a client waiting on a write (by index at the master) or a read. */
export type ClientWait = { readonly to: number; readonly client: string; readonly reqNo: number };
export type ReadWait = ClientWait & {
  readonly key: string;
  readonly shard: number;
  readonly until: number;
  readonly after: { version: number; shard: number } | undefined;
  /**
   * master reads only (V10): the read index and the Alive whose acks confirm mastership; the read
   * index is undefined until this master's noop commits (a new master's commit index may lag).
   */
  readonly master?: { readIndex: number | undefined; seq: number; ballot: Ballot; acks: Set<number> };
};

export type NodeState = {
  readonly self: number;
  readonly n: number;
  readonly q: number;
  readonly cfg: VectoryConfig;
  readonly shards: ShardState[];
  readonly vector: VectorState;
  tokenUntil: number;
  cooldownUntil: number;
  balance: { shard: number; master: number; acks: Set<number>; token: boolean; until: number } | undefined;
  aliveSeq: number;
  nextAliveAt: number;
  aliveNow: boolean;
  /** rate: EWMA of committed writes per second (the `rate` metric, B-3). */
  rate: number;
  rateWindowStart: number;
  rateCount: number;
  /** cpu: the smoothed CPU share in percent from the probe (the `cpu` metric, B-3); undefined before its first reading. */
  cpu: number | undefined;
  /** cpuReadings: how many probe readings the average holds (it is trusted once they outweigh the first). */
  cpuReadings: number;
  writes: Map<number, Map<number, ClientWait>>;
  reads: ReadWait[];
  batchId: number;
  durableId: number;
  /** parked: sends held until every WAL batch up to upTo is durable. */
  parked: { upTo: number; env: Envelope<VMsg> }[];
  /** durableLog: promise and accept lines, written once their batch is durable (S4 reads them as persisted values). */
  durableLog: { upTo: number; ev: VLogEvent }[];
  started: boolean;
  /** stopAtMs: the load's end plus E, so followers learn the last commits before the node stops. */
  stopAtMs: number;
  counters: { commits: number; elections: number; won: number; tokens: number; applied: number; writes: number; reads: number };
  /** lag: how long committed writes wait for the global apply here (lag.ts; the summary's applyLag*). */
  readonly lag: ApplyLag;
  step: { send: Envelope<VMsg>[]; wal: WalOp[]; log: VLogEvent[] };
};

export function lastIndex(s: ShardState): number {
  return s.log.length;
}

export function lastVersion(s: ShardState): number {
  return s.log[s.log.length - 1]?.version ?? 0;
}

export function isMaster(s: ShardState): boolean {
  return s.role === 'master';
}

export function mastered(n: NodeState): number {
  return n.shards.filter(isMaster).length;
}

/** load: B-3's metric, an integer so it fits the ballot's rank. */
export function load(n: NodeState): number {
  if (n.cfg.metric === 'mastered') return mastered(n);
  return Math.round(n.cfg.metric === 'rate' ? n.rate : (n.cpu ?? 0));
}

/** loadKnown: a `cpu` node has no load to compare until its average holds about 1/α readings (one is noise). */
export function loadKnown(n: NodeState): boolean {
  return n.cfg.metric !== 'cpu' || n.cpuReadings * n.cfg.cpuSmoothing >= 1;
}

/** rankOf: B-2, a less-loaded candidate wins within one epoch. */
export function rankOf(loadNow: number): number {
  return 0xffff - Math.min(Math.max(0, loadNow), 0xffff);
}

export function peersOf(n: NodeState): number[] {
  return Array.from({ length: n.n }, (_, p) => p).filter((p) => p !== n.self);
}

export function send(n: NodeState, to: number, msg: VMsg): void {
  n.step.send.push({ to, msg });
}

export function broadcast(n: NodeState, msg: VMsg): void {
  for (const p of peersOf(n)) send(n, p, msg);
}

export function wal(n: NodeState, op: WalOp): void {
  n.step.wal.push(op);
}

export function emit(n: NodeState, ev: VLogEvent): void {
  n.step.log.push(ev);
}

export function electionDeadline(n: NodeState, now: number, random: Random): number {
  return now + n.cfg.electionMs * (1 + random.next());
}

/** raisePromise: A2/E2/P2 — promised never decreases and is persisted before a reply reveals it. */
export function raisePromise(n: NodeState, s: ShardState, b: Ballot): void {
  if (compareBallot(b, s.promised) <= 0) return;
  s.promised = b;
  s.maxEpochSeen = Math.max(s.maxEpochSeen, b.epoch);
  wal(n, { op: 'promise', shard: s.id, ballot: b });
  emit(n, { type: 'promise', shard: s.id, ballot: b });
}

/** follow: become (or stay) a follower of b's node, dropping master and candidate duties (E5). */
export function follow(n: NodeState, s: ShardState, b: Ballot, master: number | null): void {
  if (s.role === 'master') {
    emit(n, { type: 'stepdown', shard: s.id, ballot: s.accepted });
    n.writes.get(s.id)?.clear();
  }
  s.role = 'follower';
  s.votes.clear();
  s.master = master ?? (compareBallot(b, ZERO_BALLOT) > 0 ? b.nodeId : null);
}

export function newShard(id: number, deadline: number): ShardState {
  return {
    id,
    promised: ZERO_BALLOT,
    accepted: ZERO_BALLOT,
    log: [],
    commitIndex: 0,
    role: 'follower',
    deadline,
    maxEpochSeen: 0,
    master: null,
    noted: 0,
    votes: new Map(),
    peers: [],
    masterSince: 0,
    noopIndex: 0,
    writesFencedUntil: 0,
    fenceHint: null,
    hadEntrySinceTick: false,
    stage: undefined,
  };
}

export function newNodeState(self: number, ranks: number, cfg: VectoryConfig): NodeState {
  return {
    self,
    n: ranks,
    q: Math.floor(ranks / 2) + 1,
    cfg,
    shards: [],
    vector: newVector(cfg.shards),
    tokenUntil: 0,
    cooldownUntil: 0,
    balance: undefined,
    aliveSeq: 0,
    nextAliveAt: 0,
    aliveNow: false,
    rate: 0,
    rateWindowStart: 0,
    rateCount: 0,
    cpu: undefined,
    cpuReadings: 0,
    writes: new Map(),
    reads: [],
    batchId: 0,
    durableId: 0,
    parked: [],
    durableLog: [],
    started: false,
    stopAtMs: Infinity,
    counters: { commits: 0, elections: 0, won: 0, tokens: 0, applied: 0, writes: 0, reads: 0 },
    lag: newApplyLag(cfg.shards),
    step: { send: [], wal: [], log: [] },
  };
}
