// simkit: a TRaft cluster on the one simulator (runtime/sim/) for scripted tests: the lab
// protocol with its config, the network and disk those tests used, every step checked by
// TRaft's own invariants (step_invariants.ts). Tests step it with runUntil and read a rank's
// replica through the protocol's state.
import { BASE_MS, Simulation } from '../../runtime/sim/sim.js';
import type { SimDisk, SimFault, SimLink } from '../../runtime/sim/types.js';
import type { TraftWire } from './clients.js';
import type { DurableState, WalBatch } from './durable.js';
import type { LeaderId } from './leader_id.js';
import type { InstanceEvent, TraceEvent } from './io.js';
import type { Command } from './command.js';
import { coreStep, traft, type Logged, type TraftConfig, type TraftState } from './protocol.js';
import { roleOf, type ReplicaState } from './state.js';

export type TraftSim = Simulation<TraftConfig, TraftState, TraftWire, WalBatch, InstanceEvent, DurableState, Logged>;

export interface TraftSimOptions {
  readonly seed: string;
  readonly ranks: number;
  readonly config: TraftConfig;
  /** loadMs: how long the lab load runs (ranks drain and stop after it). */
  readonly loadMs: number;
  /** ratePerSec: the lab load's pace per leader. */
  readonly ratePerSec: number;
  readonly link?: Partial<SimLink>;
  readonly disk?: Partial<SimDisk>;
  readonly faults?: readonly SimFault[];
  /** traces: where every step's core trace events go (elections, commits), for a test to read; absent: kept nowhere. */
  readonly traces?: CoreTrace[];
}

/** CoreTrace is one core trace event (io.ts) a rank's step emitted, at simulated ms after round 0. */
export interface CoreTrace {
  readonly atMs: number;
  readonly rank: number;
  readonly ev: TraceEvent;
}

/** LINK: each copy 1–10 ms late (reordered), none lost. */
const LINK: SimLink = { dropRate: 0, dupRate: 0, delayMs: 5.5, jitterMs: 4.5, damageRate: 0 };
const DISK: SimDisk = { minFsyncMs: 0.5, maxFsyncMs: 3, keepUnsyncedRate: 0.5, tornLineRate: 0 };

export function traftSim(o: TraftSimOptions): TraftSim {
  const { traces } = o;
  const protocol: typeof traft =
    traces === undefined
      ? traft
      : {
          ...traft,
          step: (r, input, nowMs, random) => {
            const res = traft.step(r, input, nowMs, random);
            for (const ev of res.out.trace as readonly TraceEvent[]) traces.push({ atMs: nowMs - BASE_MS, rank: r.s.self, ev });
            return res;
          },
        };
  return new Simulation(protocol, o.config, {
    seed: o.seed,
    ranks: o.ranks,
    clusterId: `sim-${o.seed}`,
    loadMs: o.loadMs,
    ratePerSec: o.ratePerSec,
    faults: o.faults ?? [],
    link: { ...LINK, ...o.link },
    disk: { ...DISK, ...o.disk },
    trace: false,
    checkEveryStep: true,
  });
}

/** replica: a live rank's replica state (undefined: down). */
export function replica(sim: TraftSim, rank: number): ReplicaState | undefined {
  return sim.state(rank)?.s;
}

/** leaders: the live ranks that lead now. */
export function leaders(sim: TraftSim, ranks: number): number[] {
  const out: number[] = [];
  for (let rank = 0; rank < ranks; rank++) {
    const s = replica(sim, rank);
    if (s !== undefined && roleOf(s) === 'leader') out.push(rank);
  }
  return out;
}

/** propose hands a command to a rank now, as the lab's load does on a leader's turn; false if it cannot step. */
export function propose(sim: TraftSim, rank: number, cmd: Command, logKey: string): boolean {
  return sim.feed(rank, (r, nowMs, random) => ({ state: r, out: coreStep(r, { type: 'propose', cmd, logKey }, nowMs, random) }));
}

/**
 * campaignAt moves a live rank's election deadline to atMs after round 0 (scripted races, T3):
 * its next tick after then campaigns. False if the rank cannot step.
 */
export function campaignAt(sim: TraftSim, rank: number, atMs: number): boolean {
  return sim.feed(rank, (r) => {
    r.s.electionDeadlineMs = BASE_MS + atMs;
    r.wakeAtMs = Math.min(r.wakeAtMs, BASE_MS + atMs);
    return { state: r, out: { send: [], persist: [], log: [], trace: [], wakeAtMs: r.wakeAtMs } };
  });
}

/** established: the leaders established at or after sinceMs, in order (the traces a traftSim kept). */
export function established(traces: readonly CoreTrace[], sinceMs = 0): Array<{ atMs: number; rank: number; leader: LeaderId }> {
  return traces.flatMap((x) =>
    x.ev.type === 'established' && x.atMs >= sinceMs ? [{ atMs: x.atMs, rank: x.rank, leader: x.ev.leader }] : [],
  );
}
