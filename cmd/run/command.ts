// command: `csplab run`, N rank processes on this machine with one shared schedule: writes
// run.json, shows progress, injects the fault schedule, forwards Ctrl-C so no rank is left
// holding a port, and ends with a table of commits and exit statuses per rank.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { RealClock, type Cancel, type Clock } from '../../runtime/clock.js';
import { every } from '../../runtime/every.js';
import type { RankSeries } from '../../runtime/protocol.js';
import { SeededRandom } from '../../runtime/random.js';
import { CliError, EXIT, corruptError, fromSystemError, usageError, type ExitStatus } from '../exit.js';
import { usableDir } from '../dirs.js';
import { portOf } from '../flags.js';
import { protocolFlags, rankOptions, type RankArgs } from '../rank.js';
import { VERSION } from '../version.js';
import { parseFaults, parseLinkFlags, parseNetFaults, type FaultAction, type NetFaultAction, type Target } from './faults.js';
import type { Launcher, RankProc } from './launcher.js';
import { armOwnTimeLimit, BOOT_LIMIT_MS, BOOT_WALL_CAP_MS, END_WALL_CAP_MS } from './ownlimit.js';
import { describeStat, procStat } from './procstat.js';
import { formatSeries, formatTable, stallWarning } from './table.js';
import { readSchedule, withSchedule, type ScheduleFlags } from '../schedule.js';
import { countCommitLines, countCommitsIn } from './logcount.js';

export interface RunArgs extends RankArgs, ScheduleFlags {
  schedule?: string;
  quiet: boolean;
}

/** RANK_MAIN: each rank process runs `csplab rank` through its lean entry (no yargs: cmd/rank-main.ts). */
const RANK_MAIN = fileURLToPath(new URL('../rank-main.js', import.meta.url));

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'run a whole cluster: N rank processes on this machine, with faults on a schedule',
  builder: (y: Argv) =>
    faultOptions(rankOptions(y))
      .option('clean', { type: 'boolean', default: false, describe: 'remove logs of an earlier run from --log-dir first' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines' })
      .example('$0 run -o 1 -l 100 -t 5', 'the lab’s low-pressure run, logs in log/')
      .example('$0 run -o 1 -l 10000 -t 5 --kill leader@2 --restart killed@3', 'kill the leader, restart it a second later')
      .example('$0 run -o 1 -l 10000 -t 5 --pause leader@2:2', 'freeze the leader for 2 s') as unknown as Argv<RunArgs>,
  handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
    argv.exitStatus = await runCluster(argv);
  },
};

/** faultOptions: the fault flags `csplab run` and `csplab sim` share (docs/faults.md). */
export function faultOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('kill', { type: 'string', array: true, requiresArg: true, describe: 'SIGKILL a rank: <rank|leader>@<s after start>' })
    .option('pause', { type: 'string', array: true, requiresArg: true, describe: 'SIGSTOP then SIGCONT: <rank|leader>@<s>:<duration s>' })
    .option('start', { type: 'string', array: true, requiresArg: true, describe: 'start a rank late: <rank>@<s>' })
    .option('restart', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'restart a killed rank (it recovers from its log): <rank|killed>@<s>',
    })
    .option('partition', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'split the network: <ranks>|<ranks>[|…]@<s>:<duration s>, e.g. 0,1|2,3,4@2:3 (docs/faults.md)',
    })
    .option('cut', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'one-way cut: <ranks>><ranks>@<s>:<duration s>, e.g. 0>1@2:3',
    })
    .option('skew', {
      type: 'string',
      requiresArg: true,
      describe: 'one rank’s clock off by a constant: <rank>:<ms> (ms may be negative)',
    })
    .option('schedule', {
      type: 'string',
      requiresArg: true,
      describe: 'a fault-schedule file (JSON, docs/faults.md), beside the fault flags',
    });
}

/** prepareLogDir refuses another run's logs unless --clean, which removes only our own files (a simulated run's traces too). */
export function prepareLogDir(dir: string, clean: boolean): void {
  usableDir(dir, `log dir ${dir}`);
  try {
    const ours = readdirSync(dir).filter((f) =>
      /^instancelog\d+\.log$|^\.csplab-rank\d+\.json$|^run\.json$|^summary\.json$|^trace\d+\.ndjson$/.test(f),
    );
    if (ours.length > 0 && !clean) {
      throw corruptError(
        `${dir} holds another run's logs (${ours.slice(0, 3).join(', ')}${ours.length > 3 ? ', …' : ''}); pass --clean to replace them`,
      );
    }
    for (const f of ours) rmSync(join(dir, f));
  } catch (e) {
    throw fromSystemError(e, `log dir ${dir}`) ?? e;
  }
}

