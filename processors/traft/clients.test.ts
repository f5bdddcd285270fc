// clients.test: TRaft's client layer (clients.ts) on the one simulator (runtime/sim, its clients in
// runtime/sim/clients.ts, the cluster from simkit.ts): exactly-once across a leader crash, no stale
// ReadIndex read from a deposed leader, lease reads only while provably valid, and seeded runs
// whose client histories are linearizable.
// Replay one seed of the last test: TRAFT_KV_SEED=7 npx tap processors/traft/clients.test.ts
import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import type { History } from '../../runtime/client/history.js';
import { rankTarget } from '../../runtime/sim/types.js';
import { KvMachine } from './kv_machine.js';
import { traftEntry } from './entry.js';
import { kvCluster, leaders, stateOf, type KvClusterOptions, type TraftSim } from './simkit.js';
import { roleOf } from './state.js';
import { afterStep, newClients } from './clients.js';
import { electedLeader, replica } from './testkit.js';

const E = 1000;

function leaderOf(sim: TraftSim, ranks = 3): number {
  const ls = leaders(sim, ranks);
  if (ls.length !== 1) throw new Error(`expected one leader, got [${ls.join(',')}] at ${sim.now()}`);
  return ls[0] as number;
}

function machineOf(sim: TraftSim, rank: number): KvMachine {
  const sm = stateOf(sim, rank).applier.sm;
  if (!(sm instanceof KvMachine)) throw new Error('not a kv machine');
  return sm;
}

function lastOutcome(h: History, client: number): { type: string; value: string | null } | undefined {
  const evs = h.events.filter((e) => e.process === client && e.type !== 'invoke');
  return evs[evs.length - 1];
}

function linearizable(h: History): string {
  return checkLinearizable(parseHistoryText(h.toJsonl(), 'kv'), 'kv').verdict;
}

const runFor = (sim: TraftSim, ms: number): void => sim.runUntil(sim.now() + ms);
const kill = (sim: TraftSim, rank: number): void => sim.fault({ action: 'kill', target: rankTarget(rank) });
const restart = (sim: TraftSim, rank: number): void => sim.fault({ action: 'restart', target: rankTarget(rank) });
const partition = (sim: TraftSim, groups: number[][], durationMs = Infinity): void =>
  sim.fault({ action: 'partition', groups: groups.map((g) => g.map(rankTarget)), durationMs });

/** settled: two scripted clients (no load of their own) once a leader has established. */
function settled(o: Partial<KvClusterOptions> = {}): TraftSim {
  const sim = kvCluster({ seed: '1', ranks: 3, clients: 2, keys: 1, getShare: 0, read: 'index', deadlineMs: 20 * E, ...o });
  sim.runUntil(4 * E);
  return sim;
}

t.test('exactly once: a leader crash after applying a command; the retry answers the first result and runs nothing again', async (t) => {
  const sim = settled();
  const k = sim.kvClients();
  const L = leaderOf(sim);
  for (const c of [0, 1]) k.session(c).guess = L;
  k.issue(1, { f: 'put', key: 'x', value: 'v1' });
  runFor(sim, 200);
  t.same(lastOutcome(k.history, 1), { ...lastOutcome(k.history, 1), type: 'ok' }, 'put x=v1 done');
  // client 0's get through the log runs on L, but its reply is lost and L crashes
  k.tap = (client, _rank, toRank) => client === 0 && !toRank;
  k.issue(0, { f: 'get', key: 'x', read: 'log' });
  runFor(sim, 100);
  t.equal(machineOf(sim, L).sessions.get('c0')?.result, 'v1', 'the get ran on the leader: result v1');
  kill(sim, L);
  // until another leader has x=v2, client 0 reaches nobody
  k.tap = (client) => client === 0;
  k.issue(1, { f: 'append', key: 'x', value: '+' });
  runFor(sim, 5 * E);
  t.equal(lastOutcome(k.history, 1)?.type, 'ok', 'append x+ done at the new leader');
  k.tap = undefined;
  runFor(sim, 3 * E);
  t.same(
    lastOutcome(k.history, 0),
    { ...lastOutcome(k.history, 0), type: 'ok', value: 'v1' },
    'the retry (same reqNo) answers the first result, not v1+',
  );
  t.ok(k.session(0).retries >= 1, 'it was a retry');
  // and an append retried the same way runs once
  const L2 = leaderOf(sim);
  k.tap = (client, _rank, toRank) => client === 0 && !toRank;
  k.issue(0, { f: 'append', key: 'x', value: 'a' });
  runFor(sim, 100);
  kill(sim, L2);
  k.tap = undefined;
  restart(sim, L);
  runFor(sim, 8 * E);
  t.equal(lastOutcome(k.history, 0)?.type, 'ok', 'the append is answered after the crash');
  for (const r of [0, 1, 2].filter((r) => r !== L2)) t.equal(machineOf(sim, r).data.get('x'), 'v1+a', `rank ${r}: x = v1+a (applied once)`);
  t.equal(linearizable(k.history), 'linearizable');
});

