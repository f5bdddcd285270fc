// leader.test: per-follower replication on one leader (docs/protocols/traft.md §6.3): probe then
// Sync, Sync chunks, need-sync → full resend (→ from 0 if that fails too), retransmission of lost
// appends after the rpc timeout, at most maxInflight appends outstanding, heartbeats every H;
// a need-keys reply fences off the reports of replies to older requests (a restarted follower).
import t from 'tap';
import type { ForwardReply, ForwardReq, InstallSnapshotReq } from './messages.js';
import { createBitmap, EMPTY_BITMAP, firstMissing } from './tail_bitmap.js';
import { ack, Driver, electedLeader, grant, L, rec, replica, sentOf, set, TIMING } from './testkit.js';

function forwards(sends: Driver['outs'][number]['send'], to: number): ForwardReq[] {
  return sentOf(sends, 'ForwardReq')
    .filter((e) => e.to === to)
    .map((e) => e.msg);
}

t.test('a follower that did not answer the election is probed, then synced', async (t) => {
  const { d, id } = electedLeader(3); // quorum at the first grant: 2's grant came after the merge
  t.ok(d.state.leader!.progress.get(1)!.known, 'the granting follower is known');
  t.notOk(d.state.leader!.progress.get(2)!.known, 'the other is not');
  const probe = forwards(
    d.outs.flatMap((o) => o.send),
    2,
  );
  t.same(
    probe.map((m) => m.kind),
    ['heartbeat'],
    'an unknown follower gets a heartbeat probe first',
  );
  const reply = { ...ack(id, EMPTY_BITMAP), committer: null, vote: id, reqId: probe[0]!.reqId };
  const next = forwards(d.msg(2, reply, 11), 2);
  t.same(
    next.map((m) => m.kind),
    ['sync'],
    'its answer starts the Sync at once',
  );
  t.equal(next[0]!.lo, 0);
});

/** leaderWithBase: replica 0 holds 5 records of (1,0), campaigns as (2,0), wins with 1's grant: baseTail 5. */
function leaderWithBase(): { d: Driver; id: ReturnType<typeof L> } {
  const L1 = L(1, 0);
  const records = [0, 1, 2, 3, 4].map((i) => rec(i, L1, set(`b${i}`, i)));
  const d = new Driver(replica(0, 3, { vote: L1, committer: L1, records }, -10_000));
  d.state.electionDeadlineMs = 0;
  d.tick(0);
  const id = d.state.vote;
  d.msg(1, grant(id, { committer: L1, accepted: createBitmap(5), committed: createBitmap(1) }), 1);
  if (d.state.leader === null) throw new Error('not established');
  return { d, id };
}

t.test('need-sync → full resend; a failing full Sync restarts from 0', async (t) => {
  const { d, id } = leaderWithBase();
  t.equal(d.state.leader!.baseTail, 5);
  const pr = d.state.leader!.progress.get(1)!;
  const s1 = forwards(
    d.outs.flatMap((o) => o.send),
    1,
  ).filter((m) => m.kind === 'sync');
  t.equal(s1[0]?.lo, 1, 'lo = the follower’s own committed frontier');
  t.same(s1[0]?.records, [], 'it holds the whole base (same committer): nothing shipped, digest only');
  t.equal(s1[0]?.digest?.length, 4, 'digest for [lo, baseTail)');
  const needSync = (reqId: number) => ({
    type: 'ForwardReply' as const,
    leader: id,
    ok: false,
    reason: 'need-sync' as const,
    vote: id,
    committer: L(1, 0),
    accepted: createBitmap(1),
    committed: EMPTY_BITMAP,
    reqId,
  });
  const s2 = forwards(d.msg(1, needSync(s1[0]!.reqId), 4), 1).filter((m) => m.kind === 'sync');
  t.ok(pr.syncFull, 'need-sync → full');
  t.same(
    s2[0]?.records.map((r) => r.seq),
    [1, 2, 3, 4],
    'the whole range is shipped',
  );
  const s3 = forwards(d.msg(1, needSync(s2[0]!.reqId), 5), 1).filter((m) => m.kind === 'sync');
  t.equal(s3[0]?.lo, 0, 'the full Sync failed too: restart from 0');
  const old = forwards(d.msg(1, needSync(s1[0]!.reqId), 6), 1).filter((m) => m.kind === 'sync');
  t.same(old, [], 'a need-sync older than the current attempt is ignored');
});

t.test('lost appends are resent after the rpc timeout; at most maxInflight outstanding', async (t) => {
  const { d, id } = electedLeader(3);
  d.msg(1, ack(id, createBitmap(1)), 2);
  const appends: ForwardReq[] = [];
  for (let i = 0; i < 10; i++) {
    const out = d.step({ type: 'propose', cmd: set(`k${i}`, i), logKey: `p${i}` }, 3);
    appends.push(...forwards(out.send, 1).filter((m) => m.kind === 'append'));
  }
  t.equal(appends.length, d.state.timing.maxInflight, 'stops at maxInflight requests');
  t.same(
    appends.flatMap((m) => m.records.map((r) => r.seq)),
    [1, 2, 3, 4],
  );
  const H = d.state.timing.heartbeatIntervalMs;
  const later = [...forwards(d.tick(3 + H), 1), ...forwards(d.tick(3 + H + 30), 1)].filter((m) => m.kind === 'append');
  const resent = later.flatMap((m) => m.records.map((r) => r.seq));
  t.ok(resent.includes(1) && resent.includes(10), `timed-out positions return to the pool (${resent.join(',')})`);
});

