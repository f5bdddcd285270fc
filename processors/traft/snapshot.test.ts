// snapshot.test: snapshots (docs/protocols/traft.md §7, §8, F9) on the one simulator (runtime/sim,
// through simkit.ts) and the pure step function: a follower cut off below the leader's floor
// installs and syncs (T16); an out-of-order applied incr above the floor survives a restart
// applied once (T25); a stale follower unknown to a new leader is probed, installs, syncs (T26);
// a second install starts at the follower's commit frontier; KEYs the follower lost to a torn line
// are asked for again (need-keys); restart from a checkpoint; the wire forms. Every seed is fixed: `npx tap processors/traft/snapshot.test.ts` replays.
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { SeededRandom } from '../../runtime/random.js';
import { rankTarget } from '../../runtime/sim/types.js';
import { formatKv } from './applier.js';
import { toWire } from './bitmap_codec.js';
import { entriesToReplay, replayWal } from './durable.js';
import { formatInstanceLine, keysFromLines, loggedUpToFrom } from './instance_log.js';
import type { TraceEvent } from './io.js';
import type { InstallSnapshotReq, Message, SnapshotShipment } from './messages.js';
import { snapshotDue } from './snapshot.js';
import { restartReplica } from './state.js';
import { statesEqual } from './invariants.js';
import { chosen, installs, instanceLogs, kvOf, leaders, propose, scripted, stateOf, tracesOn, type Scripted } from './simkit.js';
import { addSeq, bitmapLen, createBitmap, EMPTY_BITMAP, firstMissing, hasSeq } from './tail_bitmap.js';
import { Driver, electReq, forward, incr, L, plain, rec, replica, sentOf, set, TIMING } from './testkit.js';
import { encodeCheckpoint } from './wal/format.js';
import { validateTraftMsg } from './wire.js';

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

const E = 1000;

/**
 * cluster: elections as the seed's design has them (no pre-vote): a follower cut off campaigns
 * into higher terms, so after the heal a new leader must Sync it (T16's and T26's second half).
 */
function cluster(n: number, seed: string, snapshotEvery: number, o: { load?: boolean; torn?: number; rate?: number } = {}): Scripted {
  return scripted({
    seed,
    ranks: n,
    config: { electionMs: E, window: 20, keys: 3, snapshotEvery, setShare: 0.5, seedElections: true, tuning: { leaseProtection: true } },
    load: o.load === true,
    ratePerSec: o.rate ?? 1000,
    disk: { tornLineRate: o.torn ?? 0 },
  });
}

const all = (run: Scripted): number[] => Array.from({ length: run.ranks }, (_, r) => r);
const kill = (run: Scripted, rank: number): void => run.sim.fault({ action: 'kill', target: rankTarget(rank) });
const restart = (run: Scripted, rank: number): void => run.sim.fault({ action: 'restart', target: rankTarget(rank) });
const runFor = (run: Scripted, ms: number): void => run.sim.runUntil(run.sim.now() + ms);

/** drain: heal, restart everyone, stop the load, run; then S1–S5 (checked every step), equal states, S7. */
function drain(t: TapTest, run: Scripted): void {
  const { sim } = run;
  sim.heal();
  sim.tap = undefined;
  for (const r of all(run)) restart(run, r);
  run.lab.on = false;
  runFor(run, 8 * E);
  t.same(sim.problemsSoFar(), [], 'no invariant violated (S1–S4)');
  t.equal(statesEqual(all(run).map((r) => ({ rank: r, state: kvOf(sim, r) }))), null, 'state machines equal (S5)');
  const res = checkLogs(instanceLogs(sim, run.ranks));
  if (res.verdict !== 'pass') t.comment(formatReport(res));
  t.equal(res.verdict, 'pass', 'the checker passes every instance log (S7)');
}

/** commitCounts: seq → number of commit lines in a rank's instance log. */
function commitCounts(lines: readonly string[]): Map<number, number> {
  const n = new Map<number, number>();
  for (const line of lines) {
    const m = /^commit Instance\[[^\]]*\] in seq (\d+) at \d+$/.exec(line);
    if (m !== null) n.set(Number(m[1]), (n.get(Number(m[1])) ?? 0) + 1);
  }
  return n;
}

