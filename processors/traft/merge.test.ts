// merge.test: elections that must keep chosen records (docs/protocols/traft.md §5.5, §5.7): T4 (A
// on a majority, any vote quorum), T5 (A on the old leader only), T6 (a lower-committer voter's
// record at a hole is ignored), T7 (the §5.7 example, both ways), and regressions §12.1 and §12.6.
import t from 'tap';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import type { LogRecord } from './record.js';
import { createBitmap, hasSeq } from './tail_bitmap.js';
import { among, grant, L, MiniNet, rec, replica, set, type Route } from './testkit.js';

/** fiveUnderL1: 5 empty replicas (leases lapsed); R0 wins (1,0) and syncs everyone. */
function fiveUnderL1(): MiniNet {
  const net = new MiniNet([0, 1, 2, 3, 4].map((r) => replica(r, 5, {}, -10_000)));
  net.campaign(0);
  net.run();
  if (net.d(0).state.leader === null) throw new Error('R0 not established');
  return net;
}

const appendsOnlyTo =
  (...to: number[]) =>
  (r: Route): boolean =>
    !(r.msg.type === 'ForwardReq' && r.msg.kind === 'append' && !to.includes(r.to));

function holds(net: MiniNet, rank: number, seq: number, author: LeaderId, key: string): boolean {
  const r = net.d(rank).state.log.get(seq);
  return r !== undefined && leaderIdEq(r.author, author) && r.logKey === key;
}

t.test('T4: A chosen on a majority; every quorum that elects a successor has A', async (t) => {
  let elected = 0;
  for (const c of [1, 2, 3, 4]) {
    const others = [1, 2, 3, 4].filter((x) => x !== c);
    for (let i = 0; i < others.length; i++) {
      for (let j = i + 1; j < others.length; j++) {
        const net = fiveUnderL1();
        net.propose(0, set('a', 1), 'A');
        net.run(appendsOnlyTo(1, 2));
        t.ok(hasSeq(net.d(0).state.committed, 1), 'A committed at 1 on R0');
        net.crash(0);
        net.nowMs += 5000;
        net.campaign(c);
        net.run(among(c, others[i]!, others[j]!));
        const s = net.d(c).state;
        if (s.leader !== null) {
          elected++;
          t.ok(holds(net, c, 1, L(1, 0), 'A'), `R${c} via {${others[i]},${others[j]}} has A@1`);
        }
      }
    }
  }
  t.ok(elected >= 6, `some quorums elect (${elected})`);
});

t.test('T5: A on the old leader only → replaced by a no-op everywhere, never committed', async (t) => {
  const net = fiveUnderL1();
  net.propose(0, set('a', 1), 'A');
  net.run(appendsOnlyTo());
  net.nowMs += 5000;
  net.campaign(1);
  net.run(among(1, 2, 3));
  const L2 = net.d(1).state.vote;
  t.ok(net.d(1).state.leader !== null, 'R1 leads');
  t.equal(net.d(1).state.log.get(1)?.kind, 'noop', 'position 1 is the new tail no-op');
  net.settle();
  t.ok(leaderIdEq(net.d(0).state.committer, L2), 'R0 synced to the new leader');
  t.equal(net.d(0).state.log.get(1)?.kind, 'noop', 'A replaced on R0');
  t.notOk(
    [0, 1, 2, 3, 4].some((r) => net.d(r).logLines().includes('commit 1 A')),
    'A committed nowhere',
  );
});

t.test('T6: a lower-committer voter holding a record at a merge hole is ignored', async (t) => {
  const L1 = L(1, 0);
  const L2 = L(2, 3);
  const mine = [rec(0, L2, set('a', 1)), rec(1, L2, set('b', 1)), rec(3, L2, set('d', 1))];
  const net = new MiniNet([replica(1, 5, { vote: L2, committer: L2, records: mine }, -10_000)]);
  net.campaign(1);
  const cand = net.d(1).state.vote;
  const x2: LogRecord = rec(2, L1, set('x', 1));
  net.d(1).msg(2, grant(cand, { committer: L1, accepted: createBitmap(3), records: [x2] }), 1);
  net.d(1).msg(4, grant(cand), 1);
  const s = net.d(1).state;
  t.ok(s.leader !== null, 'established');
  t.equal(s.log.get(2)?.kind, 'noop', 'hole 2 filled with a no-op, not X');
  t.ok(leaderIdEq(s.log.get(2)!.author, cand));
});

