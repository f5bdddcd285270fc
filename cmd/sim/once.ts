// once: one simulated run graded — the protocol's cluster on runtime/sim under a schedule,
// then every rank's instance log through the checker's library API (check/), as `csplab
// check` would grade the files — and, with clients, their history through check/lin's library
// API, as `csplab check --lin` grades history.jsonl (and, when its ok ops carry a global write
// order's stamps, as `csplab check --sc` does: Vectory's). Shared by `csplab sim`, its sweeps and
// shrinking, and tests.
import { checkLogs, logName, type CheckResult } from '../../check/index.js';
import { StreamingCheck, type StreamRest } from '../../check/stream.js';
import { checkLinearizable, HistoryError, parseHistoryText, type History, type LinResult } from '../../check/lin/index.js';
import { checkSequential, type ScResult } from '../../check/sc/index.js';
import { RealClock } from '../../runtime/clock.js';
import type { SimProgram } from '../../runtime/protocol.js';
import type { LogTap } from '../../runtime/sim/line_log.js';
import type { SimClientLoad, SimOutcome } from '../../runtime/sim/types.js';
import type { ScheduleSpec } from '../schedule.js';
import { simFaults } from './faults.js';

/** SimSpec: everything one simulated run depends on (same spec, same trace). */
export interface SimSpec {
  readonly program: SimProgram;
  readonly ranks: number;
  /** t: seconds of load. */
  readonly t: number;
  readonly seed: string;
  readonly ratePerSec: number;
  readonly schedule: ScheduleSpec;
  readonly trace: boolean;
  /** clients: simulated key-value clients; their history is graded too. */
  readonly clients?: SimClientLoad;
  /** checkEveryStep: the protocol's own invariants after every step (SimOptions.checkEveryStep). */
  readonly checkEveryStep?: boolean;
  /** stepCostUs: SimOptions.stepCostUs. */
  readonly stepCostUs?: number;
  /**
   * streamChunkBytes: grade the instance logs on a second thread while the run goes on, handed
   * over in chunks of this many bytes (default 1 MiB; a shorter run never fills one and is
   * graded at its end, in process); 0: always in process. The verdict is the same either way.
   */
  readonly streamChunkBytes?: number;
  /** onProgress: SimOptions.onProgress (a long run's progress line). */
  readonly onProgress?: (simMs: number, events: number) => void;
  /** onChunk: each chunk handed to the grading thread, as the bytes of the rank's log file (cmd/sim/early_logs.ts). */
  readonly onChunk?: (rank: number, bytes: Uint8Array) => void;
}

/** STREAM_CHUNK_BYTES: SimSpec.streamChunkBytes's default, LineLog's own chunk size. */
const STREAM_CHUNK_BYTES = 1 << 20;

/** LIN_TIME_LIMIT_MS: one seed's history gets `csplab check --lin`'s default time limit. */
const LIN_TIME_LIMIT_MS = 60_000;

/** Graded: a run's outcome, the checker's verdict and why it failed (empty: it passed). */
export interface Graded {
  readonly outcome: SimOutcome;
  readonly check: CheckResult;
  readonly failures: readonly string[];
  /** lin: the client history's verdict (with clients). */
  readonly lin?: LinResult;
  /** sc: the client history's sequential consistency, when its ok ops carry vts/at. */
  readonly sc?: ScResult;
  /** unknown: the history could not be decided within the limits (a status of its own, not a failure). */
  readonly unknown: boolean;
  /** streamed: the logs were graded on the second thread while the run went on (SimSpec.streamChunkBytes). */
  readonly streamed: boolean;
}