/** RunPlan is a `csplab run` whose flags and fault schedule are checked: what every rank is launched with. */
interface RunPlan {
  readonly flags: ReturnType<typeof protocolFlags>;
  readonly protocol: string;
  readonly logDir: string;
  readonly faults: readonly FaultAction[];
  /** netFaults: the partitions and cuts, sent to the ranks as each fires (docs/faults.md). */
  readonly netFaults: readonly NetFaultAction[];
  /** skew: the rank whose clock is off, and by how much. */
  readonly skew?: { rank: number; offsetMs: number };
  readonly seed: string;
  readonly runId: string;
  /** lateStarts: the ranks a --start launches at its time; the others are the first wave. */
  readonly lateStarts: ReadonlySet<number>;
  /** passOn: the flags every rank process gets after its own (-i, --incarnation, …). */
  readonly passOn: readonly string[];
  /** say writes one progress line on stderr, unless --quiet. */
  readonly say: (line: string) => void;
}

/** Schedule: when round 0 starts and when the run ends (epoch ms), as every rank is told. */
export interface Schedule {
  readonly startAtMs: number;
  readonly endAtMs: number;
}

/** Cluster: the launched ranks, and what their callbacks record for the rest of the run. */
interface Cluster {
  readonly launcher: Launcher;
  /** readyAtMs: per rank, when its newest incarnation was listening (epoch ms). */
  readonly readyAtMs: (number | undefined)[];
  /** run: what run.json records (rewritten at the end with the resolved schedule). */
  run?: Record<string, unknown>;
  /** netLines: each fired partition or cut as sent, until when: a rank ready during it is told at once. */
  readonly netLines: { line: string; untilMs: number }[];
  /** schedule is fixed once the whole first wave listens; a rank ready after that (a late start or a restart) is told it at once. */
  schedule?: Schedule;
}

/** AppliedFault: what a fault did (which rank a leader/killed target was, and when, in ms after the start; ignored if its rank's state refused it). */
interface AppliedFault {
  action: FaultAction['action'] | NetFaultAction['action'];
  target: Target['type'];
  rank: number | null;
  atMs: number;
  appliedAtMs: number;
  resumedAtMs?: number;
  ignored?: true;
  /** partition / cut: the ranks as resolved when it fired, and its end (ms after the start). */
  groups?: number[][];
  from?: number[];
  to?: number[];
  untilMs?: number;
}

/**
 * RunHooks: what another command (`csplab kv run`) adds to a run — flags for every rank, the
 * ranks' events, a load that runs beside the schedule, and a verdict on the run's status.
 */
export interface RunHooks {
  readonly passOn?: readonly string[];
  readonly onEvent?: (rank: number, ev: Readonly<Record<string, unknown>>) => void;
  /** load runs beside the schedule until it resolves (it waits for the start itself); the run waits for it. */
  readonly load?: (run: {
    readonly schedule: Schedule;
    readonly clock: Clock;
    readonly runId: string;
    readonly seed: string;
  }) => Promise<void>;
  /** finish turns the run's exit status into the command's, once every rank has exited. */
  readonly finish?: (status: number, logDir: string) => Promise<number>;
}

async function runCluster(given: RunArgs, hooks: RunHooks = {}): Promise<number> {
  const clock = new RealClock();
  const a = given.schedule === undefined ? given : scheduled(given, given.schedule);
  const plan = planRun(a, clock, hooks.passOn ?? []);
  const cluster = await bootCluster(plan, clock, hooks.onEvent);
  const schedule = startRun(plan, cluster, clock);
  const { applied, cancels } = scheduleFaults(plan, cluster, clock, schedule.startAtMs);
  const load = hooks.load?.({ schedule, clock, runId: plan.runId, seed: plan.seed }) ?? Promise.resolve();
  const interrupted = await awaitEnd(plan, cluster.launcher, clock, schedule, cancels);
  await load;
  const status = writeSummary(plan, cluster, schedule, applied, interrupted, hooks.load === undefined);
  return hooks.finish && !interrupted ? hooks.finish(status, plan.logDir) : status;
}

/** runClusterWith is `csplab run` with another command's additions (RunHooks). */
export const runClusterWith = runCluster;

