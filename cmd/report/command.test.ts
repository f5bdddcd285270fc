// Proves `csplab report` (the built CLI) writes one self-contained page and turns bad input into
// one line and its exit status: 2 for a missing directory, a file, or a directory without logs;
// 4 for a trace line that is not a trace event (named file:line); 0 for a run that failed its
// check (the page is the point then); a KV run's line counts its client ops and their verdict,
// and a history line that is not an event is exit 4 naming it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../exit.js';
import { copyKvRun, writeFixture } from '../testing/report-fixture.js';
import { CLI } from '../../scripts/repo.js';

/** csplab runs the built CLI outside tap's coverage hook (see cmd/check.test.ts). */
function csplab(cwd: string, ...args: string[]) {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('a run becomes one page with everything inline', async (t) => {
  const cwd = t.testdir({ run: {} });
  const f = writeFixture(join(cwd, 'run'), true);
  const r = csplab(cwd, 'report', 'run', '-o', 'page.html');
  t.equal(r.status, EXIT.ok, r.stderr);
  const total = f.commits.reduce((a, b) => a + b, 0);
  t.equal(r.stdout, `page.html: 3 ranks, ${total} commits, ${f.messages} messages, check fail\n`);
  const page = readFileSync(join(cwd, 'page.html'), 'utf8');
  t.notMatch(page, /<script[^>]+src=|<link |@import|url\(http/i, 'no external script, style or font');
  t.match(page, /<script id="report-data" type="application\/json">\{/, 'the data inline');
  t.match(page, /function renderDiagram/, 'the compiled browser script inline');
});

t.test('bad input: one line and the documented status', async (t) => {
  const cwd = t.testdir({ empty: {}, 'afile.txt': 'x\n', bad: {} });
  writeFixture(join(cwd, 'bad'));
  appendFileSync(join(cwd, 'bad', 'trace1.ndjson'), '{"t":3000,"ev":"se\n');
  const lines = readFileSync(join(cwd, 'bad', 'trace1.ndjson'), 'utf8').split('\n').length - 1;
  const cases: [string[], number, RegExp][] = [
    // A usage error's line is followed by the CLI's hint (cmd/csplab.ts).
    [['report', 'nowhere'], EXIT.usage, /^csplab: nowhere: no such file or directory\nTry "csplab --help"\.\n$/],
    [['report', 'afile.txt'], EXIT.usage, /^csplab: afile\.txt: not a directory\nTry/],
    [
      ['report', 'empty'],
      EXIT.usage,
      /^csplab: empty: no instancelog<rank>\.log or trace<rank>\.ndjson files: not a run's log directory\nTry/,
    ],
    [['report', 'bad'], EXIT.corrupt, new RegExp(`^csplab: bad/trace1\\.ndjson:${lines}: not a trace event .*\\n$`)],
    [['report'], EXIT.usage, /^csplab: Not enough non-option arguments/],
  ];
  for (const [args, status, stderr] of cases) {
    const r = csplab(cwd, ...args);
    t.equal(r.status, status, `${args.join(' ')} exits ${status}`);
    t.match(r.stderr, stderr, `${args.join(' ')}: ${r.stderr}`);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  writeFileSync(join(cwd, 'bad', 'trace1.ndjson'), '');
  t.equal(csplab(cwd, 'report', 'bad', '-o', 'nodir/x.html').status, EXIT.usage, 'an output in a missing directory is a usage error');
});

t.test('a KV run: its line names the client ops and their verdict; a bad history line is exit 4', async (t) => {
  const cwd = t.testdir({ kv: {}, broken: {} });
  const f = copyKvRun(join(cwd, 'kv'), true);
  const r = csplab(cwd, 'report', 'kv', '-o', 'kv.html');
  t.equal(r.status, EXIT.ok, r.stderr);
  t.match(r.stdout, new RegExp(`^kv\\.html: 5 ranks, \\d+ commits, \\d+ messages, ${f.ops} client ops not linearizable, check fail\\n$`));
  copyKvRun(join(cwd, 'broken'));
  appendFileSync(join(cwd, 'broken', 'history.jsonl'), '{"process":0,"type":"ok"\n');
  const bad = csplab(cwd, 'report', 'broken', '-o', 'b.html');
  t.equal(bad.status, EXIT.corrupt);
  t.match(bad.stderr, /^csplab: broken\/history\.jsonl: line \d+: .*\n$/);
});