t.test('T7: README diagram — L3 has A whichever quorum elects it', async (t) => {
  for (const way of ['{R2,R3}', '{R0,R1}'] as const) {
    const net = fiveUnderL1();
    net.propose(0, set('a', 1), 'A');
    net.run(appendsOnlyTo(1, 2)); // R0 L1 A; R1 A; R2 A
    net.propose(0, set('c', 1), 'C');
    net.run(appendsOnlyTo(3)); // R3's log is longest, so it can win L2 (V3 length tie-break)
    net.crash(0);
    net.nowMs += 5000;
    net.campaign(3);
    net.run(among(2, 3, 4)); // R3 L2: A shipped by R2
    t.ok(net.d(3).state.leader !== null && holds(net, 3, 1, L(1, 0), 'A'), 'L2 merged A');
    t.ok(holds(net, 4, 1, L(1, 0), 'A'), 'and synced it to R4');
    net.propose(3, set('b', 1), 'B');
    net.run(() => false); // B stays on R3
    net.crash(3);
    net.nowMs += 5000;
    if (way === '{R2,R3}') {
      net.restart(3);
      net.nowMs += 5000;
      net.campaign(3);
      net.run(among(2, 3, 4));
      t.ok(net.d(3).state.leader !== null && holds(net, 3, 1, L(1, 0), 'A'), `L3 via ${way}: has A`);
    } else {
      net.restart(0);
      net.nowMs += 5000;
      net.campaign(4);
      net.run(among(0, 1, 4));
      t.ok(net.d(4).state.leader !== null && holds(net, 4, 1, L(1, 0), 'A'), `L3 via ${way}: has A`);
    }
  }
});

t.test('§12.1: merged records are re-replicated; R2 (3,2) still has A', async (t) => {
  const net = fiveUnderL1();
  net.propose(0, set('a', 1), 'A');
  net.run(appendsOnlyTo(1, 2));
  t.ok(hasSeq(net.d(0).state.committed, 1), 'A committed on R0');
  net.crash(0);
  net.nowMs += 5000;
  net.campaign(1);
  net.run(among(1, 3, 4)); // R1 wins (2,1) with R3, R4 and syncs them (A included)
  net.propose(1, set('b', 1), 'B');
  net.settle(4, among(1, 2, 3, 4)); // R2 is probed, synced, then gets B
  t.ok(holds(net, 2, 1, L(1, 0), 'A'), 'R2 kept A (Sync, not erase)');
  net.crash(1);
  net.nowMs += 5000;
  net.campaign(2);
  net.run(among(2, 3, 4));
  t.ok(net.d(2).state.leader !== null, 'R2 wins (3,2) with R3, R4');
  t.ok(holds(net, 2, 1, L(1, 0), 'A'), 'A at 1 in the new base');
});

t.test('§12.6: no placeholder is shipped; the hole becomes a no-op; no crash', async (t) => {
  const L1 = L(1, 0);
  const r0 = rec(0, L1, set('z', 0));
  const r2 = rec(2, L1, set('x', 2), { deps: createBitmap(0, 1), overrides: [1, 2] });
  const r3 = rec(3, L1, set('y', 1));
  const net = new MiniNet([
    replica(1, 3, { vote: L1, committer: L1, records: [r0, r2] }, -10_000),
    replica(2, 3, { vote: L1, committer: L1, records: [r0, r3] }, -10_000),
  ]);
  net.campaign(2);
  const shipped: number[][] = [];
  net.run((r) => {
    if (r.msg.type === 'ElectReply') shipped.push(r.msg.records.map((x) => x.seq));
    return true;
  });
  t.same(shipped, [[2]], 'R1 ships exactly the record R2 lacks');
  const s = net.d(2).state;
  t.ok(s.leader !== null);
  t.equal(s.log.get(1)?.kind, 'noop', '1 filled');
  t.ok(holds(net, 2, 2, L1, r2.logKey) && holds(net, 2, 3, L1, r3.logKey));
});
