// clients.test: `csplab sim --clients` through the built CLI: simulated clients load TRaft's kv
// store, history.jsonl is written beside the logs, graded (and `csplab check --lin` agrees), and
// replays byte for byte; bad client flags exit 2 with one line; Vectory's clients mix local and
// master reads by default; a sweep grades every seed's history.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../exit.js';
import { cliInProcess, cliRun, cliRunEach, expectError, HANG_BOUND_MS } from '../testing/cli.js';

const BOUND = { timeoutMs: HANG_BOUND_MS };
const base = (t: number): string[] => [
  'sim',
  '--protocol',
  'traft',
  '-o',
  '0.5',
  '-l',
  '20',
  '-t',
  String(t),
  '--ranks',
  '3',
  '--no-trace',
];
const BASE = base(3);
const CLIENTS = ['--clients', '4', '--kv-keys', '3', '--delete-share', '0.1', '--key-dist', 'zipf', '--deadline', '1'];

t.test('a seed with clients writes a graded history.jsonl that replays byte for byte', async (t) => {
  const cwd = t.testdir();
  const args = [...BASE, ...CLIENTS, '--seed', '4', '--kill', 'leader@1', '--restart', 'killed@1.5'];
  const a = await cliRun(t, [...args, '--log-dir', 'a'], { cwd, ...BOUND });
  t.equal(a.status, EXIT.ok, `exit 0 (${a.stderr.trim()})`);
  t.match(a.stdout, /^clients: \d+ ok, \d+ fail, \d+ info, \d+ retries; history\.jsonl linearizable$/m, 'the clients line');
  const history = readFileSync(join(cwd, 'a', 'history.jsonl'), 'utf8');
  t.ok(history.split('\n').length > 100, 'a history of some length');
  t.match(history, /"f":"delete"/, 'with deletes');
  const b = await cliRun(t, [...args, '--log-dir', 'b'], { cwd, ...BOUND });
  t.equal(b.status, EXIT.ok);
  t.equal(readFileSync(join(cwd, 'b', 'history.jsonl'), 'utf8'), history, 'the same history twice');
  const run = JSON.parse(readFileSync(join(cwd, 'a', 'run.json'), 'utf8')) as { lin?: string; clients?: { ok: number } };
  t.equal(run.lin, 'linearizable', 'run.json records the verdict');
  t.ok((run.clients?.ok ?? 0) > 0, 'and what the clients did');
  const lin = await cliRun(t, ['check', '--lin', join('a', 'history.jsonl')], { cwd, ...BOUND });
  t.equal(lin.status, EXIT.ok, '`csplab check --lin` agrees');
});

t.test('bad client flags exit 2 with one line', async (t) => {
  const cwd = t.testdir();
  const cases: [string[], string | RegExp][] = [
    [['sim', '--protocol', 'paxos', '-t', '3', '--clients', '2'], 'csplab: --protocol paxos takes no clients (it has no client port)'],
    [[...BASE, '--clients', '-1'], 'csplab: --clients must be an integer in 0..1000, got -1'],
    [
      [...BASE, '--clients', '2', '--get-share', '0.8', '--delete-share', '0.5'],
      /--get-share 0\.8 and --delete-share 0\.5 add up to more than 1/,
    ],
    [[...BASE, '--clients', '2', '--value-size', '5000'], 'csplab: --value-size must be an integer in 0..4096, got 5000'],
    [[...BASE, '--clients', '2', '--zipf-exponent', '0'], 'csplab: --zipf-exponent must be a number in 0.001..10, got 0'],
    [[...BASE, '--clients', '2', '--key-dist', 'normal'], /Invalid values:\s+Argument: key-dist, Given: "normal"/],
    [[...BASE, '--clients', '2', '--deadline', '2'], /-t 3 leaves no time for a client load with --deadline 2/],
    [[...BASE, '--clients', '2', '--deadline', '1', '--read', 'lease'], 'csplab: --read lease needs --lease-reads (and --clock-drift)'],
    [
      [...BASE, '--clients', '2', '--deadline', '1', '--read', 'local'],
      'csplab: --read local is not a read mode of this store (index, lease, log)',
    ],
    [
      ['sim', '--protocol', 'vectory', '-t', '3', '--clients', '2', '--deadline', '1', '--read', 'index'],
      'csplab: --read index is not a read mode of vectory (local, master, mix)',
    ],
  ];
  // Each case's message, in this process; two again as processes, for what only a process shows:
  // the exit code, stdout, no stack trace from Node.
  const results = await cliInProcess(
    cases.map(([args]) => [...args, '--log-dir', 'log']),
    { cwd },
  );
  cases.forEach(([args, line], i) => expectError(t, results[i]!, EXIT.usage, line, args.join(' ')));
  const real = [cases[0]!, cases.find(([args]) => args.includes('--zipf-exponent'))!];
  const processes = await cliRunEach(
    t,
    real.map(([args]) => [...args, '--log-dir', 'log']),
    { cwd, ...BOUND },
  );
  real.forEach(([args, line], i) => expectError(t, processes[i]!, EXIT.usage, line, `${args.join(' ')} (a process)`));
});

t.test("vectory's clients read locally and at the master by default, and the history is graded", async (t) => {
  const cwd = t.testdir();
  const args = ['sim', '--protocol', 'vectory', '-t', '3', '--clients', '4', '--deadline', '1', '--seed', '2', '--no-trace'];
  const r = await cliRun(t, [...args, '--log-dir', 'a'], { cwd, ...BOUND });
  t.equal(r.status, EXIT.ok, `exit 0 (${r.stderr.trim()}); replay: node dist/cmd/csplab.js ${args.join(' ')}`);
  t.match(
    r.stdout,
    /^clients: [1-9]\d* ok, .*history\.jsonl --lin linearizable, --sc sequentially consistent$/m,
    'the clients line gives both verdicts',
  );
  const gets = readFileSync(join(cwd, 'a', 'history.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"invoke"') && l.includes('"f":"get"'));
  t.ok(
    gets.some((l) => l.includes('"read":"local"')),
    'some gets are local (--read mix is the default)',
  );
  t.ok(
    gets.some((l) => l.includes('"read":"master"')),
    'and some at the master',
  );
  t.ok(
    gets.every((l) => /"read":"(local|master)"/.test(l)),
    'every get records its mode, so --lin leaves local ones out',
  );
});

t.test('a sweep grades every seed’s history', async (t) => {
  const cwd = t.testdir();
  const r = await cliRun(t, [...base(4), ...CLIENTS, '--seeds', '1..5', '--nemesis', 'default', '--log-dir', 'log'], { cwd, ...BOUND });
  t.equal(r.status, EXIT.ok, `exit 0 (${r.stdout.trim()})`);
  t.match(r.stdout, /^5 seeds: 5 pass, 0 fail; \d+ events/m, 'the summary line');
});
