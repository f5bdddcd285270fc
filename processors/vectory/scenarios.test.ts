// scenarios.test: docs/protocols/vectory.md §12's scripted regressions on a hand-driven cluster
// (testkit.ts): each test writes down the interleaving that broke the seed's or a first draft's
// rule, and asserts the rule that fixes it holds — plus the log audit (invariants.ts) over
// every node's lines. Deterministic (no randomness decides anything asserted); run one with
// npx tap processors/vectory/scenarios.test.ts --grep=T18
import t, { type Test } from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { CspChan } from '../../runtime/chan.js';
import { VirtualClock } from '../../runtime/clock.js';
import { cpuShareSampler } from '../../runtime/driver/usage.js';
import type { Inbound, Transport } from '../../runtime/transport.js';
import { withCpuProbe } from './cpu_hooks.js';
import type { VMsg } from './messages.js';
import { CPU_PROBE_MS } from './probe.js';
import { onBalanceReq } from './balance.js';
import { shardOf } from '../../runtime/client/shard.js';
import { pickSource, startElection } from './collect.js';
import { auditLogs } from './invariants.js';
import type { Wire } from './testkit.js';
import { Cluster } from './testkit.js';
import { load, loadKnown, rankOf, type Vote } from './state.js';
import { validateVMsg } from './messages.js';
import { compareBallot, ZERO_BALLOT } from './types.js';

const not =
  (...down: number[]) =>
  (w: Wire): boolean =>
    !down.includes(w.from) && !down.includes(w.to);

function elect(c: Cluster, i: number, keep: (w: Wire) => boolean = () => true, shard = 0, hold?: (w: Wire) => boolean): void {
  c.run(i, (n) => {
    const s = n.shards[shard];
    if (s !== undefined) startElection(n, s, c.now);
  });
  c.deliver(keep, 10_000, hold);
}

function put(c: Cluster, i: number, reqNo: number, key = 'k', value = `v${reqNo}`): void {
  c.client(i, 0, { client: 'c1', reqNo, op: 'put', key, value });
}

function audit(t: Test, c: Cluster): void {
  t.same(auditLogs(c.lines, c.cfg.tokenTtlMs), [], 'S1–S6, S11 hold over every node’s log');
}

t.test('T2: ballots order by epoch, then rank (less load wins), then node; equal-epoch candidates do not tie', (t) => {
  const b = (epoch: number, load: number, nodeId: number) => ({ epoch, rank: rankOf(load), nodeId });
  t.ok(compareBallot(b(2, 9, 0), b(1, 0, 4)) > 0, 'a higher epoch wins whatever the load');
  t.ok(compareBallot(b(1, 0, 0), b(1, 1, 4)) > 0, 'within an epoch the less loaded candidate wins');
  t.ok(compareBallot(b(1, 1, 3), b(1, 1, 2)) > 0, 'equal epoch and load: the node id decides');
  t.not(compareBallot(b(1, 1, 3), b(1, 1, 2)), 0, 'never a tie');
  const c = new Cluster(3, { shards: 2 });
  elect(c, 2, () => true, 1); // node 2 now masters shard 1: load 1
  c.run(2, (n) => startElection(n, n.shards[0] ?? n.shards[1]!, c.now));
  c.run(1, (n) => startElection(n, n.shards[0]!, c.now));
  c.deliver();
  t.equal(c.shard(1).role, 'master', 'the less loaded candidate of the same epoch wins shard 0');
  t.not(c.shard(2).role, 'master', 'the loaded one does not');
  audit(t, c);
  t.end();
});

t.test('T3: a master crashes when only it knew an entry committed; the next master keeps it (S3)', (t) => {
  const c = new Cluster(3);
  elect(c, 0);
  put(c, 0, 1);
  c.deliver(not(2)); // only node 1 acks: node 0 commits, nobody else knows
  t.equal(c.shard(0).commitIndex, 2, 'the master committed the write');
  t.ok(c.shard(1).commitIndex < 2 && c.shard(2).commitIndex < 2, 'no follower knows it');
  const written = c.shard(0).log[1];
  t.equal(c.replies.at(-1)?.status, 'ok', 'the client was told');
  elect(c, 2, not(0)); // node 0 is down from here on
  t.equal(c.shard(2).role, 'master', 'node 2 took over');
  t.same(c.shard(2).log[1], written, 'with the committed write at its index');
  put(c, 2, 2);
  c.deliver(not(0));
  t.ok(c.shard(2).commitIndex >= 4, 'and goes on committing');
  audit(t, c);
  t.end();
});

