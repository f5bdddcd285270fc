// rank.test: `csplab rank` (and the top-level csplab) turn bad flags, busy ports, unusable or foreign log dirs into one clear line and the exit table's status, never a stack trace.
import t from 'tap';
import yargs from 'yargs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliInProcess, cliRun, cliRunEach, expectError, hasStackTrace, HANG_BOUND_MS } from './testing/cli.js';
import { freeBasePort, occupy } from './testing/ports.js';
import { EXIT } from './exit.js';
import { protocolFlags, rankOptions, type RankArgs } from './rank.js';
import { protocols } from '../processors/registry.js';
import { VERSION } from './version.js';

const BOUND = { timeoutMs: HANG_BOUND_MS };

t.test('bad flags: exit 2, the flag and what was typed', async (t) => {
  const cwd = t.testdir();
  const cases: [string[], string][] = [
    [['rank'], 'csplab: missing required flag -i <rank>'],
    [['rank', '-i', '5'], 'csplab: -i must be an integer in 0..4, got 5'],
    [['rank', '-i', '3', '--ranks', '3'], 'csplab: -i must be an integer in 0..2, got 3'],
    [['rank', '-i', '-1'], 'csplab: -i must be an integer in 0..4, got -1'],
    [['rank', '-i', '1.5'], 'csplab: -i must be an integer in 0..4, got 1.5'],
    [['rank', '-i', '0', '-o', 'abc'], 'csplab: -o must be a number in 0.001..3600, got "abc"'],
    [['rank', '-i', '0', '-o', '0'], 'csplab: -o must be a number in 0.001..3600, got 0'],
    [['rank', '-i', '0', '-o', '-1'], 'csplab: -o must be a number in 0.001..3600, got -1'],
    [['rank', '-i', '0', '-o'], 'csplab: Not enough arguments following: o'],
    [['rank', '-i', '0', '-l', '0'], 'csplab: -l must be an integer in 1..1000000000, got 0'],
    [['rank', '-i', '0', '-t', 'soon'], 'csplab: -t must be a number in 0.001..10000000, got "soon"'],
    [['rank', '-i', '0', '--base-port', '65535'], 'csplab: --base-port 65535 leaves no port for rank 4'],
    [['rank', '-i', '0', '--peers', 'foo'], 'csplab: --peers: expected host:port, got "foo"'],
    [['rank', '-i', '0', '--peers', 'a:1,b:2'], 'csplab: --peers lists 2 addresses but --ranks is 5'],
    [['rank', '-i', '0', '-n', '2', '--peers', 'a:1,b:70000'], 'csplab: --peers: port must be 1..65535, got 70000'],
    [['rank', '-i', '0', '--bogus'], 'csplab: Unknown argument: bogus'],
    [['rank', '-i', '0', '--protocol', 'raft'], 'csplab: Invalid values: Argument: protocol, Given: "raft", Choices: '],
    [['rank', '-i', '0', '--log-dir', ''], 'csplab: --log-dir must not be empty'],
    // Each of these exited 70 with a stack trace, or (--host=, --end-at) was accepted.
    [['rank', '-i', '0', '--host='], 'csplab: --host must not be empty (give an address, e.g. 127.0.0.1, or 0.0.0.0 for every interface)'],
    [
      ['rank', '-i', '0', '--host', ' '],
      'csplab: --host must not be empty (give an address, e.g. 127.0.0.1, or 0.0.0.0 for every interface)',
    ],
    [['rank', '-i', '0', '--cluster-id='], 'csplab: --cluster-id must not be empty'],
    [['rank', '-i', '0', `--cluster-id=${'c'.repeat(5000)}`], 'csplab: --cluster-id must be at most 256 bytes, got 5000'],
    [
      ['rank', '-i', '0', '--start-at', '2000000000000', '--end-at', '1999999999999'],
      'csplab: --end-at 1999999999999 is not after the start (--start-at 2000000000000): the rank would stop before round 0',
    ],
    [['rank', '-i', '0', '--end-at', '1000'], 'csplab: --end-at 1000 is not after the start (now + 1 s: '],
    // A PROPOSE over the 16 MiB frame was dropped on every send: the run committed nothing (issue 11 hole 2).
    [
      ['rank', '-i', '0', '--data-size', '300000'],
      'csplab: --data-size 300000 with --batch 64 makes a PROPOSE of 64 values, 19200000 bytes, over the 16777216-byte frame: use --batch 55 or less, or a smaller --data-size',
    ],
    [
      ['rank', '-i', '0', '--data-size', '1048576', '--batch', '100', '--window', '16'],
      'csplab: --data-size 1048576 with --window 16 makes a PROPOSE of 16 values, 16777919 bytes, over the 16777216-byte frame: use --window 15 or less, or a smaller --data-size',
    ],
  ];
  // Each case's message, in this process; two again as processes (a refusal by yargs and one by the
  // command's own check), for what only a process shows: the exit code, stdout, no stack trace from Node.
  const results = await cliInProcess(cases.map(([args]) => args));
  const real = [cases[0]!, cases.find(([args]) => args.includes('--data-size'))!];
  const processes = await cliRunEach(
    t,
    real.map(([args]) => args),
    { cwd, ...BOUND },
  );
  const wanted = (line: string): string | RegExp =>
    // A message ending in a blank is a prefix (the rest lists what may change, e.g. the protocols).
    line.endsWith(' ') ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\n]+$`) : line;
  cases.forEach(([args, line], i) => expectError(t, results[i]!, EXIT.usage, wanted(line), args.join(' ')));
  real.forEach(([args, line], i) => expectError(t, processes[i]!, EXIT.usage, wanted(line), `${args.join(' ')} (a process)`));
});

t.test('a port in use: exit 3, naming the address', async (t) => {
  const { server, port } = await occupy();
  t.teardown(() => server.close());
  const dir = t.testdir();
  const r = await cliRun(t, ['rank', '-i', '0', '--base-port', String(port), '--log-dir', dir, '-o', '1', '-t', '1'], BOUND);
  expectError(t, r, EXIT.environment, `csplab: cannot listen on 127.0.0.1:${port}: address already in use`, 'port in use');
});

t.test('an address not on this machine, or a host that does not resolve: exit 3, naming the address', async (t) => {
  const base = await freeBasePort(5);
  const dir = t.testdir();
  const rank0 = (host: string) =>
    cliRun(t, ['rank', '-i', '0', '--host', host, '--base-port', String(base), '--log-dir', dir, '-o', '1', '-t', '1'], BOUND);
  // 192.0.2.1 is TEST-NET-1 (RFC 5737), never a local address: listen fails with EADDRNOTAVAIL.
  expectError(
    t,
    await rank0('192.0.2.1'),
    EXIT.environment,
    `csplab: cannot listen on 192.0.2.1:${base}: address not available (not an address of this machine)`,
    '--host 192.0.2.1',
  );
  // .invalid never resolves (RFC 6761); without a resolver at all the error is EAI_AGAIN, the same status.
  expectError(
    t,
    await rank0('nosuch.invalid'),
    EXIT.environment,
    new RegExp(`^csplab: cannot listen on nosuch\\.invalid:${base}: cannot resolve the host name \\((ENOTFOUND|EAI_AGAIN)\\)$`),
    '--host nosuch.invalid',
  );
});

t.test(
  'a log dir that cannot hold files (/proc): exit 3 at once, not a hang',
  { skip: !existsSync('/proc/self') && 'no procfs' },
  async (t) => {
    const base = await freeBasePort(5);
    const rank0 = (dir: string) =>
      cliRun(t, ['rank', '-i', '0', '--log-dir', dir, '--base-port', String(base), '-o', '1', '-t', '1'], BOUND);
    expectError(
      t,
      await rank0('/proc/x'),
      EXIT.environment,
      'csplab: log dir /proc/x: not a usable directory (mkdir /proc/x: ENOENT)',
      '/proc/x',
    );
    expectError(
      t,
      await rank0('/proc/x/y'),
      EXIT.environment,
      'csplab: log dir /proc/x/y: not a usable directory (mkdir /proc/x: ENOENT)',
      '/proc/x/y',
    );
    expectError(
      t,
      await rank0('/proc'),
      EXIT.environment,
      /^csplab: log dir \/proc: not a usable directory \(mkdtemp \/proc\/\.csplab-probe-XXXXXX: ENOENT\)$/,
      '/proc',
    );
  },
);

t.test('a log dir that is a file: a usage error naming it (a path the user gave, like ENOTDIR)', async (t) => {
  const cwd = t.testdir({ 'a-file': 'not a directory\n' });
  const base = await freeBasePort(5);
  for (const dir of ['a-file', join('a-file', 'below')]) {
    const r = await cliRun(t, ['rank', '-i', '0', '--log-dir', dir, '--base-port', String(base), '-o', '1', '-t', '1'], { cwd, ...BOUND });
    expectError(t, r, EXIT.usage, /^csplab: log dir a-file(\/below)?: (exists and is )?not a directory$/, `--log-dir ${dir}`);
  }
});

t.test('--incarnation 1 with no earlier incarnation: exit 4', async (t) => {
  const dir = t.testdir();
  const base = await freeBasePort(5);
  const r = await cliRun(
    t,
    ['rank', '-i', '2', '--incarnation', '1', '--log-dir', dir, '--base-port', String(base), '-o', '1', '-t', '1'],
    BOUND,
  );
  expectError(
    t,
    r,
    EXIT.corrupt,
    `csplab: rank 2 has no earlier incarnation in ${dir} to restart from (use --incarnation 0)`,
    'restart from nothing',
  );
});

t.test("a fresh rank over another run's logs: exit 4, suggests --clean, leaves them alone", async (t) => {
  const log = 'commit Instance[abcdefghijklmnopqrstuvwxyzabcdef] in seq 0 at 1\n';
  const dir = t.testdir({
    unmarked: { 'instancelog0.log': log },
    marked: {
      'instancelog0.log': log,
      '.csplab-rank0.json': `${JSON.stringify({ clusterId: 'run-other', incarnation: 0, protocol: 'paxos' })}\n`,
    },
  });
  const base = await freeBasePort(5);
  const rank0 = (sub: string, ...more: string[]) =>
    cliRun(t, ['rank', '-i', '0', '--log-dir', join(dir, sub), '--base-port', String(base), '-o', '1', '-t', '1', ...more], BOUND);
  expectError(
    t,
    await rank0('unmarked'),
    EXIT.corrupt,
    `csplab: ${join(dir, 'unmarked', 'instancelog0.log')} was left by another run; pass --clean to overwrite it`,
    'unmarked log',
  );
  expectError(
    t,
    await rank0('marked', '--cluster-id', 'run-mine'),
    EXIT.corrupt,
    `csplab: ${join(dir, 'marked', 'instancelog0.log')} belongs to run run-other, not run-mine; pass --clean to overwrite it`,
    "another run's log",
  );
  t.equal(readFileSync(join(dir, 'unmarked', 'instancelog0.log'), 'utf8'), log, 'the other log is untouched');
  t.equal(readFileSync(join(dir, 'marked', 'instancelog0.log'), 'utf8'), log, 'the other log is untouched');
  // A corrupt marker is foreign state too.
  mkdirSync(join(dir, 'corrupt'));
  writeFileSync(join(dir, 'corrupt', '.csplab-rank0.json'), '{not json');
  writeFileSync(join(dir, 'corrupt', 'instancelog0.log'), log);
  expectError(
    t,
    await rank0('corrupt', '--incarnation', '1'),
    EXIT.corrupt,
    /^csplab: .*\.csplab-rank0\.json is not a csplab marker \(corrupt\?\); pass --clean to start over$/,
    'corrupt marker',
  );
});

t.test("a fresh start over this run's own earlier incarnation: exit 4, names the restart, leaves the files", async (t) => {
  const log = 'commit Instance[abcdefghijklmnopqrstuvwxyzabcdef] in seq 0 at 1\n';
  const marker = `${JSON.stringify({ clusterId: 'run-mine', incarnation: 2, protocol: 'paxos' })}\n`;
  const dir = t.testdir({ 'instancelog0.log': log, '.csplab-rank0.json': marker });
  const base = await freeBasePort(5);
  const r = await cliRun(
    t,
    ['rank', '-i', '0', '--cluster-id', 'run-mine', '--log-dir', dir, '--base-port', String(base), '-o', '1', '-t', '1'],
    BOUND,
  );
  expectError(
    t,
    r,
    EXIT.corrupt,
    `csplab: rank 0 already ran in run run-mine (incarnation 2) in ${dir}: a fresh start would erase what it promised its peers; ` +
      'restart it with --incarnation 3, or pass --clean to start the run over',
    'a second incarnation 0',
  );
  t.equal(readFileSync(join(dir, 'instancelog0.log'), 'utf8'), log, 'its log is untouched');
  t.equal(readFileSync(join(dir, '.csplab-rank0.json'), 'utf8'), marker, 'its marker is untouched');
});

t.test('--help and --version: exit 0, the flags named', async (t) => {
  const rank = await cliRun(t, ['rank', '--help'], BOUND);
  t.equal(rank.status, EXIT.ok);
  for (const flag of [
    '-i',
    '-o',
    '-l',
    '-t',
    '--ranks',
    '--base-port',
    '--peers',
    '--log-dir',
    '--incarnation',
    '--clean',
    '--cluster-id',
    '--start-at',
  ]) {
    t.match(rank.stdout, new RegExp(`^\\s+(-\\w, )?${flag}\\s`, 'm'), `rank --help describes ${flag}`);
  }
  t.notMatch(rank.stdout, /--await-start|--events/, 'internal flags stay hidden');
  t.equal(rank.stderr, '');
  const top = await cliRun(t, ['--help'], BOUND);
  t.equal(top.status, EXIT.ok);
  for (const command of ['run', 'rank', 'check'])
    t.match(top.stdout, new RegExp(`^\\s+csplab ${command}\\b`, 'm'), `--help lists ${command}`);
  t.match(top.stdout, /Exit status: 0 ok, 1 .*2 usage, 3 environment, 4 corrupt/, '--help gives the exit table');
  const version = await cliRun(t, ['--version'], BOUND);
  t.equal(version.status, EXIT.ok);
  t.equal(version.stdout, `${VERSION}\n`);
  t.notOk(hasStackTrace(version.stderr + top.stderr));
});

t.test('no command or an unknown one: exit 2', async (t) => {
  expectError(t, await cliRun(t, [], BOUND), EXIT.usage, 'csplab: name a command (see --help)', 'no command');
  expectError(t, await cliRun(t, ['bogus'], BOUND), EXIT.usage, 'csplab: Unknown argument: bogus', 'unknown command');
});

t.test('--hold (csplab run boots late ranks ahead): released without a start, it exits 0 having touched nothing', async (t) => {
  const cwd = t.testdir();
  const base = await freeBasePort(5);
  const r = await cliRun(
    t,
    ['rank', '-i', '1', '--hold', '--await-start', '--events', '--log-dir', 'log', '--base-port', String(base), '-o', '1', '-t', '1'],
    { cwd, stdin: '', ...BOUND },
  );
  t.equal(r.status, EXIT.ok);
  t.equal(r.stdout, '{"type":"held","rank":1}\n', 'it said it was held, and nothing more');
  t.equal(r.stderr, '');
  t.notOk(existsSync(join(cwd, 'log')), 'no log dir created');
  const bad = await cliRun(
    t,
    ['rank', '-i', '1', '--hold', '--await-start', '--log-dir', 'log', '--base-port', String(base), '-o', '1', '-t', '1'],
    { cwd, stdin: 'start!\n', ...BOUND },
  );
  expectError(t, bad, EXIT.usage, 'csplab: --hold: expected {"go":true} on stdin', 'a bad go line');
});

// csplab run hands every rank every protocol's flags: a name two protocols declare (--core: paxos
// and traft) given twice is refused by the rank (yargs makes it an array), and the run cannot start.
t.test('csplab run hands each rank every protocol flag once, as the rank reads it back', async (t) => {
  const parse = (args: string[]): Record<string, unknown> => rankOptions(yargs(args)).parseSync();
  const repeatable = new Set(
    protocols.flatMap((p) =>
      Object.entries(p.options)
        .filter(([, o]) => o.array === true)
        .map(([n]) => n),
    ),
  );
  for (const given of [
    ['--protocol', 'traft', '--core', '/lab/build', '--keys', '3'],
    ['--protocol', 'paxos', '--core', '/lab/build', '--eager'],
    ['--protocol', 'chain', '--leave', '3@1', '--leave', '4@2', '--stop-below-min'],
  ]) {
    const a = parse(given);
    const passOn = protocolFlags(a as unknown as RankArgs, 100).passOn;
    const names = passOn.filter((x) => x.startsWith('--')).map((x) => x.slice(2));
    t.same(
      names.filter((n, i) => names.indexOf(n) !== i && !repeatable.has(n)),
      [],
      `${given.join(' ')}: no flag twice in ${passOn.join(' ')}`,
    );
    const back = parse(['--protocol', String(a.protocol), ...passOn]);
    for (const name of new Set(protocols.flatMap((p) => Object.keys(p.options))))
      t.same(back[name], a[name], `${given.join(' ')}: the rank reads --${name} as run was given it`);
  }
});
