// command.test: `csplab run` refuses bad fault schedules, bad flags and another run's logs with one clear line and the exit table's status, and fails fast when a rank cannot start.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../exit.js';
import { portOf } from '../flags.js';
import { cliInProcess, cliRun, cliRunEach, expectError, hasStackTrace, HANG_BOUND_MS } from '../testing/cli.js';
import { freeBasePort, occupy } from '../testing/ports.js';

const BOUND = { timeoutMs: HANG_BOUND_MS };

t.test('bad fault specs and bad flags: exit 2 before any rank starts', async (t) => {
  const cwd = t.testdir();
  const cases: [string[], string][] = [
    [['--kill', 'foo'], 'csplab: --kill: expected <rank|leader>@<s>, got "foo"'],
    [['--kill', '7@1'], 'csplab: --kill 7: rank must be < 5'],
    [['--kill'], 'csplab: Not enough arguments following: kill'],
    [['--pause', '1@2'], 'csplab: --pause: expected <rank|leader>@<s>:<duration s> (the pause needs a duration), got "1@2"'],
    [['--start', 'leader@1'], 'csplab: --start: expected a rank, got "leader"'],
    [['--restart', 'leader@1'], 'csplab: --restart: expected a rank or killed, got "leader"'],
    [['-t', '3', '--kill', '1@9'], 'csplab: --kill at 9s is after the run ends (-t 3)'],
    [['-t', '3', '--restart', 'killed@3.5'], 'csplab: --restart at 3.5s is after the run ends (-t 3)'],
    [['-o', 'abc'], 'csplab: -o must be a number in 0.001..3600, got "abc"'],
    [['--ranks', '0'], 'csplab: --ranks must be an integer in 1..100, got 0'],
    [['--data-size', 'big'], 'csplab: --data-size must be an integer in 1..1048576, got "big"'],
    [['--window', '0'], 'csplab: --window must be an integer in 1..1000000, got 0'],
    [['--bogus'], 'csplab: Unknown argument: bogus'],
    [['--host='], 'csplab: --host must not be empty (give an address, e.g. 127.0.0.1, or 0.0.0.0 for every interface)'],
    [['--log-dir', 'other'], 'csplab: --log-dir was given 2 times; give it once'],
    [['-t', '3', '-t', '4'], 'csplab: -t was given 2 times; give it once'],
    // Another protocol's flag would be ignored without a word.
    [['--protocol', 'traft', '--eager'], 'csplab: --eager is a paxos flag; --protocol traft does not use it'],
    [['--keys', '5'], 'csplab: --keys is a traft flag; --protocol paxos does not use it'],
  ];
  // Each case's message, in this process; two again as processes (a refusal by the fault parser and
  // one by the protocol's flags), for what only a process shows: the exit code, stdout, no stack trace from Node.
  const results = await cliInProcess(cases.map(([args]) => ['run', '--log-dir', join(cwd, 'log'), ...args]));
  cases.forEach(([args, line], i) => expectError(t, results[i]!, EXIT.usage, line, `run ${args.join(' ')}`));
  const real = [cases[0]!, cases.find(([args]) => args.includes('--eager'))!];
  const processes = await cliRunEach(
    t,
    real.map(([args]) => ['run', '--log-dir', 'log', ...args]),
    { cwd, ...BOUND },
  );
  real.forEach(([args, line], i) => expectError(t, processes[i]!, EXIT.usage, line, `run ${args.join(' ')} (a process)`));
  t.same(readdirSync(cwd), [], 'nothing written: the flags are checked before the log dir is touched');
});

t.test('a log dir that is a file: exit 2, naming it', async (t) => {
  const cwd = t.testdir({ 'a-file': 'x\n' });
  const r = await cliRun(t, ['run', '--log-dir', 'a-file', '-t', '1'], { cwd, ...BOUND });
  expectError(t, r, EXIT.usage, 'csplab: log dir a-file: exists and is not a directory', 'log dir is a file');
});

t.test(
  'a log dir that cannot hold files (/proc/x): exit 3 at once, not a hang',
  { skip: !existsSync('/proc/self') && 'no procfs' },
  async (t) => {
    const r = await cliRun(t, ['run', '--log-dir', '/proc/x', '-t', '1'], BOUND);
    expectError(t, r, EXIT.environment, 'csplab: log dir /proc/x: not a usable directory (mkdir /proc/x: ENOENT)', '--log-dir /proc/x');
  },
);

