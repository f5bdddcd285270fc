// voter.test: the voter table V1–V4 and the shipped records E1–E4 (T2), plus parking a grant
// until the vote is durable (docs/protocols/traft.md §8.2) and T28's restarted voter.
import t from 'tap';
import { defaultTiming } from './config.js';
import { compareLeaderId, leaderIdEq, type LeaderId } from './leader_id.js';
import { bitmapOf, createBitmap, type TailBitmap } from './tail_bitmap.js';
import { Driver, electReq, forward, L, rec, replica, sentOf, set } from './testkit.js';

const VOTE = L(5, 1);
const COMMITTER = L(4, 1);
const records = [rec(0, COMMITTER, set('a', 1)), rec(1, COMMITTER, set('b', 1)), rec(2, COMMITTER, set('c', 1))];

const candidates: Array<[string, LeaderId]> = [
  ['<', L(5, 0)],
  ['=', VOTE],
  ['>', L(6, 2)],
];
const committers: Array<[string, LeaderId]> = [
  ['<', L(3, 0)],
  ['=', COMMITTER],
  ['>', L(4, 2)],
];
const logs: Array<[string, TailBitmap]> = [
  ['shorter', createBitmap(2)],
  ['longer', bitmapOf([0, 3])],
];

t.test('T2: V1–V4 × E1–E3 over candidate × committer × log length × lease', async (t) => {
  for (const lease of [true, false]) {
    for (const [cn, cand] of candidates) {
      for (const [mn, committer] of committers) {
        for (const [ln, accepted] of logs) {
          const timing = { ...defaultTiming(1000), leaseProtection: lease };
          const d = new Driver(replica(3, 5, { vote: VOTE, committer: COMMITTER, records }, -5000, timing));
          d.msg(1, forward(VOTE, 'heartbeat', [], createBitmap(0), 1), 0); // leaderHint = VOTE, contact at t=0
          const sends = d.msg(2, electReq(cand, committer, accepted), 500);
          const reply = sentOf(sends, 'ElectReply')[0]?.msg;
          const name = `lease ${lease} cand ${cn} committer ${mn} ${ln}`;
          let want: string | null = null;
          if (compareLeaderId(cand, VOTE) < 0) want = 'stale-ballot';
          else if (lease && !leaderIdEq(cand, VOTE)) want = 'leader-alive';
          else if (compareLeaderId(committer, COMMITTER) < 0) want = 'stale-log';
          else if (leaderIdEq(committer, COMMITTER) && ln === 'shorter') want = 'stale-log';
          t.ok(reply, `${name}: replied`);
          if (!reply) continue;
          t.equal(reply.granted, want === null, `${name}: granted iff V4`);
          t.equal(reply.reason ?? null, want, `${name}: reason`);
          t.ok(leaderIdEq(reply.vote, d.state.vote) && leaderIdEq(reply.committer, COMMITTER), `${name}: E4 state in reply`);
          if (want === null) {
            t.same(d.state.vote, cand, `${name}: vote = candidate (V4)`);
            const shipped = reply.records.map((r) => r.seq);
            t.same(shipped, leaderIdEq(committer, COMMITTER) ? [1, 2] : [], `${name}: E1 ships what the candidate lacks / E2 nothing`);
          } else {
            t.same(reply.records, [], `${name}: a refusal ships nothing`);
          }
        }
      }
    }
  }
});

t.test('a grant is parked until the vote is durable', async (t) => {
  const d = new Driver(replica(1, 3, {}, -5000));
  const sends = d.msg(2, electReq(L(1, 2), null, createBitmap(0)), 0, false);
  t.same(sentOf(sends, 'ElectReply'), [], 'nothing sent before persisted');
  const released = d.persistAll(1);
  t.equal(sentOf(released, 'ElectReply')[0]?.msg.granted, true, 'released after persisted');
  t.same(d.outs[0]!.persist[0]!.entries, [{ type: 'vote', vote: L(1, 2) }], 'the batch holds the vote');
});

t.test('other-cluster and duplicates', async (t) => {
  const d = new Driver(replica(1, 3, {}, -5000));
  const other = { ...electReq(L(1, 2), null, createBitmap(0)), clusterId: 'elsewhere' };
  t.equal(sentOf(d.msg(2, other, 0), 'ElectReply')[0]?.msg.reason, 'other-cluster');
  const a = sentOf(d.msg(2, electReq(L(1, 2), null, createBitmap(0)), 1), 'ElectReply')[0]?.msg;
  const b = sentOf(d.msg(2, electReq(L(1, 2), null, createBitmap(0)), 2), 'ElectReply')[0]?.msg;
  t.ok(a?.granted && b?.granted, 're-granting the same LeaderId is allowed (duplicates)');
  t.equal(sentOf(d.msg(0, electReq(L(1, 0), null, createBitmap(0)), 3), 'ElectReply')[0]?.msg.reason, 'stale-ballot', '(1,0) < (1,2)');
});

t.test('T28: a restarted voter grants nothing within E of restart; then (t,1) then (t,2)', async (t) => {
  const d = new Driver(replica(0, 3, { vote: L(3, 1) }, 10_000));
  const early = sentOf(d.msg(1, electReq(L(4, 1), null, createBitmap(0)), 10_500), 'ElectReply')[0]?.msg;
  t.equal(early?.reason, 'leader-alive', 'restart time counts as leader contact (V2)');
  const first = sentOf(d.msg(1, electReq(L(4, 1), null, createBitmap(0)), 11_001), 'ElectReply')[0]?.msg;
  const second = sentOf(d.msg(2, electReq(L(4, 2), null, createBitmap(0)), 11_002), 'ElectReply')[0]?.msg;
  const back = sentOf(d.msg(1, electReq(L(4, 1), null, createBitmap(0)), 11_003), 'ElectReply')[0]?.msg;
  t.ok(first?.granted && second?.granted, 'a larger id of the same term may be granted after a smaller one');
  t.equal(back?.reason, 'stale-ballot', 'but never back down');
});
