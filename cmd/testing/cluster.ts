// cluster: one `csplab run` of real rank processes on loopback for a scenario test, then graded
// by the checker library. Ports are drawn free (ports.ts); a run that loses a port race to
// another process is retried on a new base. A failed scenario keeps its logs for diagnosis.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDir, formatReport, type CheckResult } from '../../check/index.js';
import type { Test } from 'tap';
import { cliRun, type CliResult, type Teardown } from './cli.js';
import { freeBasePort } from './ports.js';

/** RunJson is the part of <log-dir>/run.json the tests read. */
export interface RunJson {
  runId: string;
  seed: string;
  ranks: number;
  o: number;
  l: number;
  t: number;
  basePort: number;
  startAtMs: number;
  endAtMs: number;
}

/** RankSummaryJson is one row of <log-dir>/summary.json. */
export interface RankSummaryJson {
  rank: number;
  incarnation: number;
  state: string;
  exitCode: number | null;
  signal: string | null;
  planned: boolean;
  commits: number;
  /** readyAtMs: ms after the start when its newest incarnation was listening (< 0: before the start). */
  readyAtMs: number | null;
  /** rssKiB: its newest incarnation's resident set, once a second. */
  rssKiB: number[];
}

/** AppliedFault is one entry of summary.json's faults: whom a fault hit, and when (ms after the start). */
export interface AppliedFault {
  action: 'kill' | 'pause' | 'start' | 'restart';
  target: 'rank' | 'leader' | 'killed';
  rank: number | null;
  atMs: number;
  appliedAtMs: number;
  resumedAtMs?: number;
}

export interface ClusterRun {
  dir: string;
  /** args: the `csplab run` arguments used (to replay a failure). */
  args: string[];
  cli: CliResult;
  run: RunJson;
  summary: { failed: boolean; ranks: RankSummaryJson[]; faults: AppliedFault[] };
  check: CheckResult;
  /** commits per rank, as the checker counted them (distinct committed seqs). */
  commits: number[];
}

export interface ClusterOptions {
  o: number;
  l: number;
  t: number;
  ranks?: number;
  /** extra: fault flags and the like, e.g. ['--kill', 'leader@1.5']. */
  extra?: string[];
  /** dir: the log directory (default: a fresh one under the OS temp dir, removed on teardown). */
  dir?: string;
}

/** runCluster runs one cluster to its end (bounded), then reads run.json, summary.json and grades the logs. */
export async function runCluster(t: Teardown, o: ClusterOptions): Promise<ClusterRun> {
  const ranks = o.ranks ?? 5;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'csplab-cluster-'));
  if (o.dir === undefined) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A hang guard, not a speed bound: boot (≤ 120 s in csplab run, on a busy machine) + the test
  // + the run's own grace period, doubled for a machine whose cores other work shares.
  const timeoutMs = 120_000 + 2 * (o.t * 1000 + Math.max(5000, 3 * o.o * 1000));
  for (let attempt = 1; ; attempt++) {
    const basePort = await freeBasePort(ranks);
    const args = [
      'run',
      '-o',
      String(o.o),
      '-l',
      String(o.l),
      '-t',
      String(o.t),
      '--ranks',
      String(ranks),
      '--base-port',
      String(basePort),
      '--log-dir',
      dir,
      '--clean',
      ...(o.extra ?? []),
    ];
    const cli = await cliRun(t, args, { timeoutMs });
    if (cli.status === 3 && /address already in use/.test(cli.stderr) && attempt < 3) continue; // lost a port race
    if (cli.status !== 0) {
      const kept = mkdtempSync(join(tmpdir(), 'csplab-failed-run-'));
      cpSync(dir, kept, { recursive: true });
      throw new Error(
        `csplab ${args.join(' ')}: ${cli.timedOut ? 'timed out' : `exit ${cli.status ?? cli.signal}`} (logs kept in ${kept})\n${cli.stdout}${cli.stderr}`,
      );
    }
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJson;
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as ClusterRun['summary'];
    const check = await checkDir(dir, { ranks });
    return { dir, args, cli, run, summary, check, commits: check.ranks.map((r) => r.commits) };
  }
}

/** assertRulesPass: every rank has a log, and all three rules pass (the report is the message otherwise). */
export function assertRulesPass(t: Test, c: ClusterRun): void {
  const report = formatReport(c.check);
  t.equal(c.check.ranks.length, c.run.ranks, 'a log for every rank');
  for (const rule of c.check.rules)
    t.equal(rule.verdict, 'pass', `rule ${rule.rule} passes${rule.verdict === 'pass' ? '' : `\n${report}`}`);
  t.equal(c.check.verdict, 'pass', 'the checker passes the run');
}

/** applied finds the one fault of a kind that the run applied (it fails the test when there is none). */
export function applied(t: Test, c: ClusterRun, action: AppliedFault['action']): AppliedFault & { rank: number } {
  const f = c.summary.faults.filter((x) => x.action === action);
  t.equal(f.length, 1, `one ${action} applied`);
  t.type(f[0]?.rank, 'number', `the ${action} hit a rank`);
  return { ...f[0]!, rank: f[0]?.rank ?? -1 };
}

/**
 * startedInRun asserts that a rank started mid-run (a late start, a restart) was listening, and
 * not before its start time: csplab run boots it ahead and holds it until then. How long after the
 * start it listened depends on the machine's load, so it is reported, not bounded (a wall-clock
 * margin breaks on a busy machine; under load a restarted rank was seen listening after -t and
 * still taking part in the drain); the callers' commit checks show whether it took part.
 */
export function startedInRun(t: Test, c: ClusterRun, rank: number, startedAtMs: number): void {
  const ready = c.summary.ranks[rank]?.readyAtMs ?? null;
  t.ok(
    ready !== null && ready >= startedAtMs,
    `rank ${rank}, started at ${startedAtMs} ms, was listening at ${ready ?? 'never'} ms, not before its start`,
  );
  if (ready !== null)
    t.comment(`rank ${rank} listened ${ready - startedAtMs} ms after its start (load average ${loadavg()[0]?.toFixed(1) ?? '?'})`);
}

/** describe says what ran, for messages and for replaying a failure. */
export function describe(c: ClusterRun): string {
  return `seed ${c.run.seed}, commits ${c.commits.join(' ')}; replay: node dist/cmd/csplab.js ${c.args.map((a) => (a === c.dir ? 'DIR' : a)).join(' ')} --seed ${c.run.seed}`;
}

/** keepOnFailure copies the run's logs to /tmp when the test has failed, and says where. */
export function keepOnFailure(t: Test, c: ClusterRun, name: string): void {
  if (t.passing()) return;
  const kept = mkdtempSync(join(tmpdir(), `csplab-failed-${name.replace(/[^a-z0-9]+/gi, '-')}-`));
  cpSync(c.dir, kept, { recursive: true });
  t.comment(
    `${name}: ${describe(c)}\nlogs kept in ${kept}\nstdout:\n${c.cli.stdout}stderr (tail):\n${c.cli.stderr.split('\n').slice(-30).join('\n')}`,
  );
}
