// Proves `csplab check --lin` (the built CLI): one verdict per file, exit 0 linearizable, 1 not,
// 5 unknown within --time-limit or --memory-limit, 4 malformed (naming file and line), 2 usage or a missing path,
// 3 unreadable; the worst over several files wins (4 > 1 > 5 > 0); --json and --html.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from './exit.js';
import { generateHistory } from '../scripts/bench/gen-history.js';
import { CLI } from '../scripts/repo.js';

function csplab(cwd: string, ...args: string[]) {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ev = (p: number, type: string, f: string, v: string | number = 'nil'): string =>
  `{:process ${p}, :type :${type}, :f :${f}, :value ${v}}`;
const GOOD = [ev(0, 'invoke', 'write', 1), ev(0, 'ok', 'write', 1), ev(1, 'invoke', 'read'), ev(1, 'ok', 'read', 1), ''].join('\n');
const BAD = [ev(0, 'invoke', 'write', 1), ev(0, 'ok', 'write', 1), ev(1, 'invoke', 'read'), ev(1, 'ok', 'read', 2), ''].join('\n');
const MALFORMED = [ev(0, 'invoke', 'write', 1), '{:process 0 :type', ''].join('\n');
const JSONL = [
  '{"process":0,"type":"invoke","f":"put","key":"a","value":"x"}',
  '{"process":0,"type":"ok","f":"put","key":"a","value":"x"}',
  '',
].join('\n');
const hard = (): string => {
  const lines: string[] = [];
  generateHistory({ model: 'register', format: 'edn', processes: 30, ops: 6000, values: 2, info: 0.5, cas: 0.3, seed: 'cli-hard' }, (l) =>
    lines.push(l),
  );
  return `${lines.join('\n')}\n`;
};

t.test('one verdict per file, the worst status wins', async (t) => {
  const cwd = t.testdir({ 'good.edn': GOOD, 'bad.edn': BAD, 'bad.txt': MALFORMED, 'kv.jsonl': JSONL });
  const ok = csplab(cwd, 'check', '--lin', 'good.edn', 'kv.jsonl');
  t.equal(ok.status, EXIT.ok, ok.stderr);
  t.match(ok.stdout, 'good.edn: register, 2 ops, 1 key\n  register: linearizable');
  t.match(ok.stdout, 'kv.jsonl: kv, 1 ops, 1 key\n  key a: linearizable');
  const bad = csplab(cwd, 'check', '--lin', 'good.edn', 'bad.edn');
  t.equal(bad.status, EXIT.checkFailed);
  t.match(bad.stdout, 'bad.edn: register, 2 ops, 1 key\n  register: NOT linearizable');
  t.match(bad.stdout, 'process 1: read → 2; invoked at line 3, ok at line 4');
  const corrupt = csplab(cwd, 'check', '--lin', 'bad.txt', 'bad.edn');
  t.equal(corrupt.status, EXIT.corrupt, '4 beats 1');
  t.match(corrupt.stderr, /^csplab: bad.txt: line 2: bad EDN/);
  t.match(corrupt.stdout, 'bad.edn: register', 'the other files are still checked');
  t.notMatch(corrupt.stderr, /at .*\.js/, 'no stack trace');
});

t.test('unknown within the time limit is exit 5: beaten by 1, beats 0', async (t) => {
  const cwd = t.testdir({ 'hard.edn': hard(), 'bad.edn': BAD, 'good.edn': GOOD });
  const r = csplab(cwd, 'check', '--lin', 'hard.edn', '--time-limit', '0.001');
  t.equal(r.status, EXIT.unknown, r.stdout + r.stderr);
  t.match(r.stdout, 'register: unknown (time limit)');
  t.equal(csplab(cwd, 'check', '--lin', 'hard.edn', 'bad.edn', '--time-limit', '0.001').status, EXIT.checkFailed, '1 beats 5');
  t.equal(csplab(cwd, 'check', '--lin', 'good.edn', 'hard.edn', '--time-limit', '0.001').status, EXIT.unknown, '5 beats 0');
});

t.test('a search past --memory-limit is unknown, exit 5, whatever the time limit', async (t) => {
  const cwd = t.testdir({ 'hard.edn': hard() });
  // 6,000 ops: the memo outgrows 0.05 MiB long before the search could decide.
  const r = csplab(cwd, 'check', '--lin', 'hard.edn', '--memory-limit', '0.05', '--time-limit', '600', '--json');
  t.equal(r.status, EXIT.unknown, r.stderr);
  t.match(JSON.parse(r.stdout), {
    verdict: 'unknown',
    files: [{ limit: 'memory limit', keys: [{ verdict: 'unknown', limit: 'memory limit' }] }],
  });
  t.match(csplab(cwd, 'check', '--lin', 'hard.edn', '--memory-limit', '0.05').stdout, 'verdict: unknown (memory limit)');
  t.match(
    csplab(cwd, 'check', '--lin', 'hard.edn', '--memory-limit', 'lots').stderr,
    '--memory-limit must be MiB in (0, 1048576], got "lots"',
  );
});

t.test('--json and --html', async (t) => {
  const cwd = t.testdir({ 'good.edn': GOOD, 'bad.edn': BAD });
  const r = csplab(cwd, 'check', '--lin', 'good.edn', 'bad.edn', '--json', '--html', 'out.html');
  t.equal(r.status, EXIT.checkFailed);
  const j = JSON.parse(r.stdout) as { verdict: string; files: { file: string; verdict: string; keys: { failing?: unknown[] }[] }[] };
  t.equal(j.verdict, 'not linearizable');
  t.same(
    j.files.map((f) => [f.file, f.verdict]),
    [
      ['good.edn', 'linearizable'],
      ['bad.edn', 'not linearizable'],
    ],
  );
  t.equal(j.files[1]?.keys[0]?.failing?.length, 1, 'the read of 2, a value nobody wrote');
  const html = readFileSync(join(cwd, 'out.html'), 'utf8');
  t.match(html, /^<!doctype html>/);
  t.match(html, 'class="op pre"', 'the linearizable prefix is marked');
  t.match(html, 'class="op fail"', 'the failing op is marked');
  t.notMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing to fetch: it renders offline');
  t.notMatch(html, /<script/, 'no script');
});

t.test('usage, missing and unreadable paths', async (t) => {
  const cwd = t.testdir({ 'good.edn': GOOD, 'locked.edn': GOOD });
  const missing = csplab(cwd, 'check', '--lin', 'nope.edn');
  t.equal(missing.status, EXIT.usage);
  t.match(missing.stderr, 'csplab: nope.edn: no such file or directory');
  t.equal(csplab(cwd, 'check', '--lin').status, EXIT.usage, 'no files');
  t.match(csplab(cwd, 'check', '--lin', 'good.edn', '--model', 'queue').stderr, '--model must be register or kv, got "queue"');
  t.match(csplab(cwd, 'check', '--lin', 'good.edn', '--time-limit', 'soon').stderr, '--time-limit must be seconds');
  t.equal(csplab(cwd, 'check', '--lin', 'good.edn', '--dir', 'log').status, EXIT.usage, '--dir is not for --lin');
  t.equal(csplab(cwd, 'check', '--model', 'kv').status, EXIT.usage, '--model without --lin');
  const m = csplab(cwd, 'check', '--lin', 'good.edn', '--model', 'kv');
  t.equal(m.status, EXIT.corrupt, 'an op outside --model is malformed');
  t.match(m.stderr, 'good.edn: line 1: :f write is a register op but --model kv');
  if (process.getuid?.() !== 0) {
    chmodSync(join(cwd, 'locked.edn'), 0o000);
    const locked = csplab(cwd, 'check', '--lin', 'locked.edn');
    t.equal(locked.status, EXIT.environment);
    t.match(locked.stderr, 'locked.edn: permission denied');
  }
  t.match(csplab(cwd, '--help').stdout, '5 unknown within the time or memory limit (check --lin)');
});
