// Proves `csplab check` (the built CLI) prints the seed report or the documented JSON and exits 0 pass, 1 rule failed, 2 usage or missing input, 3 unreadable input, with one clear line.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputError, runCheck, type CheckArgs } from './check.js';
import { CliError, EXIT } from './exit.js';
import { cliInProcess, expectError } from './testing/cli.js';
import type { CheckResult } from '../check/index.js';
import { generateLogs, type Breakage } from '../scripts/bench/gen-logs.js';
import { CLI, repoPath } from '../scripts/repo.js';

/** csplab runs the built CLI, outside tap's coverage hook (NODE_OPTIONS): its reports for the
 * child's dist/ files mis-merge with the in-process coverage of the same sources. */
function csplab(cwd: string, ...args: string[]) {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const gen = (k: string, seq: number): string => `generate Instance[${k}] in seq ${seq} at 1763856939000000`;
const com = (k: string, seq: number): string => `commit Instance[${k}] in seq ${seq} at 1763856939000001`;
const keyOf = (seq: number): string => `k${seq}`.padEnd(32, 'a');
const rank = (seqs: number[]): string => `${seqs.flatMap((s) => [gen(keyOf(s), s), com(keyOf(s), s)]).join('\n')}\n`;
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const CLEAN = [
  '----------begin to check------------',
  'node 0 commits 3 times',
  'node 1 commits 3 times',
  '---------- check validity ------------',
  'pass',
  '---------- check safety --------------',
  'pass',
  '---------- end -----------------------',
  '',
].join('\n');

t.test('a clean run: the seed report exactly, exit 0, from ./log by default', async (t) => {
  const cwd = t.testdir({ log: { 'instancelog0.log': rank(upTo(3)), 'instancelog1.log': rank(upTo(3)) } });
  const r = csplab(cwd, 'check');
  t.equal(r.status, EXIT.ok);
  t.equal(r.stdout, CLEAN);
  t.equal(r.stderr, '');
  t.equal(csplab(cwd, 'check', '--log-dir', 'log', '--ranks', '2').stdout, CLEAN, '--log-dir is --dir');
  t.equal(csplab(cwd, 'check', 'log').stdout, CLEAN, 'one directory given as a file is --dir');
});

t.test('a failing rule: reasons then "not pass", exit 1', async (t) => {
  const cwd = t.testdir({ run: { 'instancelog0.log': rank(upTo(4)), 'instancelog1.log': rank([0, 1, 3]) } });
  const r = csplab(cwd, 'check', '--dir', 'run');
  t.equal(r.status, EXIT.checkFailed);
  t.equal(csplab(cwd, 'check', 'run').status, EXIT.checkFailed, 'check <dir> fails the same run');
  t.match(
    r.stdout,
    '---------- check safety --------------\n' +
      'rule 3: node 0 and node 1: 1 seq committed by one and not the other (gaps) below seq 3, the smaller of their max seqs\n' +
      `  gap at seq 2: node 0 committed [${keyOf(2)}] (run/instancelog0.log:6), node 1 committed nothing there (run/instancelog1.log)\n` +
      'not pass\n---------- end -----------------------\n',
  );
  t.match(r.stdout, '---------- check validity ------------\npass\n');
});

t.test('--lenient turns repeated commits into a warning: exit 0', async (t) => {
  const cwd = t.testdir({ 'a.log': `${rank(upTo(2))}${com(keyOf(1), 1)}\n`, 'b.log': rank(upTo(2)) });
  t.equal(csplab(cwd, 'check', 'a.log', 'b.log').status, EXIT.checkFailed);
  const r = csplab(cwd, 'check', '--lenient', 'a.log', 'b.log');
  t.equal(r.status, EXIT.ok);
  t.match(
    r.stdout,
    /warning \(rule 1\): node 0 committed the same value again .*\n {2}node 0 committed \[k1a+\] at seq 1 twice: at a.log:4 and again at a.log:5\npass\n/,
  );
});

t.test('given files are nodes 0, 1, … in order', async (t) => {
  const cwd = t.testdir({ 'x.log': rank(upTo(2)), 'y.log': rank(upTo(5)) });
  const r = csplab(cwd, 'check', 'y.log', 'x.log');
  t.match(r.stdout, /node 0 commits 5 times\nnode 1 commits 2 times\n/);
  t.equal(r.status, EXIT.ok);
});

t.test('an empty rank fails with the hint; a torn last line and binary junk are noted, never a crash', async (t) => {
  const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 97 + 13) % 256));
  const cwd = t.testdir({
    log: {
      'instancelog0.log': `\r\n${rank(upTo(3)).replace(/\n/g, '\r\n')}commit Instance[${keyOf(9)}] in seq 9`,
      'instancelog1.log': '',
      'instancelog2.log': Buffer.concat([garbage, Buffer.from(`\n${rank(upTo(3))}`)]),
    },
  });
  const r = csplab(cwd, 'check');
  t.equal(r.status, EXIT.checkFailed);
  t.equal(r.stderr, '');
  t.match(
    r.stdout,
    /node 0 commits 3 times\nnote: log\/instancelog0.log:8: the last line was cut short mid-write \(line ends after the seq number \(truncated\?\)\); not counted\n/,
  );
  t.match(r.stdout, /note: log\/instancelog0.log: the last line has no newline/);
  t.match(r.stdout, /node 1 commits 0 times\n/);
  t.match(r.stdout, /node 2 commits 3 times\n/);
  t.match(r.stdout, /rule 2: node 1 committed nothing \(log\/instancelog1.log\): run longer \(raise -t\)/);
});