/** badLines: positions below `floor` whose commit-line count on `rank` is not 1 (cmd) or 0 (no-op). */
function badLines(run: Scripted, rank: number, floor: number): number[] {
  const n = commitCounts(run.sim.lines(rank));
  const decided = chosen(run.traces);
  const bad: number[] = [];
  for (let p = 0; p < floor; p++) {
    const c = decided.get(p);
    if (c === undefined || (n.get(p) ?? 0) !== (c.logKey === '' ? 0 : 1)) bad.push(p);
  }
  return bad;
}

/** installedThenSynced: index of the first install and of the first Sync after it (-1: none). */
function installedThenSynced(evs: TraceEvent[]): [number, number] {
  const inst = evs.findIndex((e) => e.type === 'snapshot' && e.installed);
  return [inst, inst < 0 ? -1 : evs.findIndex((e, i) => i > inst && e.type === 'synced')];
}

t.test('T16: a follower partitioned away below the leader’s floor installs the snapshot, syncs, logs every position once', async (t) => {
  const run = cluster(3, 't16', 10, { load: true });
  const { sim } = run;
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0]!;
  const f = (l + 1) % 3;
  const cutAt = firstMissing(stateOf(sim, f).committed);
  sim.fault({ action: 'partition', groups: [[rankTarget(l), rankTarget((l + 2) % 3)], [rankTarget(f)]], durationMs: Infinity });
  runFor(run, 4 * E);
  t.ok(stateOf(sim, l).floor > cutAt + 10, `the leader snapshotted past the follower (floor ${stateOf(sim, l).floor} > ${cutAt})`);
  const healAt = sim.now();
  sim.heal();
  runFor(run, 3 * E);
  const [inst, synced] = installedThenSynced(tracesOn(run.traces, f, healAt));
  t.ok(inst >= 0, 'the follower installed a snapshot (F9)');
  t.ok(synced > inst, 'and then completed a Sync');
  drain(t, run);
  const floor = stateOf(sim, f).floor;
  t.ok(floor > cutAt, `its floor (${floor}) is above where it was cut off`);
  t.equal(kvOf(sim, f), kvOf(sim, l), 'its state machine equals that of the leader it was cut off from');
  t.same(badLines(run, f, floor), [], 'one commit line for every non-no-op position below its floor, none for no-ops');
});

t.test(
  'a second install ships KEYs from where the leader knows the follower’s commits reach, not from where the first ended',
  async (t) => {
    const run = cluster(3, 'twice-d', 10, { load: true, rate: 200 });
    const { sim } = run;
    sim.runUntil(3 * E);
    const l = leaders(sim, 3)[0]!;
    const f = (l + 1) % 3;
    let ships: number[] = [];
    sim.tap = (from, to, m) => (from === l && to === f && m.type === 'InstallSnapshotReq' && ships.push(m.shipment.keysFrom), false);
    /** pauseAndResume: the leader's view of the follower's commit frontier when it stops (paused, it does not campaign). */
    const pauseAndResume = (): number => {
      const known = firstMissing(stateOf(sim, l).leader!.progress.get(f)!.committed);
      sim.fault({ action: 'pause', target: rankTarget(f), durationMs: 4 * E });
      runFor(run, 7 * E);
      return known;
    };
    const first = pauseAndResume();
    t.ok(ships.length >= 1, `precondition: an install (${ships.join(',')})`);
    ships = [];
    const known = pauseAndResume();
    t.ok(ships.length >= 1 && leaders(sim, 3)[0] === l && known > first, `precondition: a second install (${ships.join(',')})`);
    t.ok(ships[0]! >= known, `its KEYs start at or above ${known}, where the follower had committed (from ${ships[0]})`);
    drain(t, run);
    t.same(badLines(run, f, stateOf(sim, f).floor), [], 'one commit line for every non-no-op position below its floor');
  },
);

