// sweep.test: every protocol the registry can simulate, on runtime/sim under the default
// nemesis, graded by the checker through check/'s library API (here, on the CLI side, never
// inside a protocol's folder). A run is deterministic: 20 seeds run twice give the same trace
// and log hashes. Then TRaft's seeded sweep: 300 seeds of 5 ranks (snapshots in odd seeds), 40
// of 3 and 40 of 7; Paxos's: 100 seeds on the slot grid and 100 with --eager. The sweeps check
// each protocol's own invariants after every step (Protocol.invariants: TRaft's §14.1, Paxos's
// P1–P4), and every seed must drain and stop by itself (L1). A failing seed prints the `csplab
// sim` command that replays it.
// More seeds: SIM_SEEDS=1000 node_modules/.bin/tap cmd/sim/sweep.test.ts
import t, { type Test } from 'tap';
import { protocols } from '../../processors/registry.js';
import type { SimProgram } from '../../runtime/protocol.js';
import { hashOf, programFor } from '../testing/sim.js';
import { nemesis } from './nemesis.js';
import { simulate, type SimSpec } from './once.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 300);
const COMMON = { o: 0.5, l: 20, t: 4 };
const RATE = 200;

function spec(program: SimProgram, seed: number, ranks: number, trace: boolean, checkEveryStep = false): SimSpec {
  const s = String(seed);
  return { program, ranks, t: COMMON.t, seed: s, ratePerSec: RATE, schedule: nemesis(s, ranks, COMMON.t), trace, checkEveryStep };
}

function replay(name: string, seed: number, ranks: number, extra = ''): string {
  return `csplab sim --protocol ${name} -o ${COMMON.o} -l ${COMMON.l} -t ${COMMON.t} --rate ${RATE} --ranks ${ranks}${extra} --nemesis default --check-every-step --seed ${seed}`;
}

for (const entry of protocols) {
  t.test(`${entry.name}: 20 seeds run twice give byte-identical traces and logs`, async (t) => {
    const program = await programFor(entry, COMMON);
    if (program === undefined) {
      t.comment(`${entry.name} does not run on the simulator yet (its registry entry has no simulate)`);
      return;
    }
    for (let seed = 1; seed <= 20; seed++) {
      const a = simulate(spec(program, seed, 5, true));
      const b = simulate(spec(program, seed, 5, true));
      t.ok(
        a.outcome.ranks.every((r) => r.trace.length > 0),
        `seed ${seed}: every rank traced`,
      );
      t.equal(hashOf(a), hashOf(b), `seed ${seed}: same hash twice; replay: ${replay(entry.name, seed, 5)}`);
      t.same(a.failures, [], `seed ${seed} passes; replay: ${replay(entry.name, seed, 5)}`);
    }
    const other = simulate(spec(program, 21, 5, true));
    t.not(hashOf(other), hashOf(simulate(spec(program, 20, 5, true))), 'another seed is another run');
  });
}

/** sweep runs seeds and asserts each passes and commits; it returns the totals. */
function sweep(
  t: Test,
  name: string,
  programs: (seed: number) => SimProgram,
  seeds: number[],
  ranks: number,
  extra: (seed: number) => string,
): { commits: number; kills: number; snapshots: number; installed: number } {
  let commits = 0;
  let kills = 0;
  let snapshots = 0;
  let installed = 0;
  for (const seed of seeds) {
    const g = simulate(spec(programs(seed), seed, ranks, false, true));
    const committed = Math.max(...g.outcome.ranks.map((r) => r.summary?.commits ?? 0));
    commits += committed;
    kills += g.outcome.resolved.filter((f) => f.action === 'kill' && f.ignored !== true).length;
    for (const r of g.outcome.ranks) {
      snapshots += Number(r.summary?.snapshots ?? 0);
      installed += Number(r.summary?.snapshotsInstalled ?? 0);
    }
    if (g.failures.length > 0) t.comment(`seed ${seed}: ${g.failures.slice(0, 3).join('; ')}`);
    t.same(g.failures, [], `${ranks} ranks, seed ${seed}: the checker passes; replay: ${replay(name, seed, ranks, extra(seed))}`);
    t.ok(committed > 0, `${ranks} ranks, seed ${seed}: something committed`);
    // L1: healed in the last 20% of the load, the cluster drains and every rank running stops by itself.
    const cut = g.outcome.ranks.filter((r) => r.end === 'cut-off').map((r) => r.rank);
    t.same(
      cut,
      [],
      `${ranks} ranks, seed ${seed}: every running rank drained and stopped; replay: ${replay(name, seed, ranks, extra(seed))}`,
    );
  }
  return { commits, kills, snapshots, installed };
}

t.test(`traft: ${SEEDS} seeds of 5 ranks, 40 of 3 and 40 of 7 under the default nemesis`, async (t) => {
  const traft = protocols.find((p) => p.name === 'traft');
  if (traft === undefined) return t.fail('the registry lists traft');
  const plain = await programFor(traft, COMMON, { snapshotEvery: 0 });
  const snapshots = await programFor(traft, COMMON, { snapshotEvery: 30 });
  if (plain === undefined || snapshots === undefined) return t.fail('traft runs on the simulator');
  // Snapshots in odd seeds, with a threshold low enough that restarted and cut-off ranks fall below a leader's floor.
  const pick = (seed: number): SimProgram => (seed % 2 === 1 ? snapshots : plain);
  const extra = (seed: number): string => ` --snapshot-every ${seed % 2 === 1 ? 30 : 0}`;
  const five = sweep(
    t,
    'traft',
    pick,
    Array.from({ length: SEEDS }, (_, i) => i + 1),
    5,
    extra,
  );
  sweep(
    t,
    'traft',
    pick,
    Array.from({ length: 40 }, (_, i) => i + 1),
    3,
    extra,
  );
  sweep(
    t,
    'traft',
    pick,
    Array.from({ length: 40 }, (_, i) => i + 1),
    7,
    extra,
  );
  t.comment(
    `5 ranks: ${five.commits} commits, ${five.kills} kills, ${five.snapshots} snapshots taken, ${five.installed} installed over ${SEEDS} seeds`,
  );
  t.ok(five.kills >= SEEDS / 4, 'the nemesis killed ranks (and restarted them from their simulated disks)');
  t.ok(five.snapshots >= SEEDS / 2, 'snapshots were taken (odd seeds run with a low threshold)');
  t.ok(five.installed > 0, 'lagging ranks installed snapshots');
});

t.test('paxos: 100 seeds on the slot grid and 100 with --eager under the default nemesis', async (t) => {
  const paxos = protocols.find((p) => p.name === 'paxos');
  if (paxos === undefined) return t.fail('the registry lists paxos');
  const grid = await programFor(paxos, COMMON);
  const eager = await programFor(paxos, COMMON, { eager: true });
  if (grid === undefined || eager === undefined) return t.fail('paxos runs on the simulator');
  const seeds = Array.from({ length: 100 }, (_, i) => i + 1);
  const g = sweep(
    t,
    'paxos',
    () => grid,
    seeds,
    5,
    () => '',
  );
  const e = sweep(
    t,
    'paxos',
    () => eager,
    seeds,
    5,
    () => ' --eager',
  );
  t.comment(`grid: ${g.commits} commits, ${g.kills} kills; eager: ${e.commits} commits, ${e.kills} kills`);
  t.ok(g.kills + e.kills >= 50, 'the nemesis killed ranks (and restarted them from their simulated disks)');
});