t.test('T4 (D6): a stale longer log loses to a newer shorter one in the same Collect quorum', (t) => {
  const v = (epoch: number, lastIndex: number, commitIndex: number): Vote => ({
    accepted: { epoch, rank: 0xffff, nodeId: 0 },
    commitIndex,
    lastIndex,
    entries: [],
    complete: true,
  });
  const votes = new Map([
    [0, v(1, 10, 1)],
    [2, v(2, 4, 4)],
  ]);
  t.equal(pickSource(votes, 2).from, 2, 'the source is the higher accepted ballot, not the longer log');
  const c = new Cluster(3);
  elect(c, 0);
  for (let r = 1; r <= 3; r++) put(c, 0, r);
  c.queue = []; // node 0's three writes reach nobody: a stale longer log
  elect(c, 1, not(0));
  put(c, 1, 4, 'k', 'fresh');
  c.deliver(not(0));
  t.equal(c.shard(1).commitIndex, 3, 'node 1 committed its write at index 3 with node 2');
  t.ok(c.shard(0).log.length > c.shard(2).log.length, 'node 0’s log is longer than node 2’s');
  elect(c, 2, (w) => w.to !== 1 && w.from !== 1); // a quorum of node 0 (longer, older) and node 2 (newer)
  t.equal(c.shard(2).role, 'master');
  t.same(c.shard(2).log[2], c.shard(1).log[2], 'the committed write kept at its index');
  t.same(c.shard(2).log[2]?.cmd, { op: 'put', key: 'k', value: 'fresh' });
  c.deliver();
  audit(t, c);
  t.end();
});

t.test('T5 (D7): a reordered older incremental Append does not shorten the log', (t) => {
  const c = new Cluster(3);
  elect(c, 0);
  put(c, 0, 1);
  const old = c.queue.filter((w) => w.to === 1 && w.msg.type === 'append');
  c.deliver();
  put(c, 0, 2);
  put(c, 0, 3);
  c.deliver();
  const before = c.shard(1).log.length;
  t.equal(before, 4, 'node 1 holds the noop and three writes');
  t.ok(old.length > 0, 'an old Append was kept back');
  c.queue = old;
  c.deliver(() => true, old.length);
  t.equal(c.shard(1).log.length, before, 'the late Append left the log as long as it was');
  const reply = c.queue.find((w) => w.msg.type === 'append-reply');
  t.equal(reply?.msg.type === 'append-reply' ? reply.msg.lastIndex : -1, before, 'and the reply says so');
  c.deliver();
  audit(t, c);
  t.end();
});

t.test('T18 (D16): a Sync staged in batches of 4 leaves accepted and the log alone until its last batch', (t) => {
  const c = new Cluster(3, { maxBatch: 4, maxCollectEntries: 3 }); // Collect grants page their logs 3 entries at a time (E2, E3)
  elect(c, 0, not(2));
  for (let r = 1; r <= 9; r++) put(c, 0, r);
  c.deliver(not(2)); // A (0) and B (1) hold 1–10, committed; C (2) holds nothing
  t.equal(c.shard(0).commitIndex, 10, 'A committed 1–10');
  const b1 = c.shard(1).accepted;
  const syncToB = (w: Wire): boolean => w.to === 1 && w.msg.type === 'append';
  elect(c, 2, (w) => not(0)(w) && !syncToB(w), 0, syncToB); // C wins b2 with B's log; its Sync to B held
  t.equal(c.shard(2).role, 'master', 'C mastered with B’s grant');
  const firstBatch = c.held[0];
  t.ok(firstBatch?.msg.type === 'append' && firstBatch.msg.sync && !firstBatch.msg.last, 'C Syncs B in several batches');
  c.queue = firstBatch === undefined ? [] : [firstBatch];
  c.deliver(() => true, 1);
  t.same(c.shard(1).accepted, b1, 'B keeps accepted = b1 after a non-last batch');
  t.equal(c.shard(1).log.length, 10, 'and its whole log');
  c.queue = [];
  c.crash(0); // A restarts from its disk; C is gone from here on
  elect(c, 0, not(2));
  t.equal(c.shard(0).role, 'master', 'A masters b3');
  t.equal(c.shard(0).log.length, 11, 'with 1–10 and its noop: nothing committed was lost');
  c.deliver(not(2));
  audit(t, c);
  t.end();
});