t.test('T25: an incr applied above the floor is in the snapshot’s applied bitmap and is applied once after a restart', async (t) => {
  const run = cluster(3, 't25', 2);
  const { sim } = run;
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0]!;
  const f = (l + 1) % 3;
  const p = bitmapLen(stateOf(sim, l).accepted);
  const q = p + 2;
  const held = new Set([p, q]); // appends carrying these reach no follower: no quorum, holes at p and q
  sim.tap = (from, _to, m) => from === l && m.type === 'ForwardReq' && m.records.some((r) => held.has(r.seq));
  const cmds = [set('x', 5), incr('y'), set('z', 7), incr('w')];
  cmds.forEach((c, i) => (propose(sim, l, c, `tpfive${i}`), runFor(run, 10)));
  runFor(run, 20);
  const lc = stateOf(sim, l).committed;
  t.ok(hasSeq(lc, q + 1) && !hasSeq(lc, p) && !hasSeq(lc, q), `incr w@${q + 1} committed out of order above the holes at ${p}, ${q}`);
  held.delete(p); // p's resend (after its rpc timeout) goes alone and commits; the frontier jumps to q
  runFor(run, E);
  const snap = replayWal(entriesToReplay(sim.durable(f))).snapshot?.snapshot;
  t.equal(snap?.floor, q, 'the follower’s durable snapshot ends at the hole q');
  t.ok(snap !== undefined && hasSeq(snap.applied, q + 1), 'its applied bitmap reaches above the floor (q+1)');
  t.equal(formatKv(new Map((snap?.kv ?? []) as [string, number][])), 'w=1 x=5 y=1', 'it holds the state after exactly those positions');
  sim.setDisk({ keepUnsyncedRate: 0 }); // the restart sees exactly that durable state
  kill(run, f);
  restart(run, f);
  t.ok(hasSeq(stateOf(sim, f).applier.applied, q + 1), 'the restart restores the applied bitmap, not [0, floor)');
  held.clear();
  runFor(run, 3 * E);
  t.equal(installs(run.traces, f), 0, 'no InstallSnapshot: the state came from its own checkpoint');
  t.equal(kvOf(sim, f), 'w=1 x=5 y=1 z=7', 'incr w applied once after the restart');
  drain(t, run);
});

t.test('T26: a stale follower unknown to a new leader is probed, installs the snapshot with KEYs, then syncs (S4)', async (t) => {
  const run = cluster(5, 't26', 10, { load: true });
  const { sim } = run;
  sim.runUntil(3 * E);
  const a = leaders(sim, 5)[0]!;
  const e = (a + 1) % 5;
  const downAt = firstMissing(stateOf(sim, e).committed);
  kill(run, e);
  runFor(run, 2 * E);
  kill(run, a);
  runFor(run, 4 * E);
  const x = leaders(sim, 5)[0];
  t.ok(x !== undefined && x !== a, 'a new leader among the other three');
  const xs = stateOf(sim, x!);
  t.equal(xs.leader!.progress.get(e)!.known, false, 'it knows nothing of the stale follower');
  t.ok(xs.floor > downAt, `it snapshotted past the follower’s frontier (${xs.floor} > ${downAt})`);
  const sent: Message[] = []; // x→e messages and e→x replies, in send order (probes to the dead e included)
  sim.tap = (from, to, m) => (((from === x && to === e) || (from === e && to === x)) && sent.push(m as Message), false);
  runFor(run, E / 2);
  const at = sim.now();
  restart(run, e);
  const eFloor = stateOf(sim, e).floor;
  runFor(run, 2 * E);
  const kinds = sent.map((m) => (m.type === 'ForwardReq' ? m.kind : m.type));
  const reply = kinds.indexOf('ForwardReply');
  const inst = kinds.indexOf('InstallSnapshotReq');
  t.ok(
    reply > 0 && kinds.slice(0, reply).every((k) => k === 'heartbeat'),
    `only probes until e answers (${kinds.slice(0, reply + 1).join(',')})`,
  );
  t.ok(reply < inst && inst < kinds.indexOf('sync'), `then InstallSnapshot, then Sync (${kinds.slice(reply, reply + 5).join(',')})`);
  const ship = (sent[inst] as InstallSnapshotReq | undefined)?.shipment;
  t.equal(ship?.keysFrom, eFloor, 'KEYs from the frontier the follower reported');
  t.ok(ship !== undefined && ship.keys.length === ship.snapshot.floor - eFloor && ship.keys.some((k) => k !== ''), 'KEYs up to the floor');
  const [i, s] = installedThenSynced(tracesOn(run.traces, e, at));
  t.ok(i >= 0 && s > i, 'installed, then synced');
  drain(t, run);
  t.same(badLines(run, e, stateOf(sim, e).floor), [], 'the follower logged every position below its floor once');
});

