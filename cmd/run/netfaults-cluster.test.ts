// netfaults-cluster.test: a partition on a real 5-rank Paxos cluster (`csplab run --partition`).
// The majority side {2,3,4} keeps committing while the partition holds, the minority {0,1}
// commits nothing new (only what was decided before), the table and summary.json show the
// per-rank counts, and the checker passes afterwards.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertRulesPass, describe, keepOnFailure, runCluster } from '../testing/cluster.js';
import { commitsOf } from '../testing/timeline.js';

t.test('paxos, partition {0,1}|{2,3,4} for 3 s: the majority commits through it, the minority does not', async (t) => {
  // Rounds 2, 3 and 4 (-o 1) are led by ranks 2, 3 and 4: the majority side owns the window.
  const c = await runCluster(t, { o: 1, l: 1000, t: 7, extra: ['--partition', '0,1|2,3,4@2:3'] });
  const replay = `replay: node dist/cmd/csplab.js ${c.args.join(' ')}`;
  assertRulesPass(t, c);
  const faults = c.summary.faults as unknown as { action: string; groups?: number[][]; during?: number[] }[];
  const p = faults.find((f) => f.action === 'partition');
  t.same(p?.groups, [
    [0, 1],
    [2, 3, 4],
  ]);
  const during = p?.during ?? [];
  t.equal(during.length, 5, 'a count per rank');
  t.ok(Math.min(...during.slice(2)) > 0, `every majority rank committed during the partition (${during.join(' ')}; ${replay})`);
  // What the minority logs during the window is only what was decided before it (in flight as
  // it began): instances of rounds 0 and 1 (estround r·L + seq, docs/protocols/paxos.md §1),
  // never of the rounds 2–4 the partition covers.
  const fromMs = c.run.startAtMs + 2000;
  const untilMs = c.run.startAtMs + 5000;
  const roundsIn = (rank: number): number[] => [
    ...new Set(
      commitsOf(c.dir, rank)
        .filter((x) => x.atMs >= fromMs && x.atMs < untilMs)
        .map((x) => Math.floor(x.seq / 1000)),
    ),
  ];
  for (const r of [0, 1])
    t.ok(
      roundsIn(r).every((round) => round < 2),
      `rank ${r} committed no round of the window (rounds ${roundsIn(r).join(',')}; ${replay})`,
    );
  for (const r of [2, 3, 4])
    t.ok(
      roundsIn(r).some((round) => round >= 2),
      `rank ${r} committed rounds of the window (rounds ${roundsIn(r).join(',')})`,
    );
  t.ok(
    c.commits[0] !== undefined && c.commits[0] > 0 && c.commits[1] !== undefined && c.commits[1] > 0,
    `the minority commits after the partition heals (${describe(c)})`,
  );
  t.match(c.cli.stdout, /during #1/, 'the table has a column for the partition');
  t.match(c.cli.stdout, /fault #1: 2\.0s–5\.0s partition 0,1 \| 2,3,4/, 'and a line saying when it held');
  const run = JSON.parse(readFileSync(join(c.dir, 'run.json'), 'utf8')) as { resolved?: { action: string }[] };
  t.same(
    run.resolved?.map((f) => f.action),
    ['partition'],
    'run.json records the schedule as resolved',
  );
  keepOnFailure(t, c, 'paxos-partition');
});
