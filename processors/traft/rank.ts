// rank: one TRaft rank on the runtime, mapped as docs/protocols/traft.md §9.2 describes:
// - consensus owns all protocol state (the pure core's step), the WAL (asynchronous writes,
//   completion back through a coalescing `persisted` channel), the lab load and the instance log;
// - msg is the network: inbound batches to consensus (may drop), outbound sends;
// - leader and follower are loops holding no protocol state: they wake consensus at the
//   deadline it asked for (leader/candidate timers, or the follower's election deadline).
// Every read names a timeout; no write blocks; inputs are read together under one timeout.
import { CLOSED, TIMEOUT, select, type Chan } from '../../runtime/chan.js';
import type { Clock } from '../../runtime/clock.js';
import { ProcessorGroup, type GroupOutcome } from '../../runtime/processor.js';
import type { Random } from '../../runtime/random.js';
import type { Inbound, Transport } from '../../runtime/transport.js';
import type { LogSink } from '../logsink.js';
import type { DurableState, WalBatch } from './durable.js';
import { isDrained, uncommittedCount } from './drain.js';
import { defaultTiming, type Config } from './config.js';
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

export function startTraftRank(o: TraftRankOptions): TraftRank {
  const { clock, transport } = o;
  // Requests time out after E/2, not H (config.ts rpcTimeoutMs): a follower's WAL write + fsync
  // can outlast H under load, and each expiry resends up to maxBatch records (§11 D6, §15).
  const timing = { ...defaultTiming(o.electionMs), rpcTimeoutMs: o.electionMs / 2, snapshotEvery: o.snapshotEvery };
  const H = timing.heartbeatIntervalMs;
  const config: Config = { clusterId: o.clusterId, members: Array.from({ length: o.ranks }, (_, r) => r) };
  const group = new ProcessorGroup(`rank ${o.rank}`, clock);
  group.adopt(transport.inbox);
  // Network traffic may drop (the protocol retries); completions and wake-ups coalesce.
  const net = group.chan<Inbound<Message>>({ name: 'consensus.net', capacity: 4096, overflow: { type: 'drop-newest' } });
  const persisted = group.chan<number>({ name: 'consensus.persisted', capacity: 1, overflow: { type: 'coalesce', merge: Math.max } });
  const wakes = group.chan<number>({ name: 'consensus.wakes', capacity: 1, overflow: { type: 'coalesce', merge: Math.min } });
  const outbox = group.chan<Envelope[]>({ name: 'msg.outbox', capacity: BIG, overflow: { type: 'drop-newest' } });
  const leaderDeadlines = group.chan<number>({ name: 'leader.deadline', capacity: 1, overflow: { type: 'coalesce', merge: (_a, b) => b } });
  const followerDeadlines = group.chan<number>({ name: 'follower.deadline', capacity: 1, overflow: { type: 'coalesce', merge: (_a, b) => b } });

  const random = o.random.fork('core');
  const load = new LabLoad(o.random.fork('load'), { keys: o.keys, setShare: 0.5 });
  let s: ReplicaState = restartReplica({
    self: o.rank, config, timing, nowMs: clock.nowMs(), random,
    ...(o.durable ? { durable: o.durable } : {}), loggedUpTo: o.loggedUpTo ?? -1, ...(o.loggedKeys ? { keys: o.loggedKeys } : {}),
  });
  const counts = { commits: 0, outOfOrderCommits: 0, heldBackCommits: 0, generates: 0, snapshots: 0, snapshotsInstalled: 0 };
  let role: Role = roleOf(s);
  let drainedSinceMs: number | undefined;
  /** heardLen: the largest committed length a leader's ForwardReq told us (positions we may still lack). */
  let heardLen = 0;
  /**
   * drainedEverywhere is the end-of-run test: our frontier reached our log's end (isDrained)
   * and every position a leader reported committed; a leader also waits until every follower
   * reported committing its whole log. A follower missing the last appends is locally "drained"
   * with fewer records, and a leader that stopped 2H after its own drain left such followers
   * short (unequal counts at the cutoff). A silent rank still ends the run at the 2E cutoff.
   */
  const drainedEverywhere = (): boolean => {
    if (!isDrained(s)) return false;
    const frontier = firstMissing(s.committed);
    if (frontier < heardLen) return false;
    if (s.leader !== null) for (const pr of s.leader.progress.values()) if (firstMissing(pr.committed) < frontier) return false;
    return true;
  };

  group.spawn('msg', async () => {
    const inputs = [transport.inbox, outbox] as Chan<unknown>[];
    for (;;) {
      const got = await select(inputs, H, clock);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      if (got.index === 0) {
        for (const b of [got.value as Inbound<Message>, ...transport.inbox.drain()]) if (b.from !== o.rank) net.write(b);
      } else {
        for (const batch of [got.value as Envelope[], ...outbox.drain()]) for (const e of batch) transport.send(e.to, e.msg);
      }
    }
  });

  /** waker: a loop that holds a deadline and wakes consensus when it passes. */
  const waker = (deadlines: Chan<number>) => async (): Promise<void> => {
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
        wakes.write(deadline);
        deadline = Infinity;
      }
    }
  };
  group.spawn('leader', waker(leaderDeadlines));
  group.spawn('follower', waker(followerDeadlines));

  group.spawn('consensus', async () => {
    const inputs = [net, persisted, wakes] as Chan<unknown>[];
    let wakeAtMs = clock.nowMs();
    for (;;) {
      const waitMs = Math.min(H, Math.max(1, wakeAtMs - clock.nowMs()));
      const got = await select(inputs, waitMs, clock);
      if (got === CLOSED) break;
      const sends: Envelope[] = [];
      let text = '';
      let lastOut: Output | undefined;
      const run = (input: Input): void => {
        const now = clock.nowMs();
        const r = step(s, input, now, random);
        s = r.state;
        lastOut = r.out;
        if (r.out.persist.length > 0) o.storage.write(r.out.persist);
        for (const e of r.out.send) sends.push(e);
        if (r.out.log.length > 0) {
          const atUs = clock.nowUs();
          for (const ev of r.out.log) {
            text += `${formatInstanceLine(ev, atUs)}\n`;
            if (ev.event === 'commit') counts.commits++;
            else counts.generates++;
          }
        }
        for (const tr of r.out.trace) {
          if (tr.type === 'commit' && tr.kind === 'cmd' && tr.seq > s.loggedUpTo) counts.outOfOrderCommits++;
          else if (tr.type === 'held-back') counts.heldBackCommits++;
          else if (tr.type === 'snapshot') counts[tr.installed ? 'snapshotsInstalled' : 'snapshots']++;
        }
      };
      if (got === TIMEOUT) run({ type: 'tick' });
      else if (got.index === 0) {
        for (const b of [got.value as Inbound<Message>, ...net.drain()]) {
          for (const msg of b.msgs) {
            if (msg.type === 'ForwardReq') heardLen = Math.max(heardLen, bitmapLen(msg.committed));
            run({ type: 'message', from: b.from, msg });
          }
        }
      } else if (got.index === 1) run({ type: 'persisted', batchId: got.value as number });
      else run({ type: 'tick' });
      // The lab load: an established leader keeps its window of uncommitted records full.
      const now = clock.nowMs();
      if (now < o.loadUntilMs && roleOf(s) === 'leader') {
        const room = Math.min(PROPOSALS_PER_STEP, o.window - uncommittedCount(s));
        for (let i = 0; i < room && roleOf(s) === 'leader'; i++) run({ type: 'propose', ...load.next() });
      }
      if (text) o.sink.write(text);
      if (sends.length > 0) outbox.write(sends);
      if (lastOut !== undefined) wakeAtMs = (lastOut as Output).wakeAtMs;
      const nextRole = roleOf(s);
      if (nextRole !== role) {
        role = nextRole;
        o.onRole?.(role);
      }
      (role === 'follower' ? followerDeadlines : leaderDeadlines).write(wakeAtMs);
      // After -t: stop proposing, keep the protocol running until drained for 2H (or 2E).
      if (now >= o.loadUntilMs) {
        if (drainedEverywhere()) drainedSinceMs ??= now;
        else drainedSinceMs = undefined;
        if ((drainedSinceMs !== undefined && now - drainedSinceMs >= 2 * H) || now >= o.loadUntilMs + 2 * o.electionMs) group.stop();
      }
    }
    o.sink.close();
  });

  void group.done.then(() => transport.close());
  return {
    done: group.done,
    persisted: (batchId) => persisted.write(batchId),
    stop: () => group.stop(),
    state: () => s,
    stats: () => ({
      rank: o.rank,
      commits: counts.commits,
      outOfOrderCommits: counts.outOfOrderCommits,
      heldBackCommits: counts.heldBackCommits,
      generates: counts.generates,
      proposed: load.made,
      snapshots: counts.snapshots,
      snapshotsInstalled: counts.snapshotsInstalled,
      floor: s.floor,
      role,
      drops: transport.stats().dropped + group.stats().reduce((n, c) => n + c.dropped, 0),
    }),
  };
}
