// sim: a whole Paxos cluster in one process on the in-memory network and a virtual clock, each
// rank the Paxos core on the rank driver (runtime/driver/rank.ts), for deterministic tests: one
// seed replays the run exactly.
import { VirtualClock, type Cancel, type Clock } from '../../runtime/clock.js';
import { startRank } from '../../runtime/driver/rank.js';
import { MemorySink } from '../../runtime/driver/logsink.js';
import type { GroupOutcome } from '../../runtime/processor.js';
import { MemNet } from '../../runtime/net/memnet.js';
import type { Faults } from '../../runtime/net/faults.js';
import { rankRandom, SeededRandom } from '../../runtime/random.js';
import type { Transport } from '../../runtime/transport.js';
import { defined } from '../../runtime/assert.js';
import { CommitArchive } from './archive.js';
import type { PaxosConfig, SelfSent } from './core.js';
import type { Follower } from './follower.js';
import { recoverCommitted } from './instancelog.js';
import type { Leader } from './leader.js';
import type { PaxosMsg } from './messages.js';
import { paxos, roundStorage } from './protocol.js';
import { MemoryRoundStore } from './roundstore.js';

export interface SimOptions {
  seed: string | number;
  ranks?: number;
  slotMs?: number;
  interval?: number;
  rounds?: number;
  faults?: Partial<Faults>;
  /** late: ranks not started with the others (start them with cluster.start). */
  late?: number[];
  /** tap sees every message a rank sends (the sweep replays IMPOSEs to restarted ranks with it). */
  tap?: (from: number, to: number, msg: PaxosMsg) => void;
  /** noArchive: ranks cannot read their own log back (catch-up only from the in-memory windows). */
  noArchive?: boolean;
  tune?: Partial<
    Pick<
      PaxosConfig,
      'pipelineWindow' | 'proposeBatch' | 'gatherGraceMs' | 'retryMs' | 'dataSize' | 'eager' | 'catchupChunk' | 'windowLimit'
    >
  >;
}

/** SimRank is one running rank: its outcome, its summary and its roles (read-only, for assertions). */
export interface SimRank {
  readonly done: Promise<GroupOutcome>;
  stop(): void;
  stats(): { commits: number; forged: number; round: number } & Record<string, number | string>;
  readonly follower: Follower;
  readonly leader: Leader;
}

export interface SimCluster {
  clock: VirtualClock;
  net: MemNet<PaxosMsg>;
  ranks: SimRank[];
  sinks: MemorySink[];
  startAtMs: number;
  endAtMs: number;
  /** restart replaces rank r with a new incarnation that recovers from its own log. */
  restart(rank: number, incarnation: number): void;
  /** start launches a rank held back by SimOptions.late (a late join). */
  start(rank: number): void;
  /**
   * freeze stops rank r as SIGSTOP does: its timers and its network traffic wait (net.pause
   * alone holds only the traffic; the rank's slot timer goes on moving it through the rounds).
   */
  freeze(rank: number): void;
  /**
   * thaw is SIGCONT: what its sockets held is read before its overdue timers run, as a real
   * process's event loop, stopped in its poll for input, does first; then the timers fire.
   */
  thaw(rank: number): void;
}

export function startSim(o: SimOptions): SimCluster {
  const n = o.ranks ?? 5;
  const slotMs = o.slotMs ?? 1000;
  const clock = new VirtualClock();
  const root = new SeededRandom(`csplab-sim/${o.seed}`);
  const net = new MemNet<PaxosMsg>({ ranks: n, clock, random: root.fork('net'), faults: o.faults ?? {}, traceLimit: 0 });
  const startAtMs = clock.nowMs() + 10;
  const endAtMs = startAtMs + (o.rounds ?? 5) * slotMs;
  const sinks: MemorySink[] = [];
  const rounds: MemoryRoundStore[] = [];
  const ranks: SimRank[] = [];
  const clocks: FreezableClock[] = [];
  const launch = (rank: number, incarnation: number): SimRank =>
    launchRank(o, { clock: (clocks[rank] = new FreezableClock(clock)), net, startAtMs, endAtMs, slotMs, ranks: n }, rank, incarnation, {
      sink: defined(sinks[rank], 'every rank has a sink from the start'),
      rounds: defined(rounds[rank], 'every rank has a round store from the start'),
    });
  for (let r = 0; r < n; r++) {
    sinks[r] = new MemorySink();
    rounds[r] = new MemoryRoundStore();
    if (!o.late?.includes(r)) ranks[r] = launch(r, 0);
  }
  return {
    clock,
    net,
    ranks,
    sinks,
    startAtMs,
    endAtMs,
    start(rank) {
      ranks[rank] = launch(rank, 0);
    },
    restart(rank, incarnation) {
      defined(ranks[rank], 'only a started rank restarts').stop();
      ranks[rank] = launch(rank, incarnation);
    },
    freeze(rank) {
      net.pause(rank);
      defined(clocks[rank], 'only a started rank freezes').freeze();
    },
    thaw(rank) {
      net.resume(rank);
      defined(clocks[rank], 'only a started rank thaws').thaw();
    },
  };
}