t.test('ReadIndex: a deposed, partitioned leader never answers a read with stale data', async (t) => {
  const sim = settled();
  const k = sim.kvClients();
  const L = leaderOf(sim);
  for (const c of [0, 1]) k.session(c).guess = L;
  k.issue(0, { f: 'put', key: 'x', value: 'v1' });
  runFor(sim, 200);
  partition(sim, [[L], [0, 1, 2].filter((r) => r !== L)]);
  k.tap = (client, rank, toRank) => client === 1 && toRank && rank !== L; // client 1 reaches the old leader only
  k.issue(1, { f: 'get', key: 'x', read: 'index' });
  k.issue(0, { f: 'put', key: 'x', value: 'v2' }); // times out at L, then finds the new leader
  runFor(sim, 4 * E);
  t.equal(lastOutcome(k.history, 0)?.type, 'ok', 'the majority elected a leader and wrote v2');
  t.not(roleOf(stateOf(sim, L)), 'leader', 'the old leader stepped down (CheckQuorum)');
  t.equal(sim.summary(L)?.indexReads, 0, 'it answered no read');
  t.not(lastOutcome(k.history, 1)?.type, 'ok', 'client 1 got no value from it');
  sim.heal();
  k.tap = undefined;
  k.issue(0, { f: 'get', key: 'x', read: 'index' });
  runFor(sim, 2 * E);
  t.same(lastOutcome(k.history, 0), { ...lastOutcome(k.history, 0), type: 'ok', value: 'v2' }, 'a read at the new leader sees v2');
  t.equal(linearizable(k.history), 'linearizable');
});

t.test('lease reads: answered from the lease only while it is provably valid; refused when off or unbounded', async (t) => {
  const sim = settled({ reads: { leaseReads: true, clockDrift: 0.01 } });
  const k = sim.kvClients();
  const L = leaderOf(sim);
  for (const c of [0, 1]) k.session(c).guess = L;
  k.issue(0, { f: 'put', key: 'x', value: 'v1' });
  runFor(sim, 200);
  k.issue(1, { f: 'get', key: 'x', read: 'lease' });
  runFor(sim, 50);
  t.same([sim.summary(L)?.leaseReads, lastOutcome(k.history, 1)?.value], [1, 'v1'], 'a valid lease answers at once');
  partition(sim, [[L], [0, 1, 2].filter((r) => r !== L)]);
  runFor(sim, E); // past E·(1 − drift) since the last quorum-acked heartbeat
  k.tap = (client, rank, toRank) => client === 1 && toRank && rank !== L;
  k.issue(1, { f: 'get', key: 'x', read: 'lease' });
  runFor(sim, 100);
  t.equal(sim.summary(L)?.leaseReads, 1, 'an expired lease answers nothing');
  t.equal(k.history.events[k.history.events.length - 1]?.type, 'invoke', 'the read waits');
  const off = settled();
  const ko = off.kvClients();
  const L0 = leaderOf(off);
  for (const c of [0, 1]) ko.session(c).guess = L0;
  ko.issue(0, { f: 'get', key: 'x', read: 'lease' });
  runFor(off, 100);
  t.equal(lastOutcome(ko.history, 0)?.type, 'fail', 'without --lease-reads a lease read is refused');
  const usage = (m: string): Error => new Error(m);
  const read = (_n: string, v: unknown): number => Number(v);
  t.throws(
    () => traftEntry.flags({ machine: 'kv', leaseReads: true }, read, usage),
    /--clock-drift/,
    'the flags refuse lease reads without a drift bound',
  );
  t.throws(
    () => traftEntry.flags({ machine: 'lab', leaseReads: true, clockDrift: 0.01 }, read, usage),
    /--machine kv/,
    'and on the lab machine',
  );
});

