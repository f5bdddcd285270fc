// sim.test: Vectory's scenarios that need a whole cluster on runtime/sim's virtual clock
// (docs/protocols/vectory.md §12): T7/L2 — every shard starts on node 0 and balance spreads
// them to within one, one move at a time, then stops; T6 — a master cut off alone keeps
// sending Alive, the others elect past it (A2) and it steps down (A5), committing nothing.
// Each prints the csplab sim command that replays it (after `npx tsc -p tsconfig.json`).
import t from 'tap';
import { BASE_MS } from '../../runtime/sim/sim.js';
import type { SimOptions } from '../../runtime/sim/types.js';
import { parseLine } from './log.js';
import { masterChanges, masteredOverTime, runGraded } from './simkit.js';

const LINK = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0.5, damageRate: 0 };

function options(seed: string, loadMs: number, extra: Partial<SimOptions> = {}): SimOptions {
  return { seed, ranks: 5, clusterId: `sim-${seed}`, loadMs, ratePerSec: 1000, faults: [], link: LINK, trace: false, ...extra };
}

t.test('T7/L2: all 10 shards start on node 0; balance moves them one at a time to a spread ≤ 1 and then stops', async (t) => {
  const e = 500;
  const bound = (10 + 1) * 10 * e; // L2: (S + 1) · 10E
  const loadMs = bound + 5000;
  const replay = `node dist/cmd/csplab.js sim --protocol vectory --seed 7 -t ${loadMs / 1000} --start-on 0 --shards 10 --no-trace`;
  const r = await runGraded({ startOn: 0, shards: 10 }, options('7', loadMs));
  t.same(r.failures, [], `audit clean; replay: ${replay}`);
  const logs = r.o.ranks.map((x) => x.lines);
  const timeline = masteredOverTime(masterChanges(logs), 5, 10);
  const t0 = BASE_MS;
  const firsts = new Map<number, number | null>();
  for (const c of masterChanges(logs)) if (!firsts.has(c.shard)) firsts.set(c.shard, c.node);
  t.same(
    [...firsts.values()],
    Array.from({ length: 10 }, () => 0),
    'node 0 is every shard’s first master (D5 with --start-on 0)',
  );
  const balanced = timeline.findIndex((p) => !p.counts.includes(-1) && Math.max(...p.counts) - Math.min(...p.counts) <= 1);
  const at = timeline[balanced]?.atMs ?? Infinity;
  t.ok(
    balanced >= 0 && at - t0 <= bound,
    `spread ≤ 1 at ${((at - t0) / 1000).toFixed(1)} s, within (S + 1)·10E = ${bound / 1000} s; replay: ${replay}`,
  );
  t.equal(
    timeline.length - 1,
    balanced,
    `no mastership change after that (no oscillation): ${JSON.stringify(timeline.slice(balanced + 1, balanced + 4))}`,
  );
  const moves = logs.flat().filter((l) => l.startsWith('token ')).length;
  t.ok(moves >= 8 && moves <= 12, `${moves} tokens for the 8 moves 10·0·0·0·0 → 2·2·2·2·2 needs (a token whose election loses is retried)`);
});

t.test('T6: a master cut off alone is ignored by the others, who elect past it; it steps down and commits nothing', async (t) => {
  const from = 2000;
  const span = 3000;
  const replay = `node dist/cmd/csplab.js sim --protocol vectory --seed 3 -t 7 --partition 0|1,2,3,4@${from / 1000}:${span / 1000} --no-trace`;
  const r = await runGraded(
    {},
    options('3', 7000, {
      faults: [
        {
          action: 'partition',
          groups: [[{ type: 'rank', rank: 0 }], [1, 2, 3, 4].map((rank) => ({ type: 'rank' as const, rank }))],
          atMs: from,
          durationMs: span,
        },
      ],
    }),
  );
  t.same(r.failures, [], `audit clean; replay: ${replay}`);
  const cut = BASE_MS + from;
  const healed = cut + span;
  const lines = r.o.ranks.map((x) => x.lines.map(parseLine).filter((l) => l !== undefined));
  const node0 = lines[0] ?? [];
  const downs = node0.filter((l) => l.words[0] === 'stepdown' && l.atUs / 1000 > cut && l.atUs / 1000 < healed);
  t.ok(downs.length >= 2, `node 0 stepped down from its shards 0 and 5 while cut off (A5): ${downs.length}`);
  for (const shard of ['0', '5']) {
    const retaken = lines
      .slice(1)
      .some((ls) => ls.some((l) => l.words[0] === 'master' && l.words[1] === shard && l.atUs / 1000 > cut && l.atUs / 1000 < healed));
    t.ok(retaken, `shard ${shard} re-mastered by the majority during the partition (A2: node 0's Alive held nobody back)`);
  }
  const own = node0.filter(
    (l) => l.words[0] === 'commit' && l.atUs / 1000 > cut + 20 && l.atUs / 1000 < healed && l.words[6]?.endsWith('.0') === true,
  );
  t.equal(own.length, 0, 'node 0 committed nothing under its own ballot while cut off');
});
