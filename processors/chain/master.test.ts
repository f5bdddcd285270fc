// master.test: the single master's decisions, stepped by hand (docs/protocols/chain-master.md):
// the first configuration and I10, failures of head, middle and tail declared only after
// failTimeoutMs (L3), extension after a failure (X1–X4), X5, the add procedure under §7.3's
// table, graceful removal of a tail (Retire before the config, F6/T21) and of a head (pause
// first, J2), merge (G2), pause abort (J3), restart from the record (L3, epochs), degraded
// (K4) and a lost range (F5, C6).
import t, { type Test } from 'tap';
import type { Config, ConfigRange } from './config.js';
import { initMaster, masterSummary, stepMaster, type MasterState } from './master.js';
import { partitionProblems, ringOrder, targetChain } from './master_ring.js';
import { Captured, MasterNet, OPTS } from './master_testkit.js';
import type { ChainMsg, RangeReport } from './messages.js';
import { nodePosition } from './ring.js';
import { MASTER_RANK, type ChainInput, type MasterRecord } from './types.js';
import type { ChainOptions } from './options.js';

/** Bench steps one master by hand: messages from nodes, ticks at chosen times, fsyncs when told. */
class Bench {
  now = 0;
  readonly out = new Captured();
  m: MasterState;
  constructor(
    readonly ranks: number,
    readonly o: ChainOptions = OPTS,
    record?: MasterRecord,
  ) {
    this.m = initMaster({ ranks, startAtMs: 0, nowMs: 0, options: o, ...(record !== undefined ? { record } : {}) });
  }
  step(input: ChainInput): void {
    stepMaster(this.m, input, this.now, this.out);
  }
  msg(from: number, msg: ChainMsg): void {
    this.step({ type: 'message', from, msg });
  }
  at(ms: number): void {
    this.now = ms;
    this.step({ type: 'tick' });
  }
  /** durable: every persist so far reached the disk. */
  durable(): void {
    this.step({ type: 'persisted', batchId: this.m.persists });
  }
  /** hb: a heartbeat from rank, reporting its ranges of the announced config (servable unless listed). */
  hb(rank: number, notServable: readonly string[] = [], inc = 0): void {
    const c = this.m.announced;
    const ranges: RangeReport[] = (c?.ranges ?? [])
      .filter((r) => r.chain.includes(rank))
      .map((r) => ({
        rangeId: r.rangeId,
        role: 'middle',
        lastApplied: 0,
        lastAcked: 0,
        sentLength: 0,
        servable: !notServable.includes(r.rangeId),
      }));
    this.msg(rank, { type: 'heartbeat', incarnation: inc, hbNo: 1, epoch: c?.epoch ?? 0, ranges });
  }
  hbAll(ranks: readonly number[]): void {
    for (const r of ranks) this.hb(r);
  }
  config(): Config {
    const c = this.m.announced;
    if (c === undefined) throw new Error('no config announced');
    return c;
  }
  sent(type: ChainMsg['type'], from = 0): { to: number; msg: ChainMsg }[] {
    return this.out.sends.slice(from).filter((s) => s.msg.type === type);
  }
}

/** started: a bench with nodes 1…n joined, epoch 1 installed, durable and acknowledged by heartbeats. */
function started(n: number, o: ChainOptions = OPTS): Bench {
  const b = new Bench(n + 1, o);
  for (let r = 1; r <= n; r++) b.msg(r, { type: 'join', incarnation: 0 });
  b.durable();
  b.hbAll(nodes(n));
  return b;
}

const nodes = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const setOf = (xs: readonly number[]): string => [...xs].sort((a, b) => a - b).join(',');

