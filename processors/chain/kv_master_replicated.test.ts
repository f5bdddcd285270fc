// kv_master_replicated.test: issue #18's test with real chain nodes and clients: the master
// leader of the `replicated` master (chain-master.md §12) is killed in the middle of an
// add-node, in the seeded simulator. A first run without the kill finds the add's window (the
// leader's first step for the joiner to the configuration that completes it); the same seed
// then runs again with the leader killed halfway through it — the runs are identical up to the
// kill. The new leader must finish the add from the group's record (roll forward), no range may
// lose its chain, and the client history must be linearizable with the log audit clean.
// Replay: CHAIN_MASTER_SEED=<seed> npx tap processors/chain/kv_master_replicated.test.ts
import t from 'tap';
import { BASE_MS } from '../../runtime/sim/sim.js';
import type { SimFault, SimOptions } from '../../runtime/sim/types.js';
import { REPLICATED, simulateChain } from './entry.js';
import { clientLoad, masterConfigs, runKv, type KvRun, type MasterConfig } from './kv_simkit.js';
import { parseApplyLines } from './log.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { MASTER_GROUP } from './protocol_replicated.js';

const SEEDS = (process.env.CHAIN_MASTER_SEED ?? '1,5').split(',');
const RANKS = 9; // master ranks 0–2, nodes 3–7 from the start, rank 8 joins
const JOINER = 8;
const JOIN_AT_MS = 3000;

function options(seed: string, faults: SimFault[]): SimOptions {
  return {
    seed,
    ranks: RANKS,
    clusterId: `master-replicated-${seed}`,
    loadMs: 8000,
    faults: [{ action: 'start', target: { type: 'rank', rank: JOINER }, atMs: JOIN_AT_MS }, ...faults],
    link: { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0.5, damageRate: 0 },
    trace: false,
    clients: clientLoad(8, 16, 1000),
  };
}

/** line: a master log line and its simulated time (ms since the run's start). */
interface Line {
  readonly rank: number;
  readonly text: string;
  readonly atMs: number;
}

function masterLines(r: KvRun): Line[] {
  return MASTER_GROUP.flatMap((rank) =>
    (r.o.ranks[rank]?.lines ?? []).map((text) => ({ rank, text, atMs: Number(/ at (\d+)$/.exec(text)?.[1] ?? NaN) / 1000 - BASE_MS })),
  )
    .filter((l) => Number.isFinite(l.atMs)) // a killed rank's last line may be torn (cut before its time)
    .sort((a, b) => a.atMs - b.atMs);
}

/** configs: every configuration any master rank logged, by epoch (one per epoch is checked below). */
function configs(lines: readonly Line[]): MasterConfig[] {
  return masterConfigs(lines.map((l) => l.text));
}

function inChains(c: MasterConfig | undefined, rank: number): number {
  return [...(c?.chains.values() ?? [])].filter((chain) => chain.includes(rank)).length;
}

/** addWindow: from the first step naming the joiner to the first configuration that has it in three chains and no chain longer than 3. */
function addWindow(lines: readonly Line[]): { from: number; to: number } | undefined {
  const from = lines.find((l) => / step \w+: .*\brank 8\b/.test(l.text))?.atMs;
  const done = lines.find((l) => {
    const c = l.text.startsWith('config ') ? configs([l])[0] : undefined;
    return c !== undefined && inChains(c, JOINER) === 3 && [...c.chains.values()].every((x) => x.length === 3);
  });
  return from === undefined || done === undefined ? undefined : { from, to: done.atMs };
}

for (const seed of SEEDS) {
  const replay = `CHAIN_MASTER_SEED=${seed} npx tap processors/chain/kv_master_replicated.test.ts`;
  t.test(`seed ${seed}: the master leader killed in the middle of an add-node; the new leader rolls it forward`, async (t) => {
    const program = await simulateChain(DEFAULT_CHAIN_OPTIONS, 1024, REPLICATED);
    const probe = runKv(program, options(seed, []));
    t.same(probe.failures, [], `without the kill: linearizable, audit clean; replay: ${replay}`);
    const window = addWindow(masterLines(probe));
    if (window === undefined) return t.fail(`without the kill rank ${JOINER} was never fully added; replay: ${replay}`);
    const killAtMs = (window.from + window.to) / 2;
    t.ok(
      window.to - window.from >= 2,
      `the add runs from ${window.from.toFixed(1)} to ${window.to.toFixed(1)} ms: the kill at ${killAtMs.toFixed(1)} falls inside`,
    );

    const r = runKv(program, options(seed, [{ action: 'kill', target: { type: 'leader' }, atMs: killAtMs }]));
    t.same(r.failures, [], `${r.ok} ops ok, linearizable, audit clean, no step threw; replay: ${replay}`);
    const killed = r.o.resolved.find((f) => f.action === 'kill')?.rank ?? null;
    t.ok(killed !== null && MASTER_GROUP.includes(killed), `the kill hit the master leader (rank ${killed})`);
    const lines = masterLines(r);
    const before = configs(lines.filter((l) => l.atMs <= killAtMs)).at(-1);
    t.ok(
      inChains(before, JOINER) < 3 || [...(before?.chains.values() ?? [])].some((c) => c.length > 3),
      `at the kill the add was unfinished (epoch ${before?.epoch})`,
    );
    const takeover = lines.find((l) => l.atMs > killAtMs && / leads the group /.test(l.text));
    t.ok(takeover !== undefined && takeover.rank !== killed, `another master rank took over: ${takeover?.text}`);
    t.ok((takeover?.atMs ?? Infinity) - killAtMs < 4 * 1000, `within 4 s (${((takeover?.atMs ?? NaN) - killAtMs).toFixed(0)} ms)`);

    const all = configs(lines);
    const byEpoch = new Map<number, string>();
    const forked = all.filter((c) => {
      const chains = JSON.stringify([...c.chains]);
      const seen = byEpoch.get(c.epoch) ?? chains;
      byEpoch.set(c.epoch, chains);
      return seen !== chains;
    });
    t.same(
      forked.map((c) => c.epoch),
      [],
      `each of ${byEpoch.size} epochs names one configuration across leaders (I7)`,
    );
    const last = all.at(-1);
    t.equal(inChains(last, JOINER), 3, `rank ${JOINER} ends in three chains (K1): the new leader finished the add`);
    t.ok(
      [...(last?.chains.values() ?? [])].every((c) => c.length === 3 && new Set(c).size === 3),
      `every chain ends with 3 distinct members: ${JSON.stringify([...(last?.chains ?? [])])}`,
    );
    const leader = MASTER_GROUP.map((rank) => r.o.ranks[rank]?.summary).find((s) => s?.role === 'master leader');
    t.equal(leader?.lostRanges, 0, 'the last leader lost no range');
    const late = parseApplyLines(r.o.ranks[JOINER]?.lines ?? [], JOINER).filter(
      (a) => a.atUs / 1000 - BASE_MS > (takeover?.atMs ?? Infinity),
    );
    t.ok(late.length > 0, `rank ${JOINER} applied ${late.length} writes after the takeover`);
  });
}
