// prevote.test: the election rules a starved machine needs (docs/protocols/traft.md §5.1, §9.3,
// §11 D28–D30), each shown to matter: without it, the same script ends differently.
// D28 pre-vote: a follower that stopped hearing its (live) leader asks first and raises no vote,
// so the leader is not deposed; a voter's answer changes nothing. D29 backoff: failed elections
// spread the next deadline, capped; hearing a leader ends it. D30: the silence timers act only
// on a tick, so a message stepped first can still end the silence.
import t, { type Test } from 'tap';
import { defaultTiming, type Timing } from './config.js';
import { leaderIdEq } from './leader_id.js';
import { createBitmap } from './tail_bitmap.js';
import { MAX_BACKOFF_E } from './timers.js';
import { Driver, electReq, forward, L, MiniNet, replica, sentOf } from './testkit.js';

const E = 1000;
const BASE: Timing = defaultTiming(E);
const OURS: Timing = { ...BASE, preVote: true, electionBackoff: true, silenceOnTick: true };

/** withLeader: rank 0 leads the other n − 1, everything delivered; all ranks on `timing`. */
function withLeader(timing: Timing, n = 3): MiniNet {
  const net = new MiniNet(Array.from({ length: n }, (_, r) => replica(r, n, {}, -10 * E, timing)));
  net.campaign(0);
  net.run();
  net.settle(2);
  if (net.d(0).state.leader === null) throw new Error('withLeader: rank 0 did not establish');
  return net;
}

/** isolatedTimeout: rank 2 hears nothing for 2E (its deadline passes), then the network heals. */
function isolatedTimeout(t: Test, timing: Timing): MiniNet {
  const net = withLeader(timing);
  const leader = net.d(0).state.vote;
  net.settle((2 * (2 * E)) / (BASE.heartbeatIntervalMs / 2), (r) => r.to !== 2 && r.from !== 2);
  net.d(2).state.electionDeadlineMs = net.nowMs; // its deadline passed while it heard nothing
  net.campaign(2);
  net.run();
  net.settle(4);
  t.ok(leaderIdEq(net.d(1).state.vote, leader), 'the other follower kept its vote');
  return net;
}

t.test('D28: a follower cut off from a live leader pre-votes and rejoins; without pre-vote it deposes the leader', async (t) => {
  const ours = isolatedTimeout(t, OURS);
  t.ok(ours.d(0).state.leader !== null, 'with pre-vote: the leader still leads');
  t.equal(ours.d(2).state.vote.term, ours.d(0).state.vote.term, 'the rejoined follower raised no term');
  t.equal(ours.d(2).state.preVote, null, 'its pre-vote ended when it heard the leader');
  const seed = isolatedTimeout(t, BASE);
  t.equal(seed.d(0).state.leader, null, 'without pre-vote: the leader stepped down on the larger vote');
});

t.test('D28: a pre-vote raises no vote, writes nothing, and asks every other member', async (t) => {
  const d = new Driver(replica(1, 3, { vote: L(4, 0) }, 0, OURS));
  d.state.electionDeadlineMs = 0;
  const out = d.step({ type: 'tick' }, 2 * E);
  t.ok(leaderIdEq(d.state.vote, L(4, 0)), 'vote unchanged');
  t.same(out.persist, [], 'no WAL batch');
  const reqs = sentOf(out.send, 'ElectReq');
  t.same(
    reqs.map((r) => r.to),
    [0, 2],
    'sent at once to the others',
  );
  t.ok(
    reqs.every((r) => r.msg.pre === true && leaderIdEq(r.msg.candidate, L(5, 1))),
    'a pre-vote for (5,1)',
  );
  const grant = (from: number): void => {
    d.step(
      {
        type: 'message',
        from,
        msg: {
          type: 'ElectReply',
          candidate: L(5, 1),
          granted: true,
          pre: true,
          vote: L(4, 0),
          committer: null,
          accepted: createBitmap(0),
          committed: createBitmap(0),
          records: [],
        },
      },
      2 * E + 1,
    );
  };
  grant(2);
  t.ok(leaderIdEq(d.state.vote, L(5, 1)), 'a quorum of would-grants: it campaigns for real');
  t.equal(d.state.preVote, null, 'the pre-vote is over');
});

