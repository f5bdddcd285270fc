// rank-main.test: the rank entry's own parse (cmd/rank-main.ts, no yargs) reads every argv
// `csplab run` hands a rank exactly as `csplab rank`'s yargs parse does, and hands anything it might
// read differently (unknown, repeated or valueless flags, a bad choice, --help) to yargs. In-process.
import t from 'tap';
import yargs, { type Argv } from 'yargs';
import { declaredRankOptions, leanParse } from './rank-main.js';
import { protocolsFlagArgs, rankCommand } from './rank.js';

const declared = declaredRankOptions();

/** viaYargs is `csplab rank`'s parse of argv: the rank command's builder on a fresh yargs. */
function viaYargs(argv: readonly string[]): Record<string, unknown> {
  const y = (rankCommand.builder as (y: Argv) => Argv)(yargs([...argv]).strict());
  return y.parseSync();
}

/** The shapes of argv the launcher builds (cmd/run/command.ts), with each protocol's flags passed on. */
const plain: string[][] = [
  ['-i', '0', '--incarnation', '0', '--clean', '-o', '1', '-l', '1000000', '-t', '5', '--ranks', '5', '--base-port', '23000'],
  [
    '-i',
    '3',
    '--incarnation',
    '2',
    '--hold',
    '--skew-ms=-250',
    '-o',
    '0.5',
    '-l',
    '100',
    '-t',
    '60',
    '-n',
    '3',
    '--events',
    '--await-start',
  ],
  [
    '-i',
    '1',
    '--incarnation',
    '0',
    '--log-dir',
    '/tmp/x y',
    '--seed',
    '007',
    '--cluster-id',
    'run-abc',
    '--protocol',
    'traft',
    '--drop',
    '0.05',
  ],
  ['-i', '0', '--delay', '5±2', '--dup', '0.01', '--trace', '--verbose', '--host', '0.0.0.0', '--data-size', '0x10'],
  ['-i', '2', '--protocol', 'chain', '--leave', '3@2', '--leave', '4@3', '--no-eager', '--start-at', '1765000000000'],
  ['-i', '0', ...protocolsFlagArgs({ window: 256, batch: 32, eager: true, keys: 4, snapshotEvery: 0, machine: 'kv', craq: true })],
];

t.test('every argv the launcher builds parses exactly as yargs parses it', async (t) => {
  for (const argv of plain) {
    const lean = leanParse(argv, declared);
    t.ok(lean !== undefined, `parsed without yargs: ${argv.join(' ')}`);
    const want = viaYargs(argv);
    for (const [key, value] of Object.entries(lean ?? {})) t.same(value, want[key], `${key} of ${argv.join(' ')}`);
    for (const name of declared.keys())
      t.equal(name in (lean ?? {}), want[name] !== undefined, `--${name} present in both or neither: ${argv.join(' ')}`);
  }
});

t.test('what yargs might read otherwise, or answer itself, goes to yargs', async (t) => {
  const cases = [
    ['-i', '0', '--bogus', '1'], // unknown: yargs names it (strict)
    ['-i', '0', '--log-dir', 'a', '--log-dir', 'b'], // repeated: csplab names it
    ['-i', '0', '--clean', '--no-clean'],
    ['-i', '0', '-o'], // no value: yargs' message
    ['-i', '0', '--protocol', 'raft'], // not a choice
    ['-i', '0', 'extra'], // a positional
    ['--help'],
    ['--version'],
  ];
  for (const argv of cases) t.equal(leanParse(argv, declared), undefined, `left to yargs: ${argv.join(' ')}`);
});

t.test('the recorder sees every option the rank command declares', async (t) => {
  for (const name of ['i', 'o', 'l', 't', 'ranks', 'base-port', 'log-dir', 'protocol', 'hold', 'await-start', 'incarnation', 'window'])
    t.ok(declared.has(name), `--${name} declared`);
});
