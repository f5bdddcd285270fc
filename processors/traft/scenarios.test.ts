// scenarios.test: scripted cluster scenarios on the one simulator (runtime/sim, through simkit.ts)
// (docs/protocols/traft.md §14.2): same-term races (T3), leader crash with a record on a minority
// (T12) or after commit (T13), minority partition and heal (T14), lost/duplicated/reordered
// messages per type (T17), a steady leader then isolated (T19), an override over an unreplicated
// record (T23), and a rank killed for good plus one restarted with a torn log line (T27). Every run
// also checks the per-step invariants and grades all instance logs with the checker.
// Every seed is fixed: a failure replays with `npx tap processors/traft/scenarios.test.ts`.
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { rankTarget, type SimLink } from '../../runtime/sim/types.js';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import { roleOf } from './state.js';
import { statesEqual } from './invariants.js';
import {
  campaignAt,
  chosen,
  established,
  instanceLogs,
  kvOf,
  leaders,
  proposed,
  propose,
  replica,
  scripted,
  stateOf,
  type Scripted,
} from './simkit.js';
import { bitmapLen, firstMissing, hasSeq } from './tail_bitmap.js';

/** TapTest is the type of a subtest's `t` (the last overload of t.test takes only the callback). */
type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

const E = 1000;
/** CLEAN: each copy 1–10 ms late (reordered), none lost or duplicated. */
const CLEAN: SimLink = { dropRate: 0, dupRate: 0, delayMs: 5.5, jitterMs: 4.5, damageRate: 0 };

function cluster(n: number, o: { seed?: string; lease?: boolean; load?: boolean; link?: Partial<SimLink>; torn?: number } = {}): Scripted {
  return scripted({
    seed: o.seed ?? 'scenario',
    ranks: n,
    config: { electionMs: E, window: 20, keys: 3, snapshotEvery: 0, setShare: 0.5, tuning: { leaseProtection: o.lease ?? true } },
    load: o.load ?? false,
    // the load's pace per leader: a steady stream of commits for a little less CPU than 1,000 a second
    ratePerSec: 300,
    link: { ...CLEAN, ...o.link },
    disk: { tornLineRate: o.torn ?? 0 },
  });
}

const all = (run: Scripted): number[] => Array.from({ length: run.ranks }, (_, r) => r);
const kill = (run: Scripted, rank: number): void => run.sim.fault({ action: 'kill', target: rankTarget(rank) });
const restart = (run: Scripted, rank: number): void => run.sim.fault({ action: 'restart', target: rankTarget(rank) });
const runFor = (run: Scripted, ms: number): void => run.sim.runUntil(run.sim.now() + ms);
/** partition splits the ranks into groups until finish heals them. */
const partition = (run: Scripted, groups: number[][]): void =>
  run.sim.fault({ action: 'partition', groups: groups.map((g) => g.map(rankTarget)), durationMs: Infinity });

/** finish: clean network, everyone restarted (except `dead`), load off, drain; then grade. */
function finish(t: TapTest, run: Scripted, dead: number[] = []): void {
  const { sim } = run;
  sim.heal();
  sim.setLink(CLEAN);
  sim.tap = undefined;
  for (const r of all(run)) if (!dead.includes(r)) restart(run, r);
  runFor(run, 3 * E);
  run.lab.on = false;
  runFor(run, 10 * E);
  t.same(sim.problemsSoFar(), [], 'no invariant violated');
  const live = all(run).filter((r) => replica(sim, r) !== undefined);
  t.equal(statesEqual(live.map((r) => ({ rank: r, state: kvOf(sim, r) }))), null, 'state machines equal (S5)');
  const fronts = new Set(live.map((r) => firstMissing(stateOf(sim, r).committed)));
  t.equal(fronts.size, 1, 'all live ranks reached one frontier (L1)');
  const res = checkLogs(instanceLogs(sim, run.ranks));
  if (res.verdict !== 'pass') t.comment(formatReport(res));
  t.equal(res.verdict, 'pass', 'the checker passes every rank’s instance log (S7)');
}

