// once: one simulated run graded — the protocol's cluster on runtime/sim under a schedule,
// then every rank's instance log through the checker's library API (check/), as `csplab
// check` would grade the files. Shared by `csplab sim`, its sweeps and shrinking, and tests.
import { checkLogs, type CheckResult } from '../../check/index.js';
import type { SimProgram } from '../../runtime/protocol.js';
import type { SimOutcome } from '../../runtime/sim/types.js';
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
}

/** Graded: a run's outcome, the checker's verdict and why it failed (empty: it passed). */
export interface Graded {
  readonly outcome: SimOutcome;
  readonly check: CheckResult;
  readonly failures: readonly string[];
}

/** simulate runs and grades one spec. */
export function simulate(spec: SimSpec): Graded {
  const { faults, link } = simFaults(spec.schedule, spec.ranks, spec.t);
  const outcome = spec.program.run({
    seed: spec.seed,
    ranks: spec.ranks,
    clusterId: `sim-${spec.seed}`,
    loadMs: spec.t * 1000,
    ratePerSec: spec.ratePerSec,
    faults,
    link,
    trace: spec.trace,
  });
  const check = checkLogs(
    outcome.ranks.map((r) => ({ name: `instancelog${r.rank}.log`, node: r.rank, lines: r.lines, unterminated: r.unterminated })),
  );
  const failures: string[] = [...outcome.problems];
  for (const rule of check.rules) if (rule.verdict !== 'pass') failures.push(`checker rule ${rule.rule}: ${rule.verdict}`);
  return { outcome, check, failures };
}
