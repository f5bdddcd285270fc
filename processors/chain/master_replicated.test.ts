// master_replicated.test: the replicated master (chain.md §8.1, docs/protocols/chain-master.md §10)
// on three TRaft master ranks with fake nodes, in virtual time: one rank decides at a time and
// the others hold the same record; T17, the leader killed in the middle of an add-node, with the
// new leader rolling the reconfiguration forward to the target chains and no range ever without a
// chain; T22, an old leader cut off with a tail while the others elect a new one, with skewed
// clocks: the tail's last lease ends before any configuration that replaces it is sent. Replay a
// seed with CHAIN_MASTER_SEED=<seed>.
import t from 'tap';
import type { Config } from './config.js';
import { ringOrder, targetChain } from './master_ring.js';
import { machineOf } from './master_replicated.js';
import { checkReplicatedBounds } from './options.js';
import { GroupBench, type GroupBenchOptions } from './master_group_testkit.js';
import { tailOf } from './config.js';
import { OPTS } from './master_testkit.js';

const only = process.env.CHAIN_MASTER_SEED;
const seeds = only !== undefined ? [only] : ['1', '2', '3', '4', '5'];
const replay = (file: string, seed: string): string => `CHAIN_MASTER_SEED=${seed} node_modules/.bin/tap processors/chain/${file}`;

function bench(seed: string, over: Partial<GroupBenchOptions> = {}): GroupBench {
  return new GroupBench({ seed, masters: 3, nodes: 4, electionMs: 500, clockDrift: 0.05, maxDelayMs: 3, ...over });
}

/** converged: the deciding master runs no step and every chain is its target over the live ring (K1). */
function converged(b: GroupBench, live: readonly number[]): boolean {
  const m = b.leader()?.master;
  const c = m?.announced;
  if (m === undefined || c === undefined || m.step !== undefined || m.config !== c) return false;
  const ring = ringOrder(live);
  return c.ranges.every((r) => {
    const target = targetChain(ring, r, m.o.k);
    return r.chain.length === target.length && target.every((x) => r.chain.includes(x));
  });
}

/** configProblems: an epoch naming two configurations, or a range left without a chain. */
function configProblems(sent: readonly { config: Config }[]): string[] {
  const byEpoch = new Map<number, string>();
  const problems: string[] = [];
  for (const { config } of sent) {
    const text = JSON.stringify(config);
    const seen = byEpoch.get(config.epoch);
    if (seen !== undefined && seen !== text) problems.push(`epoch ${config.epoch} names two configurations`);
    byEpoch.set(config.epoch, text);
    for (const r of config.ranges) if (r.chain.length === 0) problems.push(`epoch ${config.epoch}: range ${r.rangeId} lost its chain`);
  }
  return problems;
}

t.test('one master rank decides; every rank holds the record it committed', async (t) => {
  for (const seed of seeds) {
    const b = bench(seed);
    for (const n of [1, 2, 3, 4]) b.startNode(n);
    const ok = b.run(20_000, () => converged(b, [1, 2, 3, 4]));
    t.ok(ok, `seed ${seed}: the first configuration is installed and served; replay: ${replay('master_replicated.test.ts', seed)}`);
    b.run(b.nowMs + 1000);
    const deciding = [...b.masters.values()].filter((m) => m.master !== undefined);
    t.equal(deciding.length, 1, `seed ${seed}: exactly one master rank decides`);
    const epoch = deciding[0]?.master?.announced?.epoch;
    const records = [...b.masters.values()].map((m) => machineOf(m).record?.config.epoch);
    t.same(records, [epoch, epoch, epoch], `seed ${seed}: every master rank's machine holds epoch ${String(epoch)}`);
    t.same(configProblems(b.sent), [], `seed ${seed}: no epoch names two configurations`);
    t.ok(
      [...b.nodes.values()].every((n) => (b.leaseEnd.get(n.rank) ?? 0) > b.nowMs),
      `seed ${seed}: every node holds a lease`,
    );
  }
});