t.test('need-keys: a follower whose torn last line lost a commit mark the leader holds asks for KEYs from its real frontier', async (t) => {
  // 200 a second: the follower keeps within a snapshot interval of the leader, so it has installed
  // nothing before (at 1,000 a second it does, and the leader ships from where that install left its KEYs)
  const run = cluster(3, 'needkeys', 10, { load: true, torn: 1, rate: 200 });
  const { sim } = run;
  sim.runUntil(3 * E);
  run.lab.on = false;
  runFor(run, E);
  const l = leaders(sim, 3)[0]!;
  const f = (l + 1) % 3;
  // a few commits past the last snapshot, fewer than snapshotEvery, so they stay above the
  // follower's floor; one at a time, so its last line is the highest seq's commit mark
  for (let i = 0; i < 3; i++) {
    propose(sim, l, incr('k0'), `needkeysextra${i}`);
    runFor(run, E / 4);
  }
  const front = firstMissing(stateOf(sim, f).committed);
  t.ok(stateOf(sim, f).floor < front, `precondition: its floor ${stateOf(sim, f).floor} is below its frontier ${front}`);
  const logged = loggedUpToFrom(sim.lines(f));
  kill(run, f);
  // what the restart reads: the sink cuts a torn last line whole, however much of it a crash kept
  const kept = sim.unterminated(f) ? sim.lines(f).slice(0, -1) : sim.lines(f);
  t.ok(loggedUpToFrom(kept) < logged, 'the torn line lost its last commit mark');
  run.lab.on = true;
  runFor(run, 3 * E);
  run.lab.on = false;
  t.ok(stateOf(sim, l).floor > front, 'the leader snapshotted past it');
  const ships: number[] = [];
  let needKeys = 0;
  let installed = false;
  sim.tap = (from, to, m) => {
    if (from === l && to === f && m.type === 'InstallSnapshotReq') ships.push(m.shipment.keysFrom);
    if (from === f && m.type === 'ForwardReply' && m.reason === 'need-keys') needKeys++;
    // heartbeats lost until it installs: they would let it re-learn the marks from its own log first
    if (!(from === l && to === f && m.type === 'ForwardReq' && m.kind === 'heartbeat')) return false;
    installed ||= installs(run.traces, f) > 0;
    return !installed;
  };
  restart(run, f);
  const keysLen = stateOf(sim, f).keys.length;
  runFor(run, 2 * E);
  t.ok(keysLen < front, `precondition: its KEYs end (${keysLen}) below the frontier the leader holds (${front})`);
  t.ok(needKeys >= 1, 'it answered need-keys');
  t.ok(
    ships[0] === front && ships.some((k) => k <= keysLen),
    `the leader shipped KEYs from ${front}, then from its real frontier (${ships.join(',')})`,
  );
  t.ok(installs(run.traces, f) >= 1, 'and it installed');
  drain(t, run);
  t.same(badLines(run, f, stateOf(sim, f).floor), [], 'the lost commit line was written again, no line twice');
});

/** ship: a snapshot at `floor` (applied also holds floor + 1) with KEYs `k<p>` for [keysFrom, floor). */
function ship(floor: number, keysFrom: number): SnapshotShipment {
  const keys = Array.from({ length: floor - keysFrom }, (_, i) => `k${keysFrom + i}`);
  return { snapshot: { floor, applied: addSeq(createBitmap(floor), floor + 1), kv: [['a', 3]] }, keysFrom, keys };
}

t.test('F9 on the step function: need-keys changes nothing; a newer shipment installs; an older one is acked', async (t) => {
  const d = new Driver(replica(1, 3, { vote: L(0, 1) }, -10_000));
  const req = (reqId: number, sh: SnapshotShipment): InstallSnapshotReq => ({
    type: 'InstallSnapshotReq',
    leader: L(2, 0),
    shipment: sh,
    reqId,
  });
  const r1 = sentOf(d.msg(0, req(1, ship(6, 2)), 1), 'ForwardReply')[0]?.msg;
  t.match(r1, { ok: false, reason: 'need-keys', committed: EMPTY_BITMAP }, 'KEYs from 2, nothing logged: need-keys');
  t.same([d.state.floor, d.state.keys.length, d.state.applier.sm.describe(), d.logLines()], [0, 0, '', []], 'nothing changed');
  const r2 = sentOf(d.msg(0, req(2, ship(6, 0)), 2), 'ForwardReply')[0]?.msg;
  t.equal(r2?.ok, true, 'KEYs from 0: installed and acked');
  t.equal(firstMissing(r2?.committed ?? EMPTY_BITMAP), 6, 'the reply reports [0, 6) committed');
  t.same(
    [d.state.floor, d.state.applier.sm.describe(), hasSeq(d.state.applier.applied, 7)],
    [6, 'a=3', true],
    'installed, applied as shipped',
  );
  t.same(
    d.logLines(),
    [0, 1, 2, 3, 4, 5].map((p) => `commit ${p} k${p}`),
    'a commit line for each shipped KEY',
  );
  const r3 = sentOf(d.msg(0, req(3, ship(4, 0)), 3), 'ForwardReply')[0]?.msg;
  t.same([r3?.ok, d.state.floor, d.logLines().length], [true, 6, 6], 'an older snapshot: acked, ignored');
});

