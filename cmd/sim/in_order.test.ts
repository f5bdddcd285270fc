// in_order.test: TRaft's in-order baseline (--in-order-commit, the Raft-style rule out-of-order
// commit is measured against in docs/benchmarks.md) on the simulator with 5% of messages lost:
// both modes pass the checker; the in-order leader commits nothing above a gap (no out-of-order
// commit, nothing held back by interference) while the default leader does commit above gaps.
// Fixed seed: a failure replays with the `csplab sim` command in its message.
import t from 'tap';
import { defined } from '../../runtime/assert.js';
import { protocolNamed } from '../../processors/registry.js';
import { usageError } from '../exit.js';
import { numberFlag } from '../flags.js';
import { simulate } from './once.js';

const FLAGS = { o: 1, l: 1000, t: 3 };
const RATE = 2000;
const SEED = '7';

async function run(inOrderCommit: boolean): Promise<ReturnType<typeof simulate>> {
  const entry = defined(protocolNamed('traft'), 'traft is registered');
  const camel = (k: string): string => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const args = { ...Object.fromEntries(Object.entries(entry.options).map(([k, o]) => [camel(k), o.default])), inOrderCommit };
  const program = defined(await entry.flags(args, numberFlag, usageError).simulate?.(FLAGS), 'traft simulates');
  return simulate({ program, ranks: 5, t: FLAGS.t, seed: SEED, ratePerSec: RATE, schedule: { drop: 0.05 }, trace: false });
}

const replay = (extra: string): string =>
  `csplab sim --protocol traft -o ${FLAGS.o} -l ${FLAGS.l} -t ${FLAGS.t} --rate ${RATE} --drop 0.05 --seed ${SEED}${extra}`;
const count = (g: ReturnType<typeof simulate>, key: string): number[] =>
  g.outcome.ranks.filter((r) => r.summary?.role === 'leader').map((r) => Number(r.summary?.[key] ?? NaN));

t.test('--in-order-commit: the leader commits only at its frontier; without it, above gaps too', async (t) => {
  const inOrder = await run(true);
  const outOfOrder = await run(false);
  t.same(inOrder.failures, [], `in order passes: ${replay(' --in-order-commit')}`);
  t.same(outOfOrder.failures, [], `out of order passes: ${replay('')}`);
  t.equal(count(inOrder, 'outOfOrderCommits').length, 1, `one leader at the end: ${replay(' --in-order-commit')}`);
  t.same(count(inOrder, 'outOfOrderCommits'), [0], `the in-order leader committed nothing above a gap: ${replay(' --in-order-commit')}`);
  t.same(count(inOrder, 'heldBackCommits'), [0], `nor held anything back by interference: ${replay(' --in-order-commit')}`);
  t.equal(count(outOfOrder, 'outOfOrderCommits').length, 1, `one leader at the end: ${replay('')}`);
  t.ok(
    count(outOfOrder, 'outOfOrderCommits').every((n) => n > 0),
    `the default leader committed above gaps (${count(outOfOrder, 'outOfOrderCommits').join(', ')}): ${replay('')}`,
  );
});
