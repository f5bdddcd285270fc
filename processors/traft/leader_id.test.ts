// leader_id.test: LeaderId is a total lexicographic order with null as the minimum (T1).
import t from 'tap';
import { compareLeaderId, leaderId, leaderIdEq, maxLeaderId, type LeaderId } from './leader_id.js';

t.test('lexicographic total order, null = (0,0)', async (t) => {
  const ids: Array<LeaderId | null> = [null, leaderId(0, 1), leaderId(1, 0), leaderId(1, 2), leaderId(2, 1), leaderId(2, 2)];
  for (let i = 0; i < ids.length; i++) {
    for (let j = 0; j < ids.length; j++) {
      const want = Math.sign(i - j);
      t.equal(Math.sign(compareLeaderId(ids[i]!, ids[j]!)), want, `cmp #${i} #${j}`);
    }
  }
  t.ok(leaderIdEq(null, leaderId(0, 0)), 'null equals (0,0)');
  t.same(maxLeaderId(leaderId(3, 1), leaderId(3, 2)), leaderId(3, 2), 'same term: larger id wins');
  t.throws(() => leaderId(-1, 0), RangeError);
  t.throws(() => leaderId(1.5, 0), RangeError);
});