t.test('T18 (D16): the last Sync batch installs the staged log and accepted in one write', (t) => {
  const c = new Cluster(3, { maxBatch: 4, maxCollectEntries: 3 }); // Collect grants page their logs 3 entries at a time (E2, E3)
  elect(c, 0, not(2));
  for (let r = 1; r <= 9; r++) put(c, 0, r);
  c.deliver(not(2));
  elect(c, 2, not(0));
  t.equal(c.shard(1).log.length, 11, 'B holds C’s log');
  t.same(c.shard(1).accepted, c.shard(2).accepted, 'and accepted = b2');
  const install = c.disks[1]?.find((b) => b.ops.some((o) => o.op === 'accept' && compareBallot(o.ballot, c.shard(2).accepted) === 0));
  t.ok(install?.ops.some((o) => o.op === 'cut') && install.ops.some((o) => o.op === 'put'), 'cut, entries and accepted in one WAL batch');
  audit(t, c);
  t.end();
});

t.test('T9: a token granted to a requester that crashes: the fence expires and the master takes writes again', (t) => {
  const c = new Cluster(3, { shards: 2 }); // followers ask nothing themselves: the test sends the request
  elect(c, 0, () => true, 0);
  elect(c, 0, () => true, 1);
  const key = ['a', 'b', 'c', 'd', 'e'].find((k) => shardOf(k, 2) === 0) ?? 'a';
  c.run(0, (n) =>
    onBalanceReq(n, 1, { type: 'balance-req', shard: 0, master: 0, masterBallot: c.shard(0).accepted, requesterLoad: 0 }, c.now),
  );
  t.ok(
    c.lines[0]?.some((l) => l.startsWith('token 0 1')),
    'the token went to node 1',
  );
  put(c, 0, 1, key);
  t.match(c.replies.at(-1), { status: 'not-leader', hint: 1 }, 'writes are fenced toward the requester (D11)');
  for (let k = 0; c.now <= c.cfg.tokenTtlMs; k++) {
    c.now += c.cfg.aliveMs;
    for (const i of [0, 2]) c.input(i, { type: 'tick' });
    c.deliver(not(1)); // the requester crashed: it never campaigns
  }
  put(c, 0, 2, key);
  c.deliver(not(1));
  for (let k = 0; k < 3; k++) {
    c.now += c.cfg.aliveMs; // the idle shard's tick lets the write apply (V5, V6): writes are answered once applied
    for (const i of [0, 2]) c.input(i, { type: 'tick' });
    c.deliver(not(1));
  }
  t.match(c.replies.at(-1), { status: 'ok', reqNo: 2 }, 'after the token TTL the master commits writes again');
  t.equal(c.shard(0).role, 'master');
  audit(t, c);
  t.end();
});

t.test('T15: a vote is not sent before it is durable, and survives a restart once it is (S4, D15)', (t) => {
  const c = new Cluster(3);
  c.autoPersist = false;
  c.run(0, (n) => startElection(n, n.shards[0]!, c.now));
  c.input(0, { type: 'persisted', batchId: c.node(0).batchId }); // the candidate's own promise is durable: its Collects leave
  c.deliver((w) => w.to === 1);
  t.notOk(
    c.queue.some((w) => w.from === 1 && w.msg.type === 'collect-reply'),
    'no grant leaves node 1 before its promise is durable',
  );
  const promised = c.shard(1).promised;
  t.ok(compareBallot(promised, ZERO_BALLOT) > 0, 'node 1 promised the candidate');
  c.input(1, { type: 'persisted', batchId: c.node(1).batchId });
  t.ok(
    c.queue.some((w) => w.from === 1 && w.msg.type === 'collect-reply'),
    'the grant leaves once durable',
  );
  c.crash(1);
  t.same(c.shard(1).promised, promised, 'a restart recovers the promise');
  const lower = { epoch: promised.epoch, rank: promised.rank - 1, nodeId: 2 };
  c.queue = [{ from: 2, to: 1, msg: { type: 'collect', shard: 0, ballot: lower, fromIndex: 1 } }];
  c.deliver(() => true, 1);
  const reply = c.queue.find((w) => w.from === 1 && w.msg.type === 'collect-reply');
  t.ok(reply?.msg.type === 'collect-reply' && !reply.msg.granted, 'a lower ballot is refused after the restart: no double vote');
  t.end();
});