function checkK1(t: Test, c: Config, live: readonly number[], k: number): void {
  t.same(partitionProblems(c), [], `epoch ${c.epoch}: the ranges partition the ring (I10)`);
  const ring = ringOrder(live);
  for (const r of c.ranges) {
    t.equal(r.chain.length, Math.min(k, live.length), `${r.rangeId}: a chain of min(k, N)`);
    t.equal(setOf(r.chain), setOf(targetChain(ring, r, k)), `${r.rangeId}: members are the next k clockwise (K1)`);
  }
}

t.test('first configuration: once every rank joined, one range per node, chains of k clockwise, persisted before sent', (t) => {
  const b = new Bench(6);
  for (const r of [3, 1, 5, 2]) b.msg(r, { type: 'join', incarnation: 0 });
  t.equal(b.out.persists.length, 0, 'no configuration while a rank is missing before the deadline');
  b.msg(4, { type: 'join', incarnation: 0 });
  t.equal(b.out.persists.length, 1, 'all five joined: epoch 1 decided');
  t.equal(b.sent('config').length, 0, 'not sent before it is durable');
  b.durable();
  const c = b.config();
  t.equal(c.epoch, 1);
  t.same(
    b.sent('config').map((s) => s.to),
    nodes(5),
    'sent to every node',
  );
  t.equal(c.ranges.length, 5);
  checkK1(t, c, nodes(5), 3);
  for (const r of c.ranges) t.equal(nodePosition(r.chain[0] ?? -1), r.hi, `${r.rangeId}: the owner heads its chain`);
  t.ok(
    c.ranges.every((r) => r.parents === undefined && r.rangeId.endsWith('/1')),
    'new, empty ranges of epoch 1',
  );
  t.end();
});

t.test('first configuration waits for minNodes at the deadline, then starts with what joined', (t) => {
  const b = new Bench(6);
  b.msg(1, { type: 'join', incarnation: 0 });
  b.msg(2, { type: 'join', incarnation: 0 });
  b.at(2 * OPTS.heartbeatMs);
  t.equal(b.m.config, undefined, 'two nodes are below minNodes 3');
  t.match(b.out.lines().join('\n'), /waiting for nodes: 2 joined/);
  b.msg(3, { type: 'join', incarnation: 0 });
  b.durable();
  const c = b.config();
  t.equal(c.ranges.length, 3, 'started at the deadline with the three that joined');
  checkK1(t, c, [1, 2, 3], 3);
  t.end();
});

const WHAT = [
  'head fails: its successor heads (F1)',
  'middle fails: its neighbours join (F3)',
  'tail fails: its predecessor is tail (F2)',
] as const;

/** failWith: a started 5-node ring where `which` (head, middle or tail) of the first range stops heartbeating. */
function failWith(which: 0 | 1 | 2, t: Test): void {
  const b = started(5);
  const r0 = b.config().ranges[0] as ConfigRange;
  const x = r0.chain[which] as number;
  const alive = nodes(5).filter((r) => r !== x);
  let ms = 0;
  for (; ms < OPTS.failTimeoutMs; ms += 250) {
    b.now = ms;
    b.hbAll(alive);
    b.at(ms);
  }
  t.equal(b.m.config?.epoch, 1, `no new configuration before failTimeoutMs after rank ${x}'s last heartbeat (L3)`);
  b.at(OPTS.failTimeoutMs);
  t.equal(b.m.config?.epoch, 2, 'failed at failTimeoutMs: one new configuration (F0)');
  b.durable();
  const c = b.config();
  const r = c.ranges.find((x2) => x2.rangeId === r0.rangeId) as ConfigRange;
  t.same(
    r.chain,
    r0.chain.filter((m) => m !== x),
    WHAT[which],
  );
  t.ok(
    c.ranges.every((q) => !q.chain.includes(x)),
    'dropped from every chain',
  );
  t.match(b.out.lines().join('\n'), new RegExp(`no heartbeat from rank ${x} for 2000 ms: failed`));
  // Extension (F5): once the survivors run epoch 2, the missing K1 member is asked to join at the tail.
  b.now += 10;
  const mark = b.out.sends.length;
  b.hbAll(alive);
  const jt = b.sent('join-as-tail', mark)[0];
  t.ok(jt !== undefined, 'a JoinAsTail follows (X1)');
  const ask = jt?.msg;
  if (jt === undefined || ask?.type !== 'join-as-tail') return;
  const shortened = c.ranges.find((q) => q.rangeId === ask.rangeId) as ConfigRange;
  t.equal(ask.from, shortened.chain[shortened.chain.length - 1], 'from the tail');
  t.equal(b.m.config?.epoch, 2, 'no config change until Ready');
  b.msg(jt.to, { type: 'ready', epoch: 2, rangeId: ask.rangeId, s0: 7 });
  b.durable();
  const ext = b.config().ranges.find((q) => q.rangeId === ask.rangeId) as ConfigRange;
  t.same(ext.chain, [...shortened.chain, jt.to], 'installed [..., T, J] in epoch 3 (X4)');
}

