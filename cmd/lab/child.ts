// child: one part of a lab run against a student's compiled core, in its own process (the
// grader kills it at the part's time limit: a core that hangs fails, never hangs the grader).
// Writes one TestResult per line to stdout as each test ends. A core that throws fails that test.
// Usage (the grader's, not a user's): node child.js '<ChildJob JSON>'.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defined } from '../../runtime/assert.js';
import type { Lab, LabPart, LabRealRun, LabSweep } from '../../runtime/lab.js';
import type { ProtocolEntry } from '../../runtime/protocol.js';
import { protocolNamed } from '../../processors/registry.js';
import { usageError } from '../exit.js';
import { numberFlag } from '../flags.js';
import { nemesis } from '../sim/nemesis.js';
import { simulate, type Graded } from '../sim/once.js';
import type { ScheduleSpec } from '../schedule.js';
import { planPart, type PlannedTest, type TestResult } from './plan.js';

export interface ChildJob {
  readonly lab: string;
  readonly part: number;
  readonly build: string;
  /** dir: the student's project (replay commands name it); logDir: where a replayed seed's logs go. */
  readonly dir: string;
  readonly logDir: string;
  readonly cli: string;
  readonly hidden: readonly number[];
  readonly only?: number;
}

async function main(job: ChildJob): Promise<void> {
  const entry = defined(protocolNamed(job.lab), 'the grader checked the lab name');
  const lab = defined(await entry.lab?.(), 'the grader checked the lab');
  const part = defined(
    lab.parts.find((p) => p.part === job.part),
    'the grader checked --part',
  );
  let failed = false;
  for (const test of planPart(lab, part, { hidden: job.hidden, ...(job.only !== undefined ? { only: job.only } : {}) })) {
    // A core the simulator already failed would only fail again, slower, on five real processes.
    const r: TestResult =
      test.kind === 'real' && failed
        ? { name: test.name, pass: false, message: 'not run: the part’s simulated tests failed first' }
        : await attempt(() => run(job, entry, lab, part, test), test.name);
    failed ||= !r.pass;
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}

/** attempt: a test's result; a student core that throws fails the test with its message. */
async function attempt(test: () => Promise<TestResult>, name: string): Promise<TestResult> {
  try {
    return await test();
  } catch (e) {
    return { name, pass: false, message: e instanceof Error ? e.message : String(e) };
  }
}

async function run(job: ChildJob, entry: ProtocolEntry, lab: Lab, part: LabPart, test: PlannedTest): Promise<TestResult> {
  switch (test.kind) {
    case 'unit':
      await lab.unitTest(test.name.replace(/^unit: /, ''), job.build);
      return { name: test.name, pass: true };
    case 'sweep':
      return sweepSeed(job, entry, part, test.name, test.sweep, test.seed);
    case 'real':
      return realRun(job, part, test.name, defined(part.real, 'a real test has its run'));
  }
}

/** sweepSeed: one seed of a sweep, graded by the checker (and the sweep's commit bar); a replay writes its logs and page. */
async function sweepSeed(
  job: ChildJob,
  entry: ProtocolEntry,
  part: LabPart,
  name: string,
  sweep: LabSweep,
  seed: number,
): Promise<TestResult> {
  const { o, l, t, ...own } = sweep.flags;
  const args: Record<string, unknown> = { ...defaults(entry), ...own, core: job.build };
  const program = defined(await entry.flags(args, numberFlag, usageError).simulate?.({ o, l, t }), `${entry.name} runs on the simulator`);
  const schedule: ScheduleSpec = sweep.schedule === 'nemesis' ? nemesis(String(seed), 5, t) : { ...sweep.schedule };
  const g = simulate({ program, ranks: 5, t, seed: String(seed), ratePerSec: 1000, schedule, trace: job.only !== undefined });
  const best = Math.max(...g.outcome.ranks.map((r) => r.summary?.commits ?? 0));
  const failures = [...g.failures];
  if (best < (sweep.minCommits ?? 1))
    failures.push(`the best rank committed ${best}, under the ${sweep.minCommits ?? 1} this test requires`);
  const replay = `csplab grade ${job.dir} --part ${part.part} --seed ${seed}`;
  const dir = join(job.logDir, `part${part.part}-seed${seed}`);
  if (job.only !== undefined) await writeSeed(dir, g);
  if (failures.length === 0) return { name, pass: true };
  return { name, pass: false, message: failures.slice(0, 3).join('; '), replay, report: join(dir, 'report.html') };
}

function defaults(entry: ProtocolEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, o] of Object.entries(entry.options))
    if (o.default !== undefined) out[flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = o.default;
  return out;
}

/** writeSeed: a replayed seed's instance logs, traces and page (docs/report.md), as `csplab sim` writes them. */
async function writeSeed(dir: string, g: Graded): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const r of g.outcome.ranks) {
    const text = r.lines.join('\n');
    writeFileSync(join(dir, `instancelog${r.rank}.log`), r.lines.length === 0 ? '' : r.unterminated ? text : `${text}\n`);
    writeFileSync(join(dir, `trace${r.rank}.ndjson`), r.trace.length === 0 ? '' : `${r.trace.join('\n')}\n`);
  }
  writeFileSync(
    join(dir, 'run.json'),
    `${JSON.stringify({ simulated: true, ranks: g.outcome.ranks.length, failures: g.failures }, null, 2)}\n`,
  );
  const { reportFailure } = await import('../sim/command.js');
  await reportFailure(dir);
}

/** realRun: the lab's run_and_check: a real cluster of OS processes on the student's core, then the checker. */
function realRun(job: ChildJob, part: LabPart, name: string, real: LabRealRun): TestResult {
  const { o, l, t, ranks } = real.flags;
  const dir = join(job.logDir, `part${part.part}-real`);
  rmSync(dir, { recursive: true, force: true });
  const common = ['--protocol', job.lab, '-o', String(o), '-l', String(l), '-t', String(t), '--ranks', String(ranks)];
  let runArgs: string[] = [];
  let ran: SpawnSyncReturns<string> | undefined;
  // A port range per grader process and attempt: two graders on one machine must not collide, and
  // a port some other program holds costs a retry on another range, not the student's points.
  for (let attempt = 0; attempt < 4; attempt++) {
    const basePort = 20000 + ((process.pid + attempt * 997) % 2000) * 20;
    runArgs = ['run', ...common, '--base-port', String(basePort), '--log-dir', dir, '--quiet', '--clean', '--core', job.build];
    ran = spawnSync(process.execPath, [job.cli, ...runArgs], { encoding: 'utf8' });
    if (!(ran.status === 3 && /address already in use/i.test(ran.stderr))) break;
  }
  ran = defined(ran, 'the loop runs at least once');
  const checked = spawnSync(process.execPath, [job.cli, 'check', '--dir', dir, '--ranks', String(ranks)], { encoding: 'utf8' });
  const replay = `csplab ${runArgs.join(' ')} && csplab check --dir ${dir} --ranks ${ranks}`;
  if (ran.status === 0 && checked.status === 0) return { name, pass: true };
  const why =
    ran.status !== 0 ? `csplab run exited ${ran.status}: ${tail(ran.stdout + ran.stderr)}` : `csplab check: ${tail(checked.stdout)}`;
  return { name, pass: false, message: why, replay, report: `csplab report ${dir}` };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-6).join(' | ');
}

const job = JSON.parse(defined(process.argv[2], 'the grader passes the job')) as ChildJob;
await main(job);