t.test('D28: a voter answers a pre-vote without voting; a voter hearing its leader refuses it', async (t) => {
  const d = new Driver(replica(2, 3, { vote: L(4, 0) }, -10 * E, OURS));
  const pre = { ...electReq(L(5, 1), null, createBitmap(0)), pre: true as const };
  const free = d.step({ type: 'message', from: 1, msg: pre }, 0);
  t.same(free.persist, [], 'nothing written');
  t.ok(leaderIdEq(d.state.vote, L(4, 0)), 'vote unchanged');
  t.equal(d.state.maxTermSeen, 4, 'no term raised by a pre-vote');
  t.match(sentOf(free.send, 'ElectReply')[0]?.msg, { pre: true, granted: true }, 'would grant: no leader heard');
  d.msg(0, forward(L(4, 0), 'heartbeat', [], createBitmap(0), 1), 10);
  const busy = d.step({ type: 'message', from: 1, msg: pre }, 20);
  t.match(sentOf(busy.send, 'ElectReply')[0]?.msg, { pre: true, granted: false, reason: 'leader-alive' }, 'refused: its leader is alive');
});

t.test('D29: failed elections stretch the deadline, randomized and capped; hearing a leader ends the backoff', async (t) => {
  const spans = (timing: Timing): number[] => {
    const d = new Driver(replica(1, 3, {}, 0, timing));
    const out: number[] = [];
    let now = 0;
    for (let i = 0; i < 40; i++) {
      d.state.electionDeadlineMs = now;
      d.step({ type: 'tick' }, now); // a pre-vote (ours) or a campaign (seed) nobody answers
      if (d.state.campaign !== null) {
        now = d.state.campaign.deadlineMs;
        d.step({ type: 'tick' }, now); // the campaign fails
      }
      out.push(d.state.electionDeadlineMs - now);
      now = d.state.electionDeadlineMs;
    }
    return out;
  };
  const ours = spans(OURS).slice(MAX_BACKOFF_E);
  const seed = spans(BASE).slice(MAX_BACKOFF_E);
  t.ok(Math.max(...seed) < 2 * E, `without backoff every deadline is in [E, 2E): max ${Math.max(...seed)}`);
  t.ok(Math.max(...ours) >= 2 * E, `with it, later ones go past 2E: max ${Math.max(...ours)}`);
  t.ok(Math.max(...ours) < (2 + MAX_BACKOFF_E) * E, 'but never past (2 + cap)·E');
  const d = new Driver(replica(1, 3, {}, 0, OURS));
  d.state.failedElections = 5;
  d.msg(0, forward(L(1, 0), 'heartbeat', [], createBitmap(0), 1), 100);
  t.equal(d.state.failedElections, 0, 'a leader heard: no more backoff');
  t.ok(d.state.electionDeadlineMs - 100 < 2 * E, 'the next deadline is back in [E, 2E)');
});

t.test('D30: a follower past its deadline acts on a tick, not on whatever it steps first', async (t) => {
  for (const [name, timing, campaigns] of [
    ['ours', { ...BASE, silenceOnTick: true }, false],
    ['seed', BASE, true],
  ] as const) {
    const d = new Driver(replica(1, 3, { vote: L(4, 0) }, 0, timing));
    d.state.electionDeadlineMs = 1000; // it slept past this
    // a stale reply is stepped first (the burst a late rank reads), then the leader's heartbeat
    const stale = {
      type: 'ForwardReply' as const,
      leader: L(3, 1),
      ok: true,
      vote: L(3, 0),
      committer: null,
      accepted: createBitmap(0),
      committed: createBitmap(0),
      reqId: 1,
    };
    d.step({ type: 'message', from: 2, msg: stale }, 1500);
    t.equal(d.state.vote.term > 4, campaigns, `${name}: ${campaigns ? 'campaigned on the first message' : 'waited for the tick'}`);
    if (campaigns) continue;
    d.msg(0, forward(L(4, 0), 'heartbeat', [], createBitmap(0), 1), 1500);
    d.tick(1500);
    t.ok(leaderIdEq(d.state.vote, L(4, 0)), 'ours: the heartbeat in the burst ended the silence before the tick');
  }
});

t.test('D30: a leader runs CheckQuorum on a tick, after the acks that were waiting', async (t) => {
  for (const [name, timing, stepsDown] of [
    ['ours', OURS, false],
    ['seed', BASE, true],
  ] as const) {
    const net = withLeader(timing, 5);
    const d = net.d(0);
    const id = d.state.vote;
    const late = net.nowMs + 2 * E; // the leader slept 2E: its acks are older than E, one alone is no quorum of 5
    const ack = {
      type: 'ForwardReply' as const,
      leader: id,
      ok: true,
      vote: id,
      committer: id,
      accepted: d.state.accepted,
      committed: d.state.committed,
      reqId: 0,
    };
    d.step({ type: 'message', from: 1, msg: ack }, late); // the first of the waiting acks
    t.equal(d.state.leader === null, stepsDown, `${name}: ${stepsDown ? 'stepped down before reading the rest' : 'still leads'}`);
    if (stepsDown) continue;
    for (const from of [2, 3, 4]) d.step({ type: 'message', from, msg: ack }, late);
    d.tick(late);
    t.ok(d.state.leader !== null, 'ours: both acks are fresh at the tick: it leads on');
  }
});