const leaderOf = (run: Scripted): number | undefined => leaders(run.sim, run.ranks)[0];

t.test('T3: 2, 3 and 5 simultaneous candidates of one term: term 1 elects, (1, max id) prevails', async (t) => {
  for (const k of [2, 3, 5]) {
    const run = cluster(5, { seed: `t3-${k}`, lease: false });
    const { sim } = run;
    const cands = [4, 3, 2, 1, 0].slice(0, k);
    for (const c of cands) campaignAt(sim, c, 500);
    sim.runUntil(E);
    const first = established(run.traces)[0];
    t.equal(first?.leader.term, 1, `${k} candidates: rivals of one term do not all fail`);
    t.same(
      leaders(sim, 5).map((r) => stateOf(sim, r).vote),
      [{ term: 1, id: Math.max(...cands) }],
      `${k} candidates: the one leader left is (1, ${Math.max(...cands)})`,
    );
    run.lab.on = true;
    runFor(run, 2 * E);
    t.ok(proposed(run) > 0, 'proposals flow');
    finish(t, run);
  }
});

t.test('T12: leader crashes with a record on itself and one follower → that record or a no-op everywhere', async (t) => {
  for (const seed of ['t12-a', 't12-b', 't12-c']) {
    const run = cluster(5, { seed, load: true });
    const { sim } = run;
    sim.runUntil(3 * E);
    const l = leaderOf(run)!;
    run.lab.on = false;
    runFor(run, E);
    const s = bitmapLen(stateOf(sim, l).accepted);
    const keep = (l + 1) % 5;
    sim.tap = (from, to, m) => from === l && to !== keep && m.type === 'ForwardReq';
    propose(sim, l, { op: 'set', key: 'k0', value: 777 }, 'minorityrecord');
    runFor(run, 50);
    t.ok(hasSeq(stateOf(sim, keep).accepted, s), 'the follower stored it');
    kill(run, l);
    sim.tap = undefined;
    runFor(run, 5 * E);
    finish(t, run);
    const final = stateOf(sim, keep).log.get(s);
    t.ok(
      final !== undefined && (final.kind === 'noop' || final.logKey === 'minorityrecord'),
      `${seed}: seq ${s} holds the record or a no-op (${final?.kind})`,
    );
  }
});

t.test('T13: leader crashes after commit, before followers learnt it → successor commits it at the same seq', async (t) => {
  const run = cluster(5, { seed: 't13', load: true });
  const { sim } = run;
  sim.runUntil(3 * E);
  run.lab.on = false;
  runFor(run, E);
  const l = leaderOf(run)!;
  const s = bitmapLen(stateOf(sim, l).accepted);
  let leaderCommitted = false;
  sim.tap = (from, _to, m) => from === l && m.type === 'ForwardReq' && hasSeq(m.committed, s);
  propose(sim, l, { op: 'set', key: 'k1', value: 4242 }, 'committedbeforecrash');
  for (let i = 0; i < 100 && !leaderCommitted; i++) {
    runFor(run, 1);
    leaderCommitted = hasSeq(stateOf(sim, l).committed, s);
  }
  t.ok(leaderCommitted, 'the leader committed it');
  const followersKnew = all(run)
    .filter((r) => r !== l)
    .some((r) => hasSeq(stateOf(sim, r).committed, s));
  t.notOk(followersKnew, 'no follower learnt it');
  kill(run, l);
  sim.tap = undefined;
  finish(t, run, [l]);
  const live = all(run).filter((r) => r !== l);
  t.ok(
    live.every((r) => stateOf(sim, r).log.get(s)?.logKey === 'committedbeforecrash' && hasSeq(stateOf(sim, r).committed, s)),
    'committed at the same seq everywhere',
  );
});