t.test('--json: the documented schema, same exit status', async (t) => {
  const cwd = t.testdir({ log: { 'instancelog0.log': rank(upTo(3)), 'instancelog1.log': rank([0, 2]) } });
  const r = csplab(cwd, 'check', '--json');
  t.equal(r.status, EXIT.checkFailed);
  const j = JSON.parse(r.stdout) as CheckResult;
  t.match(j, {
    schema: 'csplab.check/1',
    verdict: 'fail',
    validity: 'pass',
    safety: 'fail',
    options: { lenient: false, examples: 3, maxLineBytes: 1048576 },
    notes: [],
    ranks: [
      {
        node: 0,
        file: 'log/instancelog0.log',
        missing: false,
        commits: 3,
        maxSeq: 2,
        generates: 3,
        commitLines: 3,
        lines: 6,
        unterminated: false,
        notes: [],
        skipped: { blank: 0, unmatched: 0, malformed: 0, overlong: 0 },
      },
      { node: 1, file: 'log/instancelog1.log', commits: 2, maxSeq: 2 },
    ],
    rules: [
      { rule: 1, name: String, section: 'validity', verdict: 'pass', groups: [] },
      { rule: 2, section: 'validity', verdict: 'pass', groups: [] },
      {
        rule: 3,
        section: 'safety',
        verdict: 'fail',
        groups: [
          {
            kind: 'gap',
            severity: 'error',
            nodes: [0, 1],
            count: 1,
            belowSeq: 2,
            summary: String,
            examples: [
              { seq: 1, key: keyOf(1), message: /^gap at seq 1/, at: [{ node: 0, file: 'log/instancelog0.log', line: 4, key: keyOf(1) }] },
            ],
          },
        ],
      },
    ],
  });
  t.equal((JSON.parse(csplab(cwd, 'check', '--json', '--ranks', '1').stdout) as CheckResult).verdict, 'pass');
  // The schema document names every top-level field the JSON has.
  const doc = readFileSync(repoPath('docs', 'check-json.md'), 'utf8');
  for (const field of Object.keys(j)) t.match(doc, `\`${field}\``, `docs/check-json.md documents ${field}`);
});

t.test('usage errors and missing input: exit 2 with one line on stderr', async (t) => {
  const cwd = t.testdir({ log: { 'instancelog0.log': rank(upTo(2)) }, empty: {}, 'f.log': rank(upTo(2)) });
  const cases: [string[], string][] = [
    [['check', '--dir', 'nope'], 'csplab: nope: no such file or directory'],
    [['check', 'missing.log'], 'csplab: missing.log: no such file or directory'],
    [['check', 'log', 'f.log'], 'csplab: log: is a directory'],
    [['check', '--dir', 'f.log'], 'csplab: f.log: not a directory'],
    [['check', '--dir', 'empty'], 'csplab: empty: no instancelog<rank>.log files (run the cluster first, or pass --dir)'],
    [['check', '--ranks', 'two'], 'csplab: --ranks must be an integer in 1..1000000, got "two"'],
    [['check', '--ranks', '0'], 'csplab: --ranks must be an integer in 1..1000000, got "0"'],
    [['check', '--examples', '-1'], 'csplab: --examples must be an integer in 0..100000, got "-1"'],
    [['check', '--dir', 'log', 'f.log'], 'csplab: give either --dir or log files, not both'],
    [['check', '--ranks', '2', 'f.log'], 'csplab: --ranks 2 but 1 files given'],
    [['check', '--bogus'], 'csplab: Unknown argument: bogus'],
    // A scalar flag given twice became an array and read as an odd path (exit 3); name it instead.
    [['check', '--dir', 'log', '--dir', 'empty'], 'csplab: --dir was given 2 times; give it once'],
    [['check', '--examples', '1', '--examples', '2', '--ranks', '1'], 'csplab: --examples was given 2 times; give it once'],
  ];
  // Each case's message, in this process; two again as processes (a refusal by yargs and one by the
  // command's reading of its input), for what only a process shows: the exit code, stdout, no stack trace.
  const results = await cliInProcess(
    cases.map(([args]) => args),
    { cwd },
  );
  cases.forEach(([args, line], i) => expectError(t, results[i]!, EXIT.usage, line, args.join(' ')));
  for (const [args, line] of [cases[0]!, cases.find(([args]) => args.includes('two'))!]) {
    const r = csplab(cwd, ...args);
    t.equal(r.status, EXIT.usage, args.join(' '));
    t.equal(r.stderr.split('\n')[0], line);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
    t.equal(r.stdout, '', 'no partial report');
  }
});

