// command.test: `csplab kv run` refuses bad flags with one clear line and exit 2, before any
// rank starts: an unknown store, a load too short for its deadline, lease reads not enabled or
// without a stated clock-drift bound, load flags out of range (shares, value size, key distribution),
// a read mode of another store (vectory's local/master/mix; TRaft's and chain's index/lease/log).
import t from 'tap';
import { EXIT } from '../exit.js';
import { cliInProcess, cliRunEach, expectError, HANG_BOUND_MS } from '../testing/cli.js';

t.test('kv run: bad flags exit 2 before any rank starts', async (t) => {
  const dir = t.testdir();
  const cases: [string[], RegExp][] = [
    [['--store', 'paxos', '-t', '5'], /Invalid values: Argument: store, Given: "paxos"/],
    [['--store', 'traft', '-t', '1'], /-t 1 leaves no time for a load with --deadline 2/],
    [['--store', 'traft', '-t', '5', '--read', 'lease'], /--read lease needs --lease-reads/],
    [['--store', 'traft', '-t', '5', '--read', 'lease', '--lease-reads'], /--lease-reads needs --clock-drift/],
    [['--store', 'traft', '-t', '5', '--clients', '0'], /--clients must be an integer in 1\.\.1000/],
    [['--store', 'traft', '-t', '5', '--batch-ms', '-1'], /--batch-ms must be a number in 0\.\.1000, got -1/],
    [['--store', 'traft', '-t', '5', '--delete-share', '0.6'], /--get-share 0\.5 and --delete-share 0\.6 add up to more than 1/],
    [['--store', 'traft', '-t', '5', '--value-size', '-1'], /--value-size must be an integer in 0\.\.4096/],
    [['--store', 'traft', '-t', '5', '--key-dist', 'zipf', '--zipf-exponent', '11'], /--zipf-exponent must be a number in 0\.001\.\.10/],
    [['--store', 'traft', '-t', '5', '--key-dist', 'hot'], /Argument: key-dist, Given: "hot"/],
    // chain's master ranks are no nodes: none of them can leave (ranks 0–2 replicated, the default; 0 single)
    [
      ['--store', 'chain', '-t', '5', '--leave', '1@2'],
      /--leave 1@2: rank 1 is a master rank, not a node \(ranks 0–2 are the master group\)/,
    ],
    [['--store', 'chain', '-t', '5', '--remove', '2@2'], /--remove 2@2: rank 2 is a master rank \(ranks 0–2, --master replicated\)/],
    [
      ['--store', 'chain', '-t', '5', '--master', 'single', '--leave', '0@2'],
      /rank 0 is a master rank, not a node \(rank 0 is the master\)/,
    ],
    // the replicated master's lease bound (chain-master.md §12.3) and its group's timing
    [
      ['--store', 'chain', '-t', '5', '--master-clock-drift', '0.2'],
      /leaseMs 1500 \+ maxDriftMs 200 must be below failTimeoutMs 2000 · \(1 − clockDrift 0.2\) = 1600.*--master-clock-drift/,
    ],
    [['--store', 'chain', '-t', '5', '--lease-ms', '1850'], /chain: leaseMs 1850 must be below failTimeoutMs 2000 − maxDriftMs 200/],
    [
      ['--store', 'chain', '-t', '5', '--lease-ms', '1650', '--max-drift-ms', '300'],
      /leaseMs 1650 \+ maxDriftMs 300 must be below failTimeoutMs 2000/,
    ],
    [['--store', 'chain', '-t', '5', '--master-election-ms', '5'], /--master-election-ms must be an integer in 10\.\.3600000, got 5/],
    [
      ['--store', 'chain', '-t', '5', '--master', 'single', '--master-election-ms', '500'],
      /--master-election-ms sets the replicated master group's timing: not with --master single/,
    ],
    // read modes belong to their stores: vectory has no ReadIndex/lease/log reads, the others no local/master reads
    [['--store', 'vectory', '-t', '5', '--read', 'index'], /--read index is not a read mode of vectory \(local, master, mix\)/],
    [['--store', 'vectory', '-t', '5', '--read', 'lease'], /--read lease is not a read mode of vectory \(local, master, mix\)/],
    [['--store', 'vectory', '-t', '5', '--read', 'log'], /--read log is not a read mode of vectory \(local, master, mix\)/],
    [['--store', 'traft', '-t', '5', '--read', 'local'], /--read local is not a read mode of this store \(index, lease, log\)/],
    [['--store', 'chain', '-t', '5', '--read', 'mix'], /--read mix is not a read mode of this store \(index, lease, log\)/],
    [['--store', 'traft', '-t', '5', '--read', 'master'], /--read master is not a read mode of this store/],
    [['--store', 'vectory', '-t', '5', '--read', 'near'], /Argument: read, Given: "near"/],
    [['--store', 'vectory', '-t', '5', '--nodes', '0'], /--nodes must be an integer in 1\.\.1000/],
    [['--store', 'vectory', '-t', '5', '--shards', '0'], /--shards must be an integer in 1\.\.4096/],
  ];
  const base = ['kv', 'run', '--log-dir', dir];
  // Each case's message, in this process; two again as processes (a refusal by yargs and one by the
  // store's own check), for what only a process shows: the exit code, stdout, no stack trace from Node.
  const results = await cliInProcess(cases.map(([extra]) => [...base, ...extra]));
  cases.forEach(([extra, line], i) => expectError(t, results[i]!, EXIT.usage, line, extra.join(' ')));
  const real = [cases[0]!, cases.find(([extra]) => extra.includes('--lease-ms'))!];
  const processes = await cliRunEach(
    t,
    real.map(([extra]) => [...base, ...extra]),
    { timeoutMs: HANG_BOUND_MS },
  );
  real.forEach(([extra, line], i) => expectError(t, processes[i]!, EXIT.usage, line, `${extra.join(' ')} (a process)`));
});
