// rank: one TRaft rank on the runtime, mapped as docs/protocols/traft.md §9.2 describes:
// - consensus owns all protocol state (the pure core's step), the WAL (asynchronous writes,
//   completion back through a coalescing `persisted` channel), the lab load and the instance log;
// - msg is the network: inbound batches to consensus (may drop), outbound sends;
// - leader and follower are loops holding no protocol state: they wake consensus at the
//   deadline it asked for (leader/candidate timers, or the follower's election deadline).
// Every read names a timeout; no write blocks; inputs are read together under one timeout.
import { CLOSED, TIMEOUT, select, type Chan, type Selected, type Timeout } from '../../runtime/chan.js';
import type { Clock } from '../../runtime/clock.js';
import { ProcessorGroup, type GroupOutcome } from '../../runtime/processor.js';
import type { Random } from '../../runtime/random.js';
import type { Inbound, Transport } from '../../runtime/transport.js';
import type { LogSink } from '../logsink.js';
import type { DurableState, WalBatch } from './durable.js';
import { isDrained, uncommittedCount } from './drain.js';
import { defaultTiming, type Config, type Timing } from './config.js';
import { formatInstanceLine } from './instance_log.js';
import type { Input, Output } from './io.js';
import { LabLoad } from './lab_load.js';
import type { Envelope, Message } from './messages.js';
import { restartReplica, roleOf, type ReplicaState, type Role } from './state.js';
import { step } from './step.js';
import { bitmapLen, firstMissing } from './tail_bitmap.js';

export interface TraftRankOptions {
  rank: number;
  ranks: number;
  clusterId: string;
  /** electionMs: E = 1000·o; heartbeats every E/5. */
  electionMs: number;
  /** window: -l, the most uncommitted records a leader keeps (the lab load). */
  window: number;
  keys: number;
  /** loadUntilMs: stop proposing (start + t); then drain and stop. */
  loadUntilMs: number;
  clock: Clock;
  random: Random;
  transport: Transport<Message>;
  sink: LogSink;
  /** storage writes WAL batches in order and reports durability through persisted(). */
  storage: { write(batches: readonly WalBatch[]): void };
  /** snapshotEvery: the snapshot threshold in positions (§7.2); 0 never snapshots. */
  snapshotEvery: number;
  durable?: DurableState;
  loggedUpTo?: number;
  /** loggedKeys: the instance log's KEYs by seq (keysFromLines), with durable. */
  loggedKeys?: readonly string[];
  onRole?: (role: Role) => void;
}

export interface TraftRankStats {
  rank: number;
  commits: number;
  outOfOrderCommits: number;
  /** heldBackCommits: positions this rank, as leader, found quorum-accepted (C1) but held back by interference (C2). */
  heldBackCommits: number;
  generates: number;
  proposed: number;
  /** snapshots taken here, and installed from a leader or a voter. */
  snapshots: number;
  snapshotsInstalled: number;
  /** floor: positions below it are compacted into the latest snapshot. */
  floor: number;
  role: Role;
  drops: number;
}

export interface TraftRank {
  readonly done: Promise<GroupOutcome>;
  /** persisted reports that every WAL batch up to batchId is durable. */
  persisted(batchId: number): void;
  stop(): void;
  stats(): TraftRankStats;
  state(): ReplicaState;
}

const BIG = 1 << 16;
const PROPOSALS_PER_STEP = 256;

/** RankChans are the rank's channels: network traffic may drop (the protocol retries); completions and wake-ups coalesce. */
type RankChans = {
  readonly net: Chan<Inbound<Message>>;
  readonly persisted: Chan<number>;
  readonly wakes: Chan<number>;
  readonly outbox: Chan<Envelope[]>;
  readonly leaderDeadlines: Chan<number>;
  readonly followerDeadlines: Chan<number>;
};

/** Counts are TraftRankStats' counters, from the instance-log lines and trace events of every step. */
type Counts = {
  commits: number;
  outOfOrderCommits: number;
  heldBackCommits: number;
  generates: number;
  snapshots: number;
  snapshotsInstalled: number;
};