t.test('a rank that wrote no log fails rule 2 (exit 1): below the highest log, past it with --ranks, or per run.json', async (t) => {
  const cwd = t.testdir({
    gap: { 'instancelog0.log': rank(upTo(2)), 'instancelog2.log': rank(upTo(2)) },
    top: { 'instancelog0.log': rank(upTo(2)), 'instancelog1.log': rank(upTo(2)) },
    run: {
      'instancelog0.log': rank(upTo(2)),
      'instancelog1.log': rank(upTo(2)),
      'run.json': `${JSON.stringify({ runId: 'run-abc', ranks: 3 })}\n`,
    },
  });
  const noLog = (dir: string, n: number): RegExp =>
    new RegExp(
      `---------- check validity ------------\\nrule 2: rank ${n} wrote no log \\(${dir}/instancelog${n}\\.log is missing\\)[^\\n]*\\nnot pass\\n`,
    );
  for (const [args, dir, n] of [
    [['--dir', 'gap'], 'gap', 1],
    [['--dir', 'top', '--ranks', '3'], 'top', 2],
    [['--dir', 'run'], 'run', 2],
    [['--dir', 'run', '--ranks', '3'], 'run', 2],
  ] as const) {
    const r = csplab(cwd, 'check', ...args);
    t.equal(r.status, EXIT.checkFailed, `${args.join(' ')}: exit 1`);
    t.match(r.stdout, noLog(dir, n), `${args.join(' ')}: rule 2 names rank ${n}`);
    t.equal(r.stderr, '');
  }
  t.equal(csplab(cwd, 'check', '--dir', 'top').status, EXIT.ok, 'without run.json or --ranks a missing highest rank cannot be seen');
  const disagree = csplab(cwd, 'check', '--dir', 'run', '--ranks', '2');
  t.equal(disagree.status, EXIT.usage);
  t.equal(disagree.stderr.split('\n')[0], 'csplab: --ranks 2 but run/run.json records 3 ranks');
});

t.test('a 1.1 MB padded conflicting commit fails (it passed as a note): exit 1', async (t) => {
  const padded = `${gen('x'.repeat(32), 1)}\n${com('x'.repeat(32), 1)}${' '.repeat(1_100_000)}\n`;
  const cwd = t.testdir({ log: { 'instancelog0.log': rank(upTo(3)) + padded, 'instancelog1.log': rank(upTo(3)) } });
  const r = csplab(cwd, 'check');
  t.equal(r.status, EXIT.checkFailed);
  t.match(
    r.stdout,
    /rule 2: node 0: 1 line in log\/instancelog0.log cannot be read as instance lines[^\n]*\n {2}log\/instancelog0.log:8: longer than 1048576 bytes: not read\n/,
  );
});

t.test('unreadable input: exit 3', async (t) => {
  // The mapping, directly (any user):
  t.equal(inputError(Object.assign(new Error('x'), { code: 'EACCES', path: 'log/instancelog0.log' }))?.status, EXIT.environment);
  t.equal(
    inputError(Object.assign(new Error('x'), { code: 'EACCES', path: 'log/instancelog0.log' }))?.message,
    'log/instancelog0.log: permission denied',
  );
  t.equal(inputError(Object.assign(new Error('x'), { code: 'EIO', path: 'a.log' }))?.message, 'a.log: cannot read (EIO)');
  t.equal(inputError(Object.assign(new Error('x'), { code: 'EIO', path: 'a.log' }))?.status, EXIT.environment);
  t.equal(inputError(new TypeError('a bug')), undefined, 'a bug stays a bug (exit 70)');
  const cwd = t.testdir({ 'locked.log': rank(upTo(2)) });
  chmodSync(join(cwd, 'locked.log'), 0o000); // unlinking it later needs only the directory's permission
  const r = spawnSync(...unprivileged([CLI, 'check', 'locked.log']), { cwd, encoding: 'utf8' });
  if (r.error !== undefined || r.stderr.startsWith('setpriv: ')) {
    t.comment(`running as root and cannot drop capabilities (${r.error?.message ?? r.stderr.trim()}): CLI exit 3 not exercised`);
    return;
  }
  t.equal(r.status, EXIT.environment);
  t.equal(r.stderr, 'csplab: locked.log: permission denied\n');
  t.equal(r.stdout, '');
});

