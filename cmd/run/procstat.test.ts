// procstat.test: /proc's stat and schedstat lines read into a state, CPU and wait (a command name
// with spaces and parentheses included), this process's own view read live, and the sentence
// a boot-limit message shows.
import t from 'tap';
import { describeStat, parseSchedstat, parseStat, procStat } from './procstat.js';

t.test('parseStat: the state and utime + stime after the last parenthesis, in ms', async (t) => {
  const line = '4242 (node (x) y) R 1 4242 4242 0 -1 4194304 100 0 0 0 123 45 0 0 20 0 11 0 4772 3133440 389 18446744073709551615';
  t.same(parseStat(line), { state: 'R', cpuMs: 1680 }, '(123 + 45) ticks of 10 ms; the name does not shift the fields');
  t.equal(parseStat('1 (x) S'), undefined, 'a line cut short has no CPU times');
});

t.test('parseSchedstat: the second number is the wait for a CPU, in ns', async (t) => {
  t.equal(parseSchedstat('1914828 68130000 2\n'), 68.13);
  t.equal(parseSchedstat('garbage'), undefined);
});

t.test('procStat of this process, and of a pid that is gone', async (t) => {
  const me = procStat(process.pid);
  if (process.platform !== 'linux') {
    t.equal(me, undefined, 'no /proc: nothing to say');
    return;
  }
  t.equal(me?.state, 'R', 'this process is running while it reads its own stat');
  t.ok((me?.cpuMs ?? -1) >= 0, `its CPU: ${me?.cpuMs} ms`);
  t.equal(procStat(2 ** 22 + 1), undefined, 'a pid above pid_max names no process');
});

t.test('describeStat: seconds with one decimal, the state in words', async (t) => {
  t.equal(
    describeStat({ state: 'R', cpuMs: 1234, waitMs: 95_000 }),
    "1.2 s of CPU, 95.0 s of its threads' time waiting for a CPU, runnable now",
  );
  t.equal(describeStat({ state: 'S', cpuMs: 800 }), '0.8 s of CPU, asleep now');
  t.equal(describeStat({ state: 'X', cpuMs: 0 }), '0.0 s of CPU, state X now');
});