/** Core is what the consensus processor owns: the replica (passed through step) and the bookkeeping around it. */
type Core = {
  s: ReplicaState;
  /** role: the role last reported to onRole. */
  role: Role;
  /** heardLen: the largest committed length a leader's ForwardReq told us (positions we may still lack). */
  heardLen: number;
  /** drainedSinceMs: since when drainedEverywhere has held (after -t). */
  drainedSinceMs: number | undefined;
  readonly counts: Counts;
  readonly random: Random;
  readonly load: LabLoad;
};

/** Rank is one running rank: its options, processor group, channels, heartbeat interval H and core. */
type Rank = {
  readonly o: TraftRankOptions;
  readonly group: ProcessorGroup;
  readonly chans: RankChans;
  readonly H: number;
  readonly core: Core;
};

export function startTraftRank(o: TraftRankOptions): TraftRank {
  const timing = rankTiming(o);
  const config: Config = { clusterId: o.clusterId, members: Array.from({ length: o.ranks }, (_, r) => r) };
  const group = new ProcessorGroup(`rank ${o.rank}`, o.clock);
  const chans = openChans(group, o.transport);
  const rank: Rank = { o, group, chans, H: timing.heartbeatIntervalMs, core: restoreCore(o, config, timing) };
  group.spawn('msg', msgLoop(rank));
  group.spawn('leader', waker(rank, chans.leaderDeadlines));
  group.spawn('follower', waker(rank, chans.followerDeadlines));
  group.spawn('consensus', consensusLoop(rank));
  void group.done.then(() => o.transport.close());
  return rankHandle(rank);
}

/**
 * rankTiming is the lab's timing for E = electionMs. Requests time out after E/2, not H
 * (config.ts rpcTimeoutMs): a follower's WAL write + fsync can outlast H under load, and each
 * expiry resends up to maxBatch records (§11 D6, §15).
 */
function rankTiming(o: TraftRankOptions): Timing {
  return { ...defaultTiming(o.electionMs), rpcTimeoutMs: o.electionMs / 2, snapshotEvery: o.snapshotEvery };
}

/** openChans makes the rank's channels in `group`, which also adopts the transport's inbox (stop() closes them all). */
function openChans(group: ProcessorGroup, transport: Transport<Message>): RankChans {
  group.adopt(transport.inbox);
  return {
    net: group.chan<Inbound<Message>>({ name: 'consensus.net', capacity: 4096, overflow: { type: 'drop-newest' } }),
    persisted: group.chan<number>({ name: 'consensus.persisted', capacity: 1, overflow: { type: 'coalesce', merge: Math.max } }),
    wakes: group.chan<number>({ name: 'consensus.wakes', capacity: 1, overflow: { type: 'coalesce', merge: Math.min } }),
    outbox: group.chan<Envelope[]>({ name: 'msg.outbox', capacity: BIG, overflow: { type: 'drop-newest' } }),
    leaderDeadlines: group.chan<number>({ name: 'leader.deadline', capacity: 1, overflow: { type: 'coalesce', merge: (_a, b) => b } }),
    followerDeadlines: group.chan<number>({ name: 'follower.deadline', capacity: 1, overflow: { type: 'coalesce', merge: (_a, b) => b } }),
  };
}

/** restoreCore restarts the replica from what survived on disk (none on a first start). */
function restoreCore(o: TraftRankOptions, config: Config, timing: Timing): Core {
  const random = o.random.fork('core');
  const load = new LabLoad(o.random.fork('load'), { keys: o.keys, setShare: 0.5 });
  const s = restartReplica({
    self: o.rank,
    config,
    timing,
    nowMs: o.clock.nowMs(),
    random,
    ...(o.durable ? { durable: o.durable } : {}),
    loggedUpTo: o.loggedUpTo ?? -1,
    ...(o.loggedKeys ? { keys: o.loggedKeys } : {}),
  });
  const counts = { commits: 0, outOfOrderCommits: 0, heldBackCommits: 0, generates: 0, snapshots: 0, snapshotsInstalled: 0 };
  return { s, role: roleOf(s), heardLen: 0, drainedSinceMs: undefined, counts, random, load };
}