t.test('T13/T19 (D17): a local read on a lagging node waits for the client’s own write, then sees it', (t) => {
  const c = new Cluster(3);
  elect(c, 0);
  put(c, 0, 1, 'k', 'mine');
  c.deliver();
  const w = c.replies.at(-1);
  t.match(w, { status: 'ok', reqNo: 1 }, 'the write is answered by its master');
  const vts = w?.status === 'ok' ? w.vts : undefined;
  t.ok(vts !== undefined && c.node(1).shards[0]!.commitIndex < 2, 'node 1 has not learnt the commit yet');
  c.client(1, 0, { client: 'c1', reqNo: 2, op: 'get', key: 'k', read: 'local', ...(vts !== undefined ? { after: vts } : {}) });
  t.equal(c.replies.length, 1, 'the read waits: node 1’s applied prefix is below the client’s after (V8)');
  for (let k = 0; k < 3 && c.replies.length === 1; k++) {
    c.now += c.cfg.aliveMs;
    for (const i of [0, 1, 2]) c.input(i, { type: 'tick' });
    c.deliver();
  }
  t.match(c.replies.at(-1), { status: 'ok', reqNo: 2, result: 'mine' }, 'then answers with the client’s own write');
  const at = c.replies.at(-1);
  t.ok(at?.status === 'ok' && at.at !== undefined && vts !== undefined && at.at.version >= vts.version, 'at an applied prefix covering it');
  c.client(2, 0, { client: 'c1', reqNo: 3, op: 'get', key: 'k', read: 'local', after: { version: 1e6, shard: 0 } });
  c.now += c.cfg.readWaitMs;
  c.input(2, { type: 'tick' });
  t.match(c.replies.at(-1), { status: 'electing', reqNo: 3 }, 'a read whose after never comes is told to retry after readWaitMs');
  t.end();
});

/** settle: `rounds` Alive intervals pass on every node, delivering what passes `keep` after each. */
function settle(c: Cluster, rounds: number, keep: (w: Wire) => boolean = () => true): void {
  for (let k = 0; k < rounds; k++) {
    c.now += c.cfg.aliveMs;
    for (let i = 0; i < c.size; i++) c.input(i, { type: 'tick' });
    c.deliver(keep);
  }
}

/** Recorded: a client history in docs/history.md's JSONL, so a scenario is graded as `check --lin` grades a run. */
class Recorded {
  private readonly lines: string[] = [];
  private time = 0;
  op(process: string, type: 'invoke' | 'ok' | 'fail', f: 'put' | 'get', key: string, value: string | null): void {
    this.lines.push(JSON.stringify({ process, type, f, key, value, time: ++this.time }));
  }
  verdict(): string {
    return checkLinearizable(parseHistoryText(this.lines.join('\n'), 'kv'), 'kv').verdict;
  }
}

t.test('T8: two followers ask for the same shard at once: one token, one election', (t) => {
  const c = new Cluster(3, { balance: true, theta: 1 }); // θ = 1: one mastered shard is gap enough for both
  // node 0 must not ask for the shard back once it has lost it (with θ = 1 it would: D10's ping-pong)
  c.node(0).cooldownUntil = Infinity;
  elect(c, 0); // the new master's first Alive reaches both followers before either request is answered
  t.same(
    [1, 2].map((i) => c.lines[i]?.filter((l) => l.startsWith('balance 0 0')).length),
    [1, 1],
    'both followers asked master 0 for shard 0',
  );
  t.equal(c.lines[0]?.filter((l) => l.startsWith('token ')).length, 1, 'the master granted one token');
  const winner = [1, 2].find((i) => c.shard(i).role === 'master');
  t.ok(winner !== undefined, 'the token holder won shard 0');
  const loser = winner === 1 ? 2 : 1;
  t.equal(c.node(winner ?? 0).counters.elections, 1, 'after one election');
  t.equal(c.node(loser).counters.elections, 0, 'the other requester did not campaign');
  c.now += c.cfg.electionMs; // its request expires without a token (L4)
  c.input(loser, { type: 'tick' });
  t.equal(c.node(loser).balance, undefined, 'its request expired');
  t.equal(c.node(loser).counters.elections, 0, 'still without an election');
  audit(t, c);
  t.end();
});

