// sim: a whole Paxos cluster in one process on the in-memory network and a virtual clock,
// for deterministic tests: one seed replays the run exactly.
import { VirtualClock } from '../../runtime/clock.js';
import { MemNet } from '../../runtime/net/memnet.js';
import type { Faults } from '../../runtime/net/faults.js';
import { rankRandom, SeededRandom } from '../../runtime/random.js';
import { MemorySink } from '../logsink.js';
import { MemoryRoundStore } from './roundstore.js';
import { CommitArchive } from './archive.js';
import type { PaxosMsg } from './messages.js';
import { startPaxosRank, type PaxosRank, type PaxosRankOptions } from './rank.js';
import { defined } from '../../runtime/assert.js';
import type { Transport } from '../../runtime/transport.js';

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
      PaxosRankOptions,
      'pipelineWindow' | 'proposeBatch' | 'gatherGraceMs' | 'retryMs' | 'dataSize' | 'eager' | 'catchupChunk' | 'windowLimit'
    >
  >;
}

export interface SimCluster {
  clock: VirtualClock;
  net: MemNet<PaxosMsg>;
  ranks: PaxosRank[];
  sinks: MemorySink[];
  startAtMs: number;
  endAtMs: number;
  /** restart replaces rank r with a new incarnation that recovers from its own log. */
  restart(rank: number, incarnation: number): void;
  /** start launches a rank held back by SimOptions.late (a late join). */
  start(rank: number): void;
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
  const ranks: PaxosRank[] = [];
  const launch = (rank: number, incarnation: number): PaxosRank => {
    const sink = defined(sinks[rank], 'every rank has a sink from the start');
    const restored = incarnation > 0 ? recoverFromSink(sink) : undefined;
    return startPaxosRank({
      rank,
      ranks: n,
      slotMs,
      interval: o.interval ?? 100,
      startAtMs,
      endAtMs,
      dataSize: 64,
      eager: false,
      pipelineWindow: 64,
      proposeBatch: 16,
      gatherGraceMs: 5,
      retryMs: 50,
      ...o.tune,
      clock,
      random: rankRandom(o.seed, rank, incarnation),
      transport: tapped(net.endpoint(rank), o.tap),
      sink,
      ...(o.noArchive ? {} : { archive: new CommitArchive((pos, len) => sink.text.slice(pos, pos + len), sink.text.length) }),
      rounds: defined(rounds[rank], 'every rank has a round store from the start'),
      ...(restored ? { restored, amnesiac: true } : {}),
    });
  };
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

const COMMIT_RE = /^commit Instance\[([a-z]{32})\] in seq (\d+) at \d+$/;

function recoverFromSink(sink: MemorySink): [number, string][] {
  const out: [number, string][] = [];
  for (const line of sink.lines()) {
    const m = COMMIT_RE.exec(line);
    if (m) out.push([Number(m[2]), defined(m[1], 'COMMIT_RE captures the key')]);
  }
  return out;
}
