// table.test: the summary table shows a protocol's own columns (its registry entry's: TRaft's
// out-of-order and held-back commits) from each rank's summary event, a column per partition or cut with the commits made while it held, and
// a line per fault naming the rank a `leader` target hit (issue 11, hole 8).
import t from 'tap';
import { RankProc } from './launcher.js';
import { createRankActor } from './lifecycle.js';
import { protocolNamed } from '../../processors/registry.js';
import { formatSeries, formatTable, stallWarning } from './table.js';

function proc(rank: number, commits: number, summary?: Record<string, unknown>): RankProc {
  const p = new RankProc(rank, () => createRankActor({ spawn: () => {}, signal: () => {}, ready: () => {}, exited: () => {} }));
  p.lifecycle.send({ type: 'start' });
  p.lifecycle.send({ type: 'ready' });
  p.exitCode = 0;
  p.lifecycle.send({ type: 'exit' });
  p.commits = commits;
  if (summary) p.summary = summary;
  return p;
}

t.test('TRaft: out-of-order and held-back commits per rank', async (t) => {
  const { table, failed } = formatTable(
    [proc(0, 10, { outOfOrderCommits: 7, heldBackCommits: 3 }), proc(1, 10, { outOfOrderCommits: 0, heldBackCommits: 12 })],
    1,
    [],
    protocolNamed('traft')?.columns,
  );
  t.equal(failed, false);
  const [head, r0, r1] = table.split('\n');
  t.match(head, /out-of-order\s+held back/);
  t.match(r0, /^\s+0\s+0\s+10\s+10\s+7\s+3\s+ok$/);
  t.match(r1, /^\s+1\s+0\s+10\s+10\s+0\s+12\s+ok$/);
});

t.test('Paxos: no TRaft columns; a column per partition, a line per fault', async (t) => {
  const { table } = formatTable(
    [proc(0, 5), proc(1, 9)],
    1,
    [
      { action: 'partition', target: 'rank', rank: null, atMs: 2000, untilMs: 5000, groups: [[0], [1]], during: [0, 4] },
      { action: 'kill', target: 'leader', rank: 1, atMs: 6000 },
    ],
    protocolNamed('paxos')?.columns,
  );
  t.notMatch(table, /out-of-order/);
  t.match(table, /during #1/);
  t.match(table.split('\n')[2] ?? '', /^\s+1\s+0\s+9\s+9\s+4\s+ok$/, 'rank 1 committed 4 during the partition');
  t.match(table, /fault #1: 2\.0s–5\.0s partition 0 \| 1\n/);
  t.match(table, /fault -: 6\.0s kill rank 1 \(leader = rank 1\)\n/, 'which rank the leader target hit');
});

t.test('a protocol’s count per rank over time: one row per 250 ms that changed, its final state, what no rank holds', async (t) => {
  const points = [
    { atMs: 90, perRank: [0, 0, 0], none: 3 },
    { atMs: 460, perRank: [1, 0, 0], none: 2 },
    { atMs: 480, perRank: [1, 1, 1], none: 0 }, // same slice as 460: only this one shows
    { atMs: 3020, perRank: [1, 0, 1], none: 1 },
  ];
  const text = formatSeries({ title: 'mastered shards per node', points }, 3);
  t.same(text.split('\n'), [
    'mastered shards per node over time (s after the start; rank 0 1 2):',
    '    0.09 s   0  0  0   3 with none',
    '    0.48 s   1  1  1',
    '    3.02 s   1  0  1   1 with none',
    '',
  ]);
  const many = Array.from({ length: 50 }, (_, i) => ({ atMs: i * 1000, perRank: [i % 2, 1 - (i % 2)], none: 0 }));
  const rows = formatSeries({ title: 't', points: many }, 2).trimEnd().split('\n');
  t.equal(rows.length, 41, 'capped at 40 rows under the heading');
  t.match(rows.at(-1), /… 11 rows more in summary\.json/);
});

t.test('a run where no rank committed anything warns; one commit anywhere, or no load window, does not', async (t) => {
  const warning = stallWarning([proc(0, 0), proc(1, 0), proc(2, 0)], 3);
  t.match(warning, /^csplab: warning: no rank committed anything in 3 s of load/);
  t.equal(stallWarning([proc(0, 0), proc(1, 1), proc(2, 0)], 3), undefined);
  t.equal(stallWarning([proc(0, 0)], 0), undefined, '-t 0 has no load window');
  const never = new RankProc(1, () => createRankActor({ spawn: () => {}, signal: () => {}, ready: () => {}, exited: () => {} }));
  t.equal(never.incarnation < 0, true, 'a rank never started');
  t.match(stallWarning([proc(0, 0), never], 3), /no rank committed/, 'ranks that never started do not count as progress');
});
