// types: what the simulator (runtime/sim/sim.ts) is told and what it hands back. The fault
// shapes are `csplab run`'s (cmd/run/faults.ts parses docs/faults.md's syntax into them), so
// one schedule drives a simulated cluster and a real one.
import type { History } from '../client/history.js';
import type { LoadOptions } from '../client/load.js';
import type { Routing } from '../client/session.js';
import type { Summary } from '../protocol.js';
import type { LineLog, LogTap } from './line_log.js';

/** Target: a fixed rank, or one resolved when the fault fires. */
export type Target = { type: 'rank'; rank: number } | { type: 'leader' } | { type: 'killed' };

/** rankTarget: the fault target naming one rank. */
export const rankTarget = (rank: number): Extract<Target, { type: 'rank' }> => ({ type: 'rank', rank });

/** SimFault is one scheduled fault; atMs is after round 0. */
export type SimFault =
  | { action: 'kill' | 'start' | 'restart'; target: Target; atMs: number }
  | { action: 'pause'; target: Target; atMs: number; durationMs: number }
  | { action: 'partition'; groups: Target[][]; atMs: number; durationMs: number }
  | { action: 'cut'; from: Target[]; to: Target[]; atMs: number; durationMs: number }
  | { action: 'starve'; ranks: Target[]; atMs: number; durationMs: number };

/**
 * STARVE: a starved machine's scheduling (docs/faults.md, `--starve`): each starved rank runs
 * for runMs, then is descheduled for stallMs (its timers fire late, its inputs arrive in a
 * burst), drawn uniformly per span and per rank from the simulator's 'starve' stream.
 */
export const STARVE = { stallMs: [50, 1200], runMs: [5, 100] } as const;

/** SimLink: the faults of every link for the whole run, and the one rank whose clock is off. */
export interface SimLink {
  readonly dropRate: number;
  readonly dupRate: number;
  /** delayMs ± jitterMs: each copy's delay; with jitter a link reorders, without it stays FIFO. */
  readonly delayMs: number;
  readonly jitterMs: number;
  /** damageRate: the share of copies that arrive as a damaged complete frame (validate refuses it: a counted drop). */
  readonly damageRate: number;
  readonly skew?: { readonly rank: number; readonly offsetMs: number };
}

/** SimDisk: fsync latency, and what survives a crash of what was written but not yet durable. */
export interface SimDisk {
  readonly minFsyncMs: number;
  readonly maxFsyncMs: number;
  /** keepUnsyncedRate: each unsynced batch, in order, survives a crash with this probability (the first lost one ends the surviving prefix: a torn tail). */
  readonly keepUnsyncedRate: number;
  /** tornLineRate: a crash cuts the instance log's last line short with this probability. */
  readonly tornLineRate: number;
  /**
   * damageRate: a crash leaves the last durable batch damaged (a bit flip in a complete frame)
   * with this probability; drawn only when set, so runs without it replay as before.
   */
  readonly damageRate?: number;
  /**
   * onDamage: what recovery does with a damaged batch. 'refuse' (the real WAL: exit 4) keeps the
   * rank down; 'truncate' is the wrong recovery that cuts it like a torn tail, kept so a test
   * shows the protocol's invariants catch the acknowledged state that forgets.
   */
  readonly onDamage?: 'refuse' | 'truncate';
}

export const DEFAULT_DISK: SimDisk = { minFsyncMs: 0.2, maxFsyncMs: 2, keepUnsyncedRate: 0.5, tornLineRate: 0.3 };

/** SimOptions configure one simulated run. */
export interface SimOptions {
  readonly seed: string;
  readonly ranks: number;
  readonly clusterId: string;
  /** loadMs: -t in ms; the protocols drain after it and stop by themselves. */
  readonly loadMs: number;
  /** ratePerSec: the lab load's pace per leader (commands per simulated second). */
  readonly ratePerSec?: number;
  readonly faults: readonly SimFault[];
  readonly link: SimLink;
  readonly disk?: SimDisk;
  /** trace: keep every rank's trace lines (docs/trace.md). */
  readonly trace: boolean;
  /** graceMs: how long after loadMs the run may go on before it is cut off (default 120 s). */
  readonly graceMs?: number;
  /** clients: a key-value client load (runtime/sim/clients.ts); the protocol needs a client port (Protocol.clients). */
  readonly clients?: SimClientLoad;
  /**
   * checkEveryStep: run the protocol's own invariants (Protocol.invariants) after every step; the
   * first violation stops the run (SimOutcome.violation). Off by default: it costs time.
   */
  readonly checkEveryStep?: boolean;
  /**
   * stepCostUs: each delivered message occupies its rank for this much virtual CPU time; messages
   * that arrive meanwhile queue (docs/sim.md's step-cost model). 0 (default): no cost, today's schedule.
   */
  readonly stepCostUs?: number;
  /**
   * logTap: a rank's instance-log chunks as they fill (runtime/sim/line_log.ts), for a grader
   * that reads them while the run goes on; nothing the run does depends on it.
   */
  readonly logTap?: (rank: number) => LogTap | undefined;
  /** onProgress: told every PROGRESS_EVENTS events where the run is (a long run's progress line); nothing depends on it. */
  readonly onProgress?: (simMs: number, events: number) => void;
}