/** scheduled: the flags with a --schedule file's faults merged in (cmd/schedule.ts); `damage` and `starve` are the simulator's alone. */
function scheduled(a: RunArgs, path: string): RunArgs {
  const spec = readSchedule(path);
  if (spec.damage !== undefined && spec.damage > 0 && !a.quiet)
    process.stderr.write(`[run] ${path}: "damage" is simulated only; ignored\n`);
  if (spec.starve !== undefined && spec.starve.length > 0 && !a.quiet)
    process.stderr.write(`[run] ${path}: "starve" is simulated only (a real machine starves by itself); ignored\n`);
  const { starve: _simOnly, ...real } = spec;
  return withSchedule(a, real);
}

/** planRun checks the flags and the fault schedule up front, readies the log dir, and fixes the run's seed and id. */
function planRun(a: RunArgs, clock: Clock, extra: readonly string[]): RunPlan {
  const flags = protocolFlags(a, 100);
  const { ranks, o, l, t, basePort, dropRate } = flags;
  if (portOf(basePort, ranks - 1) > 65535) throw usageError(`--base-port ${basePort} leaves no port for rank ${ranks - 1}`);
  const faults = parseFaults({ kill: a.kill, pause: a.pause, start: a.start, restart: a.restart }, ranks);
  const netFaults = parseNetFaults({ partition: a.partition, cut: a.cut }, ranks);
  for (const f of [...faults, ...netFaults])
    if (f.atMs > t * 1000) throw usageError(`--${f.action} at ${f.atMs / 1000}s is after the run ends (-t ${t})`);
  const { skew } = parseLinkFlags({ ...(a.skew !== undefined ? { skew: a.skew } : {}) }, ranks);
  if (!a.logDir) throw usageError('--log-dir must not be empty');
  prepareLogDir(a.logDir, a.clean);

  const seed = a.seed ?? String(Math.round(clock.nowMs()));
  const runId = `run-${new SeededRandom(`csplab-run/${seed}`).id(12)}`;
  const lateStarts = new Set(faults.filter((f) => f.action === 'start').map((f) => (f.target as { rank: number }).rank));
  const passOn = [
    '-o',
    String(o),
    '-l',
    String(l),
    '-t',
    String(t),
    '--ranks',
    String(ranks),
    '--base-port',
    String(basePort),
    `--host=${flags.host}`,
    `--log-dir=${a.logDir}`,
    `--seed=${seed}`,
    '--protocol',
    a.protocol,
    ...flags.passOn,
    ...extra,
    '--drop',
    String(dropRate),
    ...(flags.link.delayMs > 0 ? [`--delay=${flags.link.delayMs}±${flags.link.jitterMs}`] : []),
    '--dup',
    String(flags.link.dupRate),
    `--cluster-id=${runId}`,
    '--events',
    '--await-start',
    ...(a.verbose ? ['--verbose'] : []),
    ...(a.trace ? ['--trace'] : []),
  ];
  const say = (line: string): void => {
    if (!a.quiet) process.stderr.write(`[run] ${line}\n`);
  };
  return {
    flags,
    protocol: a.protocol,
    logDir: a.logDir,
    faults,
    netFaults,
    ...(skew ? { skew } : {}),
    seed,
    runId,
    lateStarts,
    passOn,
    say,
  };
}

/**
 * bootCluster starts the first wave and boots the ranks a late start or a restart will need
 * (held until their time), then waits until every rank of the first wave is listening. A rank
 * of it that exits first, or a wave not listening within the boot limit, ends the run here.
 */
