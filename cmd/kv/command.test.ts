// command.test: `csplab kv run` refuses bad flags with one clear line and exit 2, before any
// rank starts: an unknown store, a load too short for its deadline, lease reads not enabled or
// without a stated clock-drift bound, load flags out of range (shares, value size, key distribution).
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
    [['--store', 'traft', '-t', '5', '--delete-share', '0.6'], /--get-share 0\.5 and --delete-share 0\.6 add up to more than 1/],
    [['--store', 'traft', '-t', '5', '--value-size', '-1'], /--value-size must be an integer in 0\.\.4096/],
    [['--store', 'traft', '-t', '5', '--key-dist', 'zipf', '--zipf-exponent', '11'], /--zipf-exponent must be a number in 0\.001\.\.10/],
    [['--store', 'traft', '-t', '5', '--key-dist', 'hot'], /Argument: key-dist, Given: "hot"/],
  ];
  const base = ['kv', 'run', '--log-dir', dir];
  const results = await cliRunEach(
    t,
    cases.map(([extra]) => [...base, ...extra]),
    { timeoutMs: HANG_BOUND_MS },
  );
  cases.forEach(([extra, line], i) => expectError(t, results[i]!, EXIT.usage, line, extra.join(' ')));
});