/**
 * drainedEverywhere is the end-of-run test: our frontier reached our log's end (isDrained)
 * and every position a leader reported committed; a leader also waits until every follower
 * reported committing its whole log. A follower missing the last appends is locally "drained"
 * with fewer records, and a leader that stopped 2H after its own drain left such followers
 * short (unequal counts at the cutoff). A silent rank still ends the run at the 2E cutoff.
 */
function drainedEverywhere(core: Core): boolean {
  const { s } = core;
  if (!isDrained(s)) return false;
  const frontier = firstMissing(s.committed);
  if (frontier < core.heardLen) return false;
  if (s.leader !== null) for (const pr of s.leader.progress.values()) if (firstMissing(pr.committed) < frontier) return false;
  return true;
}

/** msgLoop is the msg processor: inbound batches from other ranks to consensus, outbound batches to the transport. */
function msgLoop({ o, chans, H }: Rank): () => Promise<void> {
  const { clock, transport } = o;
  return async () => {
    const inputs = [transport.inbox, chans.outbox] as Chan<unknown>[];
    for (;;) {
      const got = await select(inputs, H, clock);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      if (got.index === 0) {
        for (const b of [got.value as Inbound<Message>, ...transport.inbox.drain()]) if (b.from !== o.rank) chans.net.write(b);
      } else {
        for (const batch of [got.value as Envelope[], ...chans.outbox.drain()]) for (const e of batch) transport.send(e.to, e.msg);
      }
    }
  };
}

/** waker: a loop that holds a deadline and wakes consensus when it passes. */
function waker({ o, chans, H }: Rank, deadlines: Chan<number>): () => Promise<void> {
  const { clock } = o;
  return async () => {
    let deadline = Infinity;
    for (;;) {
      const waitMs = Math.min(H, Math.max(0, deadline - clock.nowMs()));
      const got = await deadlines.read(waitMs);
      if (got === CLOSED) break;
      if (got !== TIMEOUT) {
        deadline = got;
        continue;
      }
      if (clock.nowMs() >= deadline) {
        chans.wakes.write(deadline);
        deadline = Infinity;
      }
    }
  };
}

/** Round collects one consensus wake-up's outputs: its sends and instance-log text go out once, after all its steps. */
type Round = { readonly sends: Envelope[]; text: string; lastOut: Output | undefined };

/** consensusLoop is the consensus processor: step on every input, feed the lab load, hand outputs on, stop once drained. */
function consensusLoop(rank: Rank): () => Promise<void> {
  const { o, group, chans, H } = rank;
  const { clock } = o;
  return async () => {
    const inputs = [chans.net, chans.persisted, chans.wakes] as Chan<unknown>[];
    let wakeAtMs = clock.nowMs();
    for (;;) {
      const waitMs = Math.min(H, Math.max(1, wakeAtMs - clock.nowMs()));
      const got = await select(inputs, waitMs, clock);
      if (got === CLOSED) break;
      const round: Round = { sends: [], text: '', lastOut: undefined };
      stepOnInput(rank, round, got);
      const now = clock.nowMs();
      proposeLoad(rank, round, now);
      wakeAtMs = flushRound(rank, round, wakeAtMs);
      if (now >= o.loadUntilMs && drainedLongEnough(rank, now)) group.stop();
    }
    o.sink.close();
  };
}

/** stepOnInput steps on what select returned: a tick on timeout, every buffered network batch, a persisted report, or a wake-up. */
function stepOnInput(rank: Rank, round: Round, got: Selected<unknown> | Timeout): void {
  const { core } = rank;
  if (got === TIMEOUT) runStep(rank, round, { type: 'tick' });
  else if (got.index === 0) {
    for (const b of [got.value as Inbound<Message>, ...rank.chans.net.drain()]) {
      for (const msg of b.msgs) {
        if (msg.type === 'ForwardReq') core.heardLen = Math.max(core.heardLen, bitmapLen(msg.committed));
        runStep(rank, round, { type: 'message', from: b.from, msg });
      }
    }
  } else if (got.index === 1) runStep(rank, round, { type: 'persisted', batchId: got.value as number });
  else runStep(rank, round, { type: 'tick' });
}