/** stepsSeen counts the distinct steps the deciding master has started (a new one: another kind, range or start time). */
function stepWatcher(b: GroupBench): () => number {
  let last = '';
  let n = 0;
  return () => {
    const st = b.leader()?.master?.step;
    const id = st === undefined ? '' : `${st.kind} ${st.rangeId} ${st.startedMs}`;
    if (id !== '' && id !== last) n++;
    last = id;
    return n;
  };
}

t.test('T17: the leader killed in the middle of an add-node; the new leader rolls the reconfiguration forward', async (t) => {
  for (const seed of seeds) {
    // 2 % of every message lost; the kill lands in the 1st to 4th step of the add (split, extends, removals).
    const b = bench(seed, { dropRate: 0.02 });
    const tag = `seed ${seed} (replay: ${replay('master_replicated.test.ts', seed)})`;
    for (const n of [1, 2, 3, 4]) b.startNode(n);
    if (!b.run(20_000, () => converged(b, [1, 2, 3, 4]))) return t.fail(`${tag}: no first configuration`);
    b.startNode(5);
    const nth = (Number(seed) % 4) + 1;
    const steps = stepWatcher(b);
    const midStep = b.run(b.nowMs + 30_000, () => steps() >= nth);
    const old = b.leader();
    if (!midStep || old === undefined) return t.fail(`${tag}: the add never reached step ${nth}`);
    const st = old.master?.step;
    const epochAtKill = old.master?.config?.epoch ?? 0;
    b.kill(old.setup.self);
    const killAt = b.nowMs;
    b.run(b.nowMs + 10_000, () => b.leader() !== undefined);
    const takeover = b.nowMs - killAt;
    const done = b.run(b.nowMs + 60_000, () => converged(b, [1, 2, 3, 4, 5]));
    const now = b.leader();
    t.ok(
      done,
      `${tag}: killed in step ${nth} (${st?.kind ?? '?'} ${st?.rangeId ?? '?'}, ${st?.phase ?? '?'}); a new master in ${takeover} ms, target chains with rank 5 ${b.nowMs - killAt} ms after the kill`,
    );
    t.not(now?.setup.self, old.setup.self, `${tag}: another master rank decides`);
    const c = now?.master?.announced;
    t.ok(c !== undefined && c.epoch > epochAtKill, `${tag}: the new leader installed past epoch ${epochAtKill}`);
    t.ok(
      c?.ranges.some((r) => r.chain.includes(5)),
      `${tag}: rank 5 is in a chain`,
    );
    t.equal(now?.master?.lost.size, 0, `${tag}: no range is lost`);
    t.same(configProblems(b.sent), [], `${tag}: every configuration sent keeps a chain per range, one per epoch`);
    t.same(b.unfenced, [], `${tag}: no configuration drops a live member that did not retire (F6)`);
    b.restart(old.setup.self);
    b.run(b.nowMs + 3000);
    const records = [...b.masters.values()].map((m) => machineOf(m).describe());
    t.same(records, [records[0], records[0], records[0]], `${tag}: the restarted rank caught up: all three hold one record`);
    t.equal(b.leader()?.setup.self, now?.setup.self, `${tag}: the restarted rank does not take over`);
  }
});

t.test('the leader killed before the first configuration: the next one takes answered nodes by their heartbeats', async (t) => {
  for (const seed of seeds) {
    const tag = `seed ${seed} (replay: ${replay('master_replicated.test.ts', seed)})`;
    const b = bench(seed, { options: { ...OPTS, minNodes: 4 } });
    for (const n of [1, 2, 3]) b.startNode(n);
    // minNodes 4 holds the first configuration back; nodes 1–3 are answered, so they stop sending joins.
    const answered = b.run(20_000, () => b.leader() !== undefined && [1, 2, 3].every((n) => b.nodes.get(n)?.joined === true));
    const old = b.leader();
    if (!answered || old === undefined) return t.fail(`${tag}: nodes 1–3 never answered`);
    t.equal(old.master?.config, undefined, `${tag}: no configuration before the kill`);
    b.kill(old.setup.self);
    b.startNode(4);
    t.ok(
      b.run(b.nowMs + 30_000, () => converged(b, [1, 2, 3, 4])),
      `${tag}: the new leader installs the first configuration over all four nodes`,
    );
  }
});