t.test("past maxInflight, only full appends go out, up to fullInflight more (a real rank's flow control, §9.3)", async (t) => {
  const { d, id } = electedLeader(3, { ...TIMING, maxBatch: 2, maxInflight: 2, fullInflight: 2 });
  d.msg(1, ack(id, createBitmap(1)), 2);
  const sent: number[][] = [];
  for (let i = 0; i < 8; i++) {
    const out = d.step({ type: 'propose', cmd: set(`k${i}`, i), logKey: `p${i}` }, 3);
    sent.push(
      ...forwards(out.send, 1)
        .filter((m) => m.kind === 'append')
        .map((m) => m.records.map((r) => r.seq)),
    );
  }
  t.same(sent, [[1], [2], [3, 4], [5, 6]], 'two appends as they come, then two full ones, then none');
  t.equal(d.state.leader!.progress.get(1)!.inflight.size, 4, 'maxInflight + fullInflight outstanding');
});

t.test('an idle follower gets a heartbeat every H, carrying committed', async (t) => {
  const { d, id } = electedLeader(3);
  d.msg(1, ack(id, createBitmap(1)), 2);
  d.msg(2, ack(id, createBitmap(1)), 2);
  const H = d.state.timing.heartbeatIntervalMs;
  t.same(forwards(d.tick(2 + H / 2), 1), [], 'nothing before H');
  const hb = forwards(d.tick(2 + H), 1);
  t.same(
    hb.map((m) => m.kind),
    ['heartbeat'],
  );
  t.same(hb[0]!.committed, createBitmap(1), 'commit propagation (§6.5)');
  t.ok(d.outs.at(-2)!.wakeAtMs <= 2 + H, 'the core asked to be woken by then');
});

/**
 * leaderWithSnapshot: replica 0 restarted from a snapshot at floor 10 (KEYs k0..k9), campaigns,
 * wins with 1's grant; 2, silent in the election, is unknown and gets a probe.
 */
function leaderWithSnapshot(): { d: Driver; id: ReturnType<typeof L> } {
  const floor = 10;
  const keys = Array.from({ length: floor }, (_, p) => `k${p}`);
  const snapshot = { type: 'snapshot' as const, snapshot: { floor, applied: createBitmap(floor), kv: [] }, keysFrom: 0, keys };
  const d = new Driver(replica(0, 3, { vote: L(1, 0), committer: L(1, 0), snapshot }, -10_000));
  d.state.electionDeadlineMs = 0;
  d.tick(0);
  const id = d.state.vote;
  d.msg(1, grant(id, { committer: L(1, 0), accepted: createBitmap(floor), committed: createBitmap(floor) }), 1);
  if (d.state.leader === null) throw new Error('not established');
  return { d, id };
}

t.test('need-keys fences off replies to requests sent before it arrived: their stale marks are not merged back', async (t) => {
  const { d, id } = leaderWithSnapshot();
  const H = TIMING.heartbeatIntervalMs;
  const probe = forwards(
    d.outs.flatMap((o) => o.send),
    2,
  )[0]!;
  // before its restart, 2 reported [0, 8) committed (no committer of ours: unsynced)
  const report = (reqId: number, committed: number, extra: Partial<ForwardReply> = {}): ForwardReply => ({
    ...ack(id, createBitmap(committed), reqId, createBitmap(committed)),
    committer: null,
    ...extra,
  });
  const installs = (sends: Driver['outs'][number]['send']) => sentOf(sends, 'InstallSnapshotReq').filter((e) => e.to === 2);
  const r1 = installs(d.msg(2, report(probe.reqId, 8), 10))[0]?.msg;
  t.equal(r1?.shipment.keysFrom, 8, 'KEYs from its reported frontier');
  // a heartbeat goes out while the install is in flight; 2 answers it before restarting, slowly
  const hb = forwards(d.tick(10 + H), 2).find((m) => m.kind === 'heartbeat');
  t.ok(hb !== undefined && hb.reqId > r1!.reqId, 'a heartbeat sent after the install');
  // 2 restarted with KEYs to 3 only: need-keys
  const needKeys = report(r1!.reqId, 3, { ok: false, reason: 'need-keys', keysTo: 3 });
  const r2 = installs(d.msg(2, needKeys, 20 + H))[0]?.msg;
  t.equal(r2?.shipment.keysFrom, 3, 'the next install ships KEYs from its real frontier');
  // the delayed pre-restart replies: a copy of the probe's answer, and the heartbeat's
  d.msg(2, report(probe.reqId, 8), 30 + H);
  d.msg(2, report(hb!.reqId, 8, { keysTo: 8 }), 31 + H);
  const pr = d.state.leader!.progress.get(2)!;
  t.equal(firstMissing(pr.committed), 3, 'their marks were not merged');
  t.equal(pr.keysTo, 3, 'nor their keysTo');
  // r2 is lost: after the rpc timeout and the backoff, the install is resent
  let r3: InstallSnapshotReq | undefined;
  for (let now = 40 + H; r3 === undefined && now < 40 + 10 * H; now += 5) r3 = installs(d.tick(now))[0]?.msg;
  t.ok(r3 !== undefined && r3.shipment.keysFrom <= 3, `the resent install starts at or below its reach 3 (${r3?.shipment.keysFrom})`);
  // a reply to a request sent after the fence counts: installed, it reports [0, 10), and a Sync follows from 10
  const sync = forwards(d.msg(2, report(r3!.reqId, 10, { keysTo: 10 }), 50 + 10 * H), 2).find((m) => m.kind === 'sync');
  t.equal(firstMissing(pr.committed), 10, 'its report after the fence is merged');
  t.equal(sync?.lo, 10, 'and the Sync starts at it');
});
