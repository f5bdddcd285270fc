// command.test: `csplab sim` through the built CLI: a passing seed exits 0 and leaves its logs,
// traces and run.json (which `csplab check` grades too); the same command twice writes the same
// traces; a bad schedule file, a fault after the run or a bad sim flag exits 2 with one line;
// a sweep reports every seed (none fails here); a failing seed's report page is written beside its logs.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../exit.js';
import { reportFailure } from './command.js';
import { cliInProcess, cliRun, cliRunEach, expectError, HANG_BOUND_MS } from '../testing/cli.js';

const BOUND = { timeoutMs: HANG_BOUND_MS };
const BASE = ['sim', '--protocol', 'traft', '-o', '0.5', '-l', '20', '-t', '2', '--rate', '200'];

t.test('a seed passes, writes logs, traces and run.json, and replays byte for byte', async (t) => {
  const cwd = t.testdir({ 'sched.json': JSON.stringify({ kill: ['leader@1'], restart: ['killed@1.5'], drop: 0.02 }) });
  const args = [...BASE, '--seed', '5', '--schedule', 'sched.json', '--nemesis', 'default'];
  const a = await cliRun(t, [...args, '--log-dir', 'a'], { cwd, ...BOUND });
  t.equal(a.status, EXIT.ok, `exit 0 (${a.stderr.trim()})`);
  const b = await cliRun(t, [...args, '--log-dir', 'b'], { cwd, ...BOUND });
  t.equal(b.status, EXIT.ok, 'exit 0 again');
  for (let r = 0; r < 5; r++) {
    const trace = readFileSync(join(cwd, 'a', `trace${r}.ndjson`), 'utf8');
    t.ok(trace.length > 0, `rank ${r} has a trace`);
    t.equal(readFileSync(join(cwd, 'b', `trace${r}.ndjson`), 'utf8'), trace, `rank ${r}: the same trace twice`);
  }
  const run = JSON.parse(readFileSync(join(cwd, 'a', 'run.json'), 'utf8')) as {
    ranks: number;
    resolved: { action: string; rank: number | null }[];
    verdict: string;
  };
  t.equal(run.ranks, 5, 'run.json records the ranks');
  t.equal(run.verdict, 'pass', 'and the verdict');
  const kill = run.resolved.find((f) => f.action === 'kill');
  t.ok(kill !== undefined && kill.rank !== null, 'the schedule file’s leader kill was resolved to a rank');
  const check = await cliRun(t, ['check', '--dir', 'a'], { cwd, ...BOUND });
  t.equal(check.status, EXIT.ok, '`csplab check` passes the written logs');
  t.notOk(existsSync(join(cwd, 'a', 'report.html')), 'a passing seed writes no report');
  // What a failing seed does after its logs are written (no CLI flag can make a correct protocol fail).
  await reportFailure(join(cwd, 'a'));
  t.match(readFileSync(join(cwd, 'a', 'report.html'), 'utf8'), /<html[\s\S]*rank 4/, 'the page of the run, beside its logs');
  await reportFailure(join(cwd, 'missing'));
  t.notOk(existsSync(join(cwd, 'missing', 'report.html')), 'no page, and no throw, when the page cannot be made');
});

t.test('bad input exits 2 with one line', async (t) => {
  const cwd = t.testdir({ 'bad.json': '{"kill": "leader@1"}', 'notjson.json': '{', 'unknown.json': '{"crash": []}' });
  const cases: [string[], string | RegExp][] = [
    [[...BASE, '--schedule', 'bad.json'], 'csplab: --schedule bad.json: "kill" must be a list of specs'],
    [[...BASE, '--schedule', 'notjson.json'], 'csplab: --schedule notjson.json: not JSON'],
    [[...BASE, '--schedule', 'unknown.json'], /^csplab: --schedule unknown.json: unknown key "crash"/],
    [[...BASE, '--kill', '1@9'], 'csplab: --kill at 9s is after the run ends (-t 2)'],
    [[...BASE, '--seeds', '5..1'], 'csplab: --seeds 5..1: expected first ≤ last, at most 10,000,000 seeds'],
    [[...BASE, '--damage', '0.9'], 'csplab: --damage must be a number in 0..0.5, got 0.9'],
    [[...BASE, '--step-cost-us', 'abc'], 'csplab: --step-cost-us must be a number in 0..1000000, got "abc"'],
  ];
  // Each case's message, in this process; two again as processes, for what only a process shows:
  // the exit code, stdout, no stack trace from Node.
  const results = await cliInProcess(
    cases.map(([args]) => [...args, '--log-dir', 'log']),
    { cwd },
  );
  cases.forEach(([args, line], i) => expectError(t, results[i]!, EXIT.usage, line, `${args.join(' ')}`));
  const real = [cases[0]!, cases.find(([args]) => args.includes('--kill'))!];
  const processes = await cliRunEach(
    t,
    real.map(([args]) => [...args, '--log-dir', 'log']),
    { cwd, ...BOUND },
  );
  real.forEach(([args, line], i) => expectError(t, processes[i]!, EXIT.usage, line, `${args.join(' ')} (a process)`));
});

t.test('a sweep reports every seed and exits 0 when all pass', async (t) => {
  const cwd = t.testdir();
  writeFileSync(join(cwd, '.keep'), '');
  const r = await cliRun(t, [...BASE, '--seeds', '1..4', '--nemesis', 'default', '--log-dir', 'log'], { cwd, ...BOUND });
  t.equal(r.status, EXIT.ok, 'exit 0');
  t.match(r.stdout, /^4 seeds: 4 pass, 0 fail; \d+ events/m, 'the summary line');
  t.match(r.stderr, /4\/4 seeds, 0 failing/, 'the progress line');
});
