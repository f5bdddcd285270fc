// Proves `csplab check --sc` (the built CLI): one verdict per file, exit 0 sequentially
// consistent, 1 not, 4 malformed (naming file and line, no stack trace), 2 usage; the worst over
// several files wins (4 > 1 > 0); --json.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCheck, type CheckArgs } from './check.js';
import { CliError, EXIT } from './exit.js';
import { CLI } from '../scripts/repo.js';

function csplab(cwd: string, ...args: string[]) {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const line = (o: object): string => JSON.stringify(o);
const put = (p: number, key: string, value: string, version: number, shard: number): string[] => [
  line({ process: p, type: 'invoke', f: 'put', key, value }),
  line({ process: p, type: 'ok', f: 'put', key, value, vts: { version, shard } }),
];
const get = (p: number, key: string, value: string | null, version: number, shard: number): string[] => [
  line({ process: p, type: 'invoke', f: 'get', key, value: null }),
  line({ process: p, type: 'ok', f: 'get', key, value, at: { version, shard } }),
];
const GOOD = [...put(0, 'a', 'x', 1, 0), ...get(1, 'a', 'x', 2, 3), ''].join('\n');
const STALE = [...put(0, 'a', 'x', 1, 0), ...put(0, 'a', 'y', 2, 0), ...get(1, 'a', 'x', 2, 3), ''].join('\n');
const UNSTAMPED = [
  line({ process: 0, type: 'invoke', f: 'put', key: 'a', value: 'x' }),
  line({ process: 0, type: 'ok', f: 'put', key: 'a', value: 'x' }),
  '',
].join('\n');

t.test('check --sc: verdicts, exit statuses, the worst wins, --json', async (t) => {
  const cwd = t.testdir({ 'good.jsonl': GOOD, 'stale.jsonl': STALE, 'old.jsonl': UNSTAMPED });
  const bad = csplab(cwd, 'check', '--sc', 'good.jsonl', 'stale.jsonl');
  t.equal(bad.status, EXIT.checkFailed);
  t.match(bad.stdout, 'good.jsonl: 2 ops (1 ok writes, 1 ok reads, 0 unknown writes)\nverdict: sequentially consistent');
  t.match(bad.stdout, 'stale-read: get a at (2, 3) saw "x", but the latest write to it at or before that is at (2, 0)');
  t.match(bad.stdout, 'process 1: get key a → "x"; invoked at line 5, ok at line 6 at (2, 3)');
  const worst = csplab(cwd, 'check', '--sc', 'old.jsonl', 'stale.jsonl');
  t.equal(worst.status, EXIT.corrupt, '4 beats 1');
  t.match(worst.stderr, /^csplab: old.jsonl: line 2: an ok put without "vts"/);
  t.notMatch(worst.stderr, /at .*\.js/, 'no stack trace');
  const json = csplab(cwd, 'check', '--sc', '--json', 'stale.jsonl', 'old.jsonl');
  const j = JSON.parse(json.stdout) as { verdict: string; files: { file: string; verdict?: string; error?: string }[] };
  t.equal(j.verdict, 'malformed');
  t.same(
    j.files.map((f) => f.verdict ?? f.error),
    ['not sequentially consistent', 'old.jsonl: line 2: an ok put without "vts": --sc needs each write\'s place in the global order'],
  );
  t.equal(csplab(cwd, 'check', '--lin', 'old.jsonl').status, EXIT.ok, 'an unstamped history is still a --lin history');
});

t.test('check --sc: usage errors are exit 2 with one line', async (t) => {
  const cwd = t.testdir({ 'good.jsonl': GOOD });
  const base = { json: false, lenient: false, examples: '5' };
  const cases: [CheckArgs, string][] = [
    [{ ...base, sc: true }, '--sc needs at least one history file'],
    [{ ...base, sc: true, lin: true, files: ['good.jsonl'] }, 'give --lin or --sc, not both'],
    [{ ...base, sc: true, dir: '.' }, '--sc takes history files'],
    [{ ...base, sc: true, model: 'kv', files: ['good.jsonl'] }, 'go with --lin'],
    [{ ...base, sc: true, files: [join(cwd, 'missing.jsonl')] }, 'missing.jsonl: no such file or directory'],
  ];
  for (const [args, why] of cases)
    await t.rejects(
      runCheck(args, () => undefined),
      new CliError(EXIT.usage, why),
      why,
    );
  let out = '';
  t.equal(await runCheck({ ...base, sc: true, files: [join(cwd, 'good.jsonl')] }, (s) => (out += s)), EXIT.ok);
  t.match(out, 'verdict: sequentially consistent');
});