t.test('restart from a checkpoint: floor, committed, kv, KEYs; a torn line below the floor is written again', async (t) => {
  const timing = { ...TIMING, snapshotEvery: 4 };
  const d = new Driver(replica(1, 3, { vote: L(0, 1) }, -10_000, timing));
  const L1 = L(1, 0);
  const recs = [
    rec(0, L1),
    rec(1, L1, set('a', 1)),
    rec(2, L1, incr('b')),
    rec(3, L1, set('c', 3)),
    rec(4, L1, incr('b')),
    rec(5, L1, set('d', 4)),
  ];
  d.msg(
    0,
    forward(L1, 'sync', recs, EMPTY_BITMAP, 1, { lo: 0, baseTail: 6, digest: recs.map((r) => [r.seq, L1] as const), last: true }),
    1,
  );
  d.msg(0, forward(L1, 'heartbeat', [], createBitmap(5), 2), 2);
  t.equal(d.state.floor, 5, 'snapshot at 5 (5 to go, every 4)');
  const batches = d.outs.flatMap((o) => o.persist);
  const cp = batches.find((b) => b.checkpoint !== undefined);
  t.ok(cp, 'its batch carries a checkpoint');
  const [entry, ...rest] = cp?.checkpoint ?? [];
  t.match(
    entry,
    { type: 'snapshot', keysFrom: 0, keys: ['', 'key1_1_0', 'key2_1_0', 'key3_1_0', 'key4_1_0'] },
    'the KEYs since the last floor',
  );
  // the entry reads its KEYs from the key table when asked: written, it must be the same bytes as plain data
  const plain =
    entry?.type === 'snapshot' ? [{ type: entry.type, snapshot: entry.snapshot, keysFrom: entry.keysFrom, keys: [...entry.keys] }] : [];
  t.same(
    encodeCheckpoint(cp?.batchId ?? 0, [entry!, ...rest]),
    encodeCheckpoint(cp?.batchId ?? 0, [...plain, ...rest]),
    'the checkpoint encodes as its plain copy does',
  );
  const lines = d.outs.flatMap((o) => o.log.map((e) => formatInstanceLine(e, 1)));
  t.match(lines.at(-1), /^commit Instance\[key4_1_0\] in seq 4 /, 'the last line is the commit of 4');
  lines[lines.length - 1] = lines.at(-1)!.slice(0, 12); // torn
  const s = restartReplica({
    self: 1,
    config: d.state.config,
    timing,
    nowMs: 10,
    random: new SeededRandom('restart'),
    durable: replayWal(entriesToReplay(batches)),
    loggedUpTo: loggedUpToFrom(lines),
    keys: keysFromLines(lines),
  });
  t.same(
    [s.floor, s.loggedUpTo, firstMissing(s.committed) >= 5, s.applier.sm.describe()],
    [5, 3, true, 'a=1 b=2 c=3'],
    'floor, loggedUpTo, committed ⊇ [0, 5), kv',
  );
  t.same(
    s.keys.slice(0),
    ['', 'key1_1_0', 'key2_1_0', 'key3_1_0', 'key4_1_0'],
    'KEYs: the log’s, then the snapshot entry’s for the torn line',
  );
  t.same([[...s.log.keys()], s.log.get(5)?.logKey], [[5], 'key5_1_0'], 'records at and above the floor only');
  const r = new Driver(s);
  r.tick(11);
  t.same(r.logLines(), ['commit 4 key4_1_0'], 'the first step writes the lost commit line, nothing else');
});

