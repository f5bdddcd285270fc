// rank: one Paxos rank on the runtime: four processors (msg, consensus, leader, follower)
// joined by bounded channels. Every read names the -o timeout; no write blocks. The pure cores
// (Router, Follower, Leader) make every decision; these loops only move batches between them.
import { CLOSED, TIMEOUT, select, type Chan } from '../../runtime/chan.js';
import type { Cancel, Clock } from '../../runtime/clock.js';
import { ProcessorGroup, type GroupOutcome } from '../../runtime/processor.js';
import type { Random } from '../../runtime/random.js';
import type { Inbound, Transport } from '../../runtime/transport.js';
import { ALL, type LogEvent, type Send } from './events.js';
import { Follower, type FollowerInput } from './follower.js';
import type { LogSink } from '../logsink.js';
import { formatLines } from './instancelog.js';
import type { CommitArchive } from './archive.js';
import { Leader, type LeaderInput } from './leader.js';
import { leaderOf, type Entry, type PaxosMsg } from './messages.js';
import { Router } from './router.js';
import type { RoundStore } from './roundstore.js';

export interface PaxosRankOptions {
  rank: number;
  ranks: number;
  /** slotMs: -o in ms: the round length and every read's timeout. */
  slotMs: number;
  interval: number; // -l
  startAtMs: number;
  endAtMs: number;
  dataSize: number;
  eager: boolean;
  pipelineWindow: number;
  proposeBatch: number;
  gatherGraceMs: number;
  retryMs: number;
  /** catchupChunk: most history entries per sync message (CATCHUP_CHUNK unless a test shrinks it). */
  catchupChunk?: number;
  /** windowLimit: most committed entries each core keeps in memory (CommitWindow's default unless a test shrinks it). */
  windowLimit?: number;
  clock: Clock;
  random: Random;
  transport: Transport<PaxosMsg>;
  sink: LogSink;
  /**
   * archive: the sink's text read back, for catching up a rank behind the in-memory windows
   * (§6.4). Without it such a rank waits for a sync.
   */
  archive?: CommitArchive;
  /** restored: this rank's committed log from a previous incarnation (restart). */
  restored?: readonly Entry[];
  amnesiac?: boolean;
  /**
   * rounds: the durable highest round entered. Saved before any core hears of a round, so
   * before the rank answers in it; a restarted (amnesiac) rank reads its bound from it (§8).
   */
  rounds: RoundStore;
  /** onRound reports each round this rank enters and its leader (for `csplab run`'s faults). */
  onRound?: (round: number, leader: number) => void;
  /** onLead reports each round this rank starts to lead (not one it may not: amnesiac after a restart). */
  onLead?: (round: number) => void;
}

export interface PaxosRankStats {
  rank: number;
  commits: number;
  generates: number;
  frontier: number;
  round: number;
  roundsLed: number;
  proposed: number;
  drops: number;
  /** forged: messages dropped because their `from` differs from the sender the transport proved. */
  forged: number;
}

export interface PaxosRank {
  readonly done: Promise<GroupOutcome>;
  stop(): void;
  stats(): PaxosRankStats;
  readonly follower: Follower;
  readonly leader: Leader;
}

const BIG = 1 << 16;
const failOnOverflow = { type: 'fail' } as const;

/** RankWiring is what the four processors of one rank share: channels, pure cores, counters. */
interface RankWiring {
  readonly o: PaxosRankOptions;
  readonly group: ProcessorGroup;
  readonly followerIn: Chan<FollowerInput[]>;
  readonly leaderIn: Chan<LeaderInput[]>;
  readonly outbox: Chan<Send[]>;
  readonly logCh: Chan<LogEvent[]>;
  readonly committedFeed: Chan<Entry[]>;
  readonly ticks: Chan<number>;
  readonly wakes: Chan<number>;
  readonly router: Router;
  readonly follower: Follower;
  readonly leader: Leader;
  readonly counts: { commits: number; generates: number; forged: number };
  /** timeoutMs: every read's timeout (-o). */
  readonly timeoutMs: number;
}

/** startPaxosRank starts the four processors; the rank stops itself at endAtMs. */
export function startPaxosRank(o: PaxosRankOptions): PaxosRank {
  const { clock, transport } = o;
  const w = wireRank(o);
  const { group, follower, leader, router, counts } = w;
  spawnMsg(w);
  spawnFollower(w);
  spawnLeader(w);
  spawnConsensus(w);

  // The transport closes with the group, so a restarted incarnation can take the rank's place.
  const shutdown = (): void => {
    group.stop();
    void transport.close();
  };
  const cancelEnd = clock.schedule(Math.max(0, o.endAtMs - clock.nowMs()), shutdown);
  void group.done.then(() => {
    cancelEnd();
    o.rounds.close();
    void transport.close();
  });

  return {
    done: group.done,
    stop: shutdown,
    follower,
    leader,
    stats: () => ({
      rank: o.rank,
      commits: counts.commits,
      generates: counts.generates,
      frontier: follower.frontier,
      round: router.round,
      roundsLed: leader.stats.roundsLed,
      proposed: leader.stats.proposed,
      drops: transport.stats().dropped + group.stats().reduce((n, s) => n + s.dropped, 0),
      forged: counts.forged,
    }),
  };
}

