// recovery.test: restart from the WAL (docs/protocols/traft.md §8.5, T15). A crash before the fsync
// loses the vote but no reply was sent; after the fsync the grant is remembered even if its reply
// was lost; a follower's acked records and committer survive; commit lines are not written twice.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { replayWal, type WalEntry } from './durable.js';
import { formatInstanceLine, loggedUpToFrom } from './instance_log.js';
import { leaderIdEq } from './leader_id.js';
import { restartReplica, type ReplicaState } from './state.js';
import { createBitmap, EMPTY_BITMAP } from './tail_bitmap.js';
import { Driver, electReq, forward, L, rec, replica, sentOf, set } from './testkit.js';

/** durableBatches: the entries of every batch the driver saw persisted. */
function durableBatches(d: Driver): WalEntry[][] {
  return d.outs
    .flatMap((o) => o.persist)
    .filter((b) => b.batchId <= d.state.persistedBatchId)
    .map((b) => [...b.entries]);
}

function restart(d: Driver, lines: string[], nowMs: number): Driver {
  const s: ReplicaState = restartReplica({
    self: d.state.self,
    config: d.state.config,
    timing: d.state.timing,
    nowMs,
    random: new SeededRandom('restart'),
    durable: replayWal(durableBatches(d)),
    loggedUpTo: loggedUpToFrom(lines),
  });
  s.electionDeadlineMs = Infinity;
  return new Driver(s);
}

t.test('T15: crash before the fsync — no reply left, the vote is gone, nothing promised', async (t) => {
  const d = new Driver(replica(1, 3, {}, -10_000));
  const sends = d.msg(2, electReq(L(3, 2), null, EMPTY_BITMAP), 0, false);
  t.same(sentOf(sends, 'ElectReply'), [], 'grant parked');
  const r = restart(d, [], 10);
  t.same(r.state.vote, L(0, 1), 'vote lost with the unsynced batch');
  r.state.lastLeaderContactMs = -10_000;
  const g = sentOf(r.msg(0, electReq(L(2, 0), null, EMPTY_BITMAP), 11), 'ElectReply')[0]?.msg;
  t.equal(g?.granted, true, 'a smaller ballot may be granted: the lost grant was never sent');
});

t.test('T15: crash between fsync and reply — the grant is not forgotten', async (t) => {
  const d = new Driver(replica(1, 3, {}, -10_000));
  d.msg(2, electReq(L(3, 2), null, EMPTY_BITMAP), 0); // persisted; reply released (and lost)
  const r = restart(d, [], 10);
  t.same(r.state.vote, L(3, 2));
  r.state.lastLeaderContactMs = -10_000;
  t.equal(sentOf(r.msg(0, electReq(L(2, 0), null, EMPTY_BITMAP), 11), 'ElectReply')[0]?.msg.reason, 'stale-ballot');
  t.equal(
    sentOf(r.msg(0, electReq(L(3, 2), null, EMPTY_BITMAP), 12), 'ElectReply')[0]?.msg.granted,
    true,
    're-granting the same ballot is fine',
  );
});

t.test('T15: an acked Sync and appends survive; commit lines resume after loggedUpTo', async (t) => {
  const L1 = L(1, 0);
  const base = [rec(0, L1)];
  const d = new Driver(replica(2, 3, { vote: L(0, 2) }, -10_000));
  d.msg(0, forward(L1, 'sync', base, EMPTY_BITMAP, 1, { lo: 0, baseTail: 1, digest: [[0, L1]], last: true }), 1);
  const a = [rec(1, L1, set('a', 1)), rec(2, L1, set('b', 2))];
  d.msg(0, forward(L1, 'append', a, createBitmap(2), 2), 2);
  const lines = d.outs.flatMap((o) => o.log.map((e) => formatInstanceLine(e, 1)));
  t.same(
    lines.filter((l) => l.startsWith('commit')),
    ['commit Instance[key1_1_0] in seq 1 at 1'],
    'committed up to 1 before the crash',
  );
  d.msg(0, forward(L1, 'append', [rec(3, L1, set('c', 3))], createBitmap(2), 3), 3, false); // not fsynced
  const r = restart(d, lines, 10);
  t.ok(leaderIdEq(r.state.committer, L1), 'committer recovered');
  t.same([...r.state.log.keys()].sort(), [0, 1, 2], 'acked records recovered, the unsynced one lost');
  t.equal(r.state.loggedUpTo, 1, 'loggedUpTo from the instance log');
  r.msg(0, forward(L1, 'heartbeat', [], createBitmap(3), 4), 11);
  const again = r.outs
    .flatMap((o) => o.log)
    .filter((e) => e.event === 'commit')
    .map((e) => e.seq);
  t.same(again, [2], 'only seq 2 gets a new commit line (1 was logged before the crash)');
});