/**
 * unprivileged is the command that runs node with args unable to read a chmod-000 file, outside
 * tap's coverage hook (NODE_OPTIONS). Root reads through chmod 000 by two capabilities, so as
 * root they are dropped from the bounding set (setpriv, util-linux): still uid 0, still able to
 * enter the checkout wherever it lives — running as nobody failed whenever the checkout sat
 * under a directory others cannot enter (a mktemp -d folder, mode 0700).
 */
function unprivileged(args: string[]): [string, string[]] {
  const node = ['env', '-u', 'NODE_OPTIONS', process.execPath, ...args];
  if (process.getuid?.() !== 0) return [node[0]!, node.slice(1)];
  return ['setpriv', ['--bounding-set', '-dac_override,-dac_read_search', ...node]];
}

t.test('runCheck, in process: the status, the report, and CliError for bad flags', async (t) => {
  const dir = t.testdir({ 'instancelog0.log': rank(upTo(3)), 'instancelog1.log': rank([0, 2]) });
  const args = (over: Partial<CheckArgs>): CheckArgs => ({ dir, json: false, lenient: false, examples: '3', ...over });
  let out = '';
  const write = (s: string): void => {
    out += s;
  };
  t.equal(await runCheck(args({}), write), EXIT.checkFailed);
  t.match(out, /rule 3: node 0 and node 1: 1 seq committed by one and not the other \(gaps\)/);
  out = '';
  t.equal(await runCheck(args({ ranks: '1', json: true }), write), EXIT.ok);
  t.equal((JSON.parse(out) as CheckResult).verdict, 'pass');
  out = '';
  t.equal(await runCheck(args({ dir: undefined, files: [join(dir, 'instancelog1.log')] }), write), EXIT.ok);
  t.match(out, /node 0 commits 2 times/);
  await t.rejects(runCheck(args({ examples: 'x' }), write), CliError);
  await t.rejects(runCheck(args({ dir: '' }), write), { status: EXIT.usage, message: '--dir needs a directory' });
  await t.rejects(runCheck(args({ dir: join(dir, 'none') }), write), {
    status: EXIT.usage,
    message: `${join(dir, 'none')}: no such file or directory`,
  });
});

t.test('logs from the bench generator: clean ones pass, each planted fault fails the rule it breaks', async (t) => {
  const expected: [Breakage | 'none', number, string[]][] = [
    ['none', EXIT.ok, []],
    ['conflict', EXIT.checkFailed, ['3:conflict']],
    ['gap', EXIT.checkFailed, ['3:gap']],
    ['two-values', EXIT.checkFailed, ['1:conflicting-values']],
    ['repeat', EXIT.checkFailed, ['1:repeated-commit']],
    ['ungenerated', EXIT.checkFailed, ['2:never-generated']],
    ['empty-rank', EXIT.checkFailed, ['2:no-commits']],
    ['malformed', EXIT.checkFailed, ['2:unreadable-line']],
  ];
  for (const [kind, status, failing] of expected) {
    const dir = t.testdir();
    const gen = generateLogs({ dir, commits: 300, roundLength: 40, breaks: kind === 'none' ? [] : [kind] });
    let out = '';
    const got = await runCheck({ dir, json: true, lenient: false, examples: '3' }, (s) => (out += s));
    t.equal(got, status, `${kind}: exit status`);
    const result = JSON.parse(out) as CheckResult;
    const kinds = new Set(result.rules.flatMap((r) => r.groups.map((g) => `${r.rule}:${g.kind}`)));
    t.same([...kinds], failing, `${kind}: the failing rule and kind`);
    t.same(
      result.ranks.map((r) => r.commits),
      gen.commitsPerRank,
      `${kind}: commit counts`,
    );
    if (kind === 'malformed') t.equal(result.ranks[0]!.skipped.malformed, 2);
  }
});
