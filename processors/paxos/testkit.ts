// testkit: a Paxos cluster on the one simulator (runtime/sim/) for scripted tests, with the
// knobs those tests turn: the lab's -o/-l/-t, Paxos's tuning, a rank that cannot read its own
// log back, and a tap that also hears the messages a rank steps to itself inside its core
// (they never reach the network, so the simulator's own tap cannot see them).
import { Simulation } from '../../runtime/sim/sim.js';
import type { SimFault, SimLink } from '../../runtime/sim/types.js';
import { CommitArchive } from './archive.js';
import type { PaxosConfig, PaxosState, RoundBatch, SelfSent } from './core.js';
import type { LogEvent } from './events.js';
import type { Entry, PaxosMsg } from './messages.js';
import type { LogLines } from '../../runtime/protocol.js';
import { paxos, type Durable, type PaxosProtocol } from './protocol.js';

export type PaxosSim = Simulation<PaxosConfig, PaxosState, PaxosMsg, RoundBatch, LogEvent, Durable, Entry[]>;

export interface PaxosSimOptions {
  readonly seed: string | number;
  readonly ranks?: number;
  readonly slotMs?: number;
  readonly interval?: number;
  readonly rounds?: number;
  readonly link?: Partial<SimLink>;
  readonly faults?: readonly SimFault[];
  /** tap sees every message a rank sends, to a peer or to itself; true drops a peer's copy. */
  readonly tap?: (from: number, to: number, msg: PaxosMsg) => boolean | undefined;
  /** noArchive: ranks cannot read their own log back (catch-up only from the in-memory windows). */
  readonly noArchive?: boolean;
  readonly tune?: Partial<
    Pick<
      PaxosConfig,
      'pipelineWindow' | 'proposeBatch' | 'gatherGraceMs' | 'retryMs' | 'dataSize' | 'eager' | 'catchupChunk' | 'windowLimit'
    >
  >;
}

/** LINK: a clean network whose copies arrive a millisecond later, in order. */
const LINK: SimLink = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0, damageRate: 0 };

/** testConfig: the Paxos configuration scripted simulator tests run with (small values, no eager rounds). */
export function testConfig(slotMs: number, interval: number): PaxosConfig {
  return { slotMs, interval, dataSize: 64, eager: false, pipelineWindow: 64, proposeBatch: 16, gatherGraceMs: 5, retryMs: 50 };
}

/** paxosSim builds a cluster whose round 0 starts at simulated time 0; run it with runUntil and run. */
export function paxosSim(o: PaxosSimOptions): PaxosSim {
  const slotMs = o.slotMs ?? 1000;
  const config: PaxosConfig = { ...testConfig(slotMs, o.interval ?? 100), ...o.tune };
  const protocol = o.tap === undefined ? paxos : selfTapped(o.tap);
  const sim = new Simulation(
    protocol,
    config,
    {
      seed: String(o.seed),
      ranks: o.ranks ?? 5,
      clusterId: 'sim',
      loadMs: (o.rounds ?? 5) * slotMs,
      faults: o.faults ?? [],
      link: { ...LINK, ...o.link },
      trace: false,
    },
    o.noArchive === true ? undefined : (_rank, lines) => ({ ...config, archive: archiveOf(lines).above }),
  );
  if (o.tap !== undefined) sim.tap = o.tap;
  return sim;
}

/** archiveOf reads a rank's simulated instance log as its file would read, growing as lines are added. */
function archiveOf(lines: LogLines): CommitArchive {
  let text = '';
  let upTo = 0;
  const sync = (): string => {
    for (; upTo < lines.length; upTo++) text += `${lines.at(upTo)}\n`;
    return text;
  };
  return new CommitArchive(
    (pos, len) => Buffer.from(sync().slice(pos, pos + len), 'latin1'),
    () => sync().length,
  );
}

/** selfTapped is Paxos reporting to tap each message a rank sends itself (stepped inside the core). */
function selfTapped(tap: NonNullable<PaxosSimOptions['tap']>): PaxosProtocol {
  return {
    ...paxos,
    step(s, input, nowMs, random) {
      const r = paxos.step(s, input, nowMs, random);
      for (const t of r.out.trace as readonly SelfSent[]) tap(s.self, s.self, t.msg);
      return r;
    },
  };
}

/** rank is a fixed fault target. */
export const rank = (r: number): { type: 'rank'; rank: number } => ({ type: 'rank', rank: r });
