// chaos: one seeded randomized run of a 5-rank cluster under drops, duplicates, delays,
// partitions and crash/restarts, then a clean phase; returns what the tests assert on.
import { SeededRandom } from '../../../runtime/random.js';
// Types only: the checker itself is handed in by the test (ChaosOptions.grade), so no code of
// check/ runs from inside the protocol folder.
import type { CheckResult, RankLines } from '../../../check/index.js';
import { defaultTiming } from '../config.js';
import { bitmapLen, firstMissing } from '../tail_bitmap.js';
import { SimCluster, type NetOptions } from './cluster.js';
import { committedAgreesWithDecided, statesEqual } from '../invariants.js';

/** ChaosResult: invariant violations, the checker's verdict on every rank's log, and counters. */
export type ChaosResult = {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly check: CheckResult;
  readonly commits: number;
  readonly crashes: number;
  readonly elections: number;
  readonly virtualMs: number;
  /** trace: the last trace events, when ChaosOptions.trace asked for them. */
  readonly trace: readonly string[];
  /** snapshots: snapshots taken and installed, over all ranks. */
  readonly snapshots: { readonly taken: number; readonly installed: number };
};

const E_MS = 500;
const CHAOS_NET: NetOptions = { dropRate: 0.05, dupRate: 0.05, minDelayMs: 1, maxDelayMs: 30, longDelayRate: 0.01, longDelayMs: 2 * E_MS };
const CLEAN_NET: NetOptions = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 10, longDelayRate: 0, longDelayMs: 0 };

function pick<T>(rnd: SeededRandom, xs: readonly T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[rnd.int(xs.length)];
}

/** Grade: the checker over every rank's instance log (check/'s checkLogs, from the test side). */
export type Grade = (logs: readonly RankLines[]) => CheckResult;

/** ChaosOptions vary the cluster and fault rates (defaults: the CI run); grade is the checker. */
export type ChaosOptions = {
  readonly grade: Grade;
  readonly chaosMs?: number;
  readonly ranks?: number;
  readonly net?: Partial<NetOptions>;
  readonly keepUnsyncedRate?: number;
  /** electionMs: E (default 500); fault pacing and the clean phase scale with it. */
  readonly electionMs?: number;
  /** leaseProtection: V2 on (default) or off. */
  readonly leaseProtection?: boolean;
  /** oneWayCuts: also cut single directions of links (asymmetric partitions). */
  readonly oneWayCuts?: boolean;
  /** trace: keep the trace and return its last events (for replaying a failed seed). */
  readonly trace?: boolean;
  /** snapshotEvery: the snapshot threshold (default: none for even seeds, 8–39 positions for odd ones). */
  readonly snapshotEvery?: number;
};

/** runChaos runs seed `seed`: chaosMs of faults with load, then heal, restart, drain and check. */
export function runChaos(seed: number, o: ChaosOptions): ChaosResult {
  const holder: { sim?: SimCluster } = {};
  try {
    return { ...chaosRun(seed, o, holder), trace: lastTrace(holder.sim, o) };
  } catch (e) {
    const violations = [`seed ${seed}: run aborted: ${(e as Error).stack ?? String(e)}`];
    return {
      seed,
      violations,
      check: o.grade([]),
      commits: 0,
      crashes: 0,
      elections: 0,
      virtualMs: 0,
      snapshots: { taken: 0, installed: 0 },
      trace: lastTrace(holder.sim, o),
    };
  }
}

/** lastTrace formats the last 60 trace events (commit marks left out) when asked to. */
function lastTrace(sim: SimCluster | undefined, o: ChaosOptions): string[] {
  if (sim === undefined || o.trace !== true) return [];
  return sim.traces
    .filter((x) => x.ev.type !== 'commit')
    .slice(-60)
    .map((x) => `t=${x.atMs.toFixed(1)} rank ${x.rank} ${JSON.stringify(x.ev)}`);
}

