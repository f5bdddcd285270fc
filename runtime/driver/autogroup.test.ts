// autogroup.test: /proc/<pid>/autogroup read into its nice; and, in a session made for the test
// (so the suite's own is never reniced), at autogroup nice 5 (raising a nice needs no privilege):
// a detached child starts at nice 0, shareAutogroup gives it 5, and a program started detached
// through inOurAutogroup's script runs at 5. Without autogroups, both say there is nothing to do.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { autogroupNice, inOurAutogroup, parseAutogroup, shareAutogroup } from './autogroup.js';

t.test('parseAutogroup: the nice after the group name', async (t) => {
  t.equal(parseAutogroup('/autogroup-14 nice -19\n'), -19);
  t.equal(parseAutogroup('/autogroup-3 nice 0'), 0);
  t.equal(parseAutogroup('/autogroup-3'), undefined, 'no nice: nothing read');
});

/** IN_SESSION: what runs in the test's own session (argv: autogroup.js's URL, a scratch dir); prints one JSON line. */
const IN_SESSION = `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const [url, dir] = process.argv.slice(1);
const m = await import(url);
const pause = () => new Promise((r) => setTimeout(r, 100));
for (let i = 0; ; i++) {
  try { writeFileSync('/proc/self/autogroup', '5'); break; } catch (e) { if (e.code !== 'EAGAIN' || i === 30) throw e; await pause(); }
}
const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
const before = m.autogroupNice(child.pid);
const why = await m.shareAutogroup(child.pid);
const after = m.autogroupNice(child.pid);
child.kill('SIGKILL');
const exe = m.inOurAutogroup('/bin/sh', dir);
const script = spawn(exe, ['-c', 'cat /proc/self/autogroup'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
script.stdout.setEncoding('utf8').on('data', (s) => (out += s));
await new Promise((r) => script.on('close', r));
console.log(JSON.stringify({ self: m.autogroupNice(), before, why: why ?? null, after, exe, viaScript: m.parseAutogroup(out) }));
`;

t.test('a detached child, and a program started detached through the script, get the nice of the session that started them', async (t) => {
  if (!existsSync('/proc/self/autogroup')) {
    t.equal(autogroupNice(), undefined, 'no autogroups on this machine');
    t.equal(await shareAutogroup(process.pid), 'no autogroup here');
    t.equal(inOurAutogroup('/bin/sh', t.testdir()), '/bin/sh', 'the program itself, unwrapped');
    return;
  }
  const dir = t.testdir();
  const url = new URL('./autogroup.js', import.meta.url).href;
  const session = spawn(process.execPath, ['--input-type=module', '-e', IN_SESSION, url, dir], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  session.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  session.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const status = await new Promise<number | null>((resolve) => session.on('close', resolve));
  t.equal(status, 0, `the test's session ran: ${err}`);
  const got = JSON.parse(out) as Record<string, unknown>;
  t.equal(got.self, 5, 'the session is at nice 5');
  t.equal(got.before, 0, 'its detached child started in a new autogroup, at nice 0');
  t.equal(got.why, null, 'shareAutogroup managed');
  t.equal(got.after, 5, 'and the child runs at the session nice');
  t.not(got.exe, '/bin/sh', 'at a nice other than 0 the program runs through a script');
  t.equal(got.viaScript, 5, 'which set the nice of the session Playwright-like detaching made');
});