/** wireRank builds one rank's channels and cores, and restores a restarted rank's commits. */
function wireRank(o: PaxosRankOptions): RankWiring {
  const { clock, transport } = o;
  const group = new ProcessorGroup(`rank ${o.rank}`, clock);
  group.adopt(transport.inbox);
  // Protocol inputs must not be lost silently (a lost round change would wedge a handler):
  // the capacities are far beyond any backlog a live rank builds, so overflow means a bug.
  const followerIn = group.chan<FollowerInput[]>({ name: 'follower.in', capacity: BIG, overflow: failOnOverflow });
  const leaderIn = group.chan<LeaderInput[]>({ name: 'leader.in', capacity: BIG, overflow: failOnOverflow });
  const outbox = group.chan<Send[]>({ name: 'outbox', capacity: BIG, overflow: failOnOverflow });
  const logCh = group.chan<LogEvent[]>({ name: 'consensus.log', capacity: BIG, overflow: failOnOverflow });
  const committedFeed = group.chan<Entry[]>({ name: 'leader.committed', capacity: BIG, overflow: failOnOverflow });
  // Ticks are state-like: only the latest matters.
  const ticks = group.chan<number>({ name: 'msg.ticks', capacity: 1, overflow: { type: 'coalesce', merge: (a, b) => Math.max(a, b) } });
  const wakes = group.chan<number>({ name: 'leader.wakes', capacity: 1, overflow: { type: 'coalesce', merge: (a, b) => Math.min(a, b) } });

  const router = new Router({ rank: o.rank, startAtMs: o.startAtMs, slotMs: o.slotMs });
  const follower = new Follower({
    rank: o.rank,
    ranks: o.ranks,
    interval: o.interval,
    amnesiac: o.amnesiac ?? false,
    votedThrough: o.rounds.votedThrough,
    ...(o.archive ? { archive: o.archive.above } : {}),
    ...(o.windowLimit !== undefined ? { windowLimit: o.windowLimit } : {}),
    ...(o.catchupChunk !== undefined ? { catchupChunk: o.catchupChunk } : {}),
  });
  const leader = new Leader({
    rank: o.rank,
    ranks: o.ranks,
    interval: o.interval,
    pipelineWindow: o.pipelineWindow,
    proposeBatch: o.proposeBatch,
    gatherGraceMs: o.gatherGraceMs,
    retryMs: o.retryMs,
    dataSize: o.dataSize,
    eager: o.eager,
    random: o.random,
    amnesiac: o.amnesiac ?? false,
    ...(o.archive ? { archive: o.archive.above } : {}),
    ...(o.windowLimit !== undefined ? { windowLimit: o.windowLimit } : {}),
    ...(o.catchupChunk !== undefined ? { catchupChunk: o.catchupChunk } : {}),
  });
  const counts = { commits: 0, generates: 0, forged: 0 };
  if (o.restored && o.restored.length > 0) {
    follower.restore(o.restored);
    leader.step({ type: 'committed', entries: [...o.restored] }, clock.nowMs());
    counts.commits = o.restored.length;
  }
  return {
    o,
    group,
    followerIn,
    leaderIn,
    outbox,
    logCh,
    committedFeed,
    ticks,
    wakes,
    router,
    follower,
    leader,
    counts,
    timeoutMs: o.slotMs,
  };
}

