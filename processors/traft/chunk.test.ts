// chunk.test: catch-up that grows with lag travels in messages under a byte bound
// (docs/protocols/traft.md §4.7), measured with the real wire form (toWire + the msgpack codec):
// a follower thousands of positions behind catches up through InstallSnapshot parts; a voter
// that must ship many records and KEYs answers in parts, and the candidate counts the grant only
// once every part of one answer arrived; F9 parts only stage KEYs; the size estimates are upper
// bounds.
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { SeededRandom } from '../../runtime/random.js';
import { toWire } from './bitmap_codec.js';
import { recordBytes } from './chunk.js';
import { defaultTiming, type Timing } from './config.js';
import type { ElectReply, InstallSnapshotReq, Message, SnapshotShipment } from './messages.js';
import type { LogRecord } from './record.js';
import { leaders, replica, traftSim } from './simkit.js';
import type { Target } from '../../runtime/sim/types.js';
import { defined } from '../../runtime/assert.js';
import { statesEqual } from './invariants.js';
import { restartReplica, type ReplicaState } from './state.js';
import { bitmapOf, createBitmap, EMPTY_BITMAP, firstMissing } from './tail_bitmap.js';
import { Driver, L, rec, sentOf, set } from './testkit.js';
import { validateTraftMsg } from './wire.js';

const E = 1000;
const BOUND = 8192;
const codec = msgpackCodec<unknown>();

/** wireBytes is what one message takes in a frame (a batch of one, as the transport encodes it). */
function wireBytes(m: Message): number {
  return codec.encode([toWire(m)]).length;
}

/** roundTrip is the message as the receiving rank sees it. */
function roundTrip(m: Message): Message {
  return validateTraftMsg(codec.decode(codec.encode([toWire(m)]))[0]);
}

t.test(
  'a follower thousands of positions behind catches up through InstallSnapshot parts; every message stays under the bound',
  async (t) => {
    const seed = 'chunk-lag';
    // The lab load at 500 a simulated second per leader, window 100, for 11 s; then the ranks drain and stop.
    const sim = traftSim({
      seed,
      ranks: 3,
      config: {
        ...{ electionMs: E, window: 100, keys: 4, snapshotEvery: 200, setShare: 0.5 },
        tuning: { leaseProtection: true, maxMessageBytes: BOUND },
      },
      loadMs: 11 * E,
      ratePerSec: 500,
      link: { delayMs: 3, jitterMs: 2 },
      disk: { maxFsyncMs: 2 },
    });
    // The bound plays the frame limit: a message over it is dropped, as the transport does.
    let largest = 0;
    const over: string[] = [];
    const parts = { install: 0, whole: 0 };
    sim.tap = (from, to, wire) => {
      const m = wire as Message; // rank to rank: never a client's message
      const n = wireBytes(m);
      largest = Math.max(largest, n);
      if (m.type === 'InstallSnapshotReq') parts[m.shipment.part === true ? 'install' : 'whole']++;
      if (n <= BOUND) return false;
      over.push(`${m.type} ${from}→${to}: ${n} bytes`);
      return true;
    };
    sim.runUntil(2 * E);
    const l = leaders(sim, 3)[0]!;
    const f = (l + 1) % 3;
    const cutAt = firstMissing(replica(sim, f)!.committed);
    const rank = (r: number): Target => ({ type: 'rank', rank: r });
    sim.fault({ action: 'partition', groups: [[rank(l), rank((l + 2) % 3)], [rank(f)]], durationMs: 6 * E });
    sim.runUntil(8 * E);
    const gap = replica(sim, l)!.floor - cutAt;
    t.ok(gap > 2000, `the leader compacted ${gap} positions the follower lacks`);
    // Healed at 8 s; the load ends at 11 s. Each rank's last state before it stops is its drained one.
    const last: Array<ReplicaState | undefined> = [];
    for (let at = 8 * E; at <= 16 * E; at += 10) {
      sim.runUntil(at);
      for (let r = 0; r < 3; r++) last[r] = replica(sim, r) ?? last[r];
    }
    t.same(
      [0, 1, 2].map((r) => sim.end(r)),
      ['stopped', 'stopped', 'stopped'],
      'every rank drained and stopped',
    );
    t.same(over, [], `no message over ${BOUND} bytes (largest ${largest}); replay: seed ${seed}`);
    t.ok(parts.install >= 5, `the snapshot's KEYs went in ${parts.install} parts before the final one`);
    const installed = sim.summary(f)?.snapshotsInstalled;
    t.ok(typeof installed === 'number' && installed >= 1, `the follower installed the snapshot (${installed})`);
    const ends = last.map((s) => defined(s, 'every rank ran'));
    t.equal(firstMissing(ends[f]!.committed), firstMissing(ends[l]!.committed), 'the follower caught up with the leader');
    t.same(sim.problemsSoFar(), [], 'no invariant violated (S1–S4)');
    t.equal(statesEqual(ends.map((s, r) => ({ rank: r, state: s.applier.sm.describe() }))), null, 'state machines equal (S5)');
    const res = checkLogs([0, 1, 2].map((r) => ({ name: `instancelog${r}.log`, node: r, lines: sim.lines(r) })));
    if (res.verdict !== 'pass') t.comment(formatReport(res));
    t.equal(res.verdict, 'pass', 'the checker passes every instance log, the follower’s too (S7)');
  },
);