// 100: issue 15 asks for at least 100 seeded runs with graded client histories per CI run.
const SEEDS = Number(process.env.TRAFT_KV_SEEDS ?? 100);
const only = process.env.TRAFT_KV_SEED;
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: SEEDS }, (_, i) => i + 1);

t.test(
  `seeded runs: clients through a leader crash and restart and a partition; histories linearizable (${seeds.length} seeds)`,
  async (t) => {
    let ops = 0;
    let snapshots = 0;
    for (const seed of seeds) {
      const read = (['index', 'lease', 'log'] as const)[seed % 3] ?? 'index';
      const ranks = seed % 2 === 0 ? 3 : 5;
      const all = Array.from({ length: ranks }, (_, r) => r);
      // the clients' load runs from 3 s to 10 s, then each finishes its op in flight (deadline 4 s)
      const sim = kvCluster({
        seed: String(seed),
        ranks,
        clients: 8,
        keys: 3,
        getShare: 0.5,
        read,
        reads: { leaseReads: true, clockDrift: 0.01 },
        link: { dropRate: 0.02, dupRate: 0.02, delayMs: 10.5, jitterMs: 9.5 },
        // every other seed snapshots often: kv images (sessions included) ship, install and restart
        snapshotEvery: seed % 2 === 1 ? 40 : 0,
        deadlineMs: 4 * E,
        startAtMs: 3 * E,
        stopAtMs: 10 * E,
      });
      sim.runUntil(4 * E);
      const L = leaders(sim, ranks)[0];
      if (L !== undefined) kill(sim, L);
      runFor(sim, 2 * E);
      if (L !== undefined) restart(sim, L);
      runFor(sim, E);
      const L2 = leaders(sim, ranks)[0];
      if (L2 !== undefined) partition(sim, [[L2], all.filter((r) => r !== L2)], 2 * E);
      sim.runUntil(16 * E);
      const k = sim.kvClients();
      const replay = `TRAFT_KV_SEED=${seed} npx tap processors/traft/clients.test.ts`;
      const problems = sim.problemsSoFar();
      if (!k.idle() || problems.length > 0 || linearizable(k.history) !== 'linearizable') {
        t.fail(
          `seed ${seed} (${read} reads): idle ${k.idle()}, problems ${problems.slice(0, 2).join('; ')}, verdict ${linearizable(k.history)}; replay: ${replay}`,
        );
        continue;
      }
      ops += k.history.counts().ok;
      for (const r of all) snapshots += Number(sim.summary(r)?.snapshots ?? 0) + Number(sim.summary(r)?.snapshotsInstalled ?? 0);
    }
    t.ok(ops > seeds.length * 50, `every run linearizable, ${ops} ok ops in all`);
    t.ok(snapshots > 0, `kv snapshots taken and installed (${snapshots})`);
  },
);

t.test('afterStep on an idle rank with the leadership it knew answers nothing and allocates no reply list', (t) => {
  const c = newClients({ leaseReads: false, clockDrift: 0 });
  const follower = replica(1, 3);
  const first = afterStep(c, follower, [], 0);
  t.same(first, []);
  t.ok(Object.isFrozen(first), 'the shared empty answer');
  t.equal(afterStep(c, follower, [], 1), first, 'the same one every step');
  const { d } = electedLeader(3);
  t.equal(c.leader, null);
  const changed = afterStep(c, d.state, [], 2);
  t.not(changed, first, 'a new leadership is synced, not skipped');
  t.same(c.leader, d.state.vote, 'and remembered');
  t.equal(afterStep(c, d.state, [], 3), first, 'then idle again');
  t.end();
});
