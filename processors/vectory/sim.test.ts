// sim.test: Vectory's scenarios that need a whole cluster on runtime/sim's virtual clock
// (docs/protocols/vectory.md §12): T1/L1/L2 — a cold start spreads the first masters (A3),
// masters every shard, commits and applies, and moves nothing after; T7/L2 — every shard
// starts on node 0 and balance spreads them to within one, one move at a time, then stops;
// T6 — a master cut off alone keeps sending Alive, the others elect past it (A2) and it steps
// down (A5), committing nothing; T10 — the `cpu` metric under a noisy probe; T17 — lossy links
// and a minority partition, checked every step, the minority committing nothing while cut off.
// Each prints the csplab sim command that replays it (after `npx tsc -p tsconfig.json`).
import t from 'tap';
import { BASE_MS } from '../../runtime/sim/sim.js';
import { rankTarget, type SimOptions } from '../../runtime/sim/types.js';
import { parseLine, type LogLine } from './log.js';
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
          groups: [[rankTarget(0)], [1, 2, 3, 4].map(rankTarget)],
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

const CLIENTS = {
  clients: 6,
  deadlineMs: 1000,
  load: { keys: 12, getShare: 0.4, deleteShare: 0.1, read: 'mix', valueSize: 0, keyDist: 'uniform', zipfExponent: 1 },
} as const;

/** parsed: every node's instance log, line by line. */
function parsed(o: { ranks: readonly { lines: readonly string[] }[] }): LogLine[][] {
  return o.ranks.map((x) => x.lines.map(parseLine).filter((l) => l !== undefined));
}

t.test('T1/L1/L2: a cold start spreads the first masters, masters every shard, commits and applies, then moves nothing', async (t) => {
  const e = 500;
  const replay = 'node dist/cmd/csplab.js sim --protocol vectory --seed 11 -t 6 --clients 6 --no-trace';
  const r = await runGraded({ shards: 10 }, options('11', 6000, { clients: CLIENTS }));
  t.same(r.failures, [], `audit clean, history linearizable and sequentially consistent; replay: ${replay}`);
  const changes = masterChanges(r.o.ranks.map((x) => x.lines));
  const firsts = new Map<number, number | null>();
  for (const c of changes) if (!firsts.has(c.shard)) firsts.set(c.shard, c.node);
  t.same(
    Array.from({ length: 10 }, (_, s) => firsts.get(s)),
    Array.from({ length: 10 }, (_, s) => s % 5),
    'node s mod N is shard s’s first master (A3, D5)',
  );
  // while the first masters are still being elected a node with none may take one from a node with two (θ = 2)
  const timeline = masteredOverTime(changes, 5, 10);
  const balanced = timeline.findIndex((p) => !p.counts.includes(-1) && Math.max(...p.counts) - Math.min(...p.counts) <= 1);
  const at = timeline[balanced]?.atMs ?? Infinity;
  t.ok(balanced >= 0 && at - BASE_MS <= 10 * e, `every shard mastered, spread ≤ 1, at ${at - BASE_MS} ms, within 10E (L1, L2)`);
  t.equal(timeline.length - 1, balanced, `no mastership change after that (L2): ${changes.length} changes in all`);
  t.ok(r.ok > 100, `${r.ok} client ops answered (L1: writes commit)`);
  const applied = r.o.ranks.map((x) => Number(x.summary?.applied ?? 0));
  t.ok(
    applied.every((a) => a > 100),
    `every node’s global apply advanced: ${applied.join(' ')} (L1)`,
  );
});

