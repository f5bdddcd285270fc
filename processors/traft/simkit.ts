// simkit: a TRaft cluster on the one simulator (runtime/sim/) for scripted tests: the lab
// protocol with its config, the network and disk those tests used, every step checked by
// TRaft's own invariants (step_invariants.ts). Tests step it with runUntil and read a rank's
// replica through the protocol's state.
import type { RankLines } from '../../check/index.js';
import { BASE_MS, Simulation } from '../../runtime/sim/sim.js';
import type { SimClientLoad, SimDisk, SimFault, SimLink } from '../../runtime/sim/types.js';
import type { ReadMode } from '../../runtime/client/wire.js';
import type { ReadOptions, TraftWire } from './clients.js';
import type { DurableState, WalBatch } from './durable.js';
import type { LeaderId } from './leader_id.js';
import type { InstanceEvent, TraceEvent } from './io.js';
import type { Command } from './command.js';
import { coreStep, traft, traftWith, type Logged, type TraftConfig, type TraftState } from './protocol.js';
import { compareLeaderId } from './leader_id.js';
import type { Chosen } from './invariants.js';
import type { Seq } from './record.js';
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
  /**
   * lab: the lab load's switch, for a test that turns it off and on mid-run. While off, a turn
   * proposes nothing and never stops the rank (the run goes on until the test stops stepping it);
   * absent: the load runs until loadMs, then the ranks drain and stop.
   */
  readonly lab?: LabSwitch;
  /** clients: key-value clients (runtime/sim/clients.ts); set config.machine to 'kv'. */
  readonly clients?: SimClientLoad;
}

/** LabSwitch: whether the lab load runs now (TraftSimOptions.lab). */
export interface LabSwitch {
  on: boolean;
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
  return new Simulation(watched(o), o.config, {
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
    ...(o.clients !== undefined ? { clients: o.clients } : {}),
  });
}

/** watched: TRaft (its kv wire for the kv machine) whose steps feed o.traces and whose turns heed o.lab. */
function watched(o: TraftSimOptions): typeof traft {
  const base = o.config.machine === 'kv' ? traftWith('kv') : traft;
  const { traces, lab } = o;
  if (traces === undefined && lab === undefined) return base;
  return {
    ...base,
    step: (r, input, nowMs, random) => {
      // A turn with the load off is an idle one: no proposal, no stop (the stop rule follows the load's end).
      const res =
        input.type === 'turn' && lab?.on === false
          ? { state: r, out: { send: [], persist: [], log: [], trace: [], wakeAtMs: r.wakeAtMs } }
          : base.step(r, input, nowMs, random);
      if (traces !== undefined)
        for (const ev of res.out.trace as readonly TraceEvent[]) traces.push({ atMs: nowMs - BASE_MS, rank: r.s.self, ev });
      return res;
    },
  };
}

/** replica: a live rank's replica state (undefined: down). */
export function replica(sim: TraftSim, rank: number): ReplicaState | undefined {
  return sim.state(rank)?.s;
}

/** stateOf: a live rank's replica state; a test that needs it live fails here, naming the rank, if it is down. */
export function stateOf(sim: TraftSim, rank: number): ReplicaState {
  const s = replica(sim, rank);
  if (s === undefined) throw new Error(`rank ${rank} is down at ${sim.now()} ms`);
  return s;
}