/** spawnMsg runs the msg processor: routes inbound messages and round ticks to the cores, sends their output. */
function spawnMsg(w: RankWiring): void {
  const { o } = w;
  const { clock, transport } = o;
  const sendAll = (sends: readonly Send[]): void => {
    for (const s of sends) {
      if (s.to === ALL) for (let r = 0; r < o.ranks; r++) transport.send(r, s.msg);
      else transport.send(s.to, s.msg);
    }
  };

  let cancelTick: Cancel = () => {};
  const armTick = (): void => {
    cancelTick();
    const at = w.router.nextTickMs();
    cancelTick = clock.schedule(Math.max(0, at - clock.nowMs()), () => w.ticks.write(at));
  };
  const announce = (round: number, fIn: FollowerInput[], lIn: LeaderInput[]): void => {
    // Durable before any core can answer in the round: the restart rule depends on it (§8).
    o.rounds.save(round);
    fIn.push({ type: 'round', round });
    lIn.push({ type: 'round', round });
    o.onRound?.(round, leaderOf(round, o.ranks));
    armTick();
  };

  w.group.spawn('msg', async () => {
    armTick();
    const inputs = [transport.inbox, w.outbox, w.ticks] as Chan<unknown>[];
    for (;;) {
      const got = await select(inputs, w.timeoutMs, clock);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      const fIn: FollowerInput[] = [];
      const lIn: LeaderInput[] = [];
      const now = clock.nowMs();
      if (got.index === 1) {
        sendAll(got.value as Send[]);
        for (const more of w.outbox.drain()) sendAll(more);
        continue;
      }
      if (got.index === 2) {
        const round = w.router.tick(now);
        if (round !== undefined) announce(round, fIn, lIn);
        else armTick();
      } else {
        const batches = [got.value as Inbound<PaxosMsg>, ...transport.inbox.drain()];
        for (const b of batches) {
          for (const m of b.msgs) {
            // The transport proved who sent the batch (TCP: the handshake; MemNet: the
            // endpoint). A message claiming another sender is dropped and counted: replies go
            // to m.from, and votes are counted by it (issue 11 hole 7).
            if (m.from !== b.from) {
              w.counts.forged++;
              continue;
            }
            const r = w.router.route(m, now);
            if (r.bump !== undefined) announce(r.bump, fIn, lIn);
            if (r.reply) transport.send(r.reply.to, r.reply.msg);
            if (r.toFollower) fIn.push({ type: 'msg', msg: m });
            if (r.toLeader) lIn.push({ type: 'msg', msg: m });
          }
        }
      }
      if (fIn.length > 0) w.followerIn.write(fIn);
      if (lIn.length > 0) w.leaderIn.write(lIn);
    }
    cancelTick();
  });
}

/** spawnFollower runs the follower processor: the Follower core over batches of its inputs. */
function spawnFollower(w: RankWiring): void {
  w.group.spawn('follower', async () => {
    for (;;) {
      const got = await w.followerIn.read(w.timeoutMs);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      const sends: Send[] = [];
      const log: LogEvent[] = [];
      for (const batch of [got, ...w.followerIn.drain()]) {
        for (const input of batch) {
          const out = w.follower.step(input);
          for (const s of out.sends) sends.push(s);
          for (const l of out.log) log.push(l);
          if (out.rejoined !== undefined) w.leaderIn.write([{ type: 'rejoined', round: out.rejoined }]);
        }
      }
      // Log lines first: the consensus processor writes them before any later batch.
      if (log.length > 0) w.logCh.write(log);
      if (sends.length > 0) w.outbox.write(sends);
    }
  });
}

/** spawnLeader runs the leader processor: the Leader core over its inputs, commits and wake-ups. */
function spawnLeader(w: RankWiring): void {
  const { clock } = w.o;
  let cancelWake: Cancel = () => {};
  w.group.spawn('leader', async () => {
    const inputs = [w.leaderIn, w.committedFeed, w.wakes] as Chan<unknown>[];
    for (;;) {
      const got = await select(inputs, w.timeoutMs, clock);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      const now = clock.nowMs();
      const sends: Send[] = [];
      let wakeAt: number | undefined;
      const run = (input: LeaderInput): void => {
        const led = w.leader.stats.roundsLed;
        const out = w.leader.step(input, now);
        if (input.type === 'round' && w.leader.stats.roundsLed > led) w.o.onLead?.(input.round);
        for (const s of out.sends) sends.push(s);
        if (out.wakeAtMs !== undefined) wakeAt = out.wakeAtMs;
      };
      if (got.index === 0) for (const batch of [got.value as LeaderInput[], ...w.leaderIn.drain()]) batch.forEach(run);
      else if (got.index === 1)
        for (const entries of [got.value as Entry[], ...w.committedFeed.drain()]) run({ type: 'committed', entries });
      else run({ type: 'wake' });
      if (wakeAt !== undefined) {
        cancelWake();
        const at = wakeAt;
        cancelWake = clock.schedule(Math.max(0, at - now), () => w.wakes.write(at));
      }
      if (sends.length > 0) w.outbox.write(sends);
    }
    cancelWake();
  });
}

/** spawnConsensus runs the consensus processor: writes the instance log and feeds commits back to the leader. */
function spawnConsensus(w: RankWiring): void {
  const { o } = w;
  const { clock } = o;
  w.group.spawn('consensus', async () => {
    for (;;) {
      const got = await w.logCh.read(w.timeoutMs);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      const batch = [got, ...w.logCh.drain()].flat();
      const text = formatLines(batch, clock.nowUs());
      o.sink.write(text);
      const committed: Entry[] = [];
      for (const ev of batch) {
        if (ev.kind === 'commit') {
          w.counts.commits++;
          committed.push([ev.estround, ev.key]);
        } else w.counts.generates++;
      }
      o.archive?.wrote(text, committed);
      if (committed.length > 0) w.committedFeed.write(committed);
    }
    o.sink.close();
  });
}
