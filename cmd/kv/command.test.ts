// command.test: `csplab kv run` refuses bad flags with one clear line and exit 2, before any
// rank starts: an unknown store, a load too short for its deadline, lease reads not enabled or
// without a stated clock-drift bound.
import t from 'tap';
import { EXIT } from '../exit.js';
import { cliRunEach, expectError, HANG_BOUND_MS } from '../testing/cli.js';

t.test('kv run: bad flags exit 2 before any rank starts', async (t) => {
  const dir = t.testdir();
  const cases: [string[], RegExp][] = [
    [['--store', 'paxos', '-t', '5'], /Invalid values: Argument: store, Given: "paxos"/],
    [['--store', 'traft', '-t', '1'], /-t 1 leaves no time for a load with --deadline 2/],
    [['--store', 'traft', '-t', '5', '--read', 'lease'], /--read lease needs --lease-reads/],
    [['--store', 'traft', '-t', '5', '--read', 'lease', '--lease-reads'], /--lease-reads needs --clock-drift/],
    [['--store', 'traft', '-t', '5', '--clients', '0'], /--clients must be an integer in 1\.\.1000/],
  ];
  const base = ['kv', 'run', '--log-dir', dir];
  const results = await cliRunEach(
    t,
    cases.map(([extra]) => [...base, ...extra]),
    { timeoutMs: HANG_BOUND_MS },
  );
  cases.forEach(([extra, line], i) => expectError(t, results[i]!, EXIT.usage, line, extra.join(' ')));
});