t.test('T14 (D13): a master read at a deposed master never returns the old value (S8, graded)', (t) => {
  const c = new Cluster(3);
  const h = new Recorded();
  elect(c, 0);
  h.op('w', 'invoke', 'put', 'k', 'old');
  put(c, 0, 1, 'k', 'old');
  c.deliver();
  t.match(c.replies.at(-1), { status: 'ok', reqNo: 1 });
  h.op('w', 'ok', 'put', 'k', 'old');
  elect(c, 1, not(0)); // node 0 is cut off and does not know it is deposed
  h.op('w', 'invoke', 'put', 'k', 'new');
  put(c, 1, 2, 'k', 'new');
  c.deliver(not(0));
  settle(c, 2, not(0));
  t.match(c.replies.at(-1), { status: 'ok', reqNo: 2 }, 'the new master wrote the new value');
  h.op('w', 'ok', 'put', 'k', 'new');
  t.equal(c.shard(0).role, 'master', 'node 0 still believes it masters the shard');
  h.op('r', 'invoke', 'get', 'k', null);
  c.client(0, 1, { client: 'r', reqNo: 1, op: 'get', key: 'k', read: 'master' });
  settle(c, Math.ceil(c.cfg.readWaitMs / c.cfg.aliveMs) + 1); // the cut heals: its Alive is answered with the higher promise
  const stale = c.replies.filter((r) => r.client === 'r' && r.status === 'ok');
  t.same(stale, [], 'no read answered by the deposed master');
  t.not(c.shard(0).role, 'master', 'node 0 stepped down');
  h.op('r', 'fail', 'get', 'k', null);
  h.op('r', 'invoke', 'get', 'k', null);
  c.client(1, 1, { client: 'r', reqNo: 2, op: 'get', key: 'k', read: 'master' });
  settle(c, 2);
  const got = c.replies.at(-1);
  t.match(got, { status: 'ok', reqNo: 2, result: 'new' }, 'the retry at the new master reads the new value');
  h.op('r', 'ok', 'get', 'k', got?.status === 'ok' && typeof got.result === 'string' ? got.result : null);
  t.equal(h.verdict(), 'linearizable', 'the history is linearizable (check --lin)');
  audit(t, c);
  t.end();
});

t.test('T16: a write retried across a master change is in the log once and applied once (S10)', (t) => {
  const c = new Cluster(3);
  elect(c, 0);
  put(c, 0, 1, 'k', 'once');
  c.deliver((w) => w.from === 0 && w.to === 1); // node 1 holds the write; nobody acks it back
  c.crash(0); // and its master is gone before it answered
  t.equal(c.replies.length, 0, 'the client had no answer');
  const isWrite = (s: { log: readonly { clientId?: string; reqNo?: number }[] }): number =>
    s.log.filter((e) => e.clientId === 'c1' && e.reqNo === 1).length;
  const sync = (w: Wire): boolean => w.from === 1 && w.msg.type === 'append';
  elect(c, 1, (w) => not(0)(w) && !sync(w), 0, sync); // node 1 masters with its log; its Sync held, so nothing above 1 is committed yet
  t.equal(c.shard(1).role, 'master');
  const first = c.shard(1).log.find((e) => e.clientId === 'c1');
  put(c, 1, 1, 'k', 'once'); // the client's retry, same (clientId, reqNo)
  t.equal(isWrite(c.shard(1)), 1, 'the retry did not append a second copy (dedup against the uncommitted log)');
  t.equal(c.replies.length, 0, 'nor is it answered before it commits');
  c.queue = c.held;
  c.held = [];
  c.deliver(not(0));
  settle(c, 2, not(0));
  const got = c.replies.at(-1);
  t.match(got, { status: 'ok', reqNo: 1 }, 'the retry is answered once the write applies');
  t.same(got?.status === 'ok' ? got.vts : undefined, { version: first?.version, shard: 0 }, 'with the first copy’s vts');
  for (const i of [1, 2]) {
    t.equal(isWrite(c.shard(i)), 1, `node ${i}’s log holds the write once`);
    t.equal(c.node(i).vector.lastReqNo.get('c1'), 1, `node ${i} applied it (S10)`);
    t.equal(c.node(i).vector.store.get('k'), 'once');
  }
  audit(t, c);
  t.end();
});