t.test('failure of a head', (t) => {
  failWith(0, t);
  t.end();
});
t.test('failure of a middle', (t) => {
  failWith(1, t);
  t.end();
});
t.test('failure of a tail', (t) => {
  failWith(2, t);
  t.end();
});

t.test('X5: the old tail dies before the joined tail is servable: the joiner is dropped too', (t) => {
  const b = started(4);
  const r0 = b.config().ranges[0] as ConfigRange;
  const [h, m, tail] = r0.chain as [number, number, number];
  const j = nodes(4).find((r) => !r0.chain.includes(r)) as number;
  // Force an extension of r0 with j by making m leave: r0's target then includes j.
  b.msg(m, { type: 'leave' });
  const ask = b.sent('join-as-tail').find((s) => s.to === j && 'rangeId' in s.msg && s.msg.rangeId === r0.rangeId);
  t.ok(ask, 'rank j is asked to join r0 at its tail');
  b.msg(j, { type: 'ready', epoch: 1, rangeId: r0.rangeId, s0: 3 });
  b.durable();
  t.same(b.config().ranges.find((r) => r.rangeId === r0.rangeId)?.chain, [h, m, tail, j], '[..., T, J] installed');
  // tail stops heartbeating; j reports not servable yet (it has not reached the handover s1).
  const alive = [h, m, j];
  for (let ms = 250; ms < 250 + OPTS.failTimeoutMs; ms += 250) {
    b.now = ms;
    for (const r of alive) b.hb(r, r === j ? [r0.rangeId] : []);
    b.at(ms);
  }
  b.at(250 + OPTS.failTimeoutMs);
  b.durable();
  t.same(b.config().ranges.find((r) => r.rangeId === r0.rangeId)?.chain, [h, m], 'T and J both dropped: P is the tail (X5)');
  t.match(b.out.lines().join('\n'), /dropped too \(X5\)/);
  t.end();
});

