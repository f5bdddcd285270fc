// follower.test: the follower rules F1–F8 scripted on one replica: Sync replaces, keeps and
// deletes exactly as the digest says, duplicate Syncs change nothing (I2, T22), appends before
// a Sync are refused (T8b), stale leaders are refused forever (§12.3), commit marks are imported
// only at stored positions and logged in position order (F7; docs/protocols/traft.md §6.2, §2.3).
import t from 'tap';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import type { LogRecord } from './record.js';
import { bitmapOf, createBitmap, EMPTY_BITMAP, firstMissing, hasSeq } from './tail_bitmap.js';
import { Driver, forward, L, rec, replica, sentOf, set } from './testkit.js';

const L1 = L(1, 0);
const L2 = L(2, 1);
const old = [rec(0, L1, set('a', 1)), rec(1, L1, set('b', 1)), rec(2, L1, set('c', 1)), rec(3, L1, set('d', 1))];
const base2 = [old[0]!, old[1]!, rec(2, L2)]; // L2's base: 0,1 adopted, 2 a no-op, baseTail 3

function digest(records: LogRecord[]): Array<[number, LeaderId]> {
  return records.map((r) => [r.seq, r.author]);
}

function syncReq(reqId: number, records: LogRecord[], extra = {}) {
  return forward(L2, 'sync', records, EMPTY_BITMAP, reqId, { lo: 0, baseTail: 3, digest: digest(base2), last: true, ...extra });
}

t.test('F4: Sync keeps matching records, stores staged ones, deletes past baseTail, adopts committer', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: old }));
  const sends = d.msg(1, syncReq(7, [base2[2]!]), 100, false);
  t.same(sentOf(sends, 'ForwardReply'), [], 'the ok reply waits for the batch');
  const batch = d.outs.at(-1)!.persist[0]!.entries.map((e) => e.type);
  t.same(batch, ['vote', 'record', 'delete', 'committer'], 'one batch: vote (F2), replaced record, delete, committer');
  const reply = sentOf(d.persistAll(101), 'ForwardReply')[0]?.msg;
  t.ok(reply?.ok && reply.reqId === 7, 'ok reply after persisted');
  t.ok(leaderIdEq(d.state.committer, L2));
  t.same(
    [...d.state.log.values()].map((r) => [r.seq, r.author]),
    [
      [0, L1],
      [1, L1],
      [2, L2],
    ],
  );
  t.notOk(hasSeq(d.state.accepted, 3), '3 deleted');
});

t.test('F4: a missing staged record → need-sync, nothing changes', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: old }));
  const reply = sentOf(d.msg(1, syncReq(8, []), 100), 'ForwardReply')[0]?.msg;
  t.equal(reply?.reason, 'need-sync');
  t.ok(leaderIdEq(d.state.committer, L1), 'committer unchanged');
  t.equal(d.state.log.size, 4, 'records unchanged');
});

t.test('F4: a Sync whose digest does not cover [lo, baseTail) → need-sync, no crash', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: old }));
  const r = sentOf(d.msg(1, syncReq(12, [base2[2]!], { digest: digest(base2).slice(0, 2) }), 100), 'ForwardReply')[0]?.msg;
  t.equal(r?.reason, 'need-sync');
  t.ok(leaderIdEq(d.state.committer, L1), 'nothing adopted');
});

t.test('F4 chunks: a lost first chunk → need-sync; both chunks → ok', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: [] }));
  const first = forward(L2, 'sync', [base2[0]!, base2[1]!], EMPTY_BITMAP, 9, { lo: 0, baseTail: 3, last: false });
  const last = syncReq(9, [base2[2]!]);
  t.equal(sentOf(d.msg(1, last, 100), 'ForwardReply')[0]?.msg.reason, 'need-sync', 'records 0,1 missing');
  t.same(sentOf(d.msg(1, first, 101), 'ForwardReply'), [], 'a non-last chunk is not answered');
  t.equal(sentOf(d.msg(1, last, 102), 'ForwardReply')[0]?.msg.ok, true);
  t.same(d.state.accepted, createBitmap(3));
});

t.test('T22 / I2: a delayed Sync copy after an append deletes nothing', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: old }));
  d.msg(1, syncReq(10, [base2[2]!]), 100);
  const a3 = rec(3, L2, set('x', 9));
  t.equal(sentOf(d.msg(1, forward(L2, 'append', [a3], EMPTY_BITMAP, 11), 101), 'ForwardReply')[0]?.msg.ok, true);
  const dup = sentOf(d.msg(1, syncReq(10, [base2[2]!]), 102), 'ForwardReply')[0]?.msg;
  t.equal(dup?.ok, true, 'answered ok');
  t.equal(d.outs.at(-2)!.persist.length + d.outs.at(-1)!.persist.length, 0, 'no WAL write');
  t.ok(leaderIdEq(d.state.log.get(3)?.author ?? null, L2), 'A@3 survives');
});

t.test('T8b: append before Sync → need-sync, nothing stored; heartbeat imports nothing', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: old }));
  const r = sentOf(d.msg(1, forward(L2, 'append', [rec(4, L2, set('y', 1))], EMPTY_BITMAP, 3), 100), 'ForwardReply')[0]?.msg;
  t.equal(r?.reason, 'need-sync');
  t.notOk(d.state.log.has(4), 'nothing stored');
  d.msg(1, forward(L2, 'heartbeat', [], createBitmap(4), 4), 101);
  t.same(d.state.committed, EMPTY_BITMAP, 'an unsynced follower imports no commit marks');
});

t.test('6.3 / F1: a stale leader is refused however late it arrives', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L2, committer: L1, records: old }));
  const r = sentOf(d.msg(0, forward(L1, 'append', [rec(4, L1, set('z', 1))], EMPTY_BITMAP, 5), 1_000_000), 'ForwardReply')[0]?.msg;
  t.equal(r?.reason, 'stale-leader');
  t.ok(leaderIdEq(r?.vote ?? null, L2), 'the reply carries the larger vote');
  t.notOk(d.state.log.has(4));
});

t.test('F7 and section 0: marks only at stored positions; commit lines in order below the frontier', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L1, committer: L1, records: [old[0]!, old[2]!, old[3]!] }));
  d.msg(0, forward(L1, 'heartbeat', [], bitmapOf([0, 1, 2, 3]), 1), 100);
  t.same(d.state.committed, bitmapOf([0, 2, 3]), '1 is not stored: not marked');
  t.same(d.logLines(), [`commit 0 ${old[0]!.logKey}`], 'only 0 is below the frontier');
  d.msg(0, forward(L1, 'append', [old[1]!], bitmapOf([0, 1, 2, 3]), 2), 101);
  t.equal(firstMissing(d.state.committed), 4);
  t.same(
    d.logLines().filter((l) => l.startsWith('commit')),
    old.map((r) => `commit ${r.seq} ${r.logKey}`),
    'then 1,2,3 in order',
  );
});
