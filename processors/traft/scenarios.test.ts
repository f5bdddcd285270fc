// scenarios.test: scripted cluster scenarios on the deterministic simulator
// (docs/protocols/traft.md §14.2): same-term races (T3), leader crash with a record on a minority
// (T12) or after commit (T13), minority partition and heal (T14), lost/duplicated/reordered
// messages per type (T17), a steady leader then isolated (T19), an override over an unreplicated
// record (T23), and a rank killed for good plus one restarted with a torn log line (T27). Every run
// also checks the per-step invariants and grades all instance logs with the checker.
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { defaultTiming } from './config.js';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import type { Message } from './messages.js';
import { roleOf } from './state.js';
import { statesEqual } from './invariants.js';
import { SimCluster, type LoadOptions, type NetOptions } from './sim/cluster.js';
import { bitmapLen, firstMissing, hasSeq } from './tail_bitmap.js';

/** TapTest is the type of a subtest's `t` (the last overload of t.test takes only the callback). */
type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

const E = 1000;
const CLEAN: NetOptions = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 10, longDelayRate: 0, longDelayMs: 0 };
const LOAD: LoadOptions = { intervalMs: 10, window: 20, keys: 3, setRate: 0.5 };

function cluster(
  n: number,
  o: { seed?: string; lease?: boolean; load?: LoadOptions | null; net?: Partial<NetOptions>; torn?: number } = {},
): SimCluster {
  const sim = new SimCluster({
    seed: o.seed ?? 'scenario',
    ranks: n,
    timing: { ...defaultTiming(E), leaseProtection: o.lease ?? true },
    net: { ...CLEAN, ...o.net },
    disk: { minFsyncMs: 0.5, maxFsyncMs: 3, keepUnsyncedRate: 0.5, tornLineRate: o.torn ?? 0 },
    load: o.load === undefined ? null : o.load,
  });
  sim.keepTrace = true;
  return sim;
}

/** finish: clean network, everyone restarted (except `dead`), load off, drain; then grade. */
function finish(t: TapTest, sim: SimCluster, dead: number[] = []): void {
  sim.heal();
  sim.net = CLEAN;
  sim.dropIf = null;
  for (let r = 0; r < sim.ranks.length; r++) if (!dead.includes(r)) sim.restart(r);
  sim.runFor(3 * E);
  sim.load = null;
  sim.runFor(10 * E);
  t.same(sim.violations, [], 'no invariant violated');
  const live = sim.ranks.map((r) => r.rank).filter((r) => sim.alive(r));
  t.equal(statesEqual(live.map((r) => ({ rank: r, state: sim.kvOf(r) }))), null, 'state machines equal (S5)');
  const fronts = new Set(live.map((r) => firstMissing(sim.stateOf(r).committed)));
  t.equal(fronts.size, 1, 'all live ranks reached one frontier (L1)');
  const res = checkLogs(sim.instanceLogs());
  if (res.verdict !== 'pass') t.comment(formatReport(res));
  t.equal(res.verdict, 'pass', 'the checker passes every rank’s instance log (S7)');
}

const leaderOf = (sim: SimCluster): number | undefined => sim.leaders()[0];

t.test('T3: 2, 3 and 5 simultaneous candidates of one term: term 1 elects, (1, max id) prevails', async (t) => {
  for (const k of [2, 3, 5]) {
    const sim = cluster(5, { seed: `t3-${k}`, lease: false });
    const cands = [4, 3, 2, 1, 0].slice(0, k);
    for (const c of cands) sim.campaignAt(c, 500);
    sim.runFor(E);
    const first = sim.establishedSince(0)[0];
    t.equal(first?.leader.term, 1, `${k} candidates: rivals of one term do not all fail`);
    t.same(
      sim.leaders().map((r) => sim.stateOf(r).vote),
      [{ term: 1, id: Math.max(...cands) }],
      `${k} candidates: the one leader left is (1, ${Math.max(...cands)})`,
    );
    sim.startLoad(LOAD);
    sim.runFor(2 * E);
    t.ok(sim.proposals > 0, 'proposals flow');
    finish(t, sim);
  }
});

t.test('T12: leader crashes with a record on itself and one follower → that record or a no-op everywhere', async (t) => {
  for (const seed of ['t12-a', 't12-b', 't12-c']) {
    const sim = cluster(5, { seed, load: LOAD });
    sim.runFor(3 * E);
    const l = leaderOf(sim)!;
    sim.load = null;
    sim.runFor(E);
    const s = bitmapLen(sim.stateOf(l).accepted);
    const keep = (l + 1) % 5;
    sim.dropIf = (from, to, m) => from === l && to !== keep && m.type === 'ForwardReq';
    sim.propose(l, { op: 'set', key: 'k0', value: 777 }, 'minorityrecord');
    sim.runFor(50);
    t.ok(hasSeq(sim.stateOf(keep).accepted, s), 'the follower stored it');
    sim.crash(l);
    sim.dropIf = null;
    sim.runFor(5 * E);
    finish(t, sim);
    const final = sim.stateOf(keep).log.get(s);
    t.ok(
      final !== undefined && (final.kind === 'noop' || final.logKey === 'minorityrecord'),
      `${seed}: seq ${s} holds the record or a no-op (${final?.kind})`,
    );
  }
});

