// command: `csplab sim`, a whole cluster in one process on the deterministic simulator
// (runtime/sim/): the same seed and flags replay the same run, trace for trace. One seed
// writes its logs, traces and run.json to --log-dir and is graded by the checker; `--seeds
// a..b` sweeps and names the command that replays each failing seed; `--shrink` reduces a
// failing seed's fault schedule to a 1-minimal schedule file. Exit 0 pass, 1 fail, 2 usage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatReport } from '../../check/index.js';
import type { SimProgram } from '../../runtime/protocol.js';
import { EXIT, usageError } from '../exit.js';
import { numberFlag } from '../flags.js';
import { protocolFlags, rankOptions, type RankArgs } from '../rank.js';
import { faultOptions, prepareLogDir } from '../run/command.js';
import { formatSchedule, LIST_KEYS, readSchedule, withSchedule, type ScheduleFlags, type ScheduleSpec } from '../schedule.js';
import { VERSION } from '../version.js';
import { nemesis } from './nemesis.js';
import { simFaults } from './faults.js';
import { simulate, type Graded, type SimSpec } from './once.js';
import { shrink } from './shrink.js';

interface SimArgs extends RankArgs, ScheduleFlags {
  schedule?: string;
  rate?: string | number;
  nemesis?: string;
  seeds?: string;
  shrink: boolean;
  damage?: number;
  trace: boolean;
  quiet: boolean;
}

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim',
  describe: 'simulate a whole cluster in one process, deterministically: seeded runs, exact replay, shrinking',
  builder: (y: Argv) =>
    faultOptions(rankOptions(y))
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
      .option('trace', { type: 'boolean', default: true, describe: 'write trace<rank>.ndjson (docs/trace.md); --no-trace for a long run' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines' })
      .example('$0 sim --protocol traft --seed 7 --nemesis default', 'one seeded run under random faults; logs and traces in log/')
      .example('$0 sim --protocol traft --seeds 1..1000 --nemesis default -t 5', 'a sweep') as unknown as Argv<SimArgs>,
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
  /** flagSchedule: the fault flags and --schedule file, merged. */
  readonly flagSchedule: ScheduleSpec;
  /** command: `csplab sim` with the protocol's flags and none of the faults (a shrunk schedule's replay adds its file). */
  readonly command: string;
}

async function runSim(a: SimArgs): Promise<number> {
  const plan = await planSim(a);
  if (a.seeds !== undefined) {
    if (a.seed !== undefined) throw usageError('--seed and --seeds: give one');
    return sweep(plan, seedRange(a.seeds));
  }
  const seed = a.seed ?? '1';
  const graded = simulate(specFor(plan, seed, a.trace));
  writeRun(plan, seed, graded);
  const pass = graded.failures.length === 0;
  say(plan, `seed ${seed}: ${verdictLine(graded)}`);
  process.stdout.write(formatReport(graded.check));
  for (const p of graded.outcome.problems) process.stdout.write(`${p}\n`);
  if (!pass) await reportFailure(plan.a.logDir);
  if (!pass && a.shrink) shrinkSeed(plan, seed);
  return pass ? EXIT.ok : EXIT.checkFailed;
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
  const base = ['csplab', 'sim', '--protocol', a.protocol, '-o', String(flags.o), '-l', String(flags.l), '-t', String(flags.t)];
  const command = [...base, '--ranks', String(flags.ranks), '--rate', String(rate), ...flags.chosen.passOn].join(' ');
  const plan = { a, program, ranks: flags.ranks, t: flags.t, rate, flagSchedule, command };
  simFaults(scheduleFor(plan, a.seed ?? '1'), plan.ranks, plan.t); // a bad spec is a usage error before anything runs
  return plan;
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
  return { program: plan.program, ranks: plan.ranks, t: plan.t, seed, ratePerSec: plan.rate, schedule, trace };
}

function verdictLine(g: Graded): string {
  const { outcome } = g;
  const commits = outcome.ranks.map((r) => r.summary?.commits ?? 0).join(' ');
  const sim = `${(outcome.simMs / 1000).toFixed(1)} simulated s, ${outcome.events} events, commits ${commits}`;
  return g.failures.length === 0 ? `pass (${sim})` : `FAIL: ${g.failures.slice(0, 3).join('; ')} (${sim})`;
}

function say(plan: Plan, line: string): void {
  if (!plan.a.quiet) process.stderr.write(`[sim] ${line}\n`);
}

/** writeRun writes the instance logs, traces and run.json of one seed into --log-dir. */
function writeRun(plan: Plan, seed: string, g: Graded): void {
  const dir = plan.a.logDir;
  if (!dir) throw usageError('--log-dir must not be empty');
  prepareLogDir(dir, plan.a.clean);
  for (const r of g.outcome.ranks) {
    const text = r.lines.join('\n');
    writeFileSync(join(dir, `instancelog${r.rank}.log`), r.lines.length === 0 ? '' : r.unterminated ? text : `${text}\n`);
    writeFileSync(join(dir, `trace${r.rank}.ndjson`), r.trace.length === 0 ? '' : `${r.trace.join('\n')}\n`);
  }
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
    verdict: g.failures.length === 0 ? 'pass' : 'fail',
    failures: g.failures,
  };
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
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
    }
    if (!plan.a.quiet && (i % 10 === 9 || i === seeds.length - 1))
      process.stderr.write(`\r[sim] ${i + 1}/${seeds.length} seeds, ${failing.length} failing, ${events} events`);
  }
  if (!plan.a.quiet) process.stderr.write('\n');
  const failed = failing.length > 0 ? ` (${failing.slice(0, 20).join(' ')})` : '';
  const totals = `${events} events, ${(simMs / 1000).toFixed(1)} simulated s`;
  process.stdout.write(`${seeds.length} seeds: ${seeds.length - failing.length} pass, ${failing.length} fail${failed}; ${totals}\n`);
  const first = failing[0];
  if (first !== undefined && plan.a.shrink) shrinkSeed(plan, first);
  return failing.length === 0 ? EXIT.ok : EXIT.checkFailed;
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