t.test('D31: a replica with nothing durable elects early and holds no lease; one that voted keeps both waits', async (t) => {
  const timing = { ...replica(1, 3).timing, freshStart: true };
  const E = timing.electionTimeoutMs;
  const H = timing.heartbeatIntervalMs;
  const config = { clusterId: 'c', members: [1, 2, 3] };
  for (let i = 0; i < 50; i++) {
    const random = new SeededRandom(`fresh-${i}`);
    const fresh = restartReplica({ self: 1, config, timing, nowMs: 5_000, random });
    t.ok(
      fresh.electionDeadlineMs >= 5_000 + H && fresh.electionDeadlineMs < 5_000 + H + E,
      `fresh deadline in [H, H + E): ${fresh.electionDeadlineMs}`,
    );
    t.ok(5_000 - fresh.lastLeaderContactMs >= E, 'a fresh start is not leader contact (V2 grants at once)');
  }
  // A vote that reached the WAL may have been granted: its leader may hold a lease on it.
  const d = new Driver(replica(1, 3, {}, -10_000, timing));
  d.msg(2, electReq(L(3, 2), null, EMPTY_BITMAP), 0, true);
  const voted = restartReplica({
    self: 1,
    config,
    timing,
    nowMs: 5_000,
    random: new SeededRandom('voted'),
    durable: replayWal(durableBatches(d)),
  });
  t.same(voted.vote, L(3, 2), 'the durable vote survived');
  t.ok(voted.electionDeadlineMs >= 5_000 + E && voted.electionDeadlineMs < 5_000 + 2 * E, 'a replica that voted waits [E, 2E)');
  t.equal(voted.lastLeaderContactMs, 5_000, 'and counts its restart as leader contact (V2)');
  const off = restartReplica({ self: 1, config, timing: { ...timing, freshStart: false }, nowMs: 5_000, random: new SeededRandom('off') });
  t.ok(off.electionDeadlineMs >= 5_000 + E, 'without freshStart (the design, scripted tests) a first start waits E too');
});

t.test('D31: a follower answers a leader only once that leader’s ballot is durable, so whoever acked is never fresh', async (t) => {
  const timing = { ...replica(1, 3).timing, freshStart: true };
  const E = timing.electionTimeoutMs;
  const d = new Driver(replica(1, 3, {}, -10_000, timing));
  const req = forward(L(1, 2), 'append', [rec(0, L(1, 2), set('a', 1))], EMPTY_BITMAP, 1);
  t.same(sentOf(d.msg(2, req, 0, false), 'ForwardReply'), [], 'no ack while the adopted ballot is not durable');
  const crashed = restart(d, [], 10); // restart() replays only the batches persisted so far: none
  t.same(crashed.state.vote, L(0, 1), 'the crash lost the ballot');
  const config = { clusterId: 'c', members: [1, 2, 3] };
  const again = restartReplica({
    self: 1,
    config,
    timing,
    nowMs: 10,
    random: new SeededRandom('again'),
    durable: replayWal(durableBatches(d)),
  });
  t.ok(10 - again.lastLeaderContactMs >= E, 'it acked nothing, so it restarts fresh');
  const acks = sentOf(d.persistAll(0), 'ForwardReply');
  t.equal(acks.length, 1, 'the ack leaves once the batch is durable');
  const durable = replayWal(durableBatches(d));
  t.same(durable.vote, L(1, 2), 'and with it the leader’s ballot');
  const after = restartReplica({ self: 1, config, timing, nowMs: 20, random: new SeededRandom('after'), durable });
  t.equal(after.lastLeaderContactMs, 20, 'a replica that acked keeps the lease wait (V2) after a restart');
});