t.test('T14: leader in a minority partition keeps taking writes; nothing commits there; it steps down; heal deletes them', async (t) => {
  const run = cluster(5, { seed: 't14', load: true });
  const { sim } = run;
  sim.runUntil(3 * E);
  const l = leaderOf(run)!;
  const lid: LeaderId = stateOf(sim, l).vote;
  const buddy = (l + 1) % 5;
  const lenBefore = bitmapLen(stateOf(sim, l).accepted);
  partition(run, [[l, buddy], all(run).filter((r) => r !== l && r !== buddy)]);
  runFor(run, E / 2);
  t.ok(bitmapLen(stateOf(sim, l).accepted) > lenBefore, 'the isolated leader appended client writes');
  runFor(run, 3 * E);
  t.not(roleOf(stateOf(sim, l)), 'leader', 'CheckQuorum stepped it down');
  const stale = stateOf(sim, l).log;
  const unsafe = [...stale.values()].filter((r) => leaderIdEq(r.author, lid) && r.seq >= lenBefore && r.kind === 'cmd');
  t.ok(unsafe.length > 0, 'it holds unsafe records');
  t.ok(
    unsafe.every((r) => !hasSeq(stateOf(sim, l).committed, r.seq)),
    'the isolated leader marked none of them committed',
  );
  const decided = chosen(run.traces);
  t.ok(
    unsafe.every((r) => !decided.has(r.seq) || !leaderIdEq(decided.get(r.seq)!.author, lid)),
    'none of them was committed anywhere',
  );
  t.ok(
    leaders(sim, 5).some((r) => r !== l && r !== buddy),
    'the majority elected a new leader',
  );
  finish(t, run);
  const after = stateOf(sim, l).log;
  t.ok(
    unsafe.every((r) => {
      const now = after.get(r.seq);
      return now === undefined || !leaderIdEq(now.author, lid);
    }),
    'Sync replaced every unsafe record',
  );
});

t.test('T17: each message type lost, duplicated and reordered in turn → idempotent, heals', async (t) => {
  const types = ['ElectReq', 'ElectReply', 'ForwardReq', 'ForwardReply'] as const;
  for (const type of types) {
    // a third of this type lost, 30% of every message duplicated, each copy 1–80 ms late
    const run = cluster(5, { seed: `t17-${type}`, load: true, link: { dupRate: 0.3, delayMs: 40.5, jitterMs: 39.5 } });
    const { sim } = run;
    let n = 0;
    sim.tap = (_f, _to, m) => m.type === type && n++ % 3 === 0;
    sim.runUntil(4 * E);
    const l = leaderOf(run);
    if (l !== undefined) kill(run, l); // a new election under the same faults
    runFor(run, 4 * E);
    t.ok(n > 0, `${type}: some were dropped`);
    finish(t, run);
    t.ok(firstMissing(stateOf(sim, leaderOf(run) ?? 0).committed) > 10, `${type}: commits happened`);
  }
});

t.test('T19: a steady leader is never deposed; isolated, a new one is up within ~2E', async (t) => {
  const run = cluster(5, { seed: 't19', load: true, link: { delayMs: 10.5, jitterMs: 9.5 } });
  const { sim } = run;
  sim.runUntil(3 * E);
  const l = leaderOf(run)!;
  const steadyFrom = sim.now();
  runFor(run, 20 * E);
  t.same(established(run.traces, steadyFrom), [], 'no election during 20E of steady leadership');
  t.equal(leaderOf(run), l);
  const isolatedAt = sim.now();
  partition(run, [[l], all(run).filter((r) => r !== l)]);
  runFor(run, 4 * E);
  const next = established(run.traces, isolatedAt).find((x) => x.rank !== l);
  t.ok(next !== undefined, 'a new leader');
  t.ok(next !== undefined && next.atMs - isolatedAt < 2.5 * E, `within 2.5E (took ${next ? (next.atMs - isolatedAt).toFixed(0) : '-'} ms)`);
  finish(t, run);
});