t.test('add a node: §7.3 table — split first (the only pause), then extend, then remove; final memberships as the table says', (t) => {
  const net = new MasterNet(8, { seed: 'add', dropRate: 0, maxDelayMs: 5, fsyncMs: 2 });
  for (const r of [1, 2, 3, 4, 5, 6]) net.startNode(r, 0);
  net.run(3000);
  const before = net.master.announced as Config;
  t.equal(before.ranges.length, 6);
  const mark = net.out.sends.length;
  net.startNode(7, 0);
  net.run(20000);
  const c = net.master.announced as Config;
  const ring = ringOrder([1, 2, 3, 4, 5, 6, 7]);
  const at = (d: number): number => ring[(ring.indexOf(7) + d + ring.length) % ring.length] as number;
  const [B, P, J, Q, C, D] = [at(-2), at(-1), 7, at(1), at(2), at(3)];
  const members = (owner: number): string => setOf(c.ranges.find((r) => r.hi === nodePosition(owner))?.chain ?? []);
  t.equal(members(B), setOf([B, P, J]), 'R(B): extend J, remove Q');
  t.equal(members(P), setOf([P, J, Q]), 'R(P): extend J, remove C');
  t.equal(members(J), setOf([J, Q, C]), 'R(J), new: split, extend J, remove D');
  t.equal(members(Q), setOf([Q, C, D]), 'R(Q): split, unchanged');
  checkK1(t, c, ring, 3);
  const pauses = net.out.sends.slice(mark).filter((s) => s.msg.type === 'pause');
  t.ok(pauses.length >= 1, 'the split paused');
  t.ok(
    pauses.every(
      (s) => 'rangeId' in s.msg && before.ranges.some((r) => 'rangeId' in s.msg && r.rangeId === s.msg.rangeId && r.hi === nodePosition(Q)),
    ),
    'only old R(Q) was paused (T9)',
  );
  const kinds = net.out.lines().filter((l) => l.startsWith('step '));
  t.match(kinds[kinds.length - 7] ?? '', /^step split/, 'the split came first');
  t.equal(kinds.filter((l) => l.startsWith('step extend')).length, 3, 'three extensions');
  t.equal(kinds.filter((l) => l.startsWith('step remove')).length, 3, 'three removals');
  t.end();
});

t.test(
  'graceful removal (§7.4): a tail is retired before any config without it (T21); a head is paused first (J2); then merge and stop',
  (t) => {
    const b = started(3);
    const c1 = b.config();
    const x = 2;
    const tailRange = c1.ranges.find((r) => r.chain[r.chain.length - 1] === x) as ConfigRange;
    const headRange = c1.ranges.find((r) => r.chain[0] === x) as ConfigRange;
    b.msg(x, { type: 'leave' });
    // Work through the steps as nodes would answer, checking the order of what the master sends.
    const removedBy = new Map<string, number>();
    for (let round = 0; round < 20; round++) {
      const mark = b.out.sends.length;
      b.now += 300;
      b.hbAll(b.m.stopped.has(x) ? [1, 3] : [1, 2, 3]);
      b.at(b.now);
      for (const s of b.out.sends.slice(mark)) {
        const msg = s.msg;
        if (msg.type === 'pause') {
          t.equal(msg.rangeId === headRange.rangeId || b.m.step?.kind === 'merge', true, 'a pause only for the head removal or a merge');
          const removal = b.m.step?.kind === 'remove';
          t.equal(b.sent('retire', mark).length, 0, 'no Retire while the head drains');
          b.msg(s.to, { type: 'quiesced', epoch: msg.epoch, rangeId: msg.rangeId, lastApplied: 0 });
          const retire = b.sent('retire', mark).find((r) => 'rangeId' in r.msg && r.msg.rangeId === msg.rangeId);
          if (removal) t.ok(retire !== undefined && s.to === x, 'the head is retired once it quiesced');
        }
      }
      for (const s of b.sent('retire', mark)) {
        if (s.msg.type !== 'retire') continue;
        const epoch = b.m.config?.epoch;
        b.durable();
        t.equal(b.m.config?.epoch, epoch, `no config without rank ${x} before it answered Retired (F6)`);
        b.msg(s.to, { type: 'retired', epoch: s.msg.epoch, rangeId: s.msg.rangeId });
        removedBy.set(s.msg.rangeId, b.m.config?.epoch ?? 0);
      }
      b.durable();
    }
    t.ok(removedBy.has(tailRange.rangeId), 'the tail range lost rank 2 through Retire');
    t.ok(
      b.sent('stop').some((s) => s.to === x),
      'then rank 2 is told to stop (G1)',
    );
    const c = b.config();
    t.equal(c.ranges.length, 2, "its range merged into its successor's (G2)");
    t.ok(
      c.ranges.some((r) => r.parents?.length === 2),
      'the merged range names both parents',
    );
    checkK1(t, c, [1, 3], 3);
    t.match(b.out.lines().join('\n'), /DEGRADED: 2 live nodes/);
    t.end();
  },
);