/** kvOf: a live rank's state machine as text. */
export function kvOf(sim: TraftSim, rank: number): string {
  return stateOf(sim, rank).applier.sm.describe();
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

/** chosen: seq → its commit mark under the lowest leader any rank committed it under (S1, S2), from the kept traces. */
export function chosen(traces: readonly CoreTrace[]): Map<Seq, Chosen> {
  const out = new Map<Seq, Chosen>();
  for (const { ev } of traces) {
    if (ev.type !== 'commit') continue;
    const c = out.get(ev.seq);
    if (c === undefined || compareLeaderId(c.under, ev.under) > 0)
      out.set(ev.seq, { author: ev.author, logKey: ev.logKey, under: ev.under });
  }
  return out;
}

/** tracesOn: the core trace events of one rank at or after sinceMs, in order. */
export function tracesOn(traces: readonly CoreTrace[], rank: number, sinceMs = 0): TraceEvent[] {
  return traces.filter((x) => x.rank === rank && x.atMs >= sinceMs).map((x) => x.ev);
}

/** installs: how many snapshots a rank installed from a leader or voter, over all its incarnations. */
export function installs(traces: readonly CoreTrace[], rank: number): number {
  return tracesOn(traces, rank).filter((ev) => ev.type === 'snapshot' && ev.installed).length;
}

/** Scripted is a cluster a scripted test steps by hand: the simulation, the core traces it keeps, and the lab load's switch. */
export interface Scripted {
  readonly sim: TraftSim;
  readonly traces: CoreTrace[];
  readonly lab: LabSwitch;
  readonly ranks: number;
}

/** SCRIPTED_MS: a scripted run's load end, never reached: its lab switch turns the load off, so no rank stops by itself. */
const SCRIPTED_MS = 3_600_000;

/** scripted: a cluster for a scripted scenario (the old SimCluster's shape): the load runs while `load` is on, traces kept. */
export function scripted(
  o: Omit<TraftSimOptions, 'loadMs' | 'traces' | 'lab' | 'ratePerSec'> & { readonly load: boolean; readonly ratePerSec?: number },
): Scripted {
  const traces: CoreTrace[] = [];
  const lab: LabSwitch = { on: o.load };
  const sim = traftSim({ ...o, loadMs: SCRIPTED_MS, ratePerSec: o.ratePerSec ?? 1000, traces, lab });
  return { sim, traces, lab, ranks: o.ranks };
}

/** proposed: how many commands the lab load proposed, over the ranks' current incarnations. */
export function proposed(run: Scripted): number {
  let n = 0;
  for (let r = 0; r < run.ranks; r++) n += Number(run.sim.summary(r)?.proposed ?? 0);
  return n;
}

/** instanceLogs: every rank's instance log as the checker reads it (a crashed rank's torn last line unterminated). */
export function instanceLogs(sim: TraftSim, ranks: number): RankLines[] {
  return Array.from({ length: ranks }, (_, r) => ({
    name: `instancelog${r}.log`,
    node: r,
    lines: sim.lines(r),
    unterminated: sim.unterminated(r),
  }));
}

/** KvClusterOptions: a kv-machine cluster and its simulated clients (runtime/sim/clients.ts). */
export interface KvClusterOptions {
  readonly seed: string;
  readonly ranks: number;
  readonly clients: number;
  readonly keys: number;
  /** getShare: the fraction of the load's ops that are gets (the rest puts, each of a unique value). */
  readonly getShare: number;
  readonly read: ReadMode;
  readonly reads?: ReadOptions;
  readonly link?: Partial<SimLink>;
  readonly snapshotEvery?: number;
  /** deadlineMs: a client op's deadline (its outcome is unknown past it). */
  readonly deadlineMs: number;
  /** startAtMs, stopAtMs: the client load's window; without them the clients only run the ops a test issues. */
  readonly startAtMs?: number;
  readonly stopAtMs?: number;
}

/** KV_MS: a kv run's load end, past any test's last step (the kv machine has no lab load; its ranks stop only after it). */
const KV_MS = 3_600_000;

/** kvCluster: TRaft replicating the kv machine, with clients whose ops a test issues or a load draws. */
export function kvCluster(o: KvClusterOptions): TraftSim {
  const load = {
    keys: o.keys,
    getShare: o.getShare,
    deleteShare: 0,
    read: o.read,
    valueSize: 0,
    keyDist: 'uniform',
    zipfExponent: 1,
  } as const;
  return traftSim({
    seed: o.seed,
    ranks: o.ranks,
    config: {
      electionMs: 1000,
      window: 20,
      keys: o.keys,
      snapshotEvery: o.snapshotEvery ?? 0,
      machine: 'kv',
      ...(o.reads ? { reads: o.reads } : {}),
    },
    loadMs: KV_MS,
    ratePerSec: 1000,
    ...(o.link !== undefined ? { link: o.link } : {}),
    disk: { maxFsyncMs: 5 },
    clients: {
      clients: o.clients,
      load,
      deadlineMs: o.deadlineMs,
      attemptMs: 500,
      backoffMs: 50,
      startAtMs: o.startAtMs ?? 0,
      stopAtMs: o.stopAtMs ?? 0,
    },
  });
}