const C = L(1, 2); // the committer both sides hold
const FLOOR = 2000;
const TOP = FLOOR + 400;
const timing: Timing = { ...defaultTiming(E), leaseProtection: true, maxMessageBytes: BOUND };
const config = { clusterId: 'test', members: [0, 1, 2] };
const keyOf = (p: number): string => `logkey-${p}-abcdefghijklmnopqrstuvwxyz`;

/** voterRecords: the records above the voter's floor, all under committer C. */
function voterRecords(): LogRecord[] {
  return Array.from({ length: TOP - FLOOR }, (_, i) => rec(FLOOR + i, C, set(`k${i % 5}`, i)));
}

/** bigVoter: rank 1 with a snapshot at FLOOR (every KEY logged) and 400 records above it, vote = committer = C. */
function bigVoter(): Driver {
  const keys = Array.from({ length: FLOOR }, (_, p) => keyOf(p));
  const s = restartReplica({
    self: 1,
    config,
    timing,
    nowMs: -10_000,
    random: new SeededRandom('voter'),
    durable: {
      vote: C,
      committer: C,
      log: new Map(voterRecords().map((r) => [r.seq, r] as const)),
      snapshot: { type: 'snapshot', snapshot: { floor: FLOOR, applied: createBitmap(FLOOR), kv: [['x', 7]] }, keysFrom: 0, keys },
    },
    loggedUpTo: FLOOR - 1,
    keys,
  });
  s.electionDeadlineMs = Infinity;
  return new Driver(s);
}

/** laggingCandidate: rank 0, committer C, holding only the voter's last record (so V3 grants), nothing logged. */
function laggingCandidate(): Driver {
  const top = voterRecords()[TOP - FLOOR - 1]!;
  const s = restartReplica({
    self: 0,
    config,
    timing,
    nowMs: -10_000,
    random: new SeededRandom('candidate'),
    durable: { vote: C, committer: C, log: new Map([[top.seq, top]]), snapshot: null },
  });
  s.electionDeadlineMs = 0;
  return new Driver(s);
}

/** merged: the campaign merged (and, its batch durable at once here, established). */
function merged(s: ReplicaState): boolean {
  return (s.campaign !== null && s.campaign.merge !== null) || s.leader !== null;
}

t.test('a voter ships 400 records and 2000 KEYs in parts under the bound; the grant counts only once one answer is whole', async (t) => {
  const cand = laggingCandidate();
  const ask = sentOf(cand.tick(0), 'ElectReq').find((e) => e.to === 1)?.msg;
  t.ok(ask !== undefined, 'the candidate asks rank 1');
  const voter = bigVoter();
  const answer = (at: number): ElectReply[] => sentOf(voter.msg(0, ask!, at), 'ElectReply').map((e) => e.msg);
  const a = answer(1);
  t.ok(a.length > 5, `the answer went in ${a.length} parts`);
  const sizes = a.map(wireBytes);
  t.ok(
    sizes.every((n) => n <= BOUND),
    `every part under ${BOUND} bytes (largest ${Math.max(...sizes)})`,
  );
  t.ok(
    a.every((m) => m.granted && m.part?.of === a.length),
    'every part is a grant naming how many parts the answer has',
  );
  const seen = a.map(roundTrip) as ElectReply[];
  // All but one part of another answer, then all but the first of this one, backwards and twice:
  // a different answer starts the collection over, and no grant counts yet.
  const b = (answer(2).map(roundTrip) as ElectReply[]).slice(1);
  for (const m of [...b, ...seen.slice(1).reverse(), ...seen.slice(1)]) cand.msg(1, m, 3);
  const s = cand.state;
  t.notOk(merged(s), 'no merge on partial answers');
  t.same(
    [s.campaign?.replies.size, s.floor, s.log.size, s.keys.length, s.committer],
    [0, 0, 1, 0, C],
    'partial data counts toward nothing: no reply kept, no snapshot, no record, no KEY, committer unchanged',
  );
  cand.msg(1, seen[0]!, 4);
  t.ok(merged(cand.state), 'the last part of one answer completes the grant: merged');
  const m = cand.state;
  t.same([m.floor, m.keys.length, m.keys.at(FLOOR - 1)], [FLOOR, FLOOR, keyOf(FLOOR - 1)], 'the snapshot installed with every KEY');
  t.same(
    voterRecords().filter((r) => m.log.get(r.seq)?.logKey !== r.logKey),
    [],
    'every shipped record stored',
  );
  t.ok(cand.logLines().filter((x) => x.startsWith('commit')).length >= FLOOR - 1, 'commit lines for the installed positions');
});

