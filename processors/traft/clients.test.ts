// clients.test: TRaft's client layer (clients.ts) on the simulated cluster (sim/clients.ts):
// exactly-once across a leader crash, no stale ReadIndex read from a deposed leader, lease reads
// only while provably valid, and seeded runs whose client histories are linearizable.
// Replay one seed of the last test: TRAFT_KV_SEED=7 node_modules/.bin/tap processors/traft/clients.test.ts
import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { KvMachine } from './kv_machine.js';
import { traftEntry } from './entry.js';
import { KvSim, type KvSimOptions } from './sim/clients.js';
import { roleOf } from './state.js';

const E = 1000;

function leaderOf(k: KvSim): number {
  const ls = k.sim.leaders();
  if (ls.length !== 1) throw new Error(`expected one leader, got [${ls.join(',')}] at ${k.sim.nowMs}`);
  return ls[0] as number;
}

function machineOf(k: KvSim, rank: number): KvMachine {
  const sm = k.sim.stateOf(rank).applier.sm;
  if (!(sm instanceof KvMachine)) throw new Error('not a kv machine');
  return sm;
}

function lastOutcome(k: KvSim, client: number): { type: string; value: string | null } | undefined {
  const evs = k.history.events.filter((e) => e.process === client && e.type !== 'invoke');
  return evs[evs.length - 1];
}

function linearizable(k: KvSim): string {
  return checkLinearizable(parseHistoryText(k.history.toJsonl(), 'kv'), 'kv').verdict;
}

function settled(o: Partial<KvSimOptions> = {}): KvSim {
  const k = new KvSim({ seed: 1, ranks: 3, clients: 2, keys: 1, getShare: 0, read: 'index', deadlineMs: 20 * E, ...o });
  k.runFor(4 * E); // a leader establishes
  return k;
}

t.test('exactly once: a leader crash after applying a command; the retry answers the first result and runs nothing again', async (t) => {
  const k = settled();
  const L = leaderOf(k);
  k.clients.forEach((c) => (c.session.guess = L));
  k.issue(1, { f: 'put', key: 'x', value: 'v1' });
  k.runFor(200);
  t.same(lastOutcome(k, 1), { ...lastOutcome(k, 1), type: 'ok' }, 'put x=v1 done');
  // client 0's get through the log runs on L, but its reply is lost and L crashes
  k.dropClient = (ev) => ev.client === 0 && ev.type === 'to-client';
  k.issue(0, { f: 'get', key: 'x', read: 'log' });
  k.runFor(100);
  t.equal(machineOf(k, L).sessions.get('c0')?.result, 'v1', 'the get ran on the leader: result v1');
  k.crash(L);
  // until another leader has x=v2, client 0 reaches nobody
  k.dropClient = (ev) => ev.client === 0;
  k.issue(1, { f: 'append', key: 'x', value: '+' });
  k.runFor(5 * E);
  t.equal(lastOutcome(k, 1)?.type, 'ok', 'append x+ done at the new leader');
  k.dropClient = null;
  k.runFor(3 * E);
  t.same(lastOutcome(k, 0), { ...lastOutcome(k, 0), type: 'ok', value: 'v1' }, 'the retry (same reqNo) answers the first result, not v1+');
  t.ok((k.clients[0]?.session.retries ?? 0) >= 1, 'it was a retry');
  // and an append retried the same way runs once
  const L2 = leaderOf(k);
  k.dropClient = (ev) => ev.client === 0 && ev.type === 'to-client';
  k.issue(0, { f: 'append', key: 'x', value: 'a' });
  k.runFor(100);
  k.crash(L2);
  k.dropClient = null;
  k.sim.restart(L);
  k.runFor(8 * E);
  t.equal(lastOutcome(k, 0)?.type, 'ok', 'the append is answered after the crash');
  for (const r of [0, 1, 2].filter((r) => r !== L2)) t.equal(machineOf(k, r).data.get('x'), 'v1+a', `rank ${r}: x = v1+a (applied once)`);
  t.equal(linearizable(k), 'linearizable');
});