t.test('a pause that outlives pauseMaxMs is aborted with Resume and retried later (J3)', (t) => {
  const b = started(3, { ...OPTS, k: 1 }); // k = 1: node 4 is in no target but its own, so only the split waits
  b.msg(4, { type: 'join', incarnation: 0 });
  b.now = 10;
  b.hbAll([1, 2, 3, 4]);
  const pause = b.sent('pause')[0];
  t.ok(pause, 'a split pauses the range node 4 lands in');
  const head = pause?.to;
  for (let ms = 250; ms <= OPTS.pauseMaxMs + 250; ms += 250) {
    b.now = ms;
    b.hbAll([1, 2, 3, 4]);
    b.at(ms);
  }
  t.ok(
    b.sent('resume').some((s) => s.to === head),
    'resumed after pauseMaxMs',
  );
  t.match(b.out.lines().join('\n'), /aborted: the pause outlived pauseMaxMs/);
  t.ok(b.sent('pause').length >= 2, 'the pause was repeated while waiting');
  const n = b.sent('pause').length;
  for (let ms = 2500; ms <= 2500 + 2 * OPTS.pauseMaxMs; ms += 250) {
    b.now = ms;
    b.hbAll([1, 2, 3, 4]);
    b.at(ms);
  }
  t.ok(b.sent('pause').length > n, 'retried after the back-off');
  t.end();
});

t.test(
  'heartbeats: the reply echoes hbNo with the announced epoch; a failed node is answered Removed, one that has not joined nothing; GetConfig gets the config',
  (t) => {
    const b = started(3);
    b.msg(1, { type: 'heartbeat', incarnation: 0, hbNo: 42, epoch: 0, ranges: [] });
    t.same(b.out.sends.at(-1), { to: 1, msg: { type: 'heartbeat-reply', hbNo: 42, epoch: 1, incarnation: 0 } });
    const n = b.out.sends.length;
    b.msg(9, { type: 'heartbeat', incarnation: 0, hbNo: 1, epoch: 0, ranges: [] });
    b.msg(2, { type: 'heartbeat', incarnation: 5, hbNo: 1, epoch: 1, ranges: [] });
    b.msg(9, { type: 'get-config' });
    t.equal(b.out.sends.length, n, 'never joined, or a process of rank 2 whose join is on its way: no answer, no lease');
    b.msg(2, { type: 'join', incarnation: -3 });
    t.equal(b.m.config?.epoch, 1, 'a late join of an older process changes nothing');
    b.msg(3, { type: 'get-config' });
    t.same(b.out.sends.at(-1), { to: 3, msg: { type: 'config', config: b.config(), incarnation: 0 } }, 'addressed to its incarnation');
    b.at(OPTS.failTimeoutMs + 1);
    b.msg(3, { type: 'heartbeat', incarnation: 0, hbNo: 7, epoch: 1, ranges: [] });
    t.same(b.out.sends.at(-1), { to: 3, msg: { type: 'removed' } }, 'declared failed: Removed, not a lease (L1)');
    t.end();
  },
);

t.test('a restarted rank (new incarnation) is failed at once, never sees a config naming its old self, and is added back', (t) => {
  const b = started(3);
  b.now = 100;
  const mark = b.out.sends.length;
  b.msg(2, { type: 'join', incarnation: 1 });
  t.equal(b.m.config?.epoch, 2, 'dropped without waiting for failTimeoutMs (its old process is dead)');
  b.durable();
  t.ok(
    b.config().ranges.every((r) => !r.chain.includes(2)),
    'rank 2 left every chain',
  );
  b.msg(2, { type: 'get-config' });
  const got = b.sent('config', mark).filter((s) => s.to === 2);
  t.ok(got.length > 0, 'the new rank 2 gets the configuration that dropped its old self');
  t.ok(
    got.every((s) => s.msg.type === 'config' && s.msg.config.ranges.every((r) => !r.chain.includes(2))),
    'what it got does not name it',
  );
  b.hb(1);
  b.hb(3);
  b.hb(2, [], 1);
  t.ok(
    b.sent('join-as-tail').some((s) => s.to === 2),
    'then rank 2 is extended into chains (§7.3)',
  );
  t.end();
});