t.test('F9 parts only stage KEYs: nothing installed or reported until the part that reaches the floor; a gap is need-keys', async (t) => {
  const d = new Driver(
    restartReplica({
      self: 1,
      config,
      timing,
      nowMs: -10_000,
      random: new SeededRandom('f9'),
      durable: { vote: L(0, 1), committer: null, log: new Map(), snapshot: null },
    }),
  );
  const snapshot = { floor: 30, applied: createBitmap(30), kv: [['a', 3]] as const };
  const keys = Array.from({ length: 30 }, (_, p) => `k${p}`);
  const ship = (from: number, to: number): SnapshotShipment =>
    to < 30
      ? { snapshot, keysFrom: from, keys: keys.slice(from, to), part: true }
      : { snapshot, keysFrom: from, keys: keys.slice(from, to) };
  const req = (reqId: number, sh: SnapshotShipment): InstallSnapshotReq => ({
    type: 'InstallSnapshotReq',
    leader: L(2, 0),
    shipment: sh,
    reqId,
  });
  const r1 = sentOf(d.msg(0, roundTrip(req(1, ship(0, 10))), 1), 'ForwardReply')[0]?.msg;
  t.match(
    r1,
    { ok: true, keysTo: 10, committed: EMPTY_BITMAP, accepted: EMPTY_BITMAP },
    'a part is acked with where the KEYs reach, nothing else',
  );
  t.same([d.state.floor, d.state.keys.length, d.logLines()], [0, 0, []], 'nothing installed or logged');
  const r2 = sentOf(d.msg(0, req(2, ship(20, 25)), 2), 'ForwardReply')[0]?.msg;
  t.match(r2, { ok: false, reason: 'need-keys', keysTo: 10 }, 'a part beyond the staged KEYs: need-keys from 10');
  const r3 = sentOf(d.msg(0, req(3, ship(5, 20)), 3), 'ForwardReply')[0]?.msg;
  t.match(r3, { ok: true, keysTo: 20 }, 'an overlapping part extends the stage');
  t.equal(d.state.floor, 0, 'still nothing installed');
  const r4 = sentOf(d.msg(0, req(4, ship(20, 30)), 4), 'ForwardReply')[0]?.msg;
  t.match(r4, { ok: true, keysTo: 30 }, 'the final part installs');
  t.equal(firstMissing(r4?.committed ?? EMPTY_BITMAP), 30, 'only now [0, 30) is reported committed');
  t.same(
    d.logLines(),
    keys.map((k, p) => `commit ${p} ${k}`),
    'one commit line per position, staged KEYs first',
  );
});

t.test('recordBytes bounds a record’s wire size from above', async (t) => {
  const r = new SeededRandom('record-bytes');
  const empty = wireBytes({ type: 'ForwardReq', leader: L(1, 0), kind: 'append', records: [], committed: EMPTY_BITMAP, reqId: 1 });
  let worst = -Infinity;
  for (let i = 0; i < 300; i++) {
    const seq = r.int(2 ** 32) * 256 + r.int(256);
    const deps = bitmapOf(Array.from({ length: r.int(400) }, () => r.int(20_000)));
    const overrides = [...new Set(Array.from({ length: r.int(50) }, () => r.int(2 ** 32)))].sort((x, y) => x - y).concat([seq]);
    const uni = r.int(2) === 0 ? '' : 'é€😀';
    const logKey = (uni + 'abcdefghij').repeat(r.int(20));
    const rc = rec(seq, L(r.int(2 ** 32) * 1000, r.int(1000)), set(`key${uni}${i}`, r.next() * 1e9), { deps, overrides });
    const one = { ...rc, logKey: logKey.slice(0, 256) };
    const actual =
      wireBytes({ type: 'ForwardReq', leader: L(1, 0), kind: 'append', records: [one], committed: EMPTY_BITMAP, reqId: 1 }) - empty;
    worst = Math.max(worst, actual - recordBytes(one));
  }
  t.ok(worst <= 0, `no record encodes larger than its estimate (worst excess ${worst})`);
});
