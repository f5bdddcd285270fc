// launcher.test: the Node flags a rank process starts with (the protocol's, then the hidden
// CSPLAB_RANK_NODE_OPTIONS, whose later value V8 takes), and that Paxos's are flags this node accepts.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { rankNodeOptions } from './launcher.js';
import { paxosEntry } from '../../processors/paxos/entry.js';
import { traftEntry } from '../../processors/traft/entry.js';
import { protocols } from '../../processors/registry.js';

t.test('the protocol flags first, then the environment’s, split on spaces', async (t) => {
  t.same(rankNodeOptions(['--max-semi-space-size=8'], ' --cpu-prof  --max-semi-space-size=16 '), [
    '--max-semi-space-size=8',
    '--cpu-prof',
    '--max-semi-space-size=16',
  ]);
  t.same(rankNodeOptions([], undefined), [], 'neither: node’s defaults');
  t.same(rankNodeOptions(['--a'], ''), ['--a']);
});

t.test('every protocol’s rank flags start a node, and Paxos caps the young generation', async (t) => {
  t.ok(paxosEntry.rankNodeFlags?.includes('--max-semi-space-size=2'), 'Paxos ranks get a 2 MiB semi-space cap');
  t.ok(paxosEntry.rankNodeFlags?.includes('--heap-growing-percent=100'), 'Paxos ranks grow the old generation 2x, not up to 4x');
  t.ok(paxosEntry.rankNodeFlags?.includes('--v8-pool-size=1'), 'Paxos ranks run one V8 worker thread');
  t.ok(traftEntry.rankNodeFlags?.includes('--no-turbo-inlining'), 'TRaft ranks compile without inlining');
  t.ok(traftEntry.rankNodeFlags?.includes('--max-semi-space-size=2'), 'TRaft ranks get a 2 MiB semi-space cap');
  t.ok(traftEntry.rankNodeFlags?.includes('--v8-pool-size=1'), 'TRaft ranks run one V8 worker thread');
  t.notOk(
    traftEntry.rankNodeFlags?.some((f) => f.startsWith('--heap-growing-percent')),
    'TRaft sets its growing factor per role at run time (heap_growth.ts), so no start flag pins it',
  );
  for (const p of protocols) {
    const flags = p.rankNodeFlags ?? [];
    if (flags.length === 0) continue;
    // An unknown or misspelt flag makes node exit 9 ("bad option") before any rank code runs.
    const r = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
    t.equal(r.status, 0, `${p.name}: node ${flags.join(' ')} starts (${r.stderr.trim()})`);
  }
});