t.test('T21 (D13): a master read right after election waits for the noop, then sees what only the old master knew committed', (t) => {
  const c = new Cluster(3);
  elect(c, 0);
  put(c, 0, 1, 'k', 'acked');
  c.deliver(not(2)); // node 1 acks: node 0 commits and answers; node 1 does not know it committed
  t.match(c.replies.at(-1), { status: 'ok', reqNo: 1 }, 'the client was told its write committed');
  c.crash(0);
  const sync = (w: Wire): boolean => w.from === 2 && w.msg.type === 'append';
  elect(c, 2, (w) => not(0)(w) && !sync(w), 0, sync); // node 2 wins with node 1's log; its noop is not committed yet
  t.equal(c.shard(2).role, 'master');
  t.ok(c.shard(2).commitIndex < 2, 'the new master does not know the write committed');
  c.client(2, 1, { client: 'r', reqNo: 1, op: 'get', key: 'k', read: 'master' });
  settle(c, 3, (w) => not(0)(w) && !sync(w));
  t.equal(c.replies.length, 1, 'the read waits: the noop has not committed');
  c.queue = c.held;
  c.held = [];
  c.deliver(not(0));
  settle(c, 3, not(0));
  t.match(c.replies.at(-1), { client: 'r', status: 'ok', result: 'acked' }, 'once it has, the read sees the write');
  audit(t, c);
  t.end();
});

t.test('cpu probe: readings are averaged (a plain mean until 1/α are in); only the node itself can hand one in', (t) => {
  const c = new Cluster(3, { metric: 'cpu' });
  const probe = (from: number, cpu: number): void => c.input(0, { type: 'message', from, msg: { type: 'load-probe', cpu } });
  probe(0, 40);
  probe(0, 20);
  t.equal(c.node(0).cpu, 30, 'two readings: their mean');
  t.notOk(loadKnown(c.node(0)), 'not yet trusted: one noisy reading would weigh like the rest');
  for (let k = 0; k < 1 / c.cfg.cpuSmoothing; k++) probe(0, 30);
  t.ok(loadKnown(c.node(0)), 'trusted once about 1/α readings are in');
  probe(0, 130);
  t.equal(c.node(0).cpu, 30 + c.cfg.cpuSmoothing * 100, 'then each reading moves the average by α of its distance');
  t.equal(load(c.node(0)), Math.round(30 + c.cfg.cpuSmoothing * 100), 'and the load is the rounded average');
  const before = c.node(0).cpu;
  probe(1, 1000);
  t.equal(c.node(0).cpu, before, 'a reading from a peer is ignored');
  t.throws(() => validateVMsg({ type: 'load-probe', cpu: 1 }), 'and the wire refuses one');
  probe(0, Number.NaN);
  t.equal(c.node(0).cpu, before, 'a reading that is not a number is ignored');
  t.end();
});

// the cpu metric’s driver side (cpu_hooks.ts) on a virtual clock
t.test('a rank on the cpu metric is handed its own reading every CPU_PROBE_MS until its transport closes', async (t) => {
  const clock = new VirtualClock();
  const inbox = new CspChan<Inbound<VMsg>>(clock, { name: 'inbox', capacity: 64, overflow: { type: 'drop-newest' } });
  let closed = false;
  const base: Transport<VMsg> = {
    rank: 3,
    inbox,
    send: () => {},
    close: () => {
      closed = true;
      return Promise.resolve();
    },
    stats: () => ({ sent: 0, delivered: 0, dropped: 0, rejected: 0 }),
  };
  let reading = 0;
  const hooks = withCpuProbe(clock, {}, () => () => (reading += 10));
  const wrapped = await hooks.wrapTransport!(base);
  await clock.advance(3 * CPU_PROBE_MS);
  t.same(
    inbox.drain(),
    [10, 20, 30].map((cpu) => ({ from: 3, msgs: [{ type: 'load-probe', cpu }] })),
    'three readings, each from the rank itself',
  );
  await wrapped.close();
  t.ok(closed, 'closing closes the transport beneath');
  await clock.advance(3 * CPU_PROBE_MS);
  t.same(inbox.drain(), [], 'and stops the readings');
});

t.test('the process sampler reports a share of one core ≥ 0', async (t) => {
  let now = 0;
  const sample = cpuShareSampler(() => now);
  let x = 0;
  for (let i = 0; i < 1e6; i++) x += Math.sqrt(i); // some CPU to measure
  now += 1000;
  const share = sample();
  t.ok(x > 0 && share >= 0 && Number.isFinite(share), `${share.toFixed(2)} % of a core`);
  t.equal(sample(), 0, 'no wall time since the last reading: 0');
});
