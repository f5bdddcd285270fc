// command: `csplab sim`, a whole cluster in one process on the deterministic simulator
// (runtime/sim/): the same seed and flags replay the same run, trace for trace. One seed
// writes its logs, traces and run.json to --log-dir and is graded by the checker; `--seeds
// a..b` sweeps and names the command that replays each failing seed; `--shrink` reduces a
// failing seed's fault schedule to a 1-minimal schedule file. With --clients, simulated
// key-value clients load the store (runtime/sim/clients.ts) and their history.jsonl is graded
// for linearizability too. Exit 0 pass, 1 fail, 2 usage, 5 a history the checker could not decide.
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatReport } from '../../check/index.js';
import type { LogLines, SimProgram, SummaryColumn } from '../../runtime/protocol.js';
import { writeAll } from '../../runtime/write_all.js';
import type { LineLog } from '../../runtime/sim/line_log.js';
import type { SimClientLoad } from '../../runtime/sim/types.js';
import { protocolNamed } from '../../processors/registry.js';
import { EXIT, usageError } from '../exit.js';
import { numberFlag, numeric } from '../flags.js';
import { loadOptions, readLoad, type LoadArgs } from '../kv/load_flags.js';
import { protocolFlags, rankOptions, type RankArgs } from '../rank.js';
import { faultOptions, prepareLogDir } from '../run/command.js';
import { formatSchedule, LIST_KEYS, readSchedule, withSchedule, type ScheduleFlags, type ScheduleSpec } from '../schedule.js';
import { RealClock } from '../../runtime/clock.js';
import { rankFiles } from '../../runtime/driver/logdir.js';
import { VERSION } from '../version.js';
import { nemesis } from './nemesis.js';
import { simFaults } from './faults.js';
import { EarlyLogs, type RankLog } from './early_logs.js';
import { simulate, type Graded, type SimSpec } from './once.js';
import { shrink } from './shrink.js';