/** FreezableClock is one rank's view of the shared virtual clock: frozen, its timers fire only once thawed. */
class FreezableClock implements Clock {
  private frozen = false;
  private overdue: (() => void)[] = [];

  constructor(private readonly inner: Clock) {}

  nowMs(): number {
    return this.inner.nowMs();
  }

  nowUs(): number {
    return this.inner.nowUs();
  }

  schedule(delayMs: number, fire: () => void): Cancel {
    let live = true;
    const once = (): void => {
      if (!live) return;
      live = false;
      fire();
    };
    const cancel = this.inner.schedule(delayMs, () => (this.frozen ? this.overdue.push(once) : once()));
    return () => {
      live = false;
      cancel();
    };
  }

  freeze(): void {
    this.frozen = true;
  }

  /** thaw fires the overdue timers after what is already due now (the held input the network hands back first). */
  thaw(): void {
    this.frozen = false;
    const due = this.overdue;
    this.overdue = [];
    if (due.length > 0) this.inner.schedule(0, () => due.forEach((fire) => fire()));
  }
}

/** World: what every rank of the simulated cluster shares. */
type World = { clock: Clock; net: MemNet<PaxosMsg>; startAtMs: number; endAtMs: number; slotMs: number; ranks: number };

/** launchRank starts one incarnation of a rank on the driver, over its sink and round store (which outlive incarnations). */
function launchRank(
  o: SimOptions,
  w: World,
  rank: number,
  incarnation: number,
  kept: { sink: MemorySink; rounds: MemoryRoundStore },
): SimRank {
  const { sink } = kept;
  const archive = new CommitArchive(
    (pos, len) => sink.text.slice(pos, pos + len),
    () => sink.text.length,
  );
  const config: PaxosConfig = {
    slotMs: w.slotMs,
    interval: o.interval ?? 100,
    dataSize: 64,
    eager: false,
    pipelineWindow: 64,
    proposeBatch: 16,
    gatherGraceMs: 5,
    retryMs: 50,
    ...o.tune,
    ...(o.noArchive ? {} : { archive: archive.above }),
  };
  const opened = roundStorage(kept.rounds, incarnation);
  const transport = tapped(w.net.endpoint(rank), o.tap);
  const r = startRank({
    protocol: o.tap ? selfTapped(rank, o.tap) : paxos,
    rank,
    ranks: w.ranks,
    clusterId: 'sim',
    config,
    startAtMs: w.startAtMs,
    loadUntilMs: w.endAtMs,
    clock: w.clock,
    random: rankRandom(o.seed, rank, incarnation),
    transport,
    sink,
    storage: opened.start(
      (batchId) => r.persisted(batchId),
      (e) => {
        throw e;
      },
    ),
    ...(opened.durable !== undefined ? { durable: opened.durable } : {}),
    ...(incarnation > 0 ? { logged: recoverCommitted(sink.lines()) } : {}),
  });
  return {
    done: r.done,
    // The endpoint closes now, not once the group has: the next incarnation takes it over.
    stop: () => {
      r.stop();
      void transport.close();
    },
    stats: () => {
      const st = r.stats();
      return { ...st, forged: Number(st.forged), round: Number(st.round) };
    },
    get follower() {
      return r.state().follower;
    },
    get leader() {
      return r.state().leader;
    },
  };
}

/** selfTapped is the protocol reporting to tap each message the rank sends itself (stepped inside the core). */
function selfTapped(rank: number, tap: NonNullable<SimOptions['tap']>): typeof paxos {
  return {
    ...paxos,
    step(s, input, nowMs, random) {
      const r = paxos.step(s, input, nowMs, random);
      for (const t of r.out.trace as readonly SelfSent[]) tap(rank, rank, t.msg);
      return r;
    },
  };
}

/** tapped reports each send of t to tap before it goes out. */
function tapped(t: Transport<PaxosMsg>, tap: SimOptions['tap']): Transport<PaxosMsg> {
  if (tap === undefined) return t;
  return {
    rank: t.rank,
    inbox: t.inbox,
    send: (to, msg) => {
      tap(t.rank, to, msg);
      t.send(to, msg);
    },
    close: () => t.close(),
    stats: () => t.stats(),
  };
}