/** ChaosRun is one run in progress: its cluster, the fault schedule's random stream, and what it counted. */
type ChaosRun = {
  readonly seed: number;
  readonly sim: SimCluster;
  readonly rnd: SeededRandom;
  readonly n: number;
  /** all: the rank numbers 0..n-1. */
  readonly all: readonly number[];
  /** instantViolations: S7 failures of the logs graded mid-run (gradeNow). */
  readonly instantViolations: string[];
  readonly grade: Grade;
  crashes: number;
};

function chaosRun(seed: number, o: ChaosOptions, holder: { sim?: SimCluster }): Omit<ChaosResult, 'trace'> {
  const chaosMs = o.chaosMs ?? 5000;
  const E = o.electionMs ?? E_MS;
  const n = o.ranks ?? 5;
  const rnd = new SeededRandom(`traft-chaos/${seed}`);
  const sim = chaosCluster(seed, o, n, E);
  holder.sim = sim;
  sim.keepTrace = o.trace === true;
  const run: ChaosRun = {
    seed,
    sim,
    rnd,
    n,
    all: Array.from({ length: n }, (_, i) => i),
    instantViolations: [],
    grade: o.grade,
    crashes: 0,
  };
  while (sim.nowMs < chaosMs) {
    sim.runFor(rnd.between(50, 400));
    injectFault(run, o);
  }
  healAndDrain(run, E);
  return verdict(run);
}

/** chaosCluster builds the run's cluster: chaotic network and disk, the lab load, maybe snapshots. */
function chaosCluster(seed: number, o: ChaosOptions, n: number, E: number): SimCluster {
  // Snapshots in half the runs, with thresholds low enough that ranks restarted or cut off fall
  // below a leader's floor (InstallSnapshot, T16/T26) and snapshots land between out-of-order applies (T25).
  const snapshotEvery = o.snapshotEvery ?? (seed % 2 === 0 ? 0 : 8 + (seed % 32));
  // A quarter of the runs cut catch-up into the smallest messages allowed (2048 bytes), so InstallSnapshot
  // and ElectReply parts meet crashes, loss and duplicates; B1 checks every message's size.
  const bound = seed % 4 === 3 ? { maxMessageBytes: 2048 } : {};
  return new SimCluster({
    seed,
    ranks: n,
    timing: { ...defaultTiming(E), leaseProtection: o.leaseProtection ?? true, snapshotEvery, ...bound },
    net: { ...CHAOS_NET, ...o.net },
    disk: { minFsyncMs: 0.5, maxFsyncMs: 5, keepUnsyncedRate: o.keepUnsyncedRate ?? 0.5, tornLineRate: 0.3, stallRate: 0.03, stallMs: 300 },
    load: { intervalMs: 15, window: 20, keys: 3, setRate: 0.4 },
  });
}

/** gradeNow is S7 at this instant: the logs as they stand (a rank just killed included) pass. */
function gradeNow(run: ChaosRun): void {
  if (run.seed % 4 !== 0) return; // a sample: grading costs ~4 ms a time
  const { sim } = run;
  const res = run.grade(sim.instanceLogs());
  const failed = res.rules.filter((x) => x.verdict === 'fail' && x.groups.some((g) => g.kind !== 'no-commits'));
  if (failed.length > 0) run.instantViolations.push(`S7 at t=${sim.nowMs.toFixed(1)}ms: rules ${failed.map((x) => x.rule).join(',')} fail`);
}

/** crashAndGrade kills rank r (a majority stays alive) and grades the logs at once. */
function crashAndGrade(run: ChaosRun, r: number): void {
  run.sim.crash(r);
  run.crashes++;
  gradeNow(run);
}

