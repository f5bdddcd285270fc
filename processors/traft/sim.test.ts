// sim.test: seeded randomized runs of a 5-rank cluster under drops, duplicates, delays,
// partitions and crash/restarts (with disks losing un-fsynced batches and torn log lines).
// After each run the per-step invariants (S1–S4, T15) held, the state machines agree (S5),
// the cluster went quiescent (L1) and every rank's instance log passes the checker (S7).
// Replay one seed: TRAFT_SEED=123 node_modules/.bin/tap processors/traft/sim.test.ts
// (variants add TRAFT_RANKS=3|7, TRAFT_ONE_WAY=1 or TRAFT_NO_LEASE=1, as the failure message says).
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { runChaos, type ChaosOptions } from './sim/chaos.js';

const SEEDS = Number(process.env.TRAFT_SEEDS ?? 300);
const FIRST = Number(process.env.TRAFT_SEED_BASE ?? 1);
const only = process.env.TRAFT_SEED;
const onlyRanks = process.env.TRAFT_RANKS;
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: SEEDS }, (_, i) => FIRST + i);

t.test(`randomized 5-rank cluster runs (${seeds.length} seeds)`, async (t) => {
  let commits = 0;
  let crashes = 0;
  let elections = 0;
  const snapshots = { taken: 0, installed: 0 };
  for (const seed of seeds) {
    const r = runChaos(seed, {
      grade: checkLogs,
      ranks: Number(onlyRanks ?? 5),
      oneWayCuts: process.env.TRAFT_ONE_WAY === '1',
      leaseProtection: process.env.TRAFT_NO_LEASE !== '1',
      trace: only !== undefined, // replaying one seed: show the trace around a failure
    });
    commits += r.commits;
    crashes += r.crashes;
    elections += r.elections;
    snapshots.taken += r.snapshots.taken;
    snapshots.installed += r.snapshots.installed;
    const ok = r.violations.length === 0 && r.check.verdict === 'pass';
    if (!ok) {
      t.comment(`seed ${seed} failed; replay: TRAFT_SEED=${seed} node_modules/.bin/tap processors/traft/sim.test.ts`);
      for (const v of r.violations.slice(0, 5)) t.comment(v);
      if (r.check.verdict !== 'pass') t.comment(formatReport(r.check));
      for (const line of r.trace) t.comment(line);
    }
    t.ok(ok, `seed ${seed}: invariants hold and the checker passes`);
    t.ok(r.commits > 0, `seed ${seed}: something committed`);
  }
  t.comment(
    `${seeds.length} seeds: ${commits} commits, ${crashes} crashes, ${elections} leaders established, ${snapshots.taken} snapshots taken, ${snapshots.installed} installed`,
  );
  t.ok(elections >= seeds.length, 'leadership changed in the runs (some seeds elect several leaders)');
  if (seeds.length >= 10) {
    t.ok(snapshots.taken >= seeds.length, 'snapshots were taken (odd seeds run with a low threshold)');
    t.ok(snapshots.installed > 0, 'lagging ranks installed snapshots (F9 or a merge)');
  }
});

const VARIANTS: Array<{ name: string; opts: Omit<ChaosOptions, 'grade'>; env: string }> =
  only !== undefined
    ? []
    : [
        { name: '3-rank', opts: { ranks: 3 }, env: 'TRAFT_RANKS=3' },
        { name: '7-rank', opts: { ranks: 7 }, env: 'TRAFT_RANKS=7' },
        { name: 'one-way link cuts', opts: { oneWayCuts: true }, env: 'TRAFT_ONE_WAY=1' },
        { name: 'lease protection off', opts: { leaseProtection: false }, env: 'TRAFT_NO_LEASE=1' },
      ];
for (const { name, opts, env } of VARIANTS) {
  t.test(`randomized runs, ${name} (20 seeds)`, async (t) => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = runChaos(seed, { ...opts, grade: checkLogs });
      const ok = r.violations.length === 0 && r.check.verdict === 'pass';
      if (!ok) {
        t.comment(`seed ${seed} failed; replay: TRAFT_SEED=${seed} ${env} node_modules/.bin/tap processors/traft/sim.test.ts`);
        for (const v of r.violations.slice(0, 5)) t.comment(v);
        if (r.check.verdict !== 'pass') t.comment(formatReport(r.check));
      }
      t.ok(ok, `${name}, seed ${seed}`);
    }
  });
}
