// Proves the three rules' verdicts and diagnostics through the library API (in memory and on files): clean runs, each rule broken each way, conflict vs gap, empty ranks, malformed input.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDir, checkFiles, checkLogs, formatReport, linesOf, type CheckResult, type FindingGroup, type RankLines } from './index.js';
import { repoPath } from '../scripts/repo.js';

/** key makes a distinct 32-letter key per label (numbers and words never collide), as the log's keys look. */
const key = (label: string | number): string =>
  `${typeof label === 'number' ? 'n' : 'w'}${label}`.padEnd(32, 'q').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!);
const gen = (k: string, seq: number): string => `generate Instance[${k}] in seq ${seq} at 1763856939000000`;
const com = (k: string, seq: number): string => `commit Instance[${k}] in seq ${seq} at 1763856939000001`;

/** rank builds a log that generates then commits each listed seq with key(seq). */
function rankLog(seqs: number[]): string[] {
  return seqs.flatMap((s) => [gen(key(s), s), com(key(s), s)]);
}

const logs = (...ranks: string[][]): RankLines[] => ranks.map((lines, i) => ({ name: `instancelog${i}.log`, lines }));

function groups(r: CheckResult, rule: 1 | 2 | 3): readonly FindingGroup[] {
  return r.rules[rule - 1]!.groups;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

t.test('a clean run passes every rule and prints the seed report exactly', async (t) => {
  const r = checkLogs(logs(rankLog(upTo(5)), rankLog(upTo(5)), rankLog(upTo(3))));
  t.equal(r.verdict, 'pass');
  t.same(
    r.rules.map((x) => x.verdict),
    ['pass', 'pass', 'pass'],
  );
  t.same(
    r.ranks.map((x) => [x.node, x.commits, x.maxSeq, x.generates]),
    [
      [0, 5, 4, 5],
      [1, 5, 4, 5],
      [2, 3, 2, 3],
    ],
  );
  t.equal(
    formatReport(r),
    [
      '----------begin to check------------',
      'node 0 commits 5 times',
      'node 1 commits 5 times',
      'node 2 commits 3 times',
      '---------- check validity ------------',
      'pass',
      '---------- check safety --------------',
      'pass',
      '---------- end -----------------------',
      '',
    ].join('\n'),
  );
});

t.test('rule 1: two values at one seq in a rank fail, naming rank, seq, both keys and both lines', async (t) => {
  const r0 = rankLog(upTo(4));
  r0.push(gen(key('x'), 2), com(key('x'), 2));
  const r = checkLogs(logs(r0, rankLog(upTo(4))));
  t.equal(r.verdict, 'fail');
  t.equal(r.validity, 'fail');
  t.equal(r.safety, 'pass', 'the table keeps the first commit, which agrees');
  const [g] = groups(r, 1);
  t.match(g, { kind: 'conflicting-values', severity: 'error', nodes: [0], count: 1 });
  t.same(g!.examples[0]!.at, [
    { node: 0, file: 'instancelog0.log', line: 6, key: key(2) },
    { node: 0, file: 'instancelog0.log', line: 10, key: key('x') },
  ]);
  t.equal(
    g!.examples[0]!.message,
    `node 0 committed two values at seq 2: [${key(2)}] at instancelog0.log:6 and [${key('x')}] at instancelog0.log:10`,
  );
  t.equal(r.ranks[0]!.commits, 4, 'commits counts distinct seqs');
  t.match(
    formatReport(r),
    /---------- check validity ------------\nrule 1: node 0 committed a second, different value at an already committed seq \(1 line in instancelog0.log\)\n {2}node 0 committed two values at seq 2: .*\nnot pass\n/,
  );
});

t.test('rule 1: the same value committed twice fails by default, and is a counted warning with --lenient', async (t) => {
  const r0 = rankLog(upTo(4));
  r0.push(com(key(1), 1), com(key(3), 3), com(key(3), 3));
  const strict = checkLogs(logs(r0, rankLog(upTo(4))));
  t.equal(strict.verdict, 'fail');
  const [g] = groups(strict, 1);
  t.match(g, { kind: 'repeated-commit', severity: 'error', nodes: [0], count: 3 });
  t.equal(g!.examples[0]!.message, `node 0 committed [${key(1)}] at seq 1 twice: at instancelog0.log:4 and again at instancelog0.log:9`);
  t.match(g!.summary, /re-logged after a restart\? \(--lenient allows it\)/);

  const lenient = checkLogs(logs(r0, rankLog(upTo(4))), { lenient: true });
  t.equal(lenient.verdict, 'pass');
  const [w] = groups(lenient, 1);
  t.match(w, { kind: 'repeated-commit', severity: 'warning', count: 3 });
  t.same(
    w!.examples[0]!.at.map((a) => a.line),
    [4, 9],
    'both lines',
  );
  const text = formatReport(lenient);
  t.match(
    text,
    /warning \(rule 1\): node 0 committed the same value again at an already committed seq \(3 lines in instancelog0.log\); allowed by --lenient\n/,
  );
  t.match(text, /---------- check validity ------------\n(.*\n)+pass\n---------- check safety/);
});

t.test('rule 1 under --lenient still fails two different values', async (t) => {
  const r0 = [...rankLog(upTo(2)), gen(key('y'), 1), com(key('y'), 1)];
  t.equal(checkLogs(logs(r0, rankLog(upTo(2))), { lenient: true }).validity, 'fail');
});

t.test('rule 2: a committed key nobody generated fails, naming the key and the commit line', async (t) => {
  const r0 = rankLog(upTo(3));
  const r1 = rankLog(upTo(3));
  r0[2] = gen(key('other'), 1); // rank 0 generated something else at seq 1
  r1[2] = gen(key('other'), 1);
  const r = checkLogs(logs(r0, r1));
  t.equal(r.verdict, 'fail');
  t.equal(r.rules[1].verdict, 'fail');
  t.equal(r.rules[0].verdict, 'pass');
  t.equal(r.safety, 'pass');
  const [g] = groups(r, 2);
  t.match(g, { kind: 'never-generated', count: 1, nodes: [] });
  t.equal(
    g!.examples[0]!.message,
    `key [${key(1)}] committed by node 0 at instancelog0.log:4 was never generated by any rank (committed 2 times in all)`,
  );
});

t.test('rule 2: a key generated by another rank, at another seq, is fine', async (t) => {
  const r0 = [gen(key('a'), 7), com(key('b'), 1)];
  const r1 = [gen(key('b'), 99), com(key('b'), 1)];
  t.equal(checkLogs(logs(r0, r1)).rules[1].verdict, 'pass');
});

t.test('rule 2: a rank with no commit fails with a hint to run longer', async (t) => {
  const r = checkLogs(logs(rankLog(upTo(3)), [gen(key(0), 0)], []));
  t.equal(r.verdict, 'fail');
  const g = groups(r, 2);
  t.same(
    g.map((x) => [x.kind, x.nodes]),
    [
      ['no-commits', [1]],
      ['no-commits', [2]],
    ],
  );
  t.match(g[0]!.summary, /node 1 committed nothing \(instancelog1.log\): run longer \(raise -t\)/);
  t.same(
    r.ranks.map((x) => x.maxSeq),
    [2, null, null],
  );
  t.equal(r.safety, 'pass', 'maxSeq counts as 0: nothing to compare');
});

t.test('rule 3: conflicts and gaps are told apart, counted, and shown first few by seq', async (t) => {
  // node 1 differs from node 0 at seqs 2 and 5 (conflicts) and lacks 3, 6, 7, 8 (gaps).
  const r1 = upTo(11)
    .filter((s) => ![3, 6, 7, 8].includes(s))
    .flatMap((s) => {
      const k = s === 2 || s === 5 ? key(`c${s}`) : key(s);
      return [gen(k, s), com(k, s)];
    });
  const r = checkLogs(logs(rankLog(upTo(11)), r1), { examples: 3 });
  t.equal(r.verdict, 'fail');
  t.equal(r.validity, 'pass');
  t.equal(r.safety, 'fail');
  const [conflicts, gaps] = groups(r, 3);
  t.match(conflicts, { kind: 'conflict', nodes: [0, 1], count: 2, belowSeq: 10 });
  t.match(gaps, { kind: 'gap', nodes: [0, 1], count: 4, belowSeq: 10 });
  t.same(
    gaps!.examples.map((f) => f.seq),
    [3, 6, 7],
  );
  t.equal(
    conflicts!.examples[0]!.message,
    `conflict at seq 2: node 0 committed [${key(2)}] (instancelog0.log:6), node 1 committed [${key('c2')}] (instancelog1.log:6)`,
  );
  t.equal(
    gaps!.examples[0]!.message,
    `gap at seq 3: node 0 committed [${key(3)}] (instancelog0.log:8), node 1 committed nothing there (instancelog1.log)`,
  );
  const text = formatReport(r);
  t.match(
    text,
    /rule 3: node 0 and node 1 committed different values at 2 seqs \(conflicts\) below seq 10, the smaller of their max seqs\n/,
  );
  t.match(
    text,
    /rule 3: node 0 and node 1: 4 seqs committed by one and not the other \(gaps\) below seq 10, the smaller of their max seqs\n( {2}.*\n){3} {2}… and 1 more\nnot pass\n---------- end/,
  );
});

t.test('rule 3 compares only seqs below min(maxSeq): the min itself and above are not compared', async (t) => {
  // node 1 stops at 4; node 0 commits a different key at 4 and has extra seqs above.
  const r0 = [...rankLog(upTo(4)), gen(key('z'), 4), com(key('z'), 4), ...rankLog([5, 6])];
  const r = checkLogs(logs(r0, rankLog(upTo(5))));
  t.equal(r.verdict, 'pass');
  // ... but one seq lower is compared.
  const r2 = checkLogs(logs(r0, rankLog([0, 1, 2, 4, 5])));
  t.same(
    groups(r2, 3).map((g) => [g.kind, g.belowSeq, g.examples.map((f) => f.seq)]),
    [
      ['conflict', 5, [4]],
      ['gap', 5, [3]],
    ],
  );
});

t.test('rule 3: a gap missing on both ranks is fine, and each pair is judged on its own', async (t) => {
  const r = checkLogs(logs(rankLog([0, 2, 3]), rankLog([0, 2, 3]), rankLog([0, 1, 2, 3])));
  t.same(
    groups(r, 3).map((g) => [g.kind, g.nodes, g.count]),
    [
      ['gap', [0, 2], 1],
      ['gap', [1, 2], 1],
    ],
  );
});

t.test('blank and unmatched lines are skipped and counted; malformed and overlong ones fail rule 2 with file:line', async (t) => {
  const lines = [
    '',
    'debug: round 3 started',
    gen(key(0), 0),
    `${com(key(0), 0)}\r\n`,
    `commit Instance[${key(1)}] in seq 1`,
    `commit Instance[${key(1)}] in seq 9007199254740993 at 1`,
    'x'.repeat(200),
    '\u0000\u0001\uFFFD garbage',
  ];
  const r = checkLogs([{ name: 'a.log', lines }], { maxLineBytes: 100 });
  t.equal(r.verdict, 'fail');
  t.match(r.ranks[0], { commits: 1, lines: 8, skipped: { blank: 1, unmatched: 2, malformed: 2, overlong: 1 } });
  t.same(r.ranks[0]!.notes, ['a.log: skipped 2 lines that are not instance lines']);
  t.same(
    groups(r, 2).map((g) => [g.kind, g.nodes, g.count, g.examples.map((f) => [f.message, f.at])]),
    [
      [
        'unreadable-line',
        [0],
        3,
        [
          ['a.log:5: line ends after the seq number (truncated?)', [{ node: 0, file: 'a.log', line: 5 }]],
          ['a.log:6: seq 9007199254740993 is beyond 2^53-1', [{ node: 0, file: 'a.log', line: 6 }]],
          ['a.log:7: longer than 100 bytes: not read', [{ node: 0, file: 'a.log', line: 7 }]],
        ],
      ],
    ],
  );
  t.match(
    formatReport(r),
    /rule 2: node 0: 3 lines in a.log cannot be read as instance lines, so what they record is unchecked\n {2}a.log:5: line ends after/,
  );
  t.equal(checkLogs([{ name: 'a.log', lines: lines.slice(0, 4) }], { maxLineBytes: 100 }).verdict, 'pass', 'without them: pass');
});

t.test('a conflicting commit padded past the line limit fails; so does a line that starts like one and does not parse', async (t) => {
  const conflict = `${com(key('x'), 1)}${' '.repeat(1_100_000)}`;
  const dir = t.testdir({
    'instancelog0.log': `${rankLog(upTo(3)).join('\n')}\n`,
    'instancelog1.log': `${[...rankLog(upTo(3)), gen(key('x'), 1), conflict].join('\n')}\n`,
    'instancelog2.log': `${[...rankLog(upTo(3)), `commit Instance[${key('y')}] in seq 1 at`].join('\n')}\n`,
  });
  const r = await checkDir(dir);
  t.equal(r.verdict, 'fail', 'a 1.1 MB line is not skipped with a note');
  t.same(
    groups(r, 2).map((g) => [g.kind, g.nodes, g.count]),
    [
      ['unreadable-line', [1], 1],
      ['unreadable-line', [2], 1],
    ],
  );
  t.match(groups(r, 2)[0]!.examples[0]!.message, /instancelog1\.log:8: longer than 1048576 bytes: not read$/);
  t.match(groups(r, 2)[1]!.examples[0]!.message, /instancelog2\.log:7: line ends inside " at " \(truncated\?\)$/);
  // The same conflicting line unpadded is read, and fails rule 1.
  writeFileSync(join(dir, 'instancelog1.log'), `${[...rankLog(upTo(3)), gen(key('x'), 1), com(key('x'), 1)].join('\n')}\n`);
  const plain = await checkDir(dir, { ranks: 2 });
  t.same(
    plain.rules.map((x) => x.verdict),
    ['fail', 'pass', 'pass'],
  );
});

t.test('a torn last line (unterminated, cut short mid-write: a killed rank) is only a note', async (t) => {
  const torn = `${rankLog(upTo(3)).join('\n')}\ncommit Instance[${key(3)}] in seq 3`;
  const dir = t.testdir({ 'instancelog0.log': `${rankLog(upTo(3)).join('\n')}\n`, 'instancelog1.log': torn });
  const r = await checkDir(dir);
  t.equal(r.verdict, 'pass');
  t.same(r.ranks[1]!.notes, [
    `${join(dir, 'instancelog1.log')}:7: the last line was cut short mid-write (line ends after the seq number (truncated?)); not counted`,
    `${join(dir, 'instancelog1.log')}: the last line has no newline (was the run cut off mid-write?)`,
  ]);
  // Followed by another line, the same text is no torn write: it fails.
  writeFileSync(join(dir, 'instancelog1.log'), `${torn}\n${gen(key(9), 9)}`);
  t.equal((await checkDir(dir)).verdict, 'fail');
  // Terminated by a newline it was written whole: it fails too.
  writeFileSync(join(dir, 'instancelog1.log'), `${torn}\n`);
  t.same(
    groups(await checkDir(dir), 2).map((g) => g.kind),
    ['unreadable-line'],
  );
});

t.test('the reference (Go) format with its prefixes and date is read too', async (t) => {
  const prefix = '[Consensus log] 2026/11/23 00:15:39.612345 logger.go:70: ';
  const date = '2026-11-23 00:15:39.612345678 +0000 UTC m=+1.000000001';
  const lines = upTo(3).flatMap((s) => [
    `${prefix}generate Instance[${key(s)}] in seq ${s} at ${date}`,
    `${prefix}commit Instance[${key(s)}] in seq ${s} at ${date}`,
  ]);
  const r = checkLogs(logs(lines, lines));
  t.equal(r.verdict, 'pass');
  t.equal(r.ranks[1]!.commits, 3);
});

t.test('examples is a limit on shown findings, never on counts', async (t) => {
  const r1 = upTo(20).flatMap((s) => [gen(key(`d${s}`), s), com(key(`d${s}`), s)]);
  const r = checkLogs(logs(rankLog(upTo(21)), r1), { examples: 0 });
  const [g] = groups(r, 3);
  t.equal(g!.count, 19, 'seqs 0..18 differ; 19 is the smaller max seq');
  t.same(g!.examples, []);
  t.throws(() => checkLogs([], { examples: -1 }), RangeError);
  t.throws(() => checkLogs([], { maxLineBytes: 0 }), RangeError);
});

t.test('tables grow past their first allocation without losing entries', async (t) => {
  const many = upTo(5000);
  const r1 = many.flatMap((s) => (s === 4321 ? [gen(key('late'), s), com(key('late'), s)] : [gen(key(s), s), com(key(s), s)]));
  const r = checkLogs(logs(rankLog(many), r1, rankLog(many.filter((s) => s !== 4000))));
  t.same(
    r.ranks.map((x) => x.commits),
    [5000, 5000, 4999],
  );
  t.same(
    groups(r, 3).map((g) => [g.kind, g.nodes, g.examples.map((f) => f.seq)]),
    [
      ['conflict', [0, 1], [4321]],
      ['gap', [0, 2], [4000]],
      ['conflict', [1, 2], [4321]],
      ['gap', [1, 2], [4000]],
    ],
  );
});

t.test('examples are the lowest seqs even when logs are not in seq order', async (t) => {
  const down = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  const r = checkLogs(logs(rankLog(down), rankLog(down.filter((s) => s < 1 || s > 4))));
  const [gaps] = groups(r, 3);
  t.equal(gaps!.count, 4);
  t.same(
    gaps!.examples.map((f) => f.seq),
    [1, 2, 3],
  );
});

t.test('linesOf splits a whole log (LF, CRLF, final newline or not)', async (t) => {
  t.same(linesOf('a\r\nb\nc\n'), ['a\r', 'b', 'c']);
  t.same(linesOf('a\nb'), ['a', 'b']);
  t.same(linesOf(''), []);
  const text = `${rankLog(upTo(3)).join('\r\n')}\r\n`;
  const r = checkLogs([{ name: 'x', lines: linesOf(text) }]);
  t.equal(r.verdict, 'pass');
  t.equal(r.ranks[0]!.commits, 3);
  t.equal(r.ranks[0]!.lines, 6);
});

t.test('a node given twice is refused', async (t) => {
  t.throws(
    () =>
      checkLogs([
        { name: 'a', node: 1, lines: [] },
        { name: 'b', node: 1, lines: [] },
      ]),
    /node 1 given twice/,
  );
});

t.test('checkFiles and checkDir stream files with the same verdicts as in memory', async (t) => {
  const broken = [...rankLog(upTo(4)), gen(key('x'), 2), com(key('x'), 2)];
  const dir = t.testdir({
    'instancelog0.log': `${rankLog(upTo(4)).join('\r\n')}\r\n`,
    'instancelog1.log': broken.join('\n'),
    'instancelog3.log': `${rankLog(upTo(4)).join('\n')}\n`,
    'notes.txt': 'not a log',
  });
  const viaDir = await checkDir(dir);
  t.same(
    viaDir.ranks.map((x) => [x.node, x.file, x.commits, x.missing]),
    [
      [0, join(dir, 'instancelog0.log'), 4, false],
      [1, join(dir, 'instancelog1.log'), 4, false],
      [2, join(dir, 'instancelog2.log'), 0, true],
      [3, join(dir, 'instancelog3.log'), 4, false],
    ],
  );
  t.equal(viaDir.validity, 'fail');
  t.equal(
    groups(viaDir, 1)[0]!.examples[0]!.message,
    `node 1 committed two values at seq 2: [${key(2)}] at ${join(dir, 'instancelog1.log')}:6 and [${key('x')}] at ${join(dir, 'instancelog1.log')}:10`,
  );
  t.same(
    groups(viaDir, 2).map((g) => [g.kind, g.nodes, g.summary]),
    [['no-log', [2], `rank 2 wrote no log (${join(dir, 'instancelog2.log')} is missing): did it start, and with this --log-dir?`]],
    'a rank missing below the highest log fails rule 2',
  );
  t.same(viaDir.notes, []);
  t.ok(viaDir.ranks[1]!.unterminated);
  const inMemory = checkLogs([
    { name: join(dir, 'instancelog0.log'), lines: rankLog(upTo(4)) },
    { name: join(dir, 'instancelog1.log'), lines: broken },
    { name: join(dir, 'instancelog3.log'), node: 3, lines: rankLog(upTo(4)) },
  ]);
  t.same([viaDir.rules[0], viaDir.rules[2]], [inMemory.rules[0], inMemory.rules[2]]);

  const three = await checkDir(dir, { ranks: 3 });
  t.same(
    groups(three, 2).map((g) => [g.kind, g.nodes]),
    [['no-log', [2]]],
    'ranks: 3 with rank 2 missing fails rule 2 (no throw)',
  );
  const two = await checkDir(dir, { ranks: 2 });
  t.equal(two.ranks.length, 2);
  writeFileSync(join(dir, 'b.log'), rankLog(upTo(2)).join('\n'));
  const files = await checkFiles([join(dir, 'b.log'), join(dir, 'instancelog0.log')]);
  t.same(
    files.ranks.map((x) => [x.node, x.commits]),
    [
      [0, 2],
      [1, 4],
    ],
  );
  t.equal(files.verdict, 'pass');
  await t.rejects(checkFiles([join(dir, 'none.log')]), { code: 'ENOENT' }, 'a named file that does not exist stays an input error');
});

t.test("run.json's rank count: a missing highest rank fails; --ranks must agree with it", async (t) => {
  const dir = t.testdir({
    'instancelog0.log': `${rankLog(upTo(3)).join('\n')}\n`,
    'instancelog1.log': `${rankLog(upTo(3)).join('\n')}\n`,
  });
  t.equal((await checkDir(dir)).verdict, 'pass', 'no run.json: the highest log found sets the count');
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify({ runId: 'run-x', ranks: 3, o: 1 }, null, 2)}\n`);
  const r = await checkDir(dir);
  t.equal(r.verdict, 'fail');
  t.same(
    groups(r, 2).map((g) => [g.kind, g.nodes]),
    [['no-log', [2]]],
  );
  t.match(formatReport(r), /node 2 commits 0 times\n[^]*rule 2: rank 2 wrote no log \(/);
  t.equal((await checkDir(dir, { ranks: 3 })).verdict, 'fail');
  await t.rejects(checkDir(dir, { ranks: 2 }), {
    name: 'CheckInputError',
    message: `--ranks 2 but ${join(dir, 'run.json')} records 3 ranks`,
  });
  for (const [text, why] of [
    ['{"ranks": 0}', /its "ranks" is 0/],
    ['{"ranks": "5"}', /its "ranks" is "5"/],
    ['{}', /its "ranks" is missing/],
    ['{not json', /not JSON/],
  ] as const) {
    writeFileSync(join(dir, 'run.json'), text);
    await t.rejects(checkDir(dir), { name: 'CheckInputError', message: why }, text);
  }
});

t.test('checkDir refuses a directory without logs, a file, and a missing path', async (t) => {
  const dir = t.testdir({ empty: {}, 'f.txt': 'x' });
  await t.rejects(checkDir(join(dir, 'empty')), { name: 'CheckInputError', message: /no instancelog<rank>.log files/ });
  await t.rejects(checkDir(join(dir, 'f.txt')), { code: 'ENOTDIR' });
  await t.rejects(checkDir(join(dir, 'nope')), { code: 'ENOENT' });
  await t.rejects(checkDir(dir, { ranks: 0 }), { name: 'CheckInputError' });
});

t.test('the checker stands alone: no import from processors/ or cmd/, and from runtime/ only its assertions', async (t) => {
  const dir = repoPath('check');
  const importsOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  t.ok(sources.length >= 8, 'found the sources');
  for (const f of sources) {
    t.same(
      importsOf(join(dir, f)).filter((i) => !i.startsWith('./') && !i.startsWith('node:') && i !== '../runtime/assert.js'),
      [],
      `${f} imports only check/, node: and runtime/assert.ts`,
    );
  }
  // runtime/assert.ts (defined, assert: invariants that fail loudly) imports nothing itself.
  t.same(importsOf(repoPath('runtime', 'assert.ts')), [], 'runtime/assert.ts imports nothing');
});