t.test('ReadIndex: a deposed, partitioned leader never answers a read with stale data', async (t) => {
  const k = settled();
  const L = leaderOf(k);
  k.clients.forEach((c) => (c.session.guess = L));
  k.issue(0, { f: 'put', key: 'x', value: 'v1' });
  k.runFor(200);
  k.sim.partition([[L], [0, 1, 2].filter((r) => r !== L)]);
  k.dropClient = (ev) => ev.client === 1 && ev.type === 'to-rank' && ev.rank !== L; // client 1 reaches the old leader only
  k.issue(1, { f: 'get', key: 'x', read: 'index' });
  k.issue(0, { f: 'put', key: 'x', value: 'v2' }); // times out at L, then finds the new leader
  k.runFor(4 * E);
  t.equal(lastOutcome(k, 0)?.type, 'ok', 'the majority elected a leader and wrote v2');
  t.not(roleOf(k.sim.stateOf(L)), 'leader', 'the old leader stepped down (CheckQuorum)');
  t.equal(k.layers[L]?.counts.indexReads, 0, 'it answered no read');
  t.not(lastOutcome(k, 1)?.type, 'ok', 'client 1 got no value from it');
  k.sim.heal();
  k.dropClient = null;
  k.issue(0, { f: 'get', key: 'x', read: 'index' });
  k.runFor(2 * E);
  t.same(lastOutcome(k, 0), { ...lastOutcome(k, 0), type: 'ok', value: 'v2' }, 'a read at the new leader sees v2');
  t.equal(linearizable(k), 'linearizable');
});

t.test('lease reads: answered from the lease only while it is provably valid; refused when off or unbounded', async (t) => {
  const k = settled({ reads: { leaseReads: true, clockDrift: 0.01 } });
  const L = leaderOf(k);
  k.clients.forEach((c) => (c.session.guess = L));
  k.issue(0, { f: 'put', key: 'x', value: 'v1' });
  k.runFor(200);
  k.issue(1, { f: 'get', key: 'x', read: 'lease' });
  k.runFor(50);
  t.same([k.layers[L]?.counts.leaseReads, lastOutcome(k, 1)?.value], [1, 'v1'], 'a valid lease answers at once');
  k.sim.partition([[L], [0, 1, 2].filter((r) => r !== L)]);
  k.runFor(E); // past E·(1 − drift) since the last quorum-acked heartbeat
  k.dropClient = (ev) => ev.client === 1 && ev.type === 'to-rank' && ev.rank !== L;
  k.issue(1, { f: 'get', key: 'x', read: 'lease' });
  k.runFor(100);
  t.equal(k.layers[L]?.counts.leaseReads, 1, 'an expired lease answers nothing');
  t.equal(k.history.events[k.history.events.length - 1]?.type, 'invoke', 'the read waits');
  const off = settled();
  const L0 = leaderOf(off);
  off.clients.forEach((c) => (c.session.guess = L0));
  off.issue(0, { f: 'get', key: 'x', read: 'lease' });
  off.runFor(100);
  t.equal(lastOutcome(off, 0)?.type, 'fail', 'without --lease-reads a lease read is refused');
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
      const k = new KvSim({
        seed,
        ranks: seed % 2 === 0 ? 3 : 5,
        clients: 8,
        keys: 3,
        getShare: 0.5,
        read,
        reads: { leaseReads: true, clockDrift: 0.01 },
        net: { dropRate: 0.02, dupRate: 0.02, maxDelayMs: 20 },
        // every other seed snapshots often: kv images (sessions included) ship, install and restart
        timing: seed % 2 === 1 ? { snapshotEvery: 40 } : {},
        deadlineMs: 4 * E,
      });
      k.runFor(3 * E);
      k.start();
      k.runFor(E);
      const L = k.sim.leaders()[0];
      if (L !== undefined) k.crash(L);
      k.runFor(2 * E);
      if (L !== undefined) k.sim.restart(L);
      k.runFor(E);
      const L2 = k.sim.leaders()[0];
      if (L2 !== undefined) k.sim.partition([[L2], k.sim.ranks.map((r) => r.rank).filter((r) => r !== L2)]);
      k.runFor(2 * E);
      k.sim.heal();
      k.runFor(E);
      k.stop();
      k.runFor(6 * E);
      const replay = `TRAFT_KV_SEED=${seed} node_modules/.bin/tap processors/traft/clients.test.ts`;
      if (!k.idle() || k.sim.violations.length > 0 || linearizable(k) !== 'linearizable') {
        t.fail(
          `seed ${seed} (${read} reads): idle ${k.idle()}, violations ${k.sim.violations.slice(0, 2).join('; ')}, verdict ${linearizable(k)}; replay: ${replay}`,
        );
        continue;
      }
      ops += k.history.counts().ok;
      snapshots += k.sim.ranks.reduce((n, r) => n + r.snapshots.taken + r.snapshots.installed, 0);
    }
    t.ok(ops > seeds.length * 50, `every run linearizable, ${ops} ok ops in all`);
    t.ok(snapshots > 0, `kv snapshots taken and installed (${snapshots})`);
  },
);