async function bootCluster(plan: RunPlan, clock: Clock, onEvent?: RunHooks['onEvent']): Promise<Cluster> {
  const { ranks, o, l, t } = plan.flags;
  const { lateStarts, say } = plan;
  // Imported here, not at the top: `csplab check` shares this CLI and must not load xstate.
  const { Launcher } = await import('./launcher.js');
  const launcher = new Launcher({
    ranks,
    nodeFlags: plan.flags.entry.rankNodeFlags ?? [],
    command: (rank, incarnation, held) => [
      RANK_MAIN,
      '-i',
      String(rank),
      '--incarnation',
      String(incarnation),
      ...(incarnation === 0 ? ['--clean'] : []),
      ...(held ? ['--hold'] : []),
      ...(plan.skew?.rank === rank ? [`--skew-ms=${plan.skew.offsetMs}`] : []),
      ...plan.passOn,
    ],
    stderrLine: (rank, line) => process.stderr.write(`[rank ${rank}] ${line}\n`),
    log: (line) => say(line),
    ...(onEvent ? { onEvent } : {}),
    onReady: (rank) => {
      cluster.readyAtMs[rank] = clock.nowMs();
      if (cluster.schedule) {
        launcher.tell(rank, JSON.stringify(cluster.schedule)); // a late start or a restart
        // … that must obey the partitions and cuts still holding
        for (const n of cluster.netLines) if (n.untilMs > clock.nowMs()) launcher.tell(rank, n.line);
      } else if (++ready === firstWave) allReady();
    },
    onExit: (rank) => {
      if (cluster.schedule === undefined && cluster.readyAtMs[rank] === undefined) bootFailed(rank); // a first-wave rank that never listened
    },
  });
  const cluster: Cluster = { launcher, readyAtMs: [], netLines: [] };
  let ready = 0;
  let allReady = (): void => {};
  let bootFailed = (_rank: number): void => {};
  say(`run ${plan.runId}: ${ranks} ranks of ${plan.protocol}, -o ${o} -l ${l} -t ${t}, logs in ${plan.logDir}, seed ${plan.seed}`);
  const firstWave = ranks - lateStarts.size;
  for (let r = 0; r < ranks; r++) if (!lateStarts.has(r)) launcher.start(r);
  for (const r of lateStarts) launcher.prepare(r); // booted now, started at its time
  // Likewise the next incarnation of every rank a restart may bring back (held: it touches
  // nothing, so it can wait beside the running one); a kill prepares one again.
  for (const r of restartable(plan.faults, ranks)) if (!lateStarts.has(r)) launcher.prepare(r);
  // Every rank of the first wave is listening: now fix round 0 a little ahead, for all of them.
  // The boot limit guards against a rank that hangs while booting; it counts each rank's own
  // time, not the time a busy machine keeps it waiting for a CPU (ownlimit.ts).
  let cancelBootLimit = (): void => {};
  let bootWallMs = 0; // the wall time the boot was given, once given up
  let failedRank: number | undefined; // the first rank of the first wave that exited before listening
  const booted = await new Promise<boolean>((resolve) => {
    allReady = () => resolve(true);
    bootFailed = (rank) => {
      failedRank ??= rank;
      resolve(false);
    };
    cancelBootLimit = armOwnTimeLimit({
      clock,
      limitMs: BOOT_LIMIT_MS,
      wallCapMs: BOOT_WALL_CAP_MS,
      waiting: () =>
        unready(launcher, cluster.readyAtMs).map((p) => (p.child?.pid === undefined ? undefined : procStat(p.child.pid)?.waitMs)),
      expired: (elapsedMs) => {
        bootWallMs = elapsedMs;
        resolve(false);
      },
    });
    void launcher.settled().then(() => resolve(false)); // every rank exited before being ready
  });
  cancelBootLimit();
  bootFailed = (): void => {}; // decided: a rank that exits from here on was killed by us, or had started
  if (!booted) return abandonBoot(plan, cluster, failedRank, bootWallMs);
  return cluster;
}

/**
 * abandonBoot ends a boot given up: the first rank that exited before listening names why, or,
 * past the boot limit, each rank still booting is named with what it was doing (read before the
 * kill: starved, busy or asleep).
 */
async function abandonBoot(plan: RunPlan, cluster: Cluster, failedRank: number | undefined, bootWallMs: number): Promise<never> {
  const { launcher } = cluster;
  const slow = failedRank === undefined ? describeBooting(launcher, cluster.readyAtMs) : '';
  // The ranks killed here did not fail by themselves: past the boot limit, naming the first of
  // them as one that "could not start: killed by SIGKILL" hid that the limit had passed.
  launcher.terminate('SIGKILL');
  await launcher.settled();
  if (failedRank !== undefined) throw bootError(launcher.proc(failedRank));
  process.stdout.write(formatTable(launcher.procs, plan.flags.t, [], plan.flags.entry.columns).table);
  const limit = `${BOOT_LIMIT_MS / 1000} s of a rank's own time, its waits for a CPU not counted`;
  throw new CliError(
    EXIT.environment,
    `ranks did not all start listening (boot limit: ${limit}; ${(bootWallMs / 1000).toFixed(0)} s of wall time): ${slow}`,
  );
}