t.test('T13: leader crashes after commit, before followers learnt it → successor commits it at the same seq', async (t) => {
  const sim = cluster(5, { seed: 't13', load: LOAD });
  sim.runFor(3 * E);
  sim.load = null;
  sim.runFor(E);
  const l = leaderOf(sim)!;
  const s = bitmapLen(sim.stateOf(l).accepted);
  let leaderCommitted = false;
  sim.dropIf = (from, _to, m) => from === l && m.type === 'ForwardReq' && hasSeq(m.committed, s);
  sim.propose(l, { op: 'set', key: 'k1', value: 4242 }, 'committedbeforecrash');
  for (let i = 0; i < 100 && !leaderCommitted; i++) {
    sim.runFor(1);
    leaderCommitted = hasSeq(sim.stateOf(l).committed, s);
  }
  t.ok(leaderCommitted, 'the leader committed it');
  const followersKnew = [0, 1, 2, 3, 4].filter((r) => r !== l).some((r) => hasSeq(sim.stateOf(r).committed, s));
  t.notOk(followersKnew, 'no follower learnt it');
  sim.crash(l);
  sim.dropIf = null;
  finish(t, sim, [l]);
  const live = [0, 1, 2, 3, 4].filter((r) => r !== l);
  t.ok(
    live.every((r) => sim.stateOf(r).log.get(s)?.logKey === 'committedbeforecrash' && hasSeq(sim.stateOf(r).committed, s)),
    'committed at the same seq everywhere',
  );
});

t.test('T14: leader in a minority partition keeps taking writes; nothing commits there; it steps down; heal deletes them', async (t) => {
  const sim = cluster(5, { seed: 't14', load: LOAD });
  sim.runFor(3 * E);
  const l = leaderOf(sim)!;
  const lid: LeaderId = sim.stateOf(l).vote;
  const buddy = (l + 1) % 5;
  const lenBefore = bitmapLen(sim.stateOf(l).accepted);
  sim.partition([[l, buddy], [0, 1, 2, 3, 4].filter((r) => r !== l && r !== buddy)]);
  sim.runFor(E / 2);
  t.ok(bitmapLen(sim.stateOf(l).accepted) > lenBefore, 'the isolated leader appended client writes');
  sim.runFor(3 * E);
  t.not(roleOf(sim.stateOf(l)), 'leader', 'CheckQuorum stepped it down');
  const stale = sim.stateOf(l).log;
  const unsafe = [...stale.values()].filter((r) => leaderIdEq(r.author, lid) && r.seq >= lenBefore && r.kind === 'cmd');
  t.ok(unsafe.length > 0, 'it holds unsafe records');
  t.ok(
    unsafe.every((r) => !hasSeq(sim.stateOf(l).committed, r.seq)),
    'the isolated leader marked none of them committed',
  );
  t.ok(
    unsafe.every((r) => !sim.chosen.has(r.seq) || !leaderIdEq(sim.chosen.get(r.seq)!.author, lid)),
    'none of them was committed anywhere',
  );
  t.ok(
    sim.leaders().some((r) => r !== l && r !== buddy),
    'the majority elected a new leader',
  );
  finish(t, sim);
  const after = sim.stateOf(l).log;
  t.ok(
    unsafe.every((r) => {
      const now = after.get(r.seq);
      return now === undefined || !leaderIdEq(now.author, lid);
    }),
    'Sync replaced every unsafe record',
  );
});

t.test('T17: each message type lost, duplicated and reordered in turn → idempotent, heals', async (t) => {
  const types: Array<Message['type']> = ['ElectReq', 'ElectReply', 'ForwardReq', 'ForwardReply'];
  for (const type of types) {
    const sim = cluster(5, {
      seed: `t17-${type}`,
      load: LOAD,
      net: { dupRate: 0.3, maxDelayMs: 80, longDelayRate: 0.05, longDelayMs: 2 * E },
    });
    let n = 0;
    sim.dropIf = (_f, _to, m) => m.type === type && n++ % 3 === 0;
    sim.runFor(4 * E);
    const l = leaderOf(sim);
    if (l !== undefined) sim.crash(l); // a new election under the same faults // force a new election under the same faults
    sim.runFor(4 * E);
    t.ok(n > 0, `${type}: some were dropped`);
    finish(t, sim);
    t.ok(firstMissing(sim.stateOf(leaderOf(sim) ?? 0).committed) > 10, `${type}: commits happened`);
  }
});

