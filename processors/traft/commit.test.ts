// commit.test: the out-of-order commit rule on one leader (docs/protocols/traft.md §6.4, C1 ∧ C2)
// and the apply order (§6.6): T9 (no interference: 2 before 1), T10 (interference holds 2 back),
// T11 (an override commits over an unreplicated record, which is skipped, never marked), one-member
// cluster (T18).
import t from 'tap';
import { applyCommitted, newApplier } from './applier.js';
import { labMachine } from './lab_machine.js';
import type { Command } from './command.js';
import type { TraceEvent } from './io.js';
import { bitmapOf, createBitmap, hasSeq } from './tail_bitmap.js';
import { ack, Driver, electedLeader, incr, set } from './testkit.js';

function commits(d: Driver): number[] {
  return d.outs
    .flatMap((o) => o.trace)
    .filter((e): e is Extract<TraceEvent, { type: 'commit' }> => e.type === 'commit')
    .map((e) => e.seq);
}

/** setup: a 3-member leader with both followers synced on the tail no-op, then two proposals at 1, 2. */
function setup(c1: Command, c2: Command) {
  const { d, id } = electedLeader(3);
  d.msg(1, ack(id, createBitmap(1)), 2);
  d.msg(2, ack(id, createBitmap(1)), 2);
  t.ok(hasSeq(d.state.committed, 0), 'tail no-op committed');
  d.step({ type: 'propose', cmd: c1, logKey: 'k1' }, 3);
  d.step({ type: 'propose', cmd: c2, logKey: 'k2' }, 3);
  d.persistAll(4); // the leader's own records are durable: it counts itself
  return { d, id, applier: newApplier(labMachine) };
}

t.test('T9: non-interfering 2 acked before 1 → 2 committed and applied first', async (t) => {
  const { d, id, applier } = setup(set('x', 1), set('y', 1));
  d.msg(1, ack(id, bitmapOf([0, 2])), 5);
  t.same(commits(d), [0, 2], '2 committed, 1 pending');
  t.same(applyCommitted(applier, d.state.log, d.state.committed), [0, 2], 'applied out of order');
  t.same(
    d.logLines().filter((l) => l.startsWith('commit')),
    [],
    'no commit line: 1 is still below the frontier gap',
  );
  d.msg(2, ack(id, createBitmap(2)), 6);
  t.same(commits(d), [0, 2, 1]);
  t.same(
    d.logLines().filter((l) => l.startsWith('commit')),
    ['commit 1 k1', 'commit 2 k2'],
    'lines in position order',
  );
  t.same(applyCommitted(applier, d.state.log, d.state.committed), [1]);
  t.equal(applier.sm.describe(), 'x=1 y=1');
});

t.test('T10: incr x@2 acked, set x@1 not → 2 waits for 1; applied 1 then 2', async (t) => {
  const { d, id, applier } = setup(set('x', 5), incr('x'));
  t.same(d.state.log.get(2)!.deps, createBitmap(2), 'deps(incr) = {1} ∪ frontier [0,1)');
  d.msg(1, ack(id, bitmapOf([0, 2])), 5);
  t.same(commits(d), [0], 'interference holds 2 back (C2)');
  d.msg(2, ack(id, createBitmap(3)), 6);
  t.same(commits(d), [0, 1, 2]);
  t.same(applyCommitted(applier, d.state.log, d.state.committed), [0, 1, 2]);
  t.equal(applier.sm.describe(), 'x=6');
});

t.test('T11: set x@2 overrides unreplicated set x@1 → 2 commits; 1 skipped, never marked', async (t) => {
  const { d, id, applier } = setup(set('x', 1), set('x', 2));
  t.same(d.state.log.get(2)!.overrides, [1, 2]);
  d.msg(1, ack(id, bitmapOf([0, 2])), 5);
  t.same(commits(d), [0, 2], '2 committed over 1 (in its overrides)');
  t.notOk(hasSeq(d.state.committed, 1), '1 is not marked committed by the override (docs/protocols/traft.md §6.4)');
  t.same(applyCommitted(applier, d.state.log, d.state.committed), [0, 2]);
  t.ok(hasSeq(applier.applied, 1), '1 skipped as overridden');
  d.msg(2, ack(id, createBitmap(3)), 6);
  t.same(commits(d), [0, 2, 1], '1 commits on its own C1 later');
  t.same(applyCommitted(applier, d.state.log, d.state.committed), [], 'and is never applied');
  t.equal(applier.sm.describe(), 'x=2');
});

t.test('C1 counts the leader only once its record is durable', async (t) => {
  const { d, id } = electedLeader(3);
  d.msg(1, ack(id, createBitmap(1)), 2);
  d.step({ type: 'propose', cmd: set('a', 1), logKey: 'ka' }, 3);
  d.msg(1, ack(id, createBitmap(2)), 4, false);
  t.notOk(hasSeq(d.state.committed, 1), 'leader + 1 follower, but the leader has not fsynced 1');
  d.persistAll(5);
  t.ok(hasSeq(d.state.committed, 1), 'committed once durable');
});

t.test('T18: a one-member cluster elects at once and commits alone', async (t) => {
  const { d } = electedLeader(1);
  d.step({ type: 'propose', cmd: set('a', 1), logKey: 'ka' }, 2);
  d.persistAll(3);
  t.same(d.state.committed, createBitmap(2));
  t.same(d.logLines(), ['generate 1 ka', 'commit 1 ka']);
});

t.test('CheckQuorum steps down; followers and candidates refuse proposals (§12.5)', async (t) => {
  const { d } = electedLeader(3);
  d.tick(1500);
  t.equal(d.state.leader, null, 'no acks for E: step down');
  const a = d.step({ type: 'propose', cmd: set('a', 1), logKey: 'ka' }, 1501).answers[0];
  t.equal(a?.type === 'rejected' && a.reason, 'not-leader');
  d.state.electionDeadlineMs = 1600;
  d.tick(1600);
  t.not(d.state.campaign, null, 'campaigning');
  const b = d.step({ type: 'propose', cmd: set('a', 1), logKey: 'ka' }, 1601).answers[0];
  t.equal(b?.type === 'rejected' && b.reason, 'electing', 'a candidate appends nothing');
  t.equal(d.state.log.size, 1, 'only the tail no-op is stored');
});