interface SimArgs extends RankArgs, ScheduleFlags, LoadArgs {
  clients: number | string;
  /** a store's own flag, set to kv with --clients (TRaft's --machine). */
  machine?: string;
  leaseReads?: boolean;
  schedule?: string;
  rate?: string | number;
  nemesis?: string;
  seeds?: string;
  shrink: boolean;
  damage?: number;
  trace: boolean;
  quiet: boolean;
  checkEveryStep: boolean;
  stepCostUs?: string | number;
}

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim',
  describe: 'simulate a whole cluster in one process, deterministically: seeded runs, exact replay, shrinking',
  builder: (y: Argv) =>
    loadOptions(faultOptions(rankOptions(y)))
      .option('clients', numeric('simulated key-value clients (0: none); their history.jsonl is graded too (docs/history.md)', 0))
      .option('clean', { type: 'boolean', default: false, describe: 'remove logs of an earlier run from --log-dir first' })
      .option('rate', { requiresArg: true, describe: 'lab load: commands per simulated second per leader', default: 1000 })
      .option('nemesis', {
        type: 'string',
        requiresArg: true,
        choices: ['default'],
        describe: 'a randomized fault schedule drawn from the seed',
      })
      .option('seeds', {
        type: 'string',
        requiresArg: true,
        describe: 'sweep seeds a..b (e.g. 1..1000); prints each failing seed’s replay command',
      })
      .option('shrink', {
        type: 'boolean',
        default: false,
        describe: 'reduce a failing seed’s fault schedule to a 1-minimal schedule file',
      })
      .option('damage', { requiresArg: true, describe: 'probability a message arrives as a damaged frame (a counted drop)' })
      .option('starve', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'a starved machine: <ranks>@<s>:<duration s>, each rank descheduled again and again (docs/faults.md)',
      })
      .option('trace', { type: 'boolean', default: true, describe: 'write trace<rank>.ndjson (docs/trace.md); --no-trace for a long run' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines' })
      .option('check-every-step', {
        type: 'boolean',
        default: false,
        describe: 'check the protocol’s own invariants after every step; the first violation stops the run (slower)',
      })
      // untyped, as --rate: yargs would turn `abc` into NaN, and the message must show what was typed
      .option('step-cost-us', {
        default: 0,
        requiresArg: true,
        describe: 'virtual CPU µs each delivered message occupies its rank; arrivals meanwhile queue (0: no cost)',
      })
      .example('$0 sim --protocol traft --seed 7 --nemesis default', 'one seeded run under random faults; logs and traces in log/')
      .example('$0 sim --protocol traft --seeds 1..1000 --nemesis default -t 5', 'a sweep')
      .example(
        '$0 sim --protocol traft --clients 8 --seeds 1..200 --nemesis default -t 5',
        'a kv store under clients, histories graded',
      ) as unknown as Argv<SimArgs>,
  handler: async (argv: ArgumentsCamelCase<SimArgs>) => {
    argv.exitStatus = await runSim(argv);
  },
};

/** Plan: a checked `csplab sim`: the bound protocol and what every seed's run shares. */
interface Plan {
  readonly a: SimArgs;
  readonly program: SimProgram;
  readonly ranks: number;
  readonly t: number;
  readonly rate: number;
  /** stepCostUs: --step-cost-us, checked. */
  readonly stepCostUs: number;
  /** flagSchedule: the fault flags and --schedule file, merged. */
  readonly flagSchedule: ScheduleSpec;
  /** command: `csplab sim` with the protocol's flags and none of the faults (a shrunk schedule's replay adds its file). */
  readonly command: string;
  readonly clients?: SimClientLoad;
  /** columns: the protocol's own summary counts (its registry entry's), shown beside the commits. */
  readonly columns: readonly SummaryColumn[];
}

async function runSim(a: SimArgs): Promise<number> {
  const plan = await planSim(a);
  if (a.seeds !== undefined) {
    if (a.seed !== undefined) throw usageError('--seed and --seeds: give one');
    return sweep(plan, seedRange(a.seeds));
  }
  const seed = a.seed ?? '1';
  const dir = logDirOf(plan);
  // before the run: another run's logs are refused before this one is spent, and its logs are written as it goes
  prepareLogDir(dir, plan.a.clean);
  const early = new EarlyLogs(dir, plan.ranks);
  const progress = progressLine(plan, seed);
  const graded = simulate({ ...specFor(plan, seed, a.trace), onChunk: early.chunk, onProgress: progress.at });
  progress.end();
  const whole = await early.finish(graded.outcome.ranks);
  writeRun(plan, seed, graded, whole);
  const pass = graded.failures.length === 0;
  say(plan, `seed ${seed}: ${verdictLine(graded, plan.columns)}`);
  // a protocol with its own audit is graded by it (and its clients), not by commit lines
  if (plan.program.audit === undefined) process.stdout.write(formatReport(graded.check));
  else process.stdout.write(`log audit: ${graded.failures.length === 0 ? 'pass' : 'see below'}\n`);
  if (graded.lin !== undefined) process.stdout.write(clientLine(graded));
  for (const p of plan.program.audit === undefined ? graded.outcome.problems : graded.failures) process.stdout.write(`${p}\n`);
  if (graded.outcome.violation !== undefined) process.stdout.write(`  replay: ${replayCommand(seed)}\n`);
  if (!pass) await reportFailure(plan.a.logDir);
  if (!pass && a.shrink) shrinkSeed(plan, seed);
  return !pass ? EXIT.checkFailed : graded.unknown ? EXIT.unknown : EXIT.ok;
}

/** clientLine: what the clients did and the history's verdict — both, named, for a history --sc grades too (Vectory's). */
function clientLine(g: Graded): string {
  const s = g.outcome.clientStats;
  const n = s === undefined ? '' : `${s.ok} ok, ${s.fail} fail, ${s.info} info, ${s.retries} retries; `;
  const lin = g.lin?.verdict ?? 'not graded';
  const verdicts = g.sc === undefined ? lin : `--lin ${lin}, --sc ${g.sc.verdict}`;
  return `clients: ${n}history.jsonl ${verdicts}\n`;
}

/**
 * reportFailure writes a failing seed's page (docs/report.md) beside its logs and traces, so the
 * failure can be looked at, not only read. The page is a help: its own failure changes no status.
 */
export async function reportFailure(dir: string): Promise<void> {
  const { runReport } = await import('../report/command.js');
  try {
    await runReport({ logDir: dir, output: join(dir, 'report.html') }, (text) => process.stdout.write(text));
  } catch (e) {
    process.stderr.write(`csplab: no report of the failing seed: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

async function planSim(a: SimArgs): Promise<Plan> {
  const nClients = numberFlag('--clients', a.clients, 0, 1000, true);
  // a store with a --machine flag (TRaft) serves clients from its kv machine, as under `csplab kv run`
  if (nClients > 0 && protocolNamed(a.protocol)?.options.machine !== undefined) a.machine = 'kv';
  const flags = protocolFlags(a, 1000);
  if (flags.chosen.simulate === undefined) throw usageError(`--protocol ${a.protocol} does not run on the simulator yet`);
  const rate = numberFlag('--rate', a.rate, 0.001, 1e9);
  const given: ScheduleSpec = {
    ...pickLists(a),
    ...(Number(a.drop) > 0 ? { drop: Number(a.drop) } : {}),
    ...(Number(a.dup) > 0 ? { dup: Number(a.dup) } : {}),
    ...(a.delay !== undefined ? { delay: a.delay } : {}),
    ...(a.skew !== undefined ? { skew: a.skew } : {}),
    ...(a.damage !== undefined ? { damage: numberFlag('--damage', a.damage, 0, 0.5) } : {}),
  };
  const flagSchedule = a.schedule === undefined ? given : withSchedule(given, readSchedule(a.schedule));
  const program = await flags.chosen.simulate({ o: flags.o, l: flags.l, t: flags.t });
  if (nClients > 0 && !program.clients) throw usageError(`--protocol ${a.protocol} takes no clients (it has no client port)`);
  const clients = nClients > 0 ? clientLoad(a, nClients, flags.t) : undefined;
  const stepCostUs = numberFlag('--step-cost-us', a.stepCostUs ?? 0, 0, 1_000_000);
  const cost = stepCostUs > 0 ? ['--step-cost-us', String(stepCostUs)] : [];
  const base = ['csplab', 'sim', '--protocol', a.protocol, '-o', String(flags.o), '-l', String(flags.l), '-t', String(flags.t), ...cost];
  const command = [...base, '--ranks', String(flags.ranks), '--rate', String(rate), ...flags.chosen.passOn, ...clientArgs(a, clients)].join(
    ' ',
  );
  const plan = {
    a,
    program,
    ranks: flags.ranks,
    t: flags.t,
    rate,
    stepCostUs,
    flagSchedule,
    command,
    columns: flags.entry.columns ?? [],
    ...(clients !== undefined ? { clients } : {}),
  };
  simFaults(scheduleFor(plan, a.seed ?? '1'), plan.ranks, plan.t); // a bad spec is a usage error before anything runs
  return plan;
}

/** clientLoad validates --clients' load flags as `csplab kv run` does. */
function clientLoad(a: SimArgs, clients: number, t: number): SimClientLoad {
  const { load, deadlineMs } = readLoad(a, a.protocol === 'vectory');
  if (deadlineMs * 2 > t * 1000)
    throw usageError(`-t ${t} leaves no time for a client load with --deadline ${deadlineMs / 1000}: give -t at least twice the deadline`);
  if (load.read === 'lease' && a.leaseReads !== true) throw usageError('--read lease needs --lease-reads (and --clock-drift)');
  return { clients, load, deadlineMs };
}

/** clientArgs: the client flags of a replay command. */
function clientArgs(a: SimArgs, c: SimClientLoad | undefined): string[] {
  if (c === undefined) return [];
  const l = c.load;
  const zipf = l.keyDist === 'zipf' ? ['--zipf-exponent', String(l.zipfExponent)] : [];
  return [
    ...['--clients', String(c.clients), '--kv-keys', String(l.keys), '--get-share', String(l.getShare)],
    ...['--delete-share', String(l.deleteShare), '--value-size', String(l.valueSize), '--key-dist', l.keyDist, ...zipf],
    ...['--read', l.read, '--deadline', String(a.deadline)],
  ];
}

function pickLists(a: ScheduleFlags): ScheduleSpec {
  const out: ScheduleSpec = {};
  for (const k of LIST_KEYS) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

/** scheduleFor: a seed's whole schedule: the nemesis's draw (if asked) and the flags' faults. */
function scheduleFor(plan: Plan, seed: string): ScheduleSpec {
  return plan.a.nemesis === 'default' ? withSchedule(plan.flagSchedule, nemesis(seed, plan.ranks, plan.t)) : plan.flagSchedule;
}

function specFor(plan: Plan, seed: string, trace: boolean, schedule = scheduleFor(plan, seed)): SimSpec {
  const clients = plan.clients !== undefined ? { clients: plan.clients } : {};
  const check = plan.a.checkEveryStep ? { checkEveryStep: true } : {};
  const cost = plan.stepCostUs > 0 ? { stepCostUs: plan.stepCostUs } : {};
  return {
    program: plan.program,
    ranks: plan.ranks,
    t: plan.t,
    seed,
    ratePerSec: plan.rate,
    schedule,
    trace,
    ...clients,
    ...check,
    ...cost,
  };
}

function verdictLine(g: Graded, columns: readonly SummaryColumn[]): string {
  const { outcome } = g;
  const commits = outcome.ranks.map((r) => r.summary?.commits ?? 0).join(' ');
  // e.g. TRaft's out-of-order and held-back counts: what a commit rate per simulated second hides
  const own = columns.map((c) => `, ${c.header} ${outcome.ranks.map((r) => Number(r.summary?.[c.key] ?? 0)).join(' ')}`).join('');
  const sim = `${(outcome.simMs / 1000).toFixed(1)} simulated s, ${outcome.events} events, commits ${commits}${own}`;
  return g.failures.length === 0 ? `pass (${sim})` : `FAIL: ${g.failures.slice(0, 3).join('; ')} (${sim})`;
}

/** PROGRESS_AFTER_MS, PROGRESS_EVERY_MS: a run's progress line shows once it has taken this long, then this often (wall time). */
const PROGRESS_AFTER_MS = 2000;
const PROGRESS_EVERY_MS = 1000;

/**
 * progressLine: a single seed's run, if long, rewrites one stderr line with how far it has got
 * (simulated seconds of the load and its share, events); end finishes the line. Off with --quiet.
 */
function progressLine(plan: Plan, seed: string): { at: (simMs: number, events: number) => void; end: () => void } {
  const clock = new RealClock();
  let nextMs = clock.nowMs() + PROGRESS_AFTER_MS;
  let shown = false;
  const at = (simMs: number, events: number): void => {
    if (plan.a.quiet || clock.nowMs() < nextMs) return;
    nextMs = clock.nowMs() + PROGRESS_EVERY_MS;
    shown = true;
    const share = Math.min(100, Math.floor((100 * simMs) / (plan.t * 1000)));
    process.stderr.write(`\r[sim] seed ${seed}: ${(simMs / 1000).toFixed(1)} of ${plan.t} simulated s (${share}%), ${events} events`);
  };
  return { at, end: () => shown && process.stderr.write('\n') };
}

function say(plan: Plan, line: string): void {
  if (!plan.a.quiet) process.stderr.write(`[sim] ${line}\n`);
}

/** logDirOf: --log-dir, which must not be empty. */
function logDirOf(plan: Plan): string {
  const dir = plan.a.logDir;
  if (!dir) throw usageError('--log-dir must not be empty');
  return dir;
}

/**
 * writeRun writes the traces and run.json of one seed into --log-dir (prepared), and the instance
 * logs of `logs` (the rest were written as the run went, cmd/sim/early_logs.ts).
 */
function writeRun(plan: Plan, seed: string, g: Graded, logs: readonly RankLog[]): void {
  const dir = logDirOf(plan);
  for (const r of logs) writeLog(rankFiles(dir, r.rank).instanceLog, r.log, !r.unterminated);
  for (const r of g.outcome.ranks) writeLines(join(dir, `trace${r.rank}.ndjson`), r.trace, true);
  if (g.outcome.history !== undefined) writeFileSync(join(dir, 'history.jsonl'), g.outcome.history.toJsonl());
  const { a } = plan;
  const run = {
    simulated: true,
    seed,
    version: VERSION,
    protocol: a.protocol,
    ranks: plan.ranks,
    o: a.o,
    l: a.l,
    t: plan.t,
    rate: plan.rate,
    schedule: scheduleFor(plan, seed),
    resolved: g.outcome.resolved,
    events: g.outcome.events,
    simMs: g.outcome.simMs,
    drops: g.outcome.drops,
    ends: g.outcome.ranks.map((r) => r.end),
    verdict: g.failures.length > 0 ? 'fail' : g.unknown ? 'unknown' : 'pass',
    failures: g.failures,
    ...(g.outcome.clientStats !== undefined ? { clients: g.outcome.clientStats, lin: g.lin?.verdict } : {}),
  };
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
}

/**
 * WRITE_BYTES: a long run's log is encoded straight into one reused buffer of this size and
 * written as it fills, never joined into a string first (the join, then writeSync's encoding of
 * it, copied every byte twice: 6% of a long TRaft run's CPU).
 */
const WRITE_BYTES = 1 << 20;

/** writeLog writes an instance log as writeLines would: its bytes as kept when they are the file's, else line by line. */
function writeLog(path: string, log: LineLog, terminated: boolean): void {
  const pieces = log.fileBytes(terminated);
  if (pieces === undefined) return writeLines(path, log, terminated);
  const fd = openSync(path, 'w');
  try {
    for (const b of pieces) writeAll(fd, b);
  } finally {
    closeSync(fd);
  }
}

/** writeLines writes lines joined by newlines, with a last newline if `terminated` (and any line at all). */
function writeLines(path: string, lines: LogLines, terminated: boolean): void {
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(WRITE_BYTES);
  let used = 0;
  const flush = (): void => {
    writeAll(fd, buf, used);
    used = 0;
  };
  try {
    for (let i = 0; i < lines.length; i++) {
      const line = lines.at(i) as string;
      // UTF-8 takes at most 3 bytes per UTF-16 unit; a line too long for the buffer goes on its own
      if (used + 3 * line.length + 1 > WRITE_BYTES) flush();
      if (3 * line.length + 1 > WRITE_BYTES) writeAll(fd, Buffer.from(line));
      else used += buf.write(line, used);
      if (i < lines.length - 1 || terminated) buf[used++] = 0x0a;
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

/** seedRange reads `a..b` (or one seed). */
function seedRange(text: string): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(text.trim());
  if (!m) throw usageError(`--seeds: expected <first>..<last>, got ${JSON.stringify(text)}`);
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (hi < lo || hi - lo >= 1e7) throw usageError(`--seeds ${text}: expected first ≤ last, at most 10,000,000 seeds`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** replayCommand: this command line for one seed (the sweep's and shrink's flags left out). */
export function replayCommand(seed: string, extra: readonly string[] = []): string {
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i] as string;
    if (x === '--seeds' || x === '--seed') i++;
    else if (!/^--(seeds|seed)=/.test(x) && x !== '--shrink' && x !== '--quiet') args.push(/^[\w@.,:=/+-]+$/.test(x) ? x : `'${x}'`);
  }
  return ['csplab', ...args, '--seed', seed, ...extra].join(' ');
}

function sweep(plan: Plan, seeds: readonly number[]): number {
  const failing: string[] = [];
  const unknown: string[] = [];
  let events = 0;
  let simMs = 0;
  for (const [i, n] of seeds.entries()) {
    const seed = String(n);
    const g = simulate(specFor(plan, seed, false));
    events += g.outcome.events;
    simMs += g.outcome.simMs;
    if (g.failures.length > 0) {
      failing.push(seed);
      process.stdout.write(`seed ${seed} FAILS: ${g.failures.slice(0, 3).join('; ')}\n  replay: ${replayCommand(seed)}\n`);
    } else if (g.unknown) {
      unknown.push(seed);
      process.stdout.write(
        `seed ${seed} UNKNOWN: the client history was not decided within the limits\n  replay: ${replayCommand(seed)}\n`,
      );
    }
    if (!plan.a.quiet && (i % 10 === 9 || i === seeds.length - 1))
      process.stderr.write(`\r[sim] ${i + 1}/${seeds.length} seeds, ${failing.length} failing, ${events} events`);
  }
  if (!plan.a.quiet) process.stderr.write('\n');
  const failed = failing.length > 0 ? ` (${failing.slice(0, 20).join(' ')})` : '';
  const undecided = unknown.length > 0 ? `, ${unknown.length} unknown (${unknown.slice(0, 20).join(' ')})` : '';
  const totals = `${events} events, ${(simMs / 1000).toFixed(1)} simulated s`;
  const passed = seeds.length - failing.length - unknown.length;
  process.stdout.write(`${seeds.length} seeds: ${passed} pass, ${failing.length} fail${failed}${undecided}; ${totals}\n`);
  const first = failing[0];
  if (first !== undefined && plan.a.shrink) shrinkSeed(plan, first);
  return failing.length > 0 ? EXIT.checkFailed : unknown.length > 0 ? EXIT.unknown : EXIT.ok;
}

/** shrinkSeed reduces a failing seed's schedule and writes it beside the logs as a schedule file. */
function shrinkSeed(plan: Plan, seed: string): void {
  const fails = (schedule: ScheduleSpec): boolean => simulate(specFor(plan, seed, false, schedule)).failures.length > 0;
  const start = scheduleFor(plan, seed);
  const { schedule, runs } = shrink(start, fails, (left, n) => {
    if (!plan.a.quiet) process.stderr.write(`\r[sim] shrinking seed ${seed}: ${left} faults left after ${n} runs`);
  });
  if (!plan.a.quiet) process.stderr.write('\n');
  mkdirSync(plan.a.logDir, { recursive: true });
  const file = join(plan.a.logDir, `shrunk-seed${seed}.json`);
  writeFileSync(file, formatSchedule(schedule));
  const replay = `${plan.command} --seed ${seed} --schedule ${file}`;
  process.stdout.write(`shrunk seed ${seed}'s schedule to ${JSON.stringify(schedule)} in ${runs} runs: ${file}\n  replay: ${replay}\n`);
}