t.test(
  'T10: the cpu metric under a noisy probe — noise moves nothing; an imbalance moves shards, each requester once per cooldown',
  async (t) => {
    const e = 500;
    const quiet = await runGraded({ metric: 'cpu', shards: 5 }, options('10', 15000));
    const replayQuiet = 'node dist/cmd/csplab.js sim --protocol vectory --metric cpu --shards 5 --seed 10 -t 15 --no-trace';
    t.same(quiet.failures, [], `audit clean; replay: ${replayQuiet}`);
    const asked = (ls: readonly LogLine[]): LogLine[] => ls.filter((l) => l.words[0] === 'balance');
    t.same(
      parsed(quiet.o).map((ls) => asked(ls).length),
      [0, 0, 0, 0, 0],
      `readings ± 20 points around equal loads: no balance request in 15 s (θ = 10, α = 0.02); replay: ${replayQuiet}`,
    );
    const loadMs = 20000;
    const replay = 'node dist/cmd/csplab.js sim --protocol vectory --metric cpu --shards 5 --start-on 0 --seed 10 -t 20 --no-trace';
    const r = await runGraded({ metric: 'cpu', shards: 5, startOn: 0 }, options('10', loadMs));
    t.same(r.failures, [], `audit clean (S11: one token per master per TTL); replay: ${replay}`);
    const lines = parsed(r.o);
    lines.forEach((ls, node) => {
      const at = asked(ls).map((l) => l.atUs / 1000);
      const gaps = at.slice(1).map((x, i) => x - (at[i] ?? 0));
      t.ok(
        gaps.every((g) => g >= 10 * e),
        `node ${node} asked at most once per cooldown 10E: ${at.map((x) => ((x - BASE_MS) / 1000).toFixed(1)).join(', ')}`,
      );
    });
    const moves = lines.flat().filter((l) => l.words[0] === 'token').length;
    const bound = 5 * Math.ceil(loadMs / (10 * e));
    t.ok(moves >= 2 && moves <= bound, `${moves} moves off node 0, within N·⌈T/10E⌉ = ${bound} (each requester once per cooldown)`);
    const final = masteredOverTime(masterChanges(r.o.ranks.map((x) => x.lines)), 5, 5).at(-1)?.counts ?? [];
    t.ok((final[0] ?? 5) < 5, `node 0 gave shards away: ${final.join(' ')}`);
  },
);

t.test(
  'T17: 10% drops, duplicates and reordering; a minority cut off and healed: every invariant every step, the minority commits nothing',
  async (t) => {
    const from = 1500;
    const span = 2000;
    const link = { dropRate: 0.1, dupRate: 0.1, delayMs: 2, jitterMs: 3, damageRate: 0 };
    const replay = `node dist/cmd/csplab.js sim --protocol vectory --seed 17 -t 5 --clients 6 --drop 0.1 --dup 0.1 --partition 0,1|2,3,4@${from / 1000}:${span / 1000} --check-every-step --no-trace`;
    const r = await runGraded(
      { shards: 4 },
      options('17', 5000, {
        link,
        checkEveryStep: true,
        clients: CLIENTS,
        faults: [
          {
            action: 'partition',
            groups: [[0, 1].map(rankTarget), [2, 3, 4].map(rankTarget)],
            atMs: from,
            durationMs: span,
          },
        ],
      }),
    );
    t.same(r.failures, [], `S1–S6, S11 every step and over the logs; S7–S10 by --lin and --sc; replay: ${replay}`);
    // not vacuous: the invariants above held over a run that carried load (at least 5 answered ops per simulated second)
    t.ok(r.ok >= 25, `${r.ok} client ops answered`);
    const cut = BASE_MS + from + 50; // what was in flight at the cut has landed
    const healed = BASE_MS + from + span;
    const commits = parsed(r.o).map((ls) => ls.filter((l) => l.words[0] === 'commit'));
    const key = (l: LogLine): string => `${l.words[1]}/${l.words[2]}`;
    const before = new Set(
      commits
        .flat()
        .filter((l) => l.atUs / 1000 <= cut)
        .map(key),
    );
    const during = (l: LogLine): boolean => l.atUs / 1000 > cut && l.atUs / 1000 < healed;
    const fresh = (ls: readonly LogLine[]): LogLine[] => ls.filter((l) => during(l) && !before.has(key(l)));
    t.same(
      [0, 1].map((n) => fresh(commits[n] ?? []).length),
      [0, 0],
      'the minority committed no entry that was not committed before the cut',
    );
    t.ok(fresh(commits[2] ?? []).length > 0, 'while the majority went on committing');
  },
);
