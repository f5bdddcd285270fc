// cli: runs the built csplab CLI (dist/cmd/csplab.js) from tests as a child process, bounded in
// time and always reaped: each child leads its own process group (a `csplab run` and its rank
// processes), which is SIGKILLed on timeout, on test teardown, and when the test process exits.
// Leading a group takes a session of its own, which Linux's autogroups would schedule apart from
// the suite's: its autogroup is given the suite's nice (runtime/driver/autogroup.ts).
import { spawn } from 'node:child_process';
import type { Test } from 'tap';
import { shareAutogroup } from '../../runtime/driver/autogroup.js';
import { CLI } from '../../scripts/repo.js';
import { main } from '../main.js';
import { holdExclusive } from './exclusive.js';

/**
 * HANG_BOUND_MS bounds a CLI run that should end by itself: it tells a hang from an exit, and
 * nothing more. Idle, such a run ends in about a second; with two CPU-bound processes beside the
 * suite, booting Node alone took several, and a tighter bound failed runs that were only slow.
 * So it sits far above any boot and below tap's 600 s per file (package.json). That a run failed
 * at once, not after a limit of its own, is shown by why it failed (its message), not by the clock.
 */
export const HANG_BOUND_MS = 300_000;

/** CliResult is how one CLI run ended: its status (null if killed by a signal) and output. */
export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** timedOut: the bound passed and the process group was killed. */
  timedOut: boolean;
  elapsedMs: number;
}

/** Teardown is the part of tap's Test that cliRun needs (t.teardown). */
export interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export interface CliOptions {
  cwd?: string;
  /** timeoutMs bounds the run; the whole process group is killed when it passes. */
  timeoutMs: number;
  /** stdin is written to the child's standard input, which is then closed. */
  stdin?: string;
}

const live = new Set<number>(); // process-group ids of children still running

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already
  }
}

process.on('exit', () => {
  for (const pgid of live) killGroup(pgid);
});

/**
 * childEnv is this process's environment without tap's NODE_OPTIONS coverage hook: its reports
 * for the child's dist/ files mis-merge with the in-process coverage of the same sources (see
 * cmd/check.test.ts), and a rank process has no use for it.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * cliRun runs one `csplab` to its end. A run that starts a real cluster (`--base-port`) first
 * waits its turn for the machine-wide cluster lock (cmd/testing/exclusive.ts); its time bound
 * starts once it holds it.
 */
export async function cliRun(t: Teardown, args: readonly string[], o: CliOptions): Promise<CliResult> {
  if (!args.includes('--base-port')) return cliRunNow(t, args, o);
  const release = await holdExclusive();
  try {
    return await cliRunNow(t, args, o);
  } finally {
    await release();
  }
}

/** cliRunNow runs `csplab <args>` and resolves when the process (and its stdio) closes. */
function cliRunNow(t: Teardown, args: readonly string[], o: CliOptions): Promise<CliResult> {
  const startedMs = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env: childEnv(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const pgid = child.pid;
  if (pgid !== undefined) live.add(pgid);
  // detached made it a session of its own: give that session's autogroup the suite's CPU share
  // (runtime/driver/autogroup.ts), or a reniced suite session starves its ranks' boot.
  if (pgid !== undefined) void shareAutogroup(pgid);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.on('error', () => {}); // a child that exits before reading its input
  child.stdin.end(o.stdin ?? '');
  const timer = setTimeout(() => {
    timedOut = true;
    if (pgid !== undefined) killGroup(pgid);
  }, o.timeoutMs);
  t.teardown(() => {
    clearTimeout(timer);
    if (pgid !== undefined && live.has(pgid)) killGroup(pgid);
  });
  return new Promise<CliResult>((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      if (pgid !== undefined) live.delete(pgid);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (pgid !== undefined) {
        // The leader has exited; anything it left in its group (a rank) goes with it.
        killGroup(pgid);
        live.delete(pgid);
      }
      resolve({ status, signal, stdout, stderr, timedOut, elapsedMs: performance.now() - startedMs });
    });
  });
}

/**
 * cliRunEach runs one `csplab` per argument list, at most `parallel` at a time, and returns
 * their results in order. Bounded: dozens of Node processes started at once on a loaded
 * 2-core machine each take longer to boot than the time bound allows.
 */
export async function cliRunEach(t: Teardown, argLists: readonly (readonly string[])[], o: CliOptions, parallel = 4): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let i = 0; i < argLists.length; i += parallel)
    results.push(...(await Promise.all(argLists.slice(i, i + parallel).map((args) => cliRun(t, args, o)))));
  return results;
}

/** InProcessResult is how one in-process run of csplab's main ended: its status and what it wrote to stderr. */
export interface InProcessResult {
  status: number;
  stderr: string;
}

/**
 * cliInProcess runs csplab's main (cmd/main.ts) on args in this process, one after another: for
 * a test of many flags' messages and statuses, each case spared a Node boot and a module load
 * (about 0.7 s of a core). What only a process shows (its exit code, its stdout, a stack trace
 * Node prints) is cliRun's: a test that uses this keeps at least one case of its command there.
 */
export async function cliInProcess(argLists: readonly (readonly string[])[], o: { cwd?: string } = {}): Promise<InProcessResult[]> {
  const results: InProcessResult[] = [];
  const home = process.cwd();
  // Relative paths in args (and in the messages about them) are the cwd's, as in a process started there.
  if (o.cwd !== undefined) process.chdir(o.cwd);
  try {
    for (const args of argLists) {
      let stderr = '';
      const status = await main([...args], (text) => (stderr += text));
      results.push({ status, stderr });
    }
  } finally {
    process.chdir(home);
  }
  return results;
}

/** hasStackTrace says whether text holds a JavaScript stack frame ("    at f (file:1:2)"). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text);
}

/** USAGE_HINT is the line csplab adds after a usage error's message. */
const USAGE_HINT = 'Try "csplab --help".';

/**
 * expectError asserts a CLI failure the way a user sees it: the exit status, then exactly one
 * `csplab: …` line on stderr (plus the --help hint after a usage error), no stack trace and no
 * stdout (a process's: cliInProcess does not capture stdout). `line` is the whole message line, or a pattern for it.
 */
export function expectError(t: Test, r: CliResult | InProcessResult, status: number, line: string | RegExp, what: string): void {
  if ('timedOut' in r) t.equal(r.timedOut, false, `${what}: ends by itself`);
  t.equal(r.status, status, `${what}: exit ${status}`);
  const lines = r.stderr.split('\n');
  if (typeof line === 'string') t.equal(lines[0], line, `${what}: the message`);
  else t.match(lines[0], line, `${what}: the message`);
  t.equal(lines.slice(1).join('\n'), status === 2 ? `${USAGE_HINT}\n` : '', `${what}: nothing else on stderr`);
  t.notOk(hasStackTrace(r.stderr), `${what}: no stack trace`);
  if ('stdout' in r) t.equal(r.stdout, '', `${what}: nothing on stdout`);
}