t.test('--host not on this machine: exit 3 naming the address (was 70)', async (t) => {
  const cwd = t.testdir();
  const base = await freeBasePort(3);
  const r = await cliRun(t, ['run', '--quiet', '-n', '3', '--host', '192.0.2.1', '--base-port', String(base), '-t', '1'], {
    cwd,
    ...BOUND,
  });
  t.equal(r.timedOut, false);
  t.equal(r.status, EXIT.environment);
  const last = r.stderr.trimEnd().split('\n').at(-1);
  t.match(
    last,
    /^csplab: rank \d could not start: cannot listen on 192\.0\.2\.1:\d+: address not available \(not an address of this machine\)$/,
  );
  t.notOk(hasStackTrace(r.stderr));
});

t.test("another run's logs: exit 4 and untouched without --clean; --clean replaces only them", async (t) => {
  const old = 'commit Instance[abcdefghijklmnopqrstuvwxyzabcdef] in seq 0 at 1\n';
  const cwd = t.testdir({ log: { 'instancelog0.log': old, 'instancelog7.log': old, 'run.json': '{}\n', 'notes.txt': 'mine\n' } });
  const dir = join(cwd, 'log');
  const r = await cliRun(t, ['run', '--log-dir', 'log', '-t', '1'], { cwd, ...BOUND });
  expectError(
    t,
    r,
    EXIT.corrupt,
    /^csplab: log holds another run's logs \((instancelog0\.log|instancelog7\.log|run\.json)(, (instancelog0\.log|instancelog7\.log|run\.json)){2}\); pass --clean to replace them$/,
    'no --clean',
  );
  t.equal(readFileSync(join(dir, 'instancelog7.log'), 'utf8'), old, 'the old logs are untouched');
  // --clean: a real (small, short) run replaces the old logs and keeps what is not a log.
  const base = await freeBasePort(3);
  const clean = await cliRun(
    t,
    ['run', '--log-dir', 'log', '--clean', '--quiet', '-n', '3', '-o', '0.5', '-l', '10', '-t', '1', '--base-port', String(base)],
    { cwd, ...BOUND },
  );
  t.equal(clean.status, EXIT.ok, `--clean: the run ends ok\n${clean.stdout}${clean.stderr}`);
  t.notOk(hasStackTrace(clean.stderr));
  t.notOk(existsSync(join(dir, 'instancelog7.log')), 'the old rank-7 log is gone');
  t.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine\n', 'a file that is not a log is kept');
  t.equal((JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { ranks: number }).ranks, 3, 'run.json is the new run’s');
  t.match(
    readFileSync(join(dir, 'instancelog0.log'), 'utf8'),
    /^generate Instance\[[a-z]{32}\] in seq 0 at \d+$/m,
    'instancelog0.log is the new run’s',
  );
});

t.test('a rank that cannot listen: exit 3 at once, naming the rank and the address', async (t) => {
  const base = await freeBasePort(5);
  const busy = portOf(base, 2);
  const { server } = await occupy(busy);
  t.teardown(() => server.close());
  const cwd = t.testdir();
  const r = await cliRun(t, ['run', '--log-dir', 'log', '--base-port', String(base), '-o', '1', '-t', '2'], { cwd, ...BOUND });
  t.equal(r.timedOut, false, 'ends by itself');
  t.equal(r.status, EXIT.environment);
  // "At once" is the reason, not a time: had csplab run waited out its 30 s boot limit, it would
  // end with "ranks did not all start listening within 30s"; it ends on the rank's own exit.
  t.equal(
    r.stderr.trimEnd().split('\n').at(-1),
    `csplab: rank 2 could not start: cannot listen on 127.0.0.1:${busy}: address already in use`,
  );
  t.notMatch(r.stderr, /did not all start listening/, 'not the boot limit');
  t.notOk(hasStackTrace(r.stderr));
});

t.test('--help: exit 0, every fault flag described', async (t) => {
  const r = await cliRun(t, ['run', '--help'], BOUND);
  t.equal(r.status, EXIT.ok);
  for (const flag of [
    '-o',
    '-l',
    '-t',
    '--ranks',
    '--base-port',
    '--log-dir',
    '--clean',
    '--kill',
    '--pause',
    '--start',
    '--restart',
    '--quiet',
  ]) {
    t.match(r.stdout, new RegExp(`^\\s+(-\\w, )?${flag}\\s`, 'm'), `run --help describes ${flag}`);
  }
  t.match(r.stdout, /<rank\|leader>@<s>:<duration s>/, 'the pause spec is spelled out');
  t.equal(r.stderr, '');
});
