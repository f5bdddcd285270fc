// leader.test: a `leader` target resolves to the ready rank claiming the highest round, never
// to a killed, paused or restarting one, nor to an amnesiac restarted slot owner (issue 11, hole 8).
import t from 'tap';
import { resolveLeader, type LeaderView } from './leader.js';

const ready = (rank: number, round?: number, leading = true): LeaderView => ({
  rank,
  state: 'ready',
  able: true,
  ...(round === undefined ? {} : { claim: { round, leading } }),
});

t.test('the ready rank claiming the highest round', async (t) => {
  t.equal(resolveLeader([ready(0, 3), ready(1, 7), ready(2, 5)]), 1);
  t.equal(resolveLeader([ready(0), ready(1)]), undefined, 'no claim: no leader known');
  t.equal(resolveLeader([ready(0, 9, false), ready(1, 4)]), 1, 'a leader that stepped down is not the leader');
});

t.test('killed, paused and restarting ranks are skipped, whatever they claimed', async (t) => {
  for (const state of ['killed', 'paused', 'restarting', 'exited'] as const) {
    t.equal(resolveLeader([{ ...ready(0, 9), state }, ready(1, 4)]), 1, `not the ${state} rank`);
  }
});

t.test('hole 8: a restarted slot owner that cannot lead is not the leader', async (t) => {
  // rank 0 was killed and restarted (amnesiac: no claim since); the slot clock says round 6 is
  // rank 0's (6 % 3), but the newest claim is rank 2's round 5.
  const views = [{ rank: 0, state: 'ready' as const, able: false }, ready(1, 4), ready(2, 5)];
  t.equal(resolveLeader(views, { round: 6, leader: 0 }), 2);
  // the same slot owner, able to lead (its first incarnation), is taken before its claim arrives
  t.equal(resolveLeader([ready(0), ready(1, 4), ready(2, 5)], { round: 6, leader: 0 }), 0);
  // an expected round no newer than the newest claim changes nothing
  t.equal(resolveLeader([ready(0), ready(1, 6)], { round: 6, leader: 0 }), 1);
  // a paused slot owner is not taken
  t.equal(resolveLeader([{ ...ready(0), state: 'paused' }, ready(1, 5)], { round: 6, leader: 0 }), 1);
});