/** runStep is one step of the core: WAL batches to storage, sends and instance-log text into the round, counters. */
function runStep({ o, core }: Rank, round: Round, input: Input): void {
  const r = step(core.s, input, o.clock.nowMs(), core.random);
  core.s = r.state;
  round.lastOut = r.out;
  if (r.out.persist.length > 0) o.storage.write(r.out.persist);
  for (const e of r.out.send) round.sends.push(e);
  if (r.out.log.length > 0) {
    const atUs = o.clock.nowUs();
    for (const ev of r.out.log) {
      round.text += `${formatInstanceLine(ev, atUs)}\n`;
      if (ev.event === 'commit') core.counts.commits++;
      else core.counts.generates++;
    }
  }
  for (const tr of r.out.trace) {
    if (tr.type === 'commit' && tr.kind === 'cmd' && tr.seq > core.s.loggedUpTo) core.counts.outOfOrderCommits++;
    else if (tr.type === 'held-back') core.counts.heldBackCommits++;
    else if (tr.type === 'snapshot') core.counts[tr.installed ? 'snapshotsInstalled' : 'snapshots']++;
  }
}

/** proposeLoad is the lab load: until loadUntilMs an established leader keeps its window of uncommitted records full. */
function proposeLoad(rank: Rank, round: Round, now: number): void {
  const { o, core } = rank;
  if (now >= o.loadUntilMs || roleOf(core.s) !== 'leader') return;
  const room = Math.min(PROPOSALS_PER_STEP, o.window - uncommittedCount(core.s));
  for (let i = 0; i < room && roleOf(core.s) === 'leader'; i++) runStep(rank, round, { type: 'propose', ...core.load.next() });
}

/**
 * flushRound writes the round's instance-log text and sends, reports a role change, and hands
 * the next wake-up to the current role's waker; it returns that wake-up time.
 */
function flushRound({ o, chans, core }: Rank, round: Round, wakeAtMs: number): number {
  if (round.text !== '') o.sink.write(round.text);
  if (round.sends.length > 0) chans.outbox.write(round.sends);
  const next = round.lastOut?.wakeAtMs ?? wakeAtMs;
  const nextRole = roleOf(core.s);
  if (nextRole !== core.role) {
    core.role = nextRole;
    o.onRole?.(nextRole);
  }
  (core.role === 'follower' ? chans.followerDeadlines : chans.leaderDeadlines).write(next);
  return next;
}

/**
 * drainedLongEnough is the stop rule after -t: proposals have stopped and the protocol keeps
 * running until drained everywhere for 2H, or at the latest until 2E after loadUntilMs.
 */
function drainedLongEnough({ o, core, H }: Rank, now: number): boolean {
  if (drainedEverywhere(core)) core.drainedSinceMs ??= now;
  else core.drainedSinceMs = undefined;
  return (core.drainedSinceMs !== undefined && now - core.drainedSinceMs >= 2 * H) || now >= o.loadUntilMs + 2 * o.electionMs;
}

/** rankHandle is the TraftRank the driver holds: the group's outcome, persisted reports, stop, and reads of state and stats. */
function rankHandle({ o, group, chans, core }: Rank): TraftRank {
  return {
    done: group.done,
    persisted: (batchId) => chans.persisted.write(batchId),
    stop: () => group.stop(),
    state: () => core.s,
    stats: () => ({
      rank: o.rank,
      commits: core.counts.commits,
      outOfOrderCommits: core.counts.outOfOrderCommits,
      heldBackCommits: core.counts.heldBackCommits,
      generates: core.counts.generates,
      proposed: core.load.made,
      snapshots: core.counts.snapshots,
      snapshotsInstalled: core.counts.snapshotsInstalled,
      floor: core.s.floor,
      role: core.role,
      drops: o.transport.stats().dropped + group.stats().reduce((n, c) => n + c.dropped, 0),
    }),
  };
}
