import { spawnSync } from 'node:child_process';
import t from 'tap';
import { heapGrowingPercent, LEADER_HEAP_GROWING_PERCENT, OTHER_HEAP_GROWING_PERCENT } from './heap_growth.js';

t.test('a leader gets the tighter factor, every other role the looser one, both set (not V8’s own)', async (t) => {
  t.equal(heapGrowingPercent('leader', []), LEADER_HEAP_GROWING_PERCENT);
  t.ok(LEADER_HEAP_GROWING_PERCENT > 0);
  t.ok(OTHER_HEAP_GROWING_PERCENT > LEADER_HEAP_GROWING_PERCENT);
  t.equal(heapGrowingPercent('follower', ['--no-turbo-inlining']), OTHER_HEAP_GROWING_PERCENT);
  t.equal(heapGrowingPercent('candidate', []), OTHER_HEAP_GROWING_PERCENT);
});

t.test('a rank started with the flag keeps it in every role', async (t) => {
  t.equal(heapGrowingPercent('leader', ['--heap-growing-percent=80']), null);
  t.equal(heapGrowingPercent('follower', ['--max-semi-space-size=4', '--heap-growing-percent', '80']), null);
  t.equal(heapGrowingPercent('leader', ['--heap_growing_percent=80']), null);
  t.equal(heapGrowingPercent('follower', ['--heap-growing_percent=80']), null, 'node takes - and _ alike');
  t.equal(heapGrowingPercent('follower', ['--heap-growing-percentage=80']), OTHER_HEAP_GROWING_PERCENT, 'another flag');
});

t.test('this node knows the flag (an unknown one would be ignored at run time, not refused)', async (t) => {
  const r = spawnSync(process.execPath, [`--heap-growing-percent=${LEADER_HEAP_GROWING_PERCENT}`, '-e', '0'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr.trim());
});