t.test('wire: InstallSnapshotReq and an ElectReply with a snapshot round-trip; malformed ones are rejected', async (t) => {
  const codec = msgpackCodec<unknown>();
  const back = (m: Message): Message => validateTraftMsg(codec.decode(codec.encode([toWire(m)]))[0]);
  const inst: InstallSnapshotReq = { type: 'InstallSnapshotReq', leader: L(3, 1), shipment: ship(40, 33), reqId: 9 };
  t.same(back(inst), inst, 'InstallSnapshotReq');
  const reply: Message = {
    type: 'ElectReply',
    candidate: L(4, 2),
    granted: true,
    vote: L(4, 2),
    committer: L(3, 1),
    accepted: createBitmap(200, 230),
    committed: createBitmap(41),
    records: [rec(41, L(3, 1), set('a', 1))],
    snapshot: ship(41, 0),
  };
  t.same(plain(back(reply)), plain(reply), 'ElectReply with a snapshot');
  /** Wire: the fields of a message's wire form that the cases below break. */
  type WireShipment = { keys: string[]; snapshot: { applied: unknown; kv: unknown } };
  type Wire = { frontier?: unknown; shipment?: WireShipment; snapshot?: WireShipment };
  const wire = (m: Message, patch: (o: Wire) => void): unknown => {
    const o = structuredClone(toWire(m)) as Wire;
    patch(o);
    return o;
  };
  const bad: Array<[string, unknown, RegExp]> = [
    ['keys short of the floor', wire(inst, (o) => o.shipment!.keys.pop()), /keys must cover/],
    ['keys past the floor', wire(inst, (o) => o.shipment!.keys.push('x')), /keys must cover/],
    ['applied short of the floor', wire(inst, (o) => (o.shipment!.snapshot.applied = createBitmap(39))), /applied must cover/],
    ['a non-numeric kv value', wire(inst, (o) => (o.shipment!.snapshot.kv = [['a', '3']])), /kv entries/],
    ['ElectReply snapshot with short keys', wire(reply, (o) => o.snapshot!.keys.shift()), /keys must cover/],
    ['ElectReq without frontier', wire(electReq(L(1, 1), null, EMPTY_BITMAP), (o) => delete o.frontier), /frontier/],
    [
      'an unknown ForwardReply reason',
      {
        type: 'ForwardReply',
        leader: L(1, 0),
        ok: false,
        reason: 'need-coffee',
        vote: L(1, 0),
        committer: null,
        accepted: EMPTY_BITMAP,
        committed: EMPTY_BITMAP,
        reqId: 1,
      },
      /unknown reason/,
    ],
  ];
  for (const [what, msg, why] of bad) t.throws(() => validateTraftMsg(msg), why, what);
  t.same(
    validateTraftMsg({ ...(bad[6]![1] as object), reason: 'need-keys' }),
    { ...(bad[6]![1] as object), reason: 'need-keys' },
    'need-keys is a known reason',
  );
});

t.test('snapshotDue: each rank its own marks, every/2 to 3·every/2 above its floor', async (t) => {
  const every = 10000;
  t.same(
    [0, 1, 2, 3, 4].map((place) => snapshotDue(0, every, place, 5)),
    [10000, 12000, 14000, 6000, 8000],
    'five ranks from floor 0: five different first floors',
  );
  const random = new SeededRandom('snapshot-due');
  for (let i = 0; i < 2000; i++) {
    const [floor, step, members] = [random.int(1e6), 1 + random.int(5000), 1 + random.int(7)];
    const place = random.int(members);
    const due = snapshotDue(floor, step, place, members);
    const phase = Math.floor((place * step) / members);
    if (due - floor < Math.ceil(step / 2) || due - floor >= Math.ceil(step / 2) + step || (due - phase) % step !== 0)
      return t.fail(`snapshotDue(${floor}, ${step}, ${place}, ${members}) = ${due}`);
  }
  t.pass('2,000 random floors: the due floor is a mark of the rank, every/2 to 3·every/2 above');
  t.equal(snapshotDue(12000, every, 1, 5), 22000, 'a floor on its mark: the next is every above');
});

t.test('a loaded cluster’s ranks snapshot at different floors', async (t) => {
  const every = 200;
  const run = cluster(3, 'marks', every, { load: true });
  run.sim.runUntil(8 * E);
  const taken = [0, 1, 2].map((r) => tracesOn(run.traces, r, 0).flatMap((e) => (e.type === 'snapshot' && !e.installed ? [e.floor] : [])));
  t.ok(
    taken.every((floors) => floors.length >= 3),
    `each rank took snapshots (${taken.map((f) => f.length).join(', ')})`,
  );
  // a rank's floor overshoots its mark by what its step committed; what matters is how far apart they stay
  const gaps = taken[0]!.map((f) => Math.min(...[...taken[1]!, ...taken[2]!].map((g) => Math.abs(f - g)))).sort((x, y) => x - y);
  const median = gaps[gaps.length >> 1]!;
  t.ok(
    median >= every / 6,
    `rank 0's floors lie a median ${median} positions from the nearest other rank's (their marks ${Math.round(every / 3)} apart)`,
  );
  drain(t, run);
});