t.test('T23: set x=2 commits over an unreplicated set x=1; a new leader fills that seq with a no-op', async (t) => {
  const run = cluster(5, { seed: 't23', load: true });
  const { sim } = run;
  sim.runUntil(3 * E);
  run.lab.on = false;
  runFor(run, E);
  const l0 = leaderOf(run)!;
  const [r1, r2, r3, r4] = [1, 2, 3, 4].map((i) => (l0 + i) % 5) as [number, number, number, number];
  const s = bitmapLen(stateOf(sim, l0).accepted);
  sim.tap = (from, to, m) =>
    from === l0 && m.type === 'ForwardReq' && m.kind === 'append' && to !== r2 && m.records.some((x) => x.seq === s);
  propose(sim, l0, { op: 'set', key: 'x', value: 1 }, 'xone'); // on l0, r2 only
  runFor(run, 20);
  sim.tap = (from, to, m) => from === l0 && m.type === 'ForwardReq' && (to === r2 || to === r4 || m.records.some((x) => x.seq === s));
  propose(sim, l0, { op: 'set', key: 'x', value: 2 }, 'xtwo'); // on l0, r1, r3: committed over s
  runFor(run, 50);
  t.ok(hasSeq(stateOf(sim, l0).committed, s + 1) && !hasSeq(stateOf(sim, l0).committed, s), 'x=2 committed, x=1 not');
  t.notOk(hasSeq(stateOf(sim, r2).committed, s), 'r2 holds x=1 but never marks it (I3)');
  kill(run, l0);
  partition(run, [[r1, r3, r4], [r2]]);
  sim.tap = undefined;
  runFor(run, 5 * E);
  const nl = leaderOf(run);
  t.ok(nl !== undefined && [r1, r3, r4].includes(nl), 'a leader among r1, r3, r4');
  t.equal(stateOf(sim, nl ?? r1).log.get(s)?.kind, 'noop', 'seq s is a no-op in the new base');
  finish(t, run);
  t.equal(stateOf(sim, r2).log.get(s)?.kind, 'noop', 'r2’s x=1 replaced without a fatal');
  t.notOk(
    all(run).some((r) => sim.lines(r).some((line) => line.includes('Instance[xone]') && line.startsWith('commit'))),
    'x=1 never logged as committed',
  );
  t.match(kvOf(sim, r2), /x=2/, 'states agree on x=2');
});

t.test('T27: one rank killed for good, another restarted after a torn last line → checker passes, no duplicate commit line', async (t) => {
  const run = cluster(5, { seed: 't27', load: true, torn: 1 });
  const { sim } = run;
  sim.runUntil(3 * E);
  const l = leaderOf(run)!;
  const dead = (l + 1) % 5;
  const bounced = (l + 2) % 5;
  kill(run, dead);
  const before = sim.lines(bounced).length;
  const whole = sim.lines(bounced)[before - 1]!;
  kill(run, bounced);
  t.ok(sim.lines(bounced)[before - 1]!.length < whole.length, 'the last line was torn');
  runFor(run, E);
  restart(run, bounced);
  runFor(run, 3 * E);
  finish(t, run, [dead]);
  const commits = sim.lines(bounced).flatMap((line) => /^commit .* in seq (\d+) at \d+$/.exec(line)?.slice(1) ?? []);
  t.equal(new Set(commits).size, commits.length, 'no seq committed twice in the restarted rank’s log');
});

t.test('T18: a one-member cluster elects at once, commits alone, survives restarts', async (t) => {
  const run = cluster(1, { seed: 't18', load: true });
  const { sim } = run;
  sim.runUntil(2.5 * E);
  t.same(leaders(sim, 1), [0], 'elected (no peers to wait for, §12.11)');
  const before = firstMissing(stateOf(sim, 0).committed);
  t.ok(before > 10, `committed alone (${before})`);
  kill(run, 0);
  restart(run, 0);
  runFor(run, 3 * E);
  t.ok(firstMissing(stateOf(sim, 0).committed) > before, 're-elected after a restart and committing again');
  finish(t, run);
});
