// unit: the TRaft lab's unit tests (processors/traft/lab/index.ts names them per part). Each
// drives replicas of a student's core (step.js and state.js, loaded by path from the build)
// through our testkit's builders: one replica stepped by hand, or a MiniNet of three whose WAL
// batches complete at once. A failure throws one sentence naming the rule it broke.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultTiming } from '../config.js';
import { formatLeaderId, leaderIdEq } from '../leader_id.js';
import { EMPTY_BITMAP, firstMissing } from '../tail_bitmap.js';
import { Driver, electReq, incr, L, MiniNet, replica, sentOf, set, TIMING, type TraftCore } from '../testkit.js';

async function load(build: string): Promise<TraftCore> {
  const url = (f: string): string => pathToFileURL(join(build, f)).href;
  const s = (await import(url('step.js'))) as Partial<TraftCore>;
  const r = (await import(url('state.js'))) as Partial<TraftCore>;
  if (typeof s.step !== 'function' || typeof r.restartReplica !== 'function')
    throw new Error('step.js does not export step, or state.js restartReplica');
  return { step: s.step, restartReplica: r.restartReplica };
}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

/** net: three empty replicas of the core (their election timers off: the test says who campaigns). */
function net(core: TraftCore, timing = TIMING): MiniNet {
  return new MiniNet(
    [0, 1, 2].map((r) => replica(r, 3, {}, -10_000, timing, core)),
    core,
  );
}

/** elected: a MiniNet whose rank 0 won an election and is established. */
function elected(core: TraftCore, timing = TIMING): MiniNet {
  const n = net(core, timing);
  n.campaign(0);
  n.run();
  check(n.d(0).state.leader !== null, 'rank 0 campaigned in a healthy 3-rank cluster and did not become leader');
  return n;
}

const committed = (n: MiniNet, rank: number): number => firstMissing(n.d(rank).state.committed);
const kv = (n: MiniNet, rank: number): string => n.d(rank).state.applier.sm.describe();

const TESTS: Readonly<Record<string, (core: TraftCore) => void>> = {
  'voter refuses a stale ballot': (core) => {
    const d = new Driver(replica(1, 3, { vote: L(5, 2) }, -10_000, TIMING, core), core);
    const reply = sentOf(d.msg(0, electReq(L(5, 0), null, EMPTY_BITMAP), 0), 'ElectReply')[0]?.msg;
    check(reply !== undefined, 'an ElectReq got no ElectReply');
    check(
      !reply.granted && reply.reason === 'stale-ballot',
      `V1: a candidate below our vote (5.2) was ${reply.granted ? 'granted' : `refused ${reply.reason}`}, not refused stale-ballot`,
    );
    check(leaderIdEq(d.state.vote, L(5, 2)), 'a refusal changed our vote');
  },
  'voter answers a grant only once its vote is durable': (core) => {
    const d = new Driver(replica(1, 3, {}, -10_000, TIMING, core), core);
    const cand = L(3, 0);
    const before = d.msg(0, electReq(cand, null, EMPTY_BITMAP), 0, false);
    check(leaderIdEq(d.state.vote, cand), `V4: the vote is ${formatLeaderId(d.state.vote)}, not the granted candidate`);
    check(d.state.lastBatchId > d.state.persistedBatchId, 'a grant wrote no WAL batch (the vote must be durable)');
    check(sentOf(before, 'ElectReply').length === 0, 'WAL before vote (§8.2): the grant was sent before its vote was durable');
    const reply = sentOf(d.persistAll(1), 'ElectReply')[0]?.msg;
    check(reply?.granted === true, 'once the vote was durable, no granted ElectReply left');
  },
  'candidate wins with a quorum of grants': (core) => {
    const n = elected(core);
    for (const r of [1, 2]) check(leaderIdEq(n.d(r).state.vote, n.d(0).state.vote), `rank ${r} does not vote for the leader`);
  },
  'leader commits what a quorum accepted': (core) => {
    const n = elected(core);
    for (let i = 0; i < 6; i++) n.propose(0, set(`k${i % 3}`, i), `key${i}`);
    n.run();
    n.settle(4);
    const len = committed(n, 0);
    check(len >= 7, `the leader's commit frontier is ${len}, not past its no-op and 6 proposals`);
    for (const r of [1, 2]) check(committed(n, r) === len, `rank ${r} committed up to ${committed(n, r)}, the leader ${len}`);
    for (const r of [1, 2]) check(kv(n, r) === kv(n, 0), `rank ${r}'s state ${kv(n, r)} differs from the leader's ${kv(n, 0)}`);
  },
  'a set and an incr apply in log order on every rank': (core) => {
    const n = elected(core);
    n.propose(0, set('a', 5), 'keyA');
    // rank 2 misses the first appends: it gets them on the leader's resend
    n.propose(0, incr('a'), 'keyB');
    n.run((r) => !(r.to === 2 || r.from === 2) || r.msg.type !== 'ForwardReq');
    n.settle(4);
    check(kv(n, 0) === 'a=6', `after set a=5 then incr a the leader's state is "${kv(n, 0)}", not a=6`);
    for (const r of [1, 2]) check(kv(n, r) === 'a=6', `rank ${r}'s state is "${kv(n, r)}", not a=6`);
  },
  'a restarted rank keeps its vote and catches up': (core) => {
    const n = elected(core);
    const vote = n.d(2).state.vote;
    n.crash(2);
    for (let i = 0; i < 5; i++) n.propose(0, incr(`k${i % 2}`), `key${i}`);
    n.run();
    n.settle(2);
    n.restart(2);
    check(leaderIdEq(n.d(2).state.vote, vote), 'a restarted rank forgot its durable vote');
    n.settle(6);
    check(committed(n, 2) === committed(n, 0), `restarted rank 2 committed up to ${committed(n, 2)}, the leader ${committed(n, 0)}`);
    check(kv(n, 2) === kv(n, 0), `restarted rank 2's state "${kv(n, 2)}" differs from the leader's "${kv(n, 0)}"`);
  },
  'a rank behind the floor installs the snapshot': (core) => {
    const n = elected(core, { ...defaultTiming(1000), snapshotEvery: 4 });
    n.crash(2);
    for (let i = 0; i < 12; i++) n.propose(0, set(`k${i % 3}`, i), `key${i}`);
    n.run();
    n.settle(2);
    check(n.d(0).state.floor > 0, `the leader committed 12 records with snapshotEvery 4 and took no snapshot (floor 0)`);
    n.restart(2);
    n.settle(8);
    check(n.d(2).state.floor > 0, 'rank 2, behind the leader’s floor, installed no snapshot');
    check(kv(n, 2) === kv(n, 0), `rank 2's state "${kv(n, 2)}" differs from the leader's "${kv(n, 0)}"`);
  },
};

/** unitTest runs one named test against the core compiled into build. */
export async function unitTest(name: string, build: string): Promise<void> {
  const test = TESTS[name];
  if (test === undefined) throw new Error(`the traft lab has no unit test "${name}"`);
  test(await load(build));
}