/** startRun fixes round 0 a little ahead, tells every rank of the first wave, and records the run in run.json. */
function startRun(plan: RunPlan, cluster: Cluster, clock: Clock): Schedule {
  const { ranks, o, l, t, basePort } = plan.flags;
  const startAtMs = Math.round(clock.nowMs()) + 300;
  const endAtMs = startAtMs + t * 1000;
  const schedule = { startAtMs, endAtMs };
  cluster.schedule = schedule;
  for (let r = 0; r < ranks; r++) if (!plan.lateStarts.has(r)) cluster.launcher.tell(r, JSON.stringify(schedule));
  const run = {
    runId: plan.runId,
    seed: plan.seed,
    version: VERSION,
    protocol: plan.protocol,
    ranks,
    o,
    l,
    t,
    basePort,
    startAtMs,
    endAtMs,
    faults: plan.faults,
    netFaults: plan.netFaults,
    link: { ...plan.flags.link, dropRate: plan.flags.dropRate, ...(plan.skew ? { skew: plan.skew } : {}) },
  };
  cluster.run = run;
  writeFileSync(join(plan.logDir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
  return schedule;
}

/**
 * scheduleFaults arms each fault for its time after the start. It returns what the faults did,
 * recorded as they fire, and the timers' cancels (a pause adds the cancel of its resume).
 */
function scheduleFaults(plan: RunPlan, cluster: Cluster, clock: Clock, startAtMs: number): { applied: AppliedFault[]; cancels: Cancel[] } {
  const { ranks, o } = plan.flags;
  const { faults, say } = plan;
  const launcher = cluster.launcher;
  const applied: AppliedFault[] = [];
  const sinceStartMs = (): number => Math.round(clock.nowMs() - startAtMs);
  const cancels = faults.map((f) => clock.schedule(startAtMs + f.atMs - clock.nowMs(), () => applyFault(f)));
  const slotRound = (): { round: number; leader: number } => {
    const round = Math.max(0, Math.floor((clock.nowMs() - startAtMs) / (o * 1000)));
    return { round, leader: round % ranks };
  };
  // `leader` is resolved as the fault fires, from the ranks' own claims (leader.ts).
  const resolve = (target: Target): number | undefined =>
    target.type === 'rank'
      ? target.rank
      : target.type === 'leader'
        ? launcher.leader(plan.flags.entry.slotLeader === true ? slotRound() : undefined)
        : launcher.killed();
  // A partition or cut of fixed ranks is sent now, to hold from its time on each rank's own
  // timer (a line on stdin can take long to be read on a busy machine); one naming `leader`
  // is sent when it fires, once the leader is known.
  for (const f of plan.netFaults) {
    const fire = (): void => applyNetFault(plan, cluster, clock, startAtMs, f, resolve, applied);
    if (namesLeader(f)) cancels.push(clock.schedule(startAtMs + f.atMs - clock.nowMs(), fire));
    else fire();
  }
  function applyFault(f: FaultAction): void {
    const rank = resolve(f.target);
    const record: AppliedFault = { action: f.action, target: f.target.type, rank: rank ?? null, atMs: f.atMs, appliedAtMs: sinceStartMs() };
    applied.push(record);
    if (rank === undefined) return say(`${f.action} ${f.target.type}: no such rank known yet; skipped`);
    say(`${(f.atMs / 1000).toFixed(1)}s: ${f.action} rank ${rank}${f.target.type !== 'rank' ? ` (${f.target.type}, resolved now)` : ''}`);
    switch (f.action) {
      case 'kill':
        if (!launcher.kill(rank)) break;
        // A restart to come may be this rank's: boot it now, so that it starts on time.
        if (
          faults.some(
            (g) =>
              g.action === 'restart' &&
              g.atMs > f.atMs &&
              (g.target.type === 'killed' || (g.target.type === 'rank' && g.target.rank === rank)),
          )
        ) {
          launcher.prepare(rank);
        }
        return;
      case 'pause':
        if (!launcher.pause(rank)) break;
        cancels.push(
          clock.schedule(f.durationMs, () => {
            say(`resume rank ${rank}`);
            if (launcher.resume(rank)) record.resumedAtMs = sinceStartMs();
          }),
        );
        return;
      case 'start':
        if (!launcher.start(rank)) break;
        return;
      case 'restart':
        if (!launcher.restart(rank)) break;
        return;
    }
    record.ignored = true; // the rank's state refused it (the launcher said why)
  }
  return { applied, cancels };
}

/**
 * applyNetFault fires one partition or cut: resolves its `leader` members now, completes a
 * partition's groups (ranks named nowhere are one more group), and tells every live rank,
 * each of which enforces it on what it sends until its end (docs/faults.md).
 */
function applyNetFault(
  plan: RunPlan,
  cluster: Cluster,
  clock: Clock,
  startAtMs: number,
  f: NetFaultAction,
  resolve: (t: Target) => number | undefined,
  applied: AppliedFault[],
): void {
  const { ranks } = plan.flags;
  const untilMs = startAtMs + f.atMs + f.durationMs;
  const leader = namesLeader(f);
  const leaderRank = leader ? resolve({ type: 'leader' }) : undefined;
  const fromMs = leader ? Math.round(clock.nowMs()) : startAtMs + f.atMs;
  const record: AppliedFault = {
    action: f.action,
    target: leader ? 'leader' : 'rank',
    rank: leaderRank ?? null,
    atMs: f.atMs,
    appliedAtMs: fromMs - startAtMs,
    untilMs: f.atMs + f.durationMs,
  };
  applied.push(record);
  if (leader && leaderRank === undefined) return plan.say(`${f.action}: no leader known yet; skipped`);
  // The resolved leader leaves any other group it is named in: it is where `leader` put it.
  const ranksOf = (ms: readonly Target[]): number[] =>
    ms.flatMap((m) =>
      m.type === 'rank'
        ? m.rank === leaderRank && !ms.some((x) => x.type === 'leader')
          ? []
          : [m.rank]
        : m.type === 'leader'
          ? [leaderRank ?? -1]
          : [],
    );
  let fault: Record<string, unknown>;
  if (f.action === 'partition') {
    const groups = f.groups.map(ranksOf).map((g) => [...new Set(g)].sort((a, b) => a - b));
    const rest = Array.from({ length: ranks }, (_, r) => r).filter((r) => !groups.some((g) => g.includes(r)));
    if (rest.length > 0) groups.push(rest);
    record.groups = groups.filter((g) => g.length > 0);
    fault = { type: 'partition', groups: record.groups, fromMs, untilMs };
  } else {
    record.from = ranksOf(f.from);
    record.to = ranksOf(f.to);
    fault = { type: 'cut', from: record.from, to: record.to, fromMs, untilMs };
  }
  const line = JSON.stringify({ fault });
  cluster.netLines.push({ line, untilMs });
  cluster.launcher.tellListening(line);
  const what = record.groups ? record.groups.map((g) => g.join(',')).join(' | ') : `${record.from?.join(',')} > ${record.to?.join(',')}`;
  plan.say(
    `${leader ? '' : 'armed for '}${(f.atMs / 1000).toFixed(1)}s: ${f.action} ${what} for ${f.durationMs / 1000}s${leader ? ` (leader = rank ${leaderRank})` : ''}`,
  );
}

/** namesLeader: the fault names `leader` among its ranks. */
function namesLeader(f: NetFaultAction): boolean {
  return (f.action === 'partition' ? f.groups.flat() : [...f.from, ...f.to]).some((m) => m.type === 'leader');
}

/**
 * awaitEnd reports progress until every rank has exited: it passes Ctrl-C / SIGTERM on to the
 * ranks, kills those still running well after the end, and waits out the late starts and
 * restarts still due. Then it stops every timer; it says whether the run was interrupted.
 */
async function awaitEnd(plan: RunPlan, launcher: Launcher, clock: Clock, schedule: Schedule, cancels: Cancel[]): Promise<boolean> {
  const { o } = plan.flags;
  const { faults, say } = plan;
  const { startAtMs, endAtMs } = schedule;
  const stopProgress = every(clock, 1000, () => {
    const at = (clock.nowMs() - startAtMs) / 1000;
    if (at < 0) return;
    say(
      `t=${at.toFixed(0)}s round ${launcher.maxRound < 0 ? '-' : launcher.maxRound} leader ${launcher.leader() ?? '-'} | commits ${launcher.procs.map((p) => p.commits).join(' ')}`,
    );
  });
  // Ctrl-C / SIGTERM: pass it on, so no rank is left running and holding a port.
  let interrupted = false;
  let wakeFaultWait = (): void => {};
  const onSignal = (): void => {
    interrupted = true;
    wakeFaultWait();
    say('interrupted: stopping ranks');
    launcher.terminate();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // No hang: a rank still alive well after the end is killed and fails the run. "Well after"
  // counts its own time, as the boot limit does: a busy machine may keep a rank that is flushing
  // its logs off the cores for longer than the grace (ownlimit.ts).
  const graceMs = Math.max(5000, 3 * o * 1000);
  const cancelDeadline = armEndGrace(launcher, clock, endAtMs, graceMs, (elapsedMs) => {
    if (launcher.live() > 0)
      say(
        `ranks still running ${(elapsedMs / 1000).toFixed(0)}s after the end (grace: ${graceMs / 1000}s of a rank's own time): killing them`,
      );
    launcher.terminate('SIGKILL');
  });
  // Late starts and restarts are spawned by timers: wait until none is still due.
  const lastSpawnMs = startAtMs + Math.max(0, ...faults.filter((f) => f.action === 'start' || f.action === 'restart').map((f) => f.atMs));
  if (!interrupted && lastSpawnMs > clock.nowMs()) {
    await new Promise<void>((resolve) => {
      wakeFaultWait = resolve;
      cancels.push(clock.schedule(lastSpawnMs - clock.nowMs() + 1, resolve));
    });
  }
  launcher.dropStandbys(); // held for a restart that went elsewhere or never came
  await launcher.settled();
  stopProgress();
  cancelDeadline();
  for (const c of cancels) c();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return interrupted;
}

/**
 * armEndGrace arms, at the end of the run, the own-time limit on the ranks still running then;
 * each rank's wait for a CPU is counted from there. The cancel stops it, armed or not.
 */
function armEndGrace(launcher: Launcher, clock: Clock, endAtMs: number, graceMs: number, expired: (elapsedMs: number) => void): Cancel {
  const waitOf = (p: RankProc): number | undefined => (p.child?.pid === undefined ? undefined : procStat(p.child.pid)?.waitMs);
  let cancel = clock.schedule(Math.max(0, endAtMs - clock.nowMs()), () => {
    const running = launcher.procs.filter((p) => p.live);
    const atEnd = new Map(running.map((p) => [p, waitOf(p)]));
    cancel = armOwnTimeLimit({
      clock,
      limitMs: graceMs,
      wallCapMs: END_WALL_CAP_MS,
      waiting: () =>
        running
          .filter((p) => p.live)
          .map((p) => {
            const [now, then] = [waitOf(p), atEnd.get(p)];
            return now === undefined || then === undefined ? undefined : now - then;
          }),
      expired,
    });
  });
  return () => cancel();
}

/**
 * writeSummary prints the table of commits and exit statuses per rank, writes summary.json, and returns the run's exit
 * status. ownLoad: the ranks make their own load (the lab's), so no commit at all means no progress; under another
 * command's load (`csplab kv`'s clients, which may only read) it may not.
 */
function writeSummary(
  plan: RunPlan,
  cluster: Cluster,
  schedule: Schedule,
  applied: readonly AppliedFault[],
  interrupted: boolean,
  ownLoad: boolean,
): number {
  const { launcher, readyAtMs } = cluster;
  const { t } = plan.flags;
  // The logs are the truth: a killed rank's last report is stale, a restarted one's partial.
  for (const p of launcher.procs) if (p.incarnation >= 0) p.commits = countCommitLines(join(plan.logDir, `instancelog${p.rank}.log`));
  // What each rank committed while each partition or cut held: the majority side's column grows, the minority's does not.
  const windows = applied.filter((f) => f.untilMs !== undefined && !f.ignored);
  const spans = windows.map((f) => ({
    fromUs: (schedule.startAtMs + f.appliedAtMs) * 1000,
    untilUs: (schedule.startAtMs + (f.untilMs ?? 0)) * 1000,
  }));
  const during = launcher.procs.map((p) => (spans.length > 0 ? countCommitsIn(join(plan.logDir, `instancelog${p.rank}.log`), spans) : []));
  const lines = applied
    .map((f) => (windows.includes(f) ? { ...f, during: during.map((d) => d[windows.indexOf(f)] ?? 0) } : f))
    .sort((a, b) => a.atMs - b.atMs); // a partition of fixed ranks was armed at the start
  const { table, failed } = formatTable(launcher.procs, t, lines, plan.flags.entry.columns);
  process.stdout.write(table);
  const stalled = interrupted || !ownLoad ? undefined : stallWarning(launcher.procs, t);
  if (stalled !== undefined) process.stderr.write(stalled);
  const overTime = seriesOf(plan, schedule.startAtMs, applied);
  if (overTime !== undefined) process.stdout.write(formatSeries(overTime, launcher.procs.length));
  // run.json gains the schedule as resolved: which rank each `leader`/`killed` target hit.
  if (cluster.run) writeFileSync(join(plan.logDir, 'run.json'), `${JSON.stringify({ ...cluster.run, resolved: lines }, null, 2)}\n`);
  const perRank = launcher.procs.map((p) => {
    const readyAt = readyAtMs[p.rank];
    return {
      rank: p.rank,
      incarnation: p.incarnation,
      state: p.state,
      exitCode: p.exitCode,
      signal: p.signal,
      planned: p.state === 'killed',
      commits: p.commits,
      // readyAtMs: ms after the start when it was listening (< 0 for the first wave; a late one may miss the run).
      readyAtMs: readyAt === undefined ? null : Math.round(readyAt - schedule.startAtMs),
      summary: p.summary ?? null,
      // rssKiB: its resident set each second it ran (the newest incarnation; summary.maxRssKiB is the peak).
      rssKiB: p.rssKiB,
    };
  });
  const summary = {
    runId: plan.runId,
    seed: plan.seed,
    t,
    failed,
    interrupted,
    // stalled: no rank committed anything (a warning, not a failure: see stallWarning)
    stalled: stalled !== undefined,
    ranks: perRank,
    faults: lines,
    ...(overTime ? { overTime } : {}),
  };
  writeFileSync(join(plan.logDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (interrupted) return EXIT.interrupted;
  return failed ? EXIT.checkFailed : EXIT.ok;
}

/**
 * seriesOf: the protocol's count per rank over the run (ProtocolEntry.overTime) from the instance
 * logs and the kills applied, its times made ms after the start; undefined if it has none.
 */
function seriesOf(plan: RunPlan, startAtMs: number, applied: readonly AppliedFault[]): RankSeries | undefined {
  const overTime = plan.flags.entry.overTime;
  if (overTime === undefined) return undefined;
  const logs = Array.from({ length: plan.flags.ranks }, (_, r) => {
    const file = join(plan.logDir, `instancelog${r}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  });
  const downs = applied
    .filter((f) => f.action === 'kill' && f.ignored !== true && f.rank !== null)
    .map((f) => ({ rank: f.rank ?? -1, atMs: startAtMs + f.appliedAtMs }));
  const series = overTime(logs, downs);
  return { title: series.title, points: series.points.map((p) => ({ ...p, atMs: Math.round(p.atMs - startAtMs) })) };
}

/** bootError says why a rank of the first wave exited before it was listening, with its status (a port in use: 3). */
function bootError(p: RankProc): CliError {
  const why =
    p.errorLine?.replace(/^csplab: /, '') ??
    (p.signal ? `killed by ${p.signal}` : `exit ${p.exitCode}${p.lastLine ? ` — ${p.lastLine}` : ''}`);
  const known: readonly number[] = [EXIT.usage, EXIT.environment, EXIT.corrupt];
  const status = p.exitCode !== null && known.includes(p.exitCode) ? (p.exitCode as ExitStatus) : EXIT.environment;
  return new CliError(status, `rank ${p.rank} could not start: ${why}`);
}

/**
 * describeBooting names each started rank not listening yet with what /proc says of its process
 * (cmd/run/procstat.ts), and the machine's load: the boot-limit message says what was slow.
 */
function describeBooting(launcher: Launcher, readyAtMs: readonly (number | undefined)[]): string {
  const what = unready(launcher, readyAtMs).map((p) => {
    const stat = p.child?.pid === undefined ? undefined : procStat(p.child.pid);
    const last = p.lastLine === undefined ? '' : `; its last line: ${p.lastLine}`;
    return `rank ${p.rank} (${stat === undefined ? 'no /proc view' : describeStat(stat)}${last})`;
  });
  const load = loadavg().map((x) => x.toFixed(1));
  return `${what.join(', ')}; load average ${load.join(' ')} on ${availableParallelism()} CPUs`;
}

/** unready: the ranks started (not held) and not listening yet. */
function unready(launcher: Launcher, readyAtMs: readonly (number | undefined)[]): RankProc[] {
  return launcher.procs.filter((p) => p.live && readyAtMs[p.rank] === undefined);
}

/** restartable lists the ranks a --restart may start again: its rank, or any rank a kill may hit. */
function restartable(faults: readonly FaultAction[], ranks: number): Set<number> {
  const out = new Set<number>();
  const hit = (t: Target): number[] => (t.type === 'rank' ? [t.rank] : Array.from({ length: ranks }, (_, r) => r));
  for (const f of faults) {
    if (f.action !== 'restart') continue;
    if (f.target.type === 'rank') out.add(f.target.rank);
    else for (const k of faults) if (k.action === 'kill') for (const r of hit(k.target)) out.add(r);
  }
  return out;
}
