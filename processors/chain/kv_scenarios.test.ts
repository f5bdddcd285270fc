// kv_scenarios.test: docs/protocols/chain.md §12's scenarios as seeded simulator runs with
// simulated clients (per-key routing): each asserts its scenario's invariant from the master's
// configurations and the nodes' apply lines, a linearizable client history (check/lin's kv
// model) and the log audit (audit.ts: I3, I5, I6). With five nodes and k = 3 every node is the
// head of one range, the middle of another and the tail of a third (decision 6), so one crash
// is a head, a middle and a tail crash at once: T3, T4 and T5 each hold their own range to its
// rule. Replay: CHAIN_SCENARIO_SEED=<n> npx tap processors/chain/kv_scenarios.test.ts
import t, { type Test } from 'tap';
import type { SimFault, SimLink } from '../../runtime/sim/types.js';
import { parseApplyLines } from './log.js';
import { chainProgram, clientLoad, runKv, type KvRun, type MasterConfig } from './kv_simkit.js';
import type { ChainOptions } from './options.js';

const SEED = process.env.CHAIN_SCENARIO_SEED ?? '7';
const REPLAY = `CHAIN_SCENARIO_SEED=${SEED} npx tap processors/chain/kv_scenarios.test.ts`;
const CLEAN: SimLink = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0.5, damageRate: 0 };

async function scenario(
  t: Test,
  o: { ranks: number; faults?: SimFault[]; link?: SimLink; options?: Partial<ChainOptions>; loadMs?: number },
): Promise<KvRun> {
  const program = await chainProgram(o.options);
  const r = runKv(program, {
    seed: SEED,
    ranks: o.ranks,
    clusterId: `scenario-${SEED}`,
    loadMs: o.loadMs ?? 5000,
    faults: o.faults ?? [],
    link: o.link ?? CLEAN,
    trace: false,
    clients: clientLoad(8, 16, 1000),
  });
  t.same(r.failures, [], `linearizable (${r.ok} ops ok), audit clean, no step threw; replay: ${REPLAY}`);
  t.ok(r.ok > 100, `${r.ok} ops ok`);
  t.equal(r.o.ranks[0]?.summary?.lostRanges, 0, 'no range lost');
  return r;
}

function last(r: KvRun): MasterConfig {
  const c = r.configs.at(-1);
  if (c === undefined) throw new Error('the master installed no configuration');
  return c;
}

/** settled: every chain of the last configuration has k = 3 distinct members, none of `gone`. */
function settled(t: Test, r: KvRun, gone: number[] = []): void {
  const chains = [...last(r).chains.values()];
  t.ok(
    chains.length > 0 && chains.every((c) => c.length === 3 && new Set(c).size === 3 && c.every((x) => !gone.includes(x))),
    `chains of 3 at the end${gone.length > 0 ? ` without ${gone.join(', ')}` : ''}: ${JSON.stringify([...last(r).chains])}`,
  );
}

t.test('T1: three nodes, no faults: one configuration, and every member of a range applied the same seqs (I1 at rest)', async (t) => {
  const r = await scenario(t, { ranks: 4 });
  t.equal(r.configs.length, 1, 'the first configuration is the only one');
  settled(t, r);
  for (const [id, chain] of last(r).chains) {
    const applied = chain.map((rank) =>
      parseApplyLines(r.o.ranks[rank]?.lines ?? [], rank)
        .filter((a) => a.rangeId.startsWith(id))
        .map((a) => a.seq)
        .join(','),
    );
    t.ok(applied[0] !== '' && applied.every((x) => x === applied[0]), `range ${id}: ${chain.join(' ')} applied the same seqs`);
  }
});

/** crash: rank 2 of five nodes killed at 1.5 s; C1 the first configuration, Cf the first without rank 2. */
async function crash(t: Test): Promise<{ c1: MasterConfig; cf: MasterConfig; r: KvRun }> {
  const r = await scenario(t, { ranks: 6, faults: [{ action: 'kill', target: { type: 'rank', rank: 2 }, atMs: 1500 }] });
  const c1 = r.configs[0];
  const cf = r.configs.find((c) => [...c.chains.values()].every((ch) => !ch.includes(2)));
  if (c1 === undefined || cf === undefined) throw new Error(`no configuration without the killed rank 2; replay: ${REPLAY}`);
  t.ok(
    r.masterLines.some((l) => /rank 2 .*failed \(M3\)/.test(l) || /ranks? [\d, ]*\b2\b.*failed \(M3\)/.test(l)),
    'rank 2 declared failed (M3)',
  );
  settled(t, r, [2]);
  return { c1, cf, r };
}