/** PROGRESS_EVENTS: how many events pass between SimOptions.onProgress calls. */
export const PROGRESS_EVENTS = 1 << 16;

/** Violation: the first broken invariant of a run checked every step. */
export interface Violation {
  readonly rank: number;
  /** step: the run's event number (SimOutcome.events counts them) whose step broke it. */
  readonly step: number;
  readonly atMs: number;
  /** rule: the checker's sentence, led by the rule's name. */
  readonly rule: string;
}

/** SimClientLoad: simulated key-value clients, each one op outstanding, on the simulated clock. */
export interface SimClientLoad {
  readonly clients: number;
  readonly load: LoadOptions;
  /**
   * deadlineMs: an op's deadline (its outcome is unknown past it); attemptMs: the wait for one
   * reply before the next rank (default min(1000, deadline/4): a request to a dead rank must not
   * use up the whole deadline).
   */
  readonly deadlineMs: number;
  readonly attemptMs?: number;
  /** backoffMs: the pause after `electing` or a not-leader without a hint (default 50). */
  readonly backoffMs?: number;
  /** routing: ClientSession's (default 'leader'). */
  readonly routing?: Routing;
  /** shardOf (per-shard routing) and carryAfter: ClientSession's. */
  readonly shardOf?: (key: string) => number;
  readonly carryAfter?: boolean;
  /** startAtMs: no op of the load begins before it (default 0); a scripted test issues its own before then. */
  readonly startAtMs?: number;
  /** stopAtMs: no op begins at or after it (default loadMs − deadlineMs, so every op ends within the load). */
  readonly stopAtMs?: number;
}

/** SimClientStats: what the simulated clients did. */
export interface SimClientStats {
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly retries: number;
  /** badReplies: ok replies whose result cannot be the op's (ignored). */
  readonly badReplies: number;
  /** strayReplies: messages a rank sent a client address that carried no reply or named no client. */
  readonly strayReplies: number;
  /** drops: client requests and replies the client links lost (or damaged). */
  readonly drops: number;
  /** history: the clients' history (SimOptions.clients), in simulated ms; ops still in flight at the end stay open. */
  readonly history?: History;
  readonly clientStats?: SimClientStats;
}

/** ResolvedFault is what a fault did when it fired (run.json's `resolved`). */
export interface ResolvedFault {
  readonly action: SimFault['action'];
  readonly target: string;
  readonly atMs: number;
  readonly rank: number | null;
  readonly ignored?: true;
  readonly groups?: number[][];
  readonly from?: number[];
  readonly to?: number[];
  readonly untilMs?: number;
}

/** RankEnd is how one rank's run ended. */
export type RankEnd = 'stopped' | 'killed' | 'never-started' | 'cut-off' | 'crashed' | 'refused';

/** SimRankResult is one rank's logs and counters at the end. */
export interface SimRankResult {
  readonly rank: number;
  /** log: the instance log as the simulator kept it (bytes; a string per line only when read). */
  readonly log: LineLog;
  /** lines: the instance log as strings, made when first read (a long run's log is millions of lines: prefer `log`). */
  readonly lines: readonly string[];
  /** unterminated: the last line was cut short by a crash. */
  readonly unterminated: boolean;
  readonly trace: readonly string[];
  readonly end: RankEnd;
  readonly incarnations: number;
  readonly summary: Summary | undefined;
}

/** SimOutcome is a finished simulated run. */
export interface SimOutcome {
  readonly ranks: readonly SimRankResult[];
  readonly resolved: readonly ResolvedFault[];
  /** events: inputs fed to a step (messages, ticks, persisted reports, turns). */
  readonly events: number;
  /** simMs: simulated ms from round 0 to the end. */
  readonly simMs: number;
  /** problems: what the simulator itself saw go wrong (a step threw, a damaged frame validated, a WAL refused). */
  readonly problems: readonly string[];
  readonly drops: number;
  /** history: the clients' history (SimOptions.clients), in simulated ms; ops still in flight at the end stay open. */
  readonly history?: History;
  readonly clientStats?: SimClientStats;
  /** violation: the invariant that stopped the run (SimOptions.checkEveryStep); also one of `problems`. */
  readonly violation?: Violation;
}