t.test('T19: a steady leader is never deposed; isolated, a new one is up within ~2E', async (t) => {
  const sim = cluster(5, { seed: 't19', load: LOAD, net: { maxDelayMs: 20 } });
  sim.runFor(3 * E);
  const l = leaderOf(sim)!;
  const steadyFrom = sim.nowMs;
  sim.runFor(20 * E);
  t.same(sim.establishedSince(steadyFrom), [], 'no election during 20E of steady leadership');
  t.equal(leaderOf(sim), l);
  const isolatedAt = sim.nowMs;
  sim.partition([[l], [0, 1, 2, 3, 4].filter((r) => r !== l)]);
  sim.runFor(4 * E);
  const next = sim.establishedSince(isolatedAt).find((x) => x.rank !== l);
  t.ok(next !== undefined, 'a new leader');
  t.ok(next !== undefined && next.atMs - isolatedAt < 2.5 * E, `within 2.5E (took ${next ? (next.atMs - isolatedAt).toFixed(0) : '-'} ms)`);
  finish(t, sim);
});

t.test('T23: set x=2 commits over an unreplicated set x=1; a new leader fills that seq with a no-op', async (t) => {
  const sim = cluster(5, { seed: 't23', load: LOAD });
  sim.runFor(3 * E);
  sim.load = null;
  sim.runFor(E);
  const l0 = leaderOf(sim)!;
  const [r1, r2, r3, r4] = [1, 2, 3, 4].map((i) => (l0 + i) % 5) as [number, number, number, number];
  const s = bitmapLen(sim.stateOf(l0).accepted);
  sim.dropIf = (from, to, m) =>
    from === l0 && m.type === 'ForwardReq' && m.kind === 'append' && to !== r2 && m.records.some((x) => x.seq === s);
  sim.propose(l0, { op: 'set', key: 'x', value: 1 }, 'xone'); // on l0, r2 only
  sim.runFor(20);
  sim.dropIf = (from, to, m) => from === l0 && m.type === 'ForwardReq' && (to === r2 || to === r4 || m.records.some((x) => x.seq === s));
  sim.propose(l0, { op: 'set', key: 'x', value: 2 }, 'xtwo'); // on l0, r1, r3: committed over s
  sim.runFor(50);
  t.ok(hasSeq(sim.stateOf(l0).committed, s + 1) && !hasSeq(sim.stateOf(l0).committed, s), 'x=2 committed, x=1 not');
  t.notOk(hasSeq(sim.stateOf(r2).committed, s), 'r2 holds x=1 but never marks it (I3)');
  sim.crash(l0);
  sim.partition([[r1, r3, r4], [r2]]);
  sim.dropIf = null;
  sim.runFor(5 * E);
  const nl = leaderOf(sim);
  t.ok(nl !== undefined && [r1, r3, r4].includes(nl), 'a leader among r1, r3, r4');
  t.equal(sim.stateOf(nl ?? r1).log.get(s)?.kind, 'noop', 'seq s is a no-op in the new base');
  finish(t, sim);
  t.equal(sim.stateOf(r2).log.get(s)?.kind, 'noop', 'r2’s x=1 replaced without a fatal');
  t.notOk(
    sim.ranks.some((r) => r.lines.some((line) => line.includes('Instance[xone]') && line.startsWith('commit'))),
    'x=1 never logged as committed',
  );
  t.match(sim.kvOf(r2), /x=2/, 'states agree on x=2');
});

t.test('T27: one rank killed for good, another restarted after a torn last line → checker passes, no duplicate commit line', async (t) => {
  const sim = cluster(5, { seed: 't27', load: LOAD, torn: 1 });
  sim.runFor(3 * E);
  const l = leaderOf(sim)!;
  const dead = (l + 1) % 5;
  const bounced = (l + 2) % 5;
  sim.crash(dead);
  const before = sim.ranks[bounced]!.lines.length;
  const whole = sim.ranks[bounced]!.lines[before - 1]!;
  sim.crash(bounced);
  t.ok(sim.ranks[bounced]!.lines[before - 1]!.length < whole.length, 'the last line was torn');
  sim.runFor(E);
  sim.restart(bounced);
  sim.runFor(3 * E);
  finish(t, sim, [dead]);
  const commits = sim.ranks[bounced]!.lines.flatMap((line) => /^commit .* in seq (\d+) at \d+$/.exec(line)?.slice(1) ?? []);
  t.equal(new Set(commits).size, commits.length, 'no seq committed twice in the restarted rank’s log');
});

t.test('T18: a one-member cluster elects at once, commits alone, survives restarts', async (t) => {
  const sim = cluster(1, { seed: 't18', load: LOAD });
  sim.runFor(2.5 * E);
  t.same(sim.leaders(), [0], 'elected (no peers to wait for, §12.11)');
  const before = firstMissing(sim.stateOf(0).committed);
  t.ok(before > 10, `committed alone (${before})`);
  sim.crash(0);
  sim.restart(0);
  sim.runFor(3 * E);
  t.ok(firstMissing(sim.stateOf(0).committed) > before, 're-elected after a restart and committing again');
  finish(t, sim);
});