t.test('M4: a chain whose lastAcked does not move for stuckMs is logged once', (t) => {
  const b = started(3);
  const r0 = b.config().ranges[0] as ConfigRange;
  for (let ms = 0; ms <= OPTS.stuckMs + 500; ms += 250) {
    b.now = ms;
    const report: RangeReport = { rangeId: r0.rangeId, role: 'head', lastApplied: 9, lastAcked: 4, sentLength: 5, servable: true };
    b.msg(1, { type: 'heartbeat', incarnation: 0, hbNo: ms, epoch: 1, ranges: [report] });
  }
  t.equal(b.out.lines().filter((l) => /looks stuck/.test(l)).length, 1);
  t.equal(masterSummary(b.m).stuck, 1);
  t.end();
});

t.test(
  'below minNodes the ring keeps serving on shorter chains and says degraded (K4, C4); a chain that loses every member is lost (F5, C6)',
  (t) => {
    const b = started(3, { ...OPTS, k: 1, minNodes: 3 });
    const lostRange = b.config().ranges.find((r) => r.chain[0] === 3) as ConfigRange;
    for (let ms = 250; ms <= OPTS.failTimeoutMs; ms += 250) {
      b.now = ms;
      b.hbAll([1, 2]);
      b.at(ms);
    }
    b.durable();
    const c = b.config();
    t.same(c.ranges.find((r) => r.rangeId === lostRange.rangeId)?.chain, [], 'the range stays, empty: the ranges still partition the ring');
    t.same(partitionProblems(c), []);
    t.match(b.out.lines().join('\n'), /is LOST/);
    t.match(b.out.lines().join('\n'), /DEGRADED: 2 live nodes, below minNodes 3/);
    for (let ms = OPTS.failTimeoutMs; ms <= 4 * OPTS.failTimeoutMs; ms += 250) {
      b.now = ms;
      b.hbAll([1, 2]);
      b.at(ms);
      b.durable();
    }
    t.same(b.config().ranges.find((r) => r.rangeId === lostRange.rangeId)?.chain, [], 'never recreated empty nor merged away');
    const s = masterSummary(b.m);
    t.equal(s.lostRanges, 1);
    t.equal(s.degraded, 'yes');
    t.end();
  },
);

t.test('stopBelowMin: below minNodes heartbeats go unanswered (no leases, K4), and are answered again once enough nodes live', (t) => {
  const b = started(4, { ...OPTS, minNodes: 4, stopBelowMin: true });
  t.ok(b.sent('heartbeat-reply').length >= 4, 'four live nodes: heartbeats answered');
  for (let ms = 250; ms <= OPTS.failTimeoutMs; ms += 250) {
    b.now = ms;
    b.hbAll([1, 2, 3]);
    b.at(ms);
  }
  b.durable();
  t.match(b.out.lines().join('\n'), /DEGRADED: 3 live nodes, below minNodes 4: stopBelowMin: no more leases/);
  const mark = b.out.sends.length;
  b.hbAll([1, 2, 3]);
  t.same(b.sent('heartbeat-reply', mark), [], 'degraded: no heartbeat answered, so no lease is granted (L1, L2)');
  b.msg(4, { type: 'join', incarnation: 5000 });
  b.at(OPTS.failTimeoutMs + 250);
  b.durable();
  const back = b.out.sends.length;
  b.hbAll([1, 2, 3]);
  t.same(
    b.sent('heartbeat-reply', back).map((s) => s.to),
    [1, 2, 3],
    'a fourth node live again: heartbeats answered, the store serves again',
  );
  t.equal(masterSummary(b.m).degraded, 'no');
  t.end();
});