/** injectFault draws one fault: a crash (maybe of a leader), a restart, a partition, a one-way cut or a heal. */
function injectFault(run: ChaosRun, o: ChaosOptions): void {
  const { sim, rnd, n, all } = run;
  const minAlive = Math.floor(n / 2) + 1;
  const alive = all.filter((r) => sim.alive(r));
  const dead = all.filter((r) => !sim.alive(r));
  switch (rnd.int(8)) {
    case 0:
    case 1: {
      const r = alive.length > minAlive ? pick(rnd, alive) : undefined;
      if (r !== undefined) crashAndGrade(run, r);
      break;
    }
    case 2: {
      const l = pick(rnd, sim.leaders());
      if (l !== undefined && alive.length > minAlive) crashAndGrade(run, l);
      break;
    }
    case 3:
    case 4: {
      const r = pick(rnd, dead);
      if (r !== undefined) sim.restart(r);
      break;
    }
    case 5: {
      const shuffled = [...all].sort(() => rnd.next() - 0.5);
      const cut = 1 + rnd.int(n - 1);
      sim.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      break;
    }
    case 6: {
      const l = pick(rnd, sim.leaders());
      if (l !== undefined) sim.partition([[l], all.filter((x) => x !== l)]);
      break;
    }
    case 7:
      if (o.oneWayCuts === true && rnd.next() < 0.6) {
        const a = rnd.int(n);
        const b = (a + 1 + rnd.int(n - 1)) % n;
        sim.cutOneWay(a, b);
      } else {
        sim.heal();
      }
      break;
  }
}

/**
 * healAndDrain is the clean phase: maybe kill one rank for good (T27), heal the network, restart
 * every other rank, run with load, then without it until quiescent.
 */
function healAndDrain(run: ChaosRun, E: number): void {
  const { sim, rnd, n, all } = run;
  // Kill one rank for good in some runs (T27), once its log holds a commit line.
  const candidate = n > 2 && rnd.next() < 0.3 ? rnd.int(n) : -1;
  const candidateLines = sim.ranks[candidate]?.lines ?? []; // none for candidate -1
  const doomed = candidateLines.some((l) => l.startsWith('commit')) ? candidate : -1;
  if (doomed >= 0) {
    sim.crash(doomed);
    run.crashes++;
  }
  sim.heal();
  sim.net = CLEAN_NET;
  for (const r of all) if (r !== doomed) sim.restart(r);
  sim.runFor(Math.max(4 * E, 2000));
  sim.load = null;
  sim.runFor(Math.max(20 * E, 5000));
}

/** verdict checks the quiet cluster: live ranks agree with what was decided (S1, S5), quiescence (L1) and the checker (S7). */
function verdict(run: ChaosRun): Omit<ChaosResult, 'trace'> {
  const { seed, sim, all } = run;
  const violations = [...sim.violations, ...run.instantViolations];
  const live = all.filter((r) => sim.alive(r));
  for (const r of live) {
    const v = committedAgreesWithDecided(sim.chosen, sim.stateOf(r).log, sim.stateOf(r).committed, sim.stateOf(r).floor);
    if (v !== null) violations.push(`rank ${r}: ${v}`);
  }
  const eq = statesEqual(live.map((r) => ({ rank: r, state: sim.kvOf(r) })));
  if (eq !== null) violations.push(eq);
  const frontiers = live.map((r) => firstMissing(sim.stateOf(r).committed));
  const lens = live.map((r) => bitmapLen(sim.stateOf(r).accepted));
  if (new Set([...frontiers, ...lens]).size !== 1) {
    violations.push(
      `L1: not quiescent after the clean phase: frontiers ${frontiers.join(',')} lens ${lens.join(',')} leaders ${sim.leaders().join(',')}`,
    );
  }
  const check = run.grade(sim.instanceLogs());
  return {
    seed,
    violations,
    check,
    commits: Math.max(...frontiers, 0),
    crashes: run.crashes,
    elections: sim.established.size,
    virtualMs: sim.nowMs,
    snapshots: {
      taken: sim.ranks.reduce((n, r) => n + r.snapshots.taken, 0),
      installed: sim.ranks.reduce((n, r) => n + r.snapshots.installed, 0),
    },
  };
}
