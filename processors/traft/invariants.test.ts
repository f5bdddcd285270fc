// invariants.test: each invariant function flags a violating input and passes a good one, so
// a silent checker cannot hide a protocol bug in the randomized runs.
import t from 'tap';
import { createBitmap, bitmapOf, EMPTY_BITMAP } from './tail_bitmap.js';
import { incr, L, rec, set } from './testkit.js';
import {
  ballotsNeverDecrease,
  baseHoldsChosen,
  commitNeverMovesBack,
  committedAgreesWithDecided,
  oneLeaderPerBallot,
  oneValuePerSeq,
  overrideSubsumes,
  promisesKept,
  reportsKept,
  statesEqual,
  syncDeletesOnlyOnNewCommitter,
  type Chosen,
} from './invariants.js';

const L1 = L(1, 0);
const L2 = L(2, 1);
const chosen = new Map<number, Chosen>([[3, { author: L1, logKey: 'a', under: L1 }]]);
const view = (vote = L2, committer: typeof L1 | null = L1, accepted = createBitmap(5), committed = createBitmap(3)) => ({
  vote,
  committer,
  accepted,
  committed,
});
const commitEv = (author: typeof L1) => ({ type: 'commit' as const, seq: 3, author, kind: 'cmd' as const, logKey: 'a', under: L2 });

t.test('each invariant flags its violation and passes the good case', async (t) => {
  t.equal(oneValuePerSeq(chosen, commitEv(L1)), null);
  t.match(oneValuePerSeq(chosen, commitEv(L2)), /^S1/);
  t.equal(ballotsNeverDecrease(view(), view(L(3, 0))), null);
  t.match(ballotsNeverDecrease(view(), view(L(1, 4))), /vote fell/);
  t.match(ballotsNeverDecrease(view(), view(L2, null)), /committer fell/);
  t.match(ballotsNeverDecrease(view(L1, null), view(L1, L2)), /committer .* > vote/);
  t.equal(commitNeverMovesBack(view(), view(L2, L1, createBitmap(5), createBitmap(4))), null);
  t.match(commitNeverMovesBack(view(), view(L2, L1, createBitmap(5), createBitmap(2))), /backwards/);
  t.match(commitNeverMovesBack(view(), view(L2, L1, createBitmap(3), createBitmap(4))), /⊄ accepted/);
  t.equal(oneLeaderPerBallot(new Map([['(1,0)', 0]]), L2, 1), null);
  t.match(oneLeaderPerBallot(new Map([['(2,1)', 0]]), L2, 1), /two ranks/);
  t.equal(baseHoldsChosen(chosen, new Map([[3, rec(3, L1)]]), 0, L2), null);
  t.match(baseHoldsChosen(chosen, new Map([[3, rec(3, L2)]]), 0, L2), /^S2/);
  t.match(baseHoldsChosen(chosen, new Map(), 3, L2), /^S2/, 'a floor at the chosen seq does not cover it');
  t.equal(baseHoldsChosen(chosen, new Map(), 4, L2), null, 'below the floor: in the snapshot');
  t.equal(baseHoldsChosen(chosen, new Map(), 0, L1), null, 'only leaders larger than the chosen ballot must hold it');
  t.equal(syncDeletesOnlyOnNewCommitter(L1, { type: 'synced', leader: L2, deleted: [4], replaced: [] }), null);
  t.match(syncDeletesOnlyOnNewCommitter(L2, { type: 'synced', leader: L2, deleted: [4], replaced: [] }), /^S4/);
  t.equal(promisesKept({ vote: L2, committer: L1 }, view()), null);
  t.match(promisesKept({ vote: L(5, 0), committer: null }, view()), /forgot a promise/);
  t.match(promisesKept({ vote: null, committer: L2 }, view()), /lowered committer/);
  t.equal(reportsKept({ committer: L1, accepted: createBitmap(5) }, view()), null);
  t.match(reportsKept({ committer: L1, accepted: createBitmap(6) }, view()), /lost acknowledged positions 5/);
  t.equal(reportsKept({ committer: L2, accepted: createBitmap(9) }, view()), null, 'another committer: the Sync may have replaced them');
  t.equal(
    statesEqual([
      { rank: 0, state: 'x=1' },
      { rank: 1, state: 'x=1' },
    ]),
    null,
  );
  t.match(
    statesEqual([
      { rank: 0, state: 'x=1' },
      { rank: 1, state: 'x=2' },
    ]),
    /^S5/,
  );
  const log = new Map([
    [1, rec(1, L1, set('x', 1))],
    [2, rec(2, L1, incr('y'))],
    [3, rec(3, L1, set('x', 2), { overrides: [1, 2, 3] })],
  ]);
  t.equal(overrideSubsumes(log.get(3)!, log.get(1)!), null, 'set x subsumes set x');
  t.match(overrideSubsumes(log.get(3)!, log.get(2)!), /^R5/, 'set x does not subsume incr y');
  t.equal(committedAgreesWithDecided(chosen, new Map([[3, rec(3, L1)]]), bitmapOf([3])), null);
  t.match(committedAgreesWithDecided(chosen, new Map([[3, rec(3, L2)]]), bitmapOf([3])), /committed 3 holds/);
  t.equal(committedAgreesWithDecided(chosen, new Map(), EMPTY_BITMAP), null);
  t.equal(committedAgreesWithDecided(chosen, new Map(), bitmapOf([3]), 4), null, 'below the floor: in the snapshot');
});