t.test('restart from the record: resumes heads, declares nobody failed before failTimeoutMs, bumps the epoch', (t) => {
  const net = new MasterNet(6, { seed: 'restart', dropRate: 0, maxDelayMs: 5, fsyncMs: 3 });
  for (const r of [1, 2, 3, 4, 5]) net.startNode(r, 0);
  net.run(3000);
  const record = net.record;
  t.ok(record, 'the master persisted its record');
  const epoch = record?.config.epoch ?? 0;
  const restartAt = net.nowMs;
  net.restartMaster();
  net.crash(4);
  net.run(restartAt + OPTS.failTimeoutMs - 5);
  t.equal(net.master.config?.epoch, epoch, 'no reconfiguration before failTimeoutMs after the restart (L3)');
  t.ok(
    net.out.lines().some((l) => l.startsWith('restarted from the record')),
    'it says what it resumed from',
  );
  const resumes = net.out.sends.filter((s) => s.msg.type === 'resume').map((s) => s.to);
  t.equal(
    new Set(resumes).size,
    (record?.config.ranges ?? []).filter((r) => r.chain.length > 0).length > 0
      ? new Set(record?.config.ranges.map((r) => r.chain[0])).size
      : 0,
    'every head resumed',
  );
  net.run(restartAt + OPTS.failTimeoutMs + 600);
  t.ok((net.master.config?.epoch ?? 0) > epoch, 'then rank 4 is dropped at a higher epoch');
  t.ok(net.master.config?.ranges.every((r) => !r.chain.includes(4)));
  t.end();
});

t.test('restart while a config was durable but not yet sent: the next epoch is above what any node reported', (t) => {
  const b = started(3);
  b.msg(3, { type: 'leave' }); // starts steps; then a failure config is decided but never sent
  b.now = 10;
  b.msg(2, { type: 'join', incarnation: 1 });
  const decided = b.m.config as Config;
  const rec: MasterRecord = { batchId: 9, config: decided, failed: [...b.m.failed], leaving: [...b.m.leaving] };
  const r = new Bench(4, OPTS, rec);
  r.now = 20;
  r.msg(1, { type: 'heartbeat', incarnation: 0, hbNo: 1, epoch: decided.epoch + 3, ranges: [] }); // as if it held a later epoch
  r.msg(2, { type: 'join', incarnation: 1 });
  r.at(20);
  const next = r.m.config?.epoch ?? 0;
  t.ok(next === decided.epoch || next > decided.epoch + 3, `a new epoch (${next}) is above every epoch a node reported`);
  for (let ms = 250; ms < 3000; ms += 250) {
    r.now = ms;
    r.hb(1); // rank 3 is silent: dropped after failTimeoutMs
    r.hb(2, [], 1);
    r.at(ms);
    r.durable();
  }
  t.ok((r.m.config?.epoch ?? 0) > decided.epoch + 3, 'the configuration that drops rank 3 exceeds it');
  t.ok(r.m.config?.ranges.every((x) => !x.chain.includes(3)));
  t.ok(r.m.nodes.get(MASTER_RANK) === undefined, 'the master is never a node');
  t.end();
});

t.test('restart: a member that restarted while the master was down (its join lost) is told Removed, then dropped on its join', (t) => {
  const c = started(3).config();
  const r = new Bench(4, OPTS, { batchId: 1, config: c, failed: [], leaving: [] });
  r.now = 5;
  r.msg(1, { type: 'heartbeat', incarnation: 4, hbNo: 1, epoch: 0, ranges: [] });
  t.same(r.out.sends.at(-1), { to: 1, msg: { type: 'removed' } }, 'no lease for an empty process the record puts in chains');
  r.msg(2, { type: 'heartbeat', incarnation: 0, hbNo: 1, epoch: 1, ranges: [] });
  t.same(
    r.out.sends.at(-1),
    { to: 2, msg: { type: 'heartbeat-reply', hbNo: 1, epoch: 1, incarnation: 0 } },
    'a member running the recorded epoch keeps its lease',
  );
  r.msg(1, { type: 'join', incarnation: 4 });
  r.durable();
  t.ok(r.config().epoch > 1 && r.config().ranges.every((x) => !x.chain.includes(1)), 'rank 1 dropped at once, at a higher epoch');
  t.end();
});