/** roleRange: the range whose chain in c has rank at index i (0 head, 1 middle, 2 tail). */
function roleRange(c: MasterConfig, rank: number, i: number): [string, readonly number[]] {
  const e = [...c.chains].find(([, ch]) => ch[i] === rank);
  if (e === undefined) throw new Error(`rank ${rank} is at no chain's index ${i}`);
  return e;
}

t.test('T3: head crash: its successor becomes the head (F1), the chain keeps its order', async (t) => {
  const { c1, cf } = await crash(t);
  const [id, ch] = roleRange(c1, 2, 0);
  t.same(cf.chains.get(id), ch.slice(1), `range ${id}: [${ch.join(' ')}] → [${cf.chains.get(id)?.join(' ')}]`);
});

t.test('T4: tail crash: its predecessor becomes the tail (F2)', async (t) => {
  const { c1, cf } = await crash(t);
  const [id, ch] = roleRange(c1, 2, 2);
  t.same(cf.chains.get(id), ch.slice(0, 2), `range ${id}: [${ch.join(' ')}] → [${cf.chains.get(id)?.join(' ')}]`);
});

t.test('T5: middle crash: head and tail are linked directly (F3 by install + Resend)', async (t) => {
  const { c1, cf } = await crash(t);
  const [id, ch] = roleRange(c1, 2, 1);
  t.same(cf.chains.get(id), [ch[0], ch[2]], `range ${id}: [${ch.join(' ')}] → [${cf.chains.get(id)?.join(' ')}]`);
});

t.test('T8: a node joins under load: it is extended at the tail, catches up to the handover, and serves (X1–X4)', async (t) => {
  const r = await scenario(t, { ranks: 7, faults: [{ action: 'start', target: { type: 'rank', rank: 6 }, atMs: 1000 }] });
  t.ok(
    r.masterLines.some((l) => /rank 6 is ready with range .* it becomes the tail/.test(l)),
    'rank 6 became a tail after its snapshot (X4)',
  );
  t.ok(
    r.masterLines.some((l) => /rank 6 applied up to the handover/.test(l)),
    'rank 6 applied up to the handover: a full member',
  );
  t.equal([...last(r).chains.values()].filter((c) => c.includes(6)).length, 3, 'rank 6 is in three chains at the end (K1)');
  t.ok(parseApplyLines(r.o.ranks[6]?.lines ?? [], 6).length > 0, 'rank 6 applied writes made after it joined');
  settled(t, r);
});

t.test('T10: graceful removal: the node is moved out of every chain before it stops, and never declared failed (§7.4)', async (t) => {
  const r = await scenario(t, { ranks: 6, options: { leaves: [[3, 1.5]] } });
  t.ok(
    r.masterLines.some((l) => l.includes('rank 3 asked to leave')),
    'rank 3 asked to leave',
  );
  t.ok(
    r.masterLines.some((l) => /rank 3 is in no chain any more: told to stop/.test(l)),
    'rank 3 told to stop once in no chain (G1)',
  );
  t.notOk(
    r.masterLines.some((l) => l.includes('failed (M3)')),
    'no node declared failed',
  );
  t.equal(r.o.ranks[3]?.end, 'stopped', 'rank 3 stopped by itself');
  settled(t, r, [3]);
});

t.test('T12: 10 % drops, 10 % duplicates and reordering: the history stays linearizable and no node is taken for failed', async (t) => {
  const r = await scenario(t, { ranks: 6, link: { dropRate: 0.1, dupRate: 0.1, delayMs: 2, jitterMs: 2, damageRate: 0 } });
  t.ok((r.o.clientStats?.retries ?? 0) > 0, `clients retried ${r.o.clientStats?.retries ?? 0} times`);
  t.notOk(
    r.masterLines.some((l) => l.includes('failed (M3)')),
    'no node declared failed',
  );
  settled(t, r);
});