/** simulate runs and grades one spec. */
export function simulate(spec: SimSpec): Graded {
  const { faults, link } = simFaults(spec.schedule, spec.ranks, spec.t);
  const stream = streamFor(spec);
  const outcome = spec.program.run({
    seed: spec.seed,
    ranks: spec.ranks,
    clusterId: `sim-${spec.seed}`,
    loadMs: spec.t * 1000,
    ratePerSec: spec.ratePerSec,
    faults,
    link,
    trace: spec.trace,
    ...(spec.clients !== undefined ? { clients: spec.clients } : {}),
    ...(spec.checkEveryStep === true ? { checkEveryStep: true } : {}),
    ...(spec.stepCostUs !== undefined ? { stepCostUs: spec.stepCostUs } : {}),
    ...(stream !== undefined ? { logTap: stream.tap } : {}),
    ...(spec.onProgress !== undefined ? { onProgress: spec.onProgress } : {}),
  });
  const streamed = stream?.check.finish(rests(outcome));
  const check = streamed ?? gradeInProcess(outcome);
  const failures: string[] = [...outcome.problems];
  if (spec.program.audit !== undefined) failures.push(...spec.program.audit(outcome));
  else for (const rule of check.rules) if (rule.verdict !== 'pass') failures.push(`checker rule ${rule.rule}: ${rule.verdict}`);
  if (outcome.history === undefined) return { outcome, check, failures, unknown: false, streamed: streamed !== undefined };
  const history = parseHistoryText(outcome.history.toJsonl(), 'kv');
  const lin = gradeHistory(history);
  if (lin.verdict === 'not linearizable') {
    const keys = lin.keys.filter((k) => k.verdict === 'not linearizable').map((k) => k.key);
    failures.push(`client history not linearizable (key${keys.length > 1 ? 's' : ''} ${keys.slice(0, 5).join(' ')})`);
  }
  const sc = gradeSequential(history, failures);
  if ((outcome.clientStats?.ok ?? 0) === 0) failures.push('no client op completed');
  return {
    ...{ outcome, check, failures, lin, ...(sc !== undefined ? { sc } : {}) },
    ...{ unknown: lin.verdict === 'unknown', streamed: streamed !== undefined },
  };
}

/** streamFor: the grading thread a spec's run feeds its logs to, and the tap that feeds it. */
function streamFor(spec: SimSpec): { check: StreamingCheck; tap: (rank: number) => LogTap } | undefined {
  const chunkBytes = spec.streamChunkBytes ?? STREAM_CHUNK_BYTES;
  if (chunkBytes === 0) return undefined;
  const ranks = Array.from({ length: spec.ranks }, (_, rank) => ({ name: logName(rank), node: rank }));
  const check = new StreamingCheck(ranks, {}, chunkBytes);
  const tap = (rank: number): LogTap => ({
    chunkBytes,
    filled: (bytes, lines) => {
      check.feed(rank, bytes, lines);
      spec.onChunk?.(rank, bytes);
    },
    spare: () => check.spare(),
  });
  return { check, tap };
}

/** rests: each rank's lines not yet handed to the grading thread (undefined: it cannot stand for the log). */
function rests(outcome: SimOutcome): (StreamRest | undefined)[] {
  return outcome.ranks.map((r) => {
    const rest = r.log.unhanded();
    return rest !== undefined ? { ...rest, unterminated: r.unterminated } : undefined;
  });
}

/** gradeInProcess: the logs through checkLogs, read as they are held. */
function gradeInProcess(outcome: SimOutcome): CheckResult {
  // the checker copies the keys it keeps, so it may read the lines as slices of the log's text
  return checkLogs(
    outcome.ranks.map((r) => ({
      name: logName(r.rank),
      node: r.rank,
      lines: { [Symbol.iterator]: () => r.log.sliced() },
      unterminated: r.unterminated,
    })),
  );
}

/**
 * gradeSequential: a history whose ok ops carry stamps (a store with one global write order) is
 * checked as `csplab check --sc` would; a stamped history with an unstamped ok op is the store's
 * bug, so it fails too.
 */
function gradeSequential(history: History, failures: string[]): ScResult | undefined {
  if (!history.ops.some((o) => o.vts !== undefined || o.at !== undefined)) return undefined;
  try {
    const sc = checkSequential(history);
    const first = sc.violations[0];
    if (first !== undefined) failures.push(`client history not sequentially consistent (${first.kind}: ${first.text})`);
    return sc;
  } catch (e) {
    if (!(e instanceof HistoryError)) throw e;
    failures.push(`client history: ${e.message}`);
    return undefined;
  }
}

/** gradeHistory: the verdict `csplab check --lin --model kv` gives the history (explaining a failure on its own budget). */
function gradeHistory(history: History): LinResult {
  const clock = new RealClock();
  const budget = (): (() => boolean) => {
    const until = clock.nowMs() + LIN_TIME_LIMIT_MS;
    return () => clock.nowMs() > until;
  };
  return checkLinearizable(history, 'kv', { expired: budget(), shrinkBudget: budget });
}