t.test('a node declared failed that rejoins before the drop is durable never gets a config naming its old self', (t) => {
  const b = started(3);
  for (let ms = 250; ms <= OPTS.failTimeoutMs; ms += 250) {
    b.now = ms;
    b.hbAll([1, 2]);
    b.at(ms);
  }
  t.equal(b.m.config?.epoch, 2, 'rank 3 declared failed; the drop config waits for the disk');
  const mark = b.out.sends.length;
  b.msg(3, { type: 'join', incarnation: 0 }); // it was only cut off: Removed, so it rejoins as new
  b.msg(3, { type: 'get-config' });
  t.equal(b.sent('config', mark).length, 0, 'epoch 1 (naming rank 3) is not handed to the rejoined process');
  b.durable();
  b.msg(3, { type: 'get-config' });
  const got = b.sent('config', mark).filter((s) => s.to === 3);
  t.ok(
    got.length === 1 && got[0]?.msg.type === 'config' && got[0].msg.config.epoch === 2,
    'it gets the drop config once that is announced',
  );
  t.end();
});

t.test('a Retire once sent is never abandoned: a failure elsewhere installs first, then Retire repeats at the new epoch', (t) => {
  const b = started(4);
  b.msg(4, { type: 'leave' });
  // Drive until a Retire to rank 4 is out and unanswered.
  for (let ms = 250; ms < 5000 && b.m.step?.kind !== 'remove'; ms += 250) {
    b.now = ms;
    for (const s of b.sent('join-as-tail'))
      if (s.msg.type === 'join-as-tail') b.msg(s.to, { type: 'ready', epoch: s.msg.epoch, rangeId: s.msg.rangeId, s0: 0 });
    b.durable();
    b.hbAll([1, 2, 3, 4]);
    b.at(ms);
  }
  for (const s of b.sent('pause'))
    if (s.msg.type === 'pause') b.msg(s.to, { type: 'quiesced', epoch: s.msg.epoch, rangeId: s.msg.rangeId, lastApplied: 0 });
  const step = b.m.step;
  t.equal(step?.kind, 'remove');
  t.equal(step?.phase, 'act', 'Retire is out');
  const rangeId = step?.rangeId ?? '';
  const victim = [1, 2, 3].find((r) => r !== step?.node) as number;
  const before = b.m.config?.epoch ?? 0;
  const start = b.now;
  for (let ms = start + 250; ms <= start + OPTS.failTimeoutMs + 250; ms += 250) {
    b.now = ms;
    b.hbAll([1, 2, 3, 4].filter((r) => r !== victim));
    b.at(ms);
  }
  t.ok((b.m.config?.epoch ?? 0) > before, `rank ${victim}'s failure was installed`);
  t.equal(b.m.step?.kind, 'remove', 'the removal still runs');
  b.durable();
  b.at(b.now + 300);
  const again = b.sent('retire').filter((s) => s.to === step?.node && s.msg.type === 'retire' && s.msg.epoch === b.m.config?.epoch);
  t.ok(again.length > 0, 'Retire repeated at the new epoch');
  b.msg(step?.node ?? -1, { type: 'retired', epoch: b.m.config?.epoch ?? 0, rangeId });
  b.durable();
  t.notOk(
    b
      .config()
      .ranges.find((r) => r.rangeId === rangeId)
      ?.chain.includes(step?.node ?? -1),
    'then the member is removed',
  );
  t.end();
});
