// mastery.test: the balance you can watch, read back from parsed log lines (a fixture, no
// cluster): a master line gives a shard, a stale stepdown does not take it back, a kill and a
// restart's start line end what the node held, one instant is one point, and balancedAt finds
// when the spread came back to ≤ 1 after a restart.
import t from 'tap';
import { lagSummary, newApplyLag, noteApplied, noteCommitAt } from './lag.js';
import { balancedAt } from '../../runtime/series.js';
import { masteryOverTime } from './mastery.js';
import type { AppliedEntry } from './vector.js';

const line = (text: string, ms: number): string => `${text} at ${ms * 1000}`;

// Three nodes, three shards: 0 and 1 start on node 0, 2 on node 1; balance gives 1 to node 2;
// node 0 is killed, node 1 takes its shard 0, node 0 restarts and wins it back.
const node0 = [
  line('start', 0),
  line('master 0 1.65535.0 0', 10),
  line('master 1 1.65535.0 0', 10),
  line('stepdown 1 1.65535.0', 110),
  line('start', 500),
  line('master 0 3.65535.0 9', 700),
];
const node1 = [line('start', 0), line('master 2 1.65535.1 0', 20), line('master 0 2.65535.1 5', 300), line('stepdown 0 2.65535.1', 710)];
const node2 = [line('start', 0), line('promise 2 1.65535.1', 15), line('master 1 2.65535.2 5', 100)];

t.test('mastered shards per node over time, from the lines and the kills', async (t) => {
  const s = masteryOverTime([node0, node1, node2], [{ rank: 0, atMs: 200 }]);
  t.equal(s.title, 'mastered shards per node');
  t.same(
    s.points.map((p) => [p.atMs, ...p.perRank, p.none]),
    [
      [0, 0, 0, 0, 3],
      [10, 2, 0, 0, 1], // both of node 0's shards at one instant: one point
      [20, 2, 1, 0, 0],
      [100, 1, 1, 1, 0], // node 2 won shard 1; node 0's stepdown at 110 comes after and changes nothing
      [200, 0, 1, 1, 1], // killed: it masters nothing, though it logged no stepdown
      [300, 0, 2, 1, 0],
      [700, 1, 1, 1, 0], // restarted at 500 (no change), won shard 0 back; node 1's stepdown at 710 is stale
    ],
    'one point per change, the state after it',
  );
  t.equal(balancedAt(s, 0), 100, 'balanced once every shard has a master and the spread is ≤ 1');
  t.equal(balancedAt(s, 200), 700, 'after the kill: when the restarted node won a shard back');
  t.equal(balancedAt(s, 150), 150, 'already balanced at the time asked: that time');
});

t.test(
  'a stepdown logged after the next master’s line does not take the shard from it; a start line ends what the node held',
  async (t) => {
    const a = [line('master 0 1.65535.0 0', 10), line('stepdown 0 1.65535.0', 40)];
    const b = [line('master 0 2.65535.1 3', 30), line('start', 90)];
    const s = masteryOverTime([a, b]);
    t.same(
      s.points.map((p) => [p.atMs, ...p.perRank, p.none]),
      [
        [10, 1, 0, 0],
        [30, 0, 1, 0],
        [90, 0, 0, 1],
      ],
    );
    t.equal(balancedAt(s, 95), undefined, 'never balanced again: no shard master at the end');
  },
);

const applied = (shard: number, index: number, outcome: AppliedEntry['outcome'] = 'applied'): AppliedEntry => ({
  shard,
  index,
  vts: { version: index, shard },
  outcome,
});

t.test('apply lag: a write is timed from the step its shard’s commit index first covered it', async (t) => {
  const l = newApplyLag(2);
  noteCommitAt(l, 0, 2, 100);
  noteCommitAt(l, 1, 1, 105);
  noteCommitAt(l, 0, 5, 110);
  noteApplied(l, [applied(0, 1), applied(0, 2), applied(1, 1, 'tick')], 120); // 20, 20; a tick is not a client write
  noteApplied(l, [applied(0, 3), applied(0, 4, 'skipped'), applied(0, 5)], 160); // 50 each
  t.same(lagSummary(l), { applyLagN: 5, applyLagP50Ms: 50, applyLagP99Ms: 50, applyLagMaxMs: 50 });
  noteApplied(l, [applied(0, 9)], 170);
  t.equal(lagSummary(l).applyLagN, 5, 'an index no mark covers is not timed');
  t.same(lagSummary(newApplyLag(1)), { applyLagN: 0, applyLagP50Ms: 0, applyLagP99Ms: 0, applyLagMaxMs: 0 }, 'nothing applied: zeros');
});