/**
 * T22 (chain.md §8.1): the leader L stalls (a GC pause) just as it is cut from the other master
 * ranks together with the tail T of a range: T reaches L, and only L. L's clock runs slow and T's
 * slow too (both within the stated drifts), the others' at true time. The others elect a new
 * leader that declares T failed after failTimeoutMs and installs a configuration without it.
 * Then L wakes up, still leader in its own eyes, with T's heartbeats waiting: it must answer
 * none of them, since it holds no group lease, so T's last lease ends, in real time, before the
 * configuration that replaces it is sent.
 */
t.test('T22: an old leader cut off with a tail cannot keep it serving after a new leader replaces it', async (t) => {
  for (const seed of seeds) {
    const tag = `seed ${seed} (replay: ${replay('master_replicated.test.ts', seed)})`;
    const drift = 0.05;
    const b = bench(seed, {
      nodes: 3,
      clockDrift: drift,
      masterRate: (r) => (r === 0 ? 1 - 0.9 * drift : 1),
      nodeRate: () => 1 - (0.9 * 200) / 1500,
    });
    for (const n of [1, 2, 3]) b.startNode(n);
    if (!b.run(20_000, () => converged(b, [1, 2, 3]))) return t.fail(`${tag}: no first configuration`);
    const L = b.leader();
    const range = L?.master?.announced?.ranges[0];
    const T = range === undefined ? undefined : tailOf(range);
    if (L === undefined || range === undefined || T === undefined) return t.fail(`${tag}: no leader or tail`);
    const l = L.setup.self;
    for (const o of [...b.masters.keys()].filter((r) => r !== l)) {
      b.cut({ kind: 'master', rank: l }, { kind: 'master', rank: o });
      b.cut({ kind: 'node', rank: T }, { kind: 'master', rank: o });
    }
    b.pause(l);
    const cutAt = b.nowMs;
    const leaseAtCut = b.leaseEnd.get(T) ?? 0;
    const replaced = (): { atMs: number } | undefined =>
      b.sent.find((s) => s.atMs > cutAt && s.by !== l && s.config.ranges.every((r) => tailOf(r) !== T || !r.chain.includes(T)));
    const done = b.run(b.nowMs + 30_000, () => replaced() !== undefined);
    const first = replaced();
    if (!done || first === undefined) return t.fail(`${tag}: no new leader replaced tail ${T}`);
    b.run(b.nowMs + 500);
    b.resume(l);
    b.run(b.nowMs + 5000);
    t.ok(L.counts.unleasedHeartbeats > 0, `${tag}: the old leader woke up to T's heartbeats (${L.counts.unleasedHeartbeats} unanswered)`);
    const leaseEnd = b.leaseEnd.get(T) ?? 0;
    // Replies already in flight at the cut may still renew it; the point is where the last lease ends.
    t.ok(
      leaseEnd < first.atMs,
      `${tag}: T's last lease ends at ${leaseEnd.toFixed(1)} ms (${leaseAtCut.toFixed(1)} at the cut), before the configuration replacing it at ${first.atMs} ms`,
    );
  }
});

t.test('the lease bound of §12.3 is checked at construction', async (t) => {
  t.doesNotThrow(() => checkReplicatedBounds(OPTS, 0.05), 'defaults: 1500 + 200 < 2000 · 0.95');
  t.throws(() => checkReplicatedBounds(OPTS, 0.2), /failTimeoutMs 2000 · \(1 − clockDrift 0.2\) = 1600/);
  t.throws(() => checkReplicatedBounds({ ...OPTS, leaseMs: 1750 }, 0.05), RangeError);
  t.throws(() => checkReplicatedBounds(OPTS, 1), /clockDrift must be in/);
});
