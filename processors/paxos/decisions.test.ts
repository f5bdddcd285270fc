// decisions.test: each Paxos decision in isolation, on the pure cores (no sockets, no time):
// sync merge by highest accepted round, impose, frontier commit, bump on a larger round,
// sit-out after a missed sync or a lost PROPOSE, and the restarted rank's silence.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { mergeGathers, SafetyViolation } from './merge.js';
import { COMMITTED, type PaxosMsg } from './messages.js';
import { Follower } from './follower.js';
import { Leader } from './leader.js';
import { CommitArchive, fileReader, fileSize } from './archive.js';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLines } from './instancelog.js';
import { Router } from './router.js';
import { proposeBytes, proposeFit } from './wire.js';
import { ALL } from './events.js';
import { instanceKey } from './key.js';
import { defined } from '../../runtime/assert.js';

const K = (c: string): string => c.repeat(32);
const L = 100;

t.test('instanceKey: 32 letters from SHA-256, byte b → a + b mod 26', async (t) => {
  const k = instanceKey('hello');
  t.match(k, /^[a-z]{32}$/);
  // sha256('hello') starts 2c f2 4d → 44%26=18 's', 242%26=8 'i', 77%26=25 'z'
  t.equal(k.slice(0, 3), 'siz');
});

t.test('merge: the value accepted in the highest round wins', async (t) => {
  const merged = mergeGathers(
    [
      { from: 0, frontier: -1, syncRound: -1, held: [[5, K('a'), 1]] },
      { from: 1, frontier: -1, syncRound: -1, held: [[5, K('b'), 3]] },
      { from: 2, frontier: -1, syncRound: -1, held: [] },
    ],
    -1,
    L,
  );
  t.same(merged, [[5, K('b')]]);
});

t.test('merge: a committed entry wins outright, whatever the rounds', async (t) => {
  const merged = mergeGathers(
    [
      { from: 0, frontier: 5, syncRound: 0, held: [[5, K('a'), COMMITTED]] },
      { from: 1, frontier: -1, syncRound: -1, held: [[5, K('a'), 0]] },
    ],
    -1,
    L,
  );
  t.same(merged, [[5, K('a')]]);
});

t.test('merge: an estround a gatherer skipped below its frontier stays absent', async (t) => {
  const merged = mergeGathers(
    [
      { from: 0, frontier: 150, syncRound: 1, held: [[150, K('c'), COMMITTED]] },
      { from: 1, frontier: -1, syncRound: -1, held: [[7, K('z'), 0]] }, // stale round-0 acceptance
    ],
    -1,
    L,
  );
  t.same(merged, [[150, K('c')]], 'estround 7 is not resurrected below rank 0’s commits');
});

t.test('merge: a later IMPOSE acceptance votes absent over an older acceptance', async (t) => {
  const merged = mergeGathers(
    [
      { from: 0, frontier: -1, syncRound: 2, held: [] }, // accepted round 2's IMPOSE without estround 7
      { from: 1, frontier: -1, syncRound: -1, held: [[7, K('z'), 0]] },
    ],
    -1,
    L,
  );
  t.same(merged, []);
  const kept = mergeGathers(
    [
      { from: 0, frontier: -1, syncRound: 0, held: [] },
      { from: 1, frontier: -1, syncRound: -1, held: [[7, K('z'), 0]] },
    ],
    -1,
    L,
  );
  t.same(kept, [[7, K('z')]], 'an IMPOSE of the same or an older round does not outvote it');
});

t.test('merge: two committed keys at one estround is a safety violation', async (t) => {
  t.throws(
    () =>
      mergeGathers(
        [
          { from: 0, frontier: 5, syncRound: 0, held: [[5, K('a'), COMMITTED]] },
          { from: 1, frontier: 5, syncRound: 0, held: [[5, K('b'), COMMITTED]] },
        ],
        -1,
        L,
      ),
    SafetyViolation,
  );
});

function msgs(sends: { to: number; msg: PaxosMsg }[], type: PaxosMsg['type']): PaxosMsg[] {
  return sends.filter((s) => s.msg.type === type).map((s) => s.msg);
}

t.test('follower: sync then instances commit in order; a COMMIT implies DECIDE', async (t) => {
  const f = new Follower({ rank: 1, ranks: 5, interval: L });
  f.step({ type: 'round', round: 0 });
  const g = f.step({ type: 'msg', msg: { type: 'read', from: 0, round: 0, frontier: -1 } });
  t.same(g.sends, [{ to: 0, msg: { type: 'gather', from: 1, round: 0, frontier: -1, syncRound: -1, held: [] } }]);
  const a = f.step({ type: 'msg', msg: { type: 'impose', from: 0, round: 0, base: -1, entries: [] } });
  t.same(msgs(a.sends, 'ack'), [{ type: 'ack', from: 1, round: 0, seq: -1 }]);
  const p = f.step({
    type: 'msg',
    msg: { type: 'propose', from: 0, round: 0, first: 0, keys: [K('a'), K('b')], values: [new Uint8Array(1), new Uint8Array(1)] },
  });
  t.same(msgs(p.sends, 'ack'), [{ type: 'ack', from: 1, round: 0, seq: 1 }], 'one cumulative ack per batch');
  t.same(
    p.log.map((l) => l.kind),
    ['generate', 'generate'],
  );
  const c = f.step({ type: 'msg', msg: { type: 'commit', from: 0, round: 0, seq: 1 } });
  t.same(c.log, [
    { kind: 'commit', estround: 0, key: K('a') },
    { kind: 'commit', estround: 1, key: K('b') },
  ]);
  t.equal(f.frontier, 1);
});

t.test('follower: a rank that missed the sync sits the round out', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  f.step({ type: 'msg', msg: { type: 'propose', from: 1, round: 1, first: 0, keys: [K('a')], values: [new Uint8Array(1)] } });
  const c = f.step({ type: 'msg', msg: { type: 'commit', from: 1, round: 1, seq: 0 } });
  t.same(c.log, [], 'no IMPOSE accepted this round: nothing committed');
});

t.test('follower: behind the IMPOSE base, it neither acks nor commits', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  const a = f.step({ type: 'msg', msg: { type: 'impose', from: 1, round: 1, base: 40, entries: [[50, K('x')]] } });
  t.same(a.sends, []);
  const d = f.step({ type: 'msg', msg: { type: 'decide', from: 1, round: 1 } });
  t.same(d.log, []);
});

t.test('follower: a lost PROPOSE below the COMMIT frontier stalls commits (no hole)', async (t) => {
  const f = new Follower({ rank: 3, ranks: 5, interval: L });
  f.step({ type: 'round', round: 0 });
  f.step({ type: 'msg', msg: { type: 'impose', from: 0, round: 0, base: -1, entries: [] } });
  f.step({ type: 'msg', msg: { type: 'propose', from: 0, round: 0, first: 1, keys: [K('b')], values: [new Uint8Array(1)] } }); // seq 0 lost
  const c = f.step({ type: 'msg', msg: { type: 'commit', from: 0, round: 0, seq: 1 } });
  t.same(
    c.log.filter((l) => l.kind === 'commit'),
    [],
  );
  t.equal(f.frontier, -1);
});

t.test('follower: the IMPOSE catch-up commits decided entries above its frontier', async (t) => {
  const f = new Follower({ rank: 4, ranks: 5, interval: L });
  f.step({ type: 'round', round: 2 });
  f.step({
    type: 'msg',
    msg: {
      type: 'impose',
      from: 2,
      round: 2,
      base: -1,
      entries: [
        [3, K('c')],
        [104, K('d')],
      ],
    },
  });
  const d = f.step({ type: 'msg', msg: { type: 'decide', from: 2, round: 2 } });
  t.same(d.committed, [
    [3, K('c')],
    [104, K('d')],
  ]);
  t.equal(f.syncRound, 2);
});

t.test('follower: a restarted (amnesiac) rank answers no READ until a sync includes it', async (t) => {
  const f = new Follower({ rank: 1, ranks: 5, interval: L, amnesiac: true, votedThrough: 2 });
  f.restore([[0, K('a')]]);
  f.step({ type: 'round', round: 3 });
  t.same(f.step({ type: 'msg', msg: { type: 'read', from: 3, round: 3, frontier: -1 } }).sends, []);
  f.step({ type: 'msg', msg: { type: 'impose', from: 3, round: 3, base: 0, entries: [] } });
  f.step({ type: 'round', round: 4 });
  t.equal(f.step({ type: 'msg', msg: { type: 'read', from: 4, round: 4, frontier: -1 } }).sends.length, 1);
});

t.test(
  'follower: a delayed duplicate IMPOSE of a round its old incarnation was in does not end its amnesia (issue 11 hole 1)',
  async (t) => {
    // What the old eager sweep handed a restarted rank over the network: the last IMPOSE its old
    // incarnation was sent (round 2 ≤ votedThrough). Had it ended the amnesia, the rank would
    // promise in round 4 without what it may have accepted before the crash.
    const f = new Follower({ rank: 1, ranks: 5, interval: L, amnesiac: true, votedThrough: 2 });
    f.restore([[0, K('a')]]);
    f.step({ type: 'round', round: 3 });
    f.step({ type: 'msg', msg: { type: 'impose', from: 2, round: 2, base: 0, entries: [[1, K('b')]] } });
    f.step({ type: 'round', round: 4 });
    t.same(f.step({ type: 'msg', msg: { type: 'read', from: 4, round: 4, frontier: -1 } }).sends, [], 'still answers no READ');
    f.step({ type: 'msg', msg: { type: 'impose', from: 4, round: 4, base: 0, entries: [] } });
    f.step({ type: 'round', round: 5 });
    t.equal(
      f.step({ type: 'msg', msg: { type: 'read', from: 0, round: 5, frontier: -1 } }).sends.length,
      1,
      'a sync of a round after the crash includes it',
    );
  },
);

function leader(rank = 0): Leader {
  return new Leader({
    rank,
    ranks: 5,
    interval: 4,
    pipelineWindow: 2,
    proposeBatch: 1,
    gatherGraceMs: 10,
    retryMs: 50,
    dataSize: 8,
    eager: true,
    random: new SeededRandom('t'),
  });
}

t.test('leader: READ at round start, IMPOSE after the grace, DECIDE after an ack quorum', async (t) => {
  const l = leader(0);
  const r = l.step({ type: 'round', round: 5 }, 0);
  t.same(r.sends, [{ to: ALL, msg: { type: 'read', from: 0, round: 5, frontier: -1 } }]);
  t.equal(l.phase, 'reading');
  for (const from of [0, 1])
    t.same(l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier: -1, syncRound: -1, held: [] } }, 1).sends, []);
  const q = l.step({ type: 'msg', msg: { type: 'gather', from: 2, round: 5, frontier: -1, syncRound: -1, held: [[3, K('q'), 0]] } }, 2);
  t.equal(q.wakeAtMs, 12, 'waits gatherGraceMs for the other two');
  t.same(l.step({ type: 'wake' }, 11).sends, [], 'not before the grace ends');
  const imp = l.step({ type: 'wake' }, 12);
  t.same(msgs(imp.sends, 'impose'), [{ type: 'impose', from: 0, round: 5, base: -1, entries: [[3, K('q')]] }]);
  l.step({ type: 'msg', msg: { type: 'ack', from: 0, round: 5, seq: -1 } }, 13);
  l.step({ type: 'msg', msg: { type: 'ack', from: 1, round: 5, seq: -1 } }, 13);
  const d = l.step({ type: 'msg', msg: { type: 'ack', from: 3, round: 5, seq: -1 } }, 13);
  t.same(
    d.sends.map((s) => s.msg.type),
    ['decide', 'propose', 'propose'],
    'window of 2, batches of 1',
  );
  t.equal(l.phase, 'proposing');
});

t.test('leader: COMMIT frontier is the quorum-th highest cumulative ack; eager NEXT at L', async (t) => {
  const l = leader(0);
  l.step({ type: 'round', round: 0 }, 0);
  for (const from of [0, 1, 2, 3, 4])
    l.step({ type: 'msg', msg: { type: 'gather', from, round: 0, frontier: -1, syncRound: -1, held: [] } }, 0);
  for (const from of [0, 1, 2]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 0, seq: -1 } }, 0);
  t.same(l.step({ type: 'msg', msg: { type: 'ack', from: 0, round: 0, seq: 1 } }, 0).sends, []);
  t.same(l.step({ type: 'msg', msg: { type: 'ack', from: 1, round: 0, seq: 0 } }, 0).sends, []);
  const c = l.step({ type: 'msg', msg: { type: 'ack', from: 2, round: 0, seq: 1 } }, 0);
  t.same(msgs(c.sends, 'commit'), [{ type: 'commit', from: 0, round: 0, seq: 0 }], 'acks {1,0,1}: seq 0 has a quorum, seq 1 not yet');
  // Drive to the end: ranks 0-2 ack everything proposed so far; the frontier must never pass
  // what all three acked, and finishing L instances sends COMMIT(L-1) then NEXT(round + 1).
  let proposedUpTo = 1;
  const sent: PaxosMsg[] = [];
  for (let step = 0; step < 20 && l.phase !== 'done'; step++) {
    for (const from of [0, 1, 2]) {
      const out = l.step({ type: 'msg', msg: { type: 'ack', from, round: 0, seq: proposedUpTo } }, 0);
      for (const s of out.sends) {
        sent.push(s.msg);
        if (s.msg.type === 'propose') proposedUpTo = s.msg.first + s.msg.keys.length - 1;
        if (s.msg.type === 'commit') t.ok(s.msg.seq <= proposedUpTo, 'commit frontier within what was acked');
      }
    }
  }
  t.equal(l.phase, 'done');
  t.same(sent.slice(-2), [
    { type: 'commit', from: 0, round: 0, seq: 3 },
    { type: 'next', from: 0, round: 1 },
  ]);
});

t.test('leader: stale replies from an earlier round are ignored', async (t) => {
  const l = leader(1);
  l.step({ type: 'round', round: 6 }, 0);
  t.same(l.step({ type: 'msg', msg: { type: 'gather', from: 2, round: 1, frontier: -1, syncRound: -1, held: [] } }, 0).sends, []);
  t.equal(l.phase, 'reading');
});

t.test('router: slots, NACK for an older round, jump on a newer one', async (t) => {
  const r = new Router({ rank: 1, startAtMs: 1000, slotMs: 100 });
  t.equal(r.tick(999), undefined, 'nothing before the start');
  t.equal(r.tick(1000), 0);
  t.equal(r.nextTickMs(), 1100);
  const old = r.route({ type: 'propose', from: 0, round: 0, first: 0, keys: [], values: [] }, 1050);
  t.same([old.toFollower, old.reply], [true, undefined]);
  const jump = r.route({ type: 'read', from: 4, round: 4, frontier: -1 }, 1060);
  t.equal(jump.bump, 4, 'a newer round bumps at once');
  t.equal(r.nextTickMs(), 1160, 'a jump ahead of the slot grid re-arms the timer from now');
  const stale = r.route({ type: 'impose', from: 0, round: 0, base: -1, entries: [] }, 1070);
  t.same(stale.reply, { to: 0, msg: { type: 'nack', from: 1, round: 4 } });
  t.notOk(stale.toFollower);
  t.equal(
    r.route({ type: 'propose', from: 0, round: 0, first: 0, keys: [], values: [] }, 1071).reply,
    undefined,
    'one NACK per sender per round',
  );
  t.equal(r.tick(1160), 5);
  t.equal(r.tick(1700), 7, 'a late tick (a paused rank) jumps to the current slot');
});

t.test('router: a rank that missed whole slots goes to the slot round before it routes the old rounds’ traffic', async (t) => {
  const r = new Router({ rank: 2, startAtMs: 0, slotMs: 100 });
  t.equal(r.tick(200), 2);
  // SIGSTOPped until 2210: its sockets hand it round 3's PROPOSE before its slot timer runs.
  const first = r.route({ type: 'propose', from: 3, round: 3, first: 0, keys: [], values: [] }, 2210);
  t.equal(first.bump, 22, 'it enters the slot round (22), not the message’s old round 3');
  t.same([first.toFollower, first.reply?.msg], [false, { type: 'nack', from: 2, round: 22 }], 'round 3’s PROPOSE is old noise');
  const later = r.route({ type: 'commit', from: 4, round: 4, seq: 9 }, 2211);
  t.same([later.bump, later.toFollower], [undefined, false], 'so is the rest of the backlog, without a bump each');
  t.equal(r.tick(2300), 23, 'the slot timer goes on from there');
  const edge = r.route({ type: 'commit', from: 3, round: 23, seq: 1 }, 2405);
  t.same([edge.bump, edge.toFollower], [undefined, true], 'one slot behind (a timer about to run): the message still counts');
});

t.test('leader: a restarted rank does not lead until after its first sync', async (t) => {
  const l = new Leader({
    rank: 4,
    ranks: 5,
    interval: 4,
    pipelineWindow: 2,
    proposeBatch: 1,
    gatherGraceMs: 0,
    retryMs: 50,
    dataSize: 8,
    eager: false,
    random: new SeededRandom('t'),
    amnesiac: true,
  });
  t.same(l.step({ type: 'round', round: 9 }, 0).sends, [], 'round 9 is its own, but its old incarnation may have led it');
  t.equal(l.phase, 'idle');
  l.step({ type: 'rejoined', round: 10 }, 0);
  t.equal(l.step({ type: 'round', round: 14 }, 0).sends[0]?.msg.type, 'read', 'leads rounds after the sync it rejoined in');
});

t.test('catch-up: a rank that missed the sync asks LATE once and commits the CATCHUP', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  const p = f.step({ type: 'msg', msg: { type: 'propose', from: 1, round: 1, first: 2, keys: [K('c')], values: [new Uint8Array(1)] } });
  t.same(msgs(p.sends, 'late'), [{ type: 'late', from: 2, round: 1, frontier: -1 }]);
  const again = f.step({ type: 'msg', msg: { type: 'commit', from: 1, round: 1, seq: 1 } });
  t.same(msgs(again.sends, 'late'), [], 'not re-asked on the next message');
  const c = f.step({
    type: 'msg',
    msg: {
      type: 'catchup',
      from: 1,
      round: 1,
      base: -1,
      entries: [
        [7, K('a')],
        [100, K('b')],
        [101, K('x')],
      ],
    },
  });
  t.same(
    c.committed,
    [
      [7, K('a')],
      [100, K('b')],
      [101, K('x')],
    ],
    'the decided log above our frontier',
  );
  const more = f.step({ type: 'msg', msg: { type: 'commit', from: 1, round: 1, seq: 2 } });
  t.same(more.committed, [[102, K('c')]], 'then commits on from where the catch-up ended');
});

t.test('catch-up: a CATCHUP above our frontier’s gap is refused (no hole)', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  t.same(f.step({ type: 'msg', msg: { type: 'catchup', from: 1, round: 1, base: 50, entries: [[60, K('a')]] } }).committed, []);
});

t.test('catch-up: the leader answers LATE only once its sync is decided', async (t) => {
  const l = leader(0);
  l.step(
    {
      type: 'committed',
      entries: [
        [3, K('a')],
        [4, K('b')],
      ],
    },
    0,
  );
  l.step({ type: 'round', round: 5 }, 0);
  t.same(l.step({ type: 'msg', msg: { type: 'late', from: 3, round: 5, frontier: -1 } }, 0).sends, [], 'still reading');
  for (const from of [0, 1, 2, 3, 4])
    l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier: 4, syncRound: -1, held: [] } }, 0);
  for (const from of [0, 1, 2]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 0);
  const c = l.step({ type: 'msg', msg: { type: 'late', from: 3, round: 5, frontier: 3 } }, 0);
  t.same(c.sends, [{ to: 3, msg: { type: 'catchup', from: 0, round: 5, base: 3, entries: [[4, K('b')]] } }]);
  t.same(
    l.step({ type: 'msg', msg: { type: 'late', from: 3, round: 5, frontier: 3 } }, 10).sends,
    [],
    'a re-ask while the answer is in flight is not answered again',
  );
  t.equal(
    l.step({ type: 'msg', msg: { type: 'late', from: 3, round: 5, frontier: 3 } }, 400).sends.length,
    1,
    'but is once the answer could have been lost',
  );
});

t.test('leader: a wake-up that comes early still leaves a timer asked for', async (t) => {
  const l = leader(0);
  l.step({ type: 'round', round: 0 }, 0);
  for (const from of [0, 1, 2]) l.step({ type: 'msg', msg: { type: 'gather', from, round: 0, frontier: -1, syncRound: -1, held: [] } }, 0);
  const early = l.step({ type: 'wake' }, 9.5); // the grace ends at 10
  t.equal(early.wakeAtMs, 10, 're-asks for the same deadline');
  t.equal(l.phase, 'reading');
  t.equal(l.step({ type: 'wake' }, 10).sends.filter((s) => s.msg.type === 'impose').length, 1, 'imposes once the grace has passed');
});

t.test(
  'catch-up: the CATCHUP includes the round’s imposed entries; a leader whose log lacks them refuses to answer (rule §6.4)',
  async (t) => {
    // A CATCHUP from a log without the round's IMPOSE would let the late rank commit this
    // round's seqs above a hole. In the core (core.ts) the leader's own follower commits the
    // IMPOSE when the DECIDE reaches it, in the step that sent it, and the leader's decided log
    // has it at once; a leader that answered without it is a bug, asserted.
    const imposed = (): Leader => {
      const l = leader(0);
      l.step({ type: 'committed', entries: [[3, K('a')]] }, 0);
      l.step({ type: 'round', round: 5 }, 0);
      l.step({ type: 'msg', msg: { type: 'gather', from: 0, round: 5, frontier: 3, syncRound: -1, held: [] } }, 0);
      const held = [
        [8, K('b'), 4],
        [9, K('c'), 4],
      ] as const;
      l.step({ type: 'msg', msg: { type: 'gather', from: 1, round: 5, frontier: 3, syncRound: -1, held: [...held] } }, 0);
      for (const from of [2, 3, 4])
        l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier: 3, syncRound: -1, held: [] } }, 0);
      for (const from of [0, 1, 2]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 0);
      t.equal(l.phase, 'proposing', 'the IMPOSE of [8, 9] is decided');
      return l;
    };
    const late = { type: 'msg', msg: { type: 'late', from: 4, round: 5, frontier: 2 } } as const;
    t.throws(() => imposed().step(late, 0), /rule §6\.4: a CATCHUP of round 5 from a log \(last 3\) without its IMPOSE \(up to 9\)/);
    const l = imposed();
    l.step(
      {
        type: 'committed',
        entries: [
          [8, K('b')],
          [9, K('c')],
        ],
      },
      0,
    );
    t.same(
      l.step(late, 0).sends.map((s) => s.msg),
      [
        {
          type: 'catchup',
          from: 0,
          round: 5,
          base: 2,
          entries: [
            [3, K('a')],
            [8, K('b')],
            [9, K('c')],
          ],
        },
      ],
    );
  },
);

t.test('restart: a duplicated IMPOSE of a round the old incarnation voted in does not end amnesia (issue 11, hole 1)', async (t) => {
  // The exact schedule of the issue, on the core classes: L = 10, round 2 led by rank 2.
  const L10 = 10;
  const cfg = { ranks: 5, interval: L10 } as const;
  const f = [0, 1, 2, 3, 4].map((rank) => new Follower({ rank, ...cfg }));
  const leaderCfg = { ...cfg, pipelineWindow: 4, proposeBatch: 1, gatherGraceMs: 0, retryMs: 50, dataSize: 8, eager: false };
  const l2 = new Leader({ rank: 2, ...leaderCfg, random: new SeededRandom('l2') });
  const l3 = new Leader({ rank: 3, ...leaderCfg, random: new SeededRandom('l3') });
  const only = (sends: { msg: PaxosMsg }[], type: PaxosMsg['type']): PaxosMsg[] => sends.map((s) => s.msg).filter((m) => m.type === type);
  // deliver hands msgs to the followers named, and their replies to the leader.
  const deliver = (msgs: PaxosMsg[], to: number[], followers: Follower[], l: Leader): PaxosMsg[] => {
    const out: PaxosMsg[] = [];
    for (const m of msgs)
      for (const r of to)
        for (const s of defined(followers[r], 'rank').step({ type: 'msg', msg: m }).sends)
          for (const s2 of l.step({ type: 'msg', msg: s.msg }, 0).sends) out.push(s2.msg);
    return out;
  };

  for (const x of f) x.step({ type: 'round', round: 2 });
  const read2 = only(l2.step({ type: 'round', round: 2 }, 0).sends, 'read');
  const impose2 = deliver(read2, [0, 1, 2, 3, 4], f, l2).filter((m) => m.type === 'impose');
  t.equal(impose2.length, 1, 'round 2: every rank gathered, the IMPOSE goes out');
  // Only {0, 2, 4} get the IMPOSE; their ACKs decide it, and the leader proposes A at seq 0.
  const afterImpose = deliver(impose2, [0, 2, 4], f, l2);
  const propose = afterImpose.filter((m) => m.type === 'propose' && m.first === 0);
  const A = propose[0]?.type === 'propose' ? defined(propose[0].keys[0], 'A') : '';
  const commits = deliver(propose, [0, 2, 4], f, l2).filter((m) => m.type === 'commit');
  t.ok(commits.length > 0, 'a quorum {0, 2, 4} accepted A at estround 20');
  const decide = afterImpose.filter((m) => m.type === 'decide');
  const c2 = [...decide, ...commits].flatMap((m) => defined(f[2], 'rank 2').step({ type: 'msg', msg: m }).committed);
  t.same(c2, [[20, A]], 'rank 2 commits A at estround 20');

  // Rank 4 restarts; its durable bound says its old incarnation voted in rounds up to 2.
  const f4 = new Follower({ rank: 4, ...cfg, amnesiac: true, votedThrough: 2 });
  f4.step({ type: 'round', round: 2 });
  const dup = f4.step({ type: 'msg', msg: defined(impose2[0], 'IMPOSE') });
  t.same(dup.sends, [], 'the restarted rank does not ACK a duplicate IMPOSE of a round its old incarnation voted in');
  t.equal(dup.rejoined, undefined, 'and is still amnesiac');
  const p2 = f4.step({ type: 'msg', msg: { type: 'propose', from: 2, round: 2, first: 1, keys: [K('q')], values: [new Uint8Array(1)] } });
  t.same(only(p2.sends, 'ack'), [], 'nor ACKs a PROPOSE of that round (it asks LATE instead)');

  // Round 3 (led by rank 3) reads {1, 3, 4}: the restarted rank must not count as a gatherer.
  const g = [defined(f[0], '0'), defined(f[1], '1'), defined(f[2], '2'), defined(f[3], '3'), f4];
  for (const x of g) x.step({ type: 'round', round: 3 });
  const read3 = only(l3.step({ type: 'round', round: 3 }, 0).sends, 'read');
  const imposes3 = deliver(read3, [1, 3, 4], g, l3).filter((m) => m.type === 'impose');
  t.same(imposes3, [], 'no IMPOSE from {1, 3, 4}: rank 4 gave no GATHER');
  // Rank 0 answers too: now the quorum includes a rank that accepted A, and A survives.
  const late3 = [...imposes3, ...deliver(read3, [0], g, l3)].filter((m) => m.type === 'impose');
  t.equal(late3.length, 1);
  for (const m of late3) t.same(m.type === 'impose' ? m.entries : [], [[20, A]], 'round 3 imposes A at estround 20');
});

/** chunkLeader leads round 5 with catch-up chunks of 2 entries and a decided log of 10 (estrounds 0…9). */
function chunkLeader(): Leader {
  const l = new Leader({
    rank: 0,
    ranks: 5,
    interval: 4,
    pipelineWindow: 2,
    proposeBatch: 1,
    gatherGraceMs: 10,
    retryMs: 50,
    dataSize: 8,
    eager: false,
    random: new SeededRandom('t'),
    catchupChunk: 2,
    catchupAhead: 4, // the walk below is written for 4 in flight, whatever CATCHUP_AHEAD is
  });
  l.step({ type: 'committed', entries: Array.from({ length: 10 }, (_, e) => [e, K(String.fromCharCode(97 + e))] as const) }, 0);
  l.step({ type: 'round', round: 5 }, 0);
  return l;
}

t.test(
  'catch-up (issue 11 hole 3): the IMPOSE catches up only gatherers a chunk reaches; one far behind gets chunks addressed to it alone',
  async (t) => {
    const l = chunkLeader();
    const sends = [
      [0, 9],
      [1, 8],
      [2, -1],
      [3, 9],
      [4, 9],
    ].flatMap(
      ([from, frontier]) =>
        l.step({ type: 'msg', msg: { type: 'gather', from: from!, round: 5, frontier: frontier!, syncRound: -1, held: [] } }, 0).sends,
    );
    t.equal(l.phase, 'imposing', 'all five gathered');
    t.same(
      sends.map((s) => [s.to, s.msg.type === 'impose' ? [s.msg.base, s.msg.entries] : s.msg.type]),
      [[ALL, [8, [[9, K('j')]]]]],
      'one IMPOSE from rank 1’s frontier, not the laggard’s: one entry, not ten',
    );
    for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 0);
    t.equal(l.phase, 'proposing');
    // The laggard walks the log up chunk by chunk, each answer addressed to it alone, with
    // catchupAhead chunks in flight: one more for each chunk it reports committed.
    const late = (frontier: number, nowMs: number, gap?: true): { to: number; msg: PaxosMsg }[] =>
      l
        .step({ type: 'msg', msg: { type: 'late', from: 2, round: 5, frontier, ...(gap ? { gap } : {}) } }, nowMs)
        .sends.filter((s) => s.msg.type === 'catchup');
    const shape = (c: { to: number; msg: PaxosMsg }[]): unknown[] =>
      c.map((s) => (s.msg.type === 'catchup' ? [s.to, s.msg.base, s.msg.entries.length, s.msg.more ?? false] : []));
    t.same(
      shape(late(-1, 1)),
      [
        [2, -1, 2, true],
        [2, 1, 2, true],
        [2, 3, 2, true],
        [2, 5, 2, true],
      ],
      'the first LATE gets 4 chunks of two (catchupAhead), to the laggard alone',
    );
    t.same(shape(late(1, 2)), [[2, 7, 2, false]], 'the first chunk committed: one more, the last, without more');
    t.same(shape(late(3, 3)), [], 'the last chunk is in flight: nothing more to send');
    t.same(shape(late(3, 4)), [], 'the same frontier again soon: the answer is still in flight');
    t.same(
      shape(late(3, 4 + 8 * 50)),
      [
        [2, 3, 2, true],
        [2, 5, 2, true],
        [2, 7, 2, false],
      ],
      'the same frontier after 8 retry periods: chunks were lost, sent again from it',
    );
    t.same(shape(late(3, 5 + 8 * 50)), [], 'and that answer is in flight');
    t.same(
      shape(late(3, 6 + 8 * 50, true)),
      [
        [2, 3, 2, true],
        [2, 5, 2, true],
        [2, 7, 2, false],
      ],
      'LATE(gap): a chunk of it arrived above a lost one, so it is sent again at once, not after 8 retry periods',
    );
  },
);

t.test(
  'catch-up across a round change: a new leader goes on where the old one’s chunks end (`after`), not from the frontier',
  async (t) => {
    const l = chunkLeader();
    for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier: 9, syncRound: -1, held: [] } }, 0);
    l.step({ type: 'wake' }, 10);
    for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 10);
    t.equal(l.phase, 'proposing');
    const late = (frontier: number, nowMs: number, after?: number): PaxosMsg[] =>
      l
        .step({ type: 'msg', msg: { type: 'late', from: 2, round: 5, frontier, ...(after !== undefined ? { after } : {}) } }, nowMs)
        .sends.filter((s) => s.msg.type === 'catchup' && s.to === 2)
        .map((s) => s.msg);
    const shape = (c: PaxosMsg[]): unknown[] =>
      c.map((m) => (m.type === 'catchup' ? [m.base, m.entries.length, m.more ?? false, m.ahead ?? null] : []));
    t.same(
      shape(late(-1, 20, 5)),
      [
        [5, 2, true, 9],
        [7, 2, false, null],
      ],
      'chunks up to 5 are on their way from the last round’s leader: ours start at 5, and the first names the furthest one sent (9)',
    );
    t.same(shape(late(1, 21, 5)), [], 'the old leader’s chunks commit one by one: nothing to add, ours are in flight');
    t.same(
      shape(late(1, 21 + 8 * 50, 5)),
      [
        [1, 2, true, 9],
        [3, 2, true, 9],
        [5, 2, true, 9],
        [7, 2, false, null],
      ],
      'the same frontier after 8 retry periods: some of the old leader’s chunks were lost, so from the frontier',
    );
  },
);

t.test('catch-up across a round change: chunks that overtake the old leader’s wait above the frontier, then commit in order', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  const chunk = (round: number, base: number, es: number[], more: boolean, ahead?: number): PaxosMsg => ({
    type: 'catchup',
    from: round,
    round,
    base,
    entries: es.map((e) => [e, K(String.fromCharCode(97 + e))] as [number, string]),
    ...(more ? { more: true as const } : {}),
    ...(ahead !== undefined ? { ahead } : {}),
  });
  const first = f.step({ type: 'msg', msg: chunk(1, -1, [0, 1], true, 5) });
  t.same(msgs(first.sends, 'late'), [{ type: 'late', from: 2, round: 1, frontier: 1, after: 5 }], 'the next LATE names what is on its way');
  f.step({ type: 'round', round: 2 });
  // Round 2's leader answered from 5; its chunks arrive before round 1's last two.
  const early = f.step({ type: 'msg', msg: chunk(2, 5, [6, 7], false) });
  t.same(early.committed, [], 'a chunk above the frontier that the announced chunks lead up to waits');
  t.same(msgs(early.sends, 'late'), [], 'no LATE(gap) for it: nothing was lost');
  const rest = f.step({ type: 'msg', msg: chunk(1, 1, [2, 3], true, 5) });
  t.same(
    rest.committed.map(([e]) => e),
    [2, 3],
    'the old round’s chunk commits',
  );
  const last = f.step({ type: 'msg', msg: chunk(1, 3, [4, 5], true, 5) });
  t.same(
    last.committed.map(([e]) => e),
    [4, 5, 6, 7],
    'the chunk that reaches 5 lets the waiting one commit in the same step, in estround order',
  );
  const seq0 = f.step({ type: 'msg', msg: { type: 'propose', from: 2, round: 2, first: 0, keys: [K('z')], values: [new Uint8Array(1)] } });
  t.same(msgs(seq0.sends, 'late'), [], 'round 2’s last chunk decided its sync here: no LATE on its PROPOSE');
});

t.test('catch-up: a chunk above the frontier (one below it was lost) asks again across the gap, once per frontier', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  const chunk = (base: number, e: number): PaxosMsg => ({
    type: 'catchup',
    from: 1,
    round: 1,
    base,
    entries: [[e, K(String.fromCharCode(97 + e))]],
    more: true,
  });
  const first = f.step({ type: 'msg', msg: chunk(-1, 3) });
  t.same(msgs(first.sends, 'late'), [{ type: 'late', from: 2, round: 1, frontier: 3 }], 'the first chunk: committed, the next asked for');
  // The chunk from 3 was lost: the two after it cannot be applied.
  const over = f.step({ type: 'msg', msg: chunk(5, 7) });
  t.same(over.committed, [], 'a chunk above the frontier is not committed (a hole below it)');
  t.same(msgs(over.sends, 'late'), [{ type: 'late', from: 2, round: 1, frontier: 3, gap: true }], 'LATE(gap) from the frontier');
  t.same(msgs(f.step({ type: 'msg', msg: chunk(7, 9) }).sends, 'late'), [], 'the rest of that answer shows the same gap: asked once');
  const resent = f.step({ type: 'msg', msg: chunk(3, 5) });
  t.same(resent.committed, [[5, K('f')]], 'the resent chunk closes part of the gap');
  t.same(
    f.step({ type: 'msg', msg: chunk(5, 7) }).committed,
    [
      [7, K('h')],
      [9, K('j')],
    ],
    'the chunk held above the gap (below what was seen) is applied once the gap closes, not asked for again',
  );
  t.same(
    msgs(f.step({ type: 'msg', msg: chunk(11, 13) }).sends, 'late'),
    [{ type: 'late', from: 2, round: 1, frontier: 9, gap: true }],
    'a gap at a new frontier is asked across again',
  );
});

t.test('catch-up: a CATCHUP chunk is committed and the next one asked for at once; the round’s seqs wait for the last chunk', async (t) => {
  const f = new Follower({ rank: 2, ranks: 5, interval: L });
  f.step({ type: 'round', round: 1 });
  f.step({ type: 'msg', msg: { type: 'propose', from: 1, round: 1, first: 0, keys: [K('p')], values: [new Uint8Array(1)] } });
  const c = f.step({
    type: 'msg',
    msg: {
      type: 'catchup',
      from: 1,
      round: 1,
      base: -1,
      entries: [
        [3, K('a')],
        [7, K('b')],
      ],
      more: true,
    },
  });
  t.same(
    c.committed,
    [
      [3, K('a')],
      [7, K('b')],
    ],
    'the chunk is chosen: committed',
  );
  t.same(msgs(c.sends, 'late'), [{ type: 'late', from: 2, round: 1, frontier: 7 }], 'the next chunk is asked for from its end');
  t.same(
    f.step({ type: 'msg', msg: { type: 'commit', from: 1, round: 1, seq: 0 } }).committed,
    [],
    'not complete up to the round yet: seq 0 waits',
  );
  const last = f.step({ type: 'msg', msg: { type: 'catchup', from: 1, round: 1, base: 7, entries: [[9, K('c')]] } });
  t.same(
    last.committed,
    [
      [9, K('c')],
      [100, K('p')],
    ],
    'the last chunk, then the round’s committed seq',
  );
});

t.test('catch-up: a GATHER to a leader far behind carries one chunk of commits and no promise', async (t) => {
  const f = new Follower({ rank: 1, ranks: 5, interval: L, catchupChunk: 2 });
  f.restore([
    [3, K('a')],
    [7, K('b')],
    [9, K('c')],
  ]);
  f.step({ type: 'round', round: 5 });
  t.same(
    f.step({ type: 'msg', msg: { type: 'read', from: 0, round: 5, frontier: 3 } }).sends.map((s) => s.msg),
    [
      {
        type: 'gather',
        from: 1,
        round: 5,
        frontier: 9,
        syncRound: -1,
        held: [
          [7, K('b'), COMMITTED],
          [9, K('c'), COMMITTED],
        ],
      },
    ],
    'two entries above the READ: a whole GATHER',
  );
  const f2 = new Follower({ rank: 1, ranks: 5, interval: L, catchupChunk: 2 });
  f2.restore([
    [3, K('a')],
    [7, K('b')],
    [9, K('c')],
  ]);
  f2.step({ type: 'round', round: 5 });
  t.same(
    f2.step({ type: 'msg', msg: { type: 'read', from: 0, round: 5, frontier: -1 } }).sends.map((s) => s.msg),
    [
      {
        type: 'gather',
        from: 1,
        round: 5,
        frontier: 9,
        syncRound: -1,
        held: [],
        partial: true,
      },
    ],
    'three above it (more than a chunk): partial, no entries, no promise',
  );
});

t.test('catch-up (§12): a leader far behind counts no partial GATHER and hands its round on with NEXT, imposing nothing', async (t) => {
  const l = new Leader({
    rank: 0,
    ranks: 5,
    interval: 4,
    pipelineWindow: 2,
    proposeBatch: 1,
    gatherGraceMs: 10,
    retryMs: 50,
    dataSize: 8,
    eager: false,
    random: new SeededRandom('t'),
    catchupChunk: 2,
  });
  l.step({ type: 'round', round: 5 }, 0);
  const full = l.step({ type: 'msg', msg: { type: 'gather', from: 4, round: 5, frontier: -1, syncRound: -1, held: [] } }, 0).sends;
  t.same(full, [], 'a full GATHER from a rank as far behind as we are is counted, nothing sent');
  const partial = (from: number): PaxosMsg => ({
    type: 'gather',
    from,
    round: 5,
    frontier: 9,
    syncRound: -1,
    held: [
      [3, K('a'), COMMITTED],
      [7, K('b'), COMMITTED],
    ],
    partial: true,
  });
  t.same(
    l.step({ type: 'msg', msg: partial(1) }, 0).sends,
    [{ to: ALL, msg: { type: 'next', from: 0, round: 6 } }],
    'the first partial GATHER: NEXT(6) to every rank',
  );
  t.equal(l.phase, 'idle', 'the round is given up');
  const rest = [2, 3].flatMap((from) => l.step({ type: 'msg', msg: partial(from) }, 0).sends);
  const later = [l.step({ type: 'msg', msg: { type: 'gather', from: 0, round: 5, frontier: -1, syncRound: -1, held: [] } }, 0)];
  later.push(l.step({ type: 'wake' }, 1000));
  t.same([...rest, ...later.flatMap((o) => o.sends)], [], 'no IMPOSE, READ or second NEXT in the round given up, even with a quorum');
  t.equal(l.step({ type: 'round', round: 10 }, 2000).sends[0]?.msg.type, 'read', 'its next own round it leads again');
});

t.test('frames (issue 11 hole 2): the largest PROPOSE that fits is found from the codec’s own encoding', async (t) => {
  const frame = 16 * 2 ** 20;
  for (const dataSize of [1000, 300_000, 1 << 20]) {
    const fit = proposeFit({ interval: 1e6, pipelineWindow: 1e6, proposeBatch: 1e5, dataSize }, frame);
    t.notOk(fit.fits, `--data-size ${dataSize} with --batch 100000 does not fit`);
    t.ok(proposeBytes(fit.maxValues, dataSize) <= frame, `${fit.maxValues} values of ${dataSize} bytes fit`);
    t.ok(proposeBytes(fit.maxValues + 1, dataSize) > frame, 'and one more does not: the bound is exact');
    t.ok(
      proposeFit({ interval: 1e6, pipelineWindow: 1e6, proposeBatch: fit.maxValues, dataSize }, frame).fits,
      'so that batch is accepted',
    );
  }
});

/**
 * logArchive writes `entries` as a rank's instance log (a generate and a commit line each, in
 * batches of `batch`; `runs`: a batch's generates first, as a follower accepts a window of
 * values before their commits) and reads it back through an archive; `bytes` counts what it read.
 */
function logArchive(
  entries: readonly (readonly [number, string])[],
  batch: number,
  readMax = Infinity,
  runs = false,
): CommitArchive & { bytes: { read: number; size: number } } {
  let text = '';
  const bytes = { read: 0, size: 0 };
  const a = new CommitArchive(
    (pos, len) => {
      const got = text.slice(pos, pos + Math.min(len, readMax));
      bytes.read += got.length;
      return Buffer.from(got, 'latin1');
    },
    () => text.length,
  );
  for (let i = 0; i < entries.length; i += batch) {
    const part = entries.slice(i, i + batch).map(([e, key]) => [e, key] as [number, string]);
    const events = runs
      ? [
          ...part.map(([estround, key]) => ({ kind: 'generate' as const, estround, key })),
          ...part.map(([estround, key]) => ({ kind: 'commit' as const, estround, key })),
        ]
      : part.flatMap(([estround, key]) => [
          { kind: 'generate' as const, estround, key },
          { kind: 'commit' as const, estround, key },
        ]);
    text += formatLines(events, 1_700_000_000_000_000 + i);
  }
  bytes.size = text.length;
  return Object.assign(a, { bytes });
}

t.test('archive: the commit lines above an estround, read back from the log by bisection, any block size', async (t) => {
  // Estrounds with gaps (rounds end early), 20,000 commits.
  const entries = Array.from(
    { length: 20_000 },
    (_, i) => [i * 3 + (i % 7 === 0 ? 1 : 0), instanceKey(new Uint8Array([i & 255, i >> 8]))] as const,
  );
  for (const readMax of [Infinity, 97]) {
    const a = logArchive(entries, 333, readMax, readMax !== Infinity);
    // Twice: the second pass repeats each read (and follows on from the one before).
    for (const pass of ['first', 'again']) {
      for (const from of [-1, 0, 5, 12_288 * 3, 59_990, 59_997, 100_000]) {
        const want = entries.filter(([e]) => e > from).slice(0, 50);
        t.same(a.above(from, 50), want, `${pass}: above ${from}, reads of ≤ ${readMax} bytes`);
      }
      t.equal(a.above(-1, 30_000).length, 20_000, `${pass}: the whole log when asked for more`);
    }
  }
  // Chunk after chunk, each read starting above the last entry of the one before: exact, in order.
  const a = logArchive(entries, 333);
  const walked: (readonly [number, string])[] = [];
  for (let after = -1; ;) {
    const chunk = a.above(after, 777);
    if (chunk.length === 0) break;
    walked.push(...chunk);
    after = chunk.at(-1)?.[0] ?? after;
  }
  t.same(walked, entries, 'chunk by chunk, the whole log');
});

t.test('archive: a read far into the log does not read the log up to it', async (t) => {
  // 200,000 commits, generates in runs of 512 (a pipeline window's worth) ahead of their commits.
  const entries = Array.from({ length: 200_000 }, (_, i) => [i, instanceKey(new Uint8Array([i & 255, i >> 8, i >> 16]))] as const);
  const a = logArchive(entries, 512, Infinity, true);
  const chunk = a.above(180_000, 1000);
  t.same(chunk, entries.slice(180_001, 181_001), 'the 1,000 entries above 180,000');
  // Scanning from the top read ~25 MB (every line up to the estround) before the first entry;
  // the bisection reads a few probes and the span it ends in, then the chunk itself.
  t.ok(a.bytes.read < 2 * 1024 * 1024, `read ${a.bytes.read} of the log's ${a.bytes.size} bytes`);
});

t.test('archive: read from a file as it grows, one buffer for every read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-archive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'instancelog0.log');
  const a = new CommitArchive(fileReader(path), () => fileSize(path));
  t.same(a.above(-1, 10), [], 'no file yet: nothing committed');
  const entries = Array.from({ length: 3000 }, (_, i) => [i * 2, instanceKey(new Uint8Array([i & 255, i >> 8]))] as const);
  const write = (part: readonly (readonly [number, string])[]): void =>
    appendFileSync(
      path,
      formatLines(
        part.map(([estround, key]) => ({ kind: 'commit' as const, estround, key })),
        1_700_000_000_000_000,
      ),
      'latin1',
    );
  write(entries.slice(0, 2000));
  appendFileSync(path, 'commit Instance[', 'latin1'); // a line being written
  t.same(a.above(3000, 5000), entries.slice(1501, 2000), 'up to the last whole line');
  appendFileSync(path, `${entries[2000]?.[1]}] in seq 4000 at 1700000000000000\n`, 'latin1');
  write(entries.slice(2001));
  t.same(a.above(3998, 5000), entries.slice(2000), 'and on from there once the line is whole');
  t.same(a.above(-1, 2), entries.slice(0, 2), 'from the top again');
});

/** farLeader leads round 5 with a decided window of at most 4 entries after committing 0…9, and chunks of 2. */
function farLeader(archive: CommitArchive | undefined): Leader {
  const l = new Leader({
    rank: 0,
    ranks: 5,
    interval: 4,
    pipelineWindow: 2,
    proposeBatch: 1,
    gatherGraceMs: 10,
    retryMs: 50,
    dataSize: 8,
    eager: false,
    random: new SeededRandom('t'),
    catchupChunk: 2,
    catchupAhead: 2,
    windowLimit: 4,
    ...(archive ? { archive: archive.above } : {}),
  });
  const log = Array.from({ length: 10 }, (_, e) => [e, K(String.fromCharCode(97 + e))] as const);
  for (const entry of log) l.step({ type: 'committed', entries: [entry] }, 0);
  l.step({ type: 'round', round: 5 }, 0);
  for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier: 9, syncRound: -1, held: [] } }, 0);
  l.step({ type: 'wake' }, 20);
  for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 20);
  return l;
}

t.test('catch-up: a rank behind the leader’s window is served from the leader’s instance log, in chunks with more', async (t) => {
  const log = Array.from({ length: 10 }, (_, e) => [e, K(String.fromCharCode(97 + e))] as const);
  const lateFrom = (l: Leader, frontier: number): unknown[] =>
    l
      .step({ type: 'msg', msg: { type: 'late', from: 2, round: 5, frontier } }, 30)
      .sends.filter((s) => s.msg.type === 'catchup')
      .map((s) => (s.msg.type === 'catchup' ? [s.to, s.msg.base, s.msg.entries, s.msg.more ?? false] : []));
  const without = farLeader(undefined);
  t.equal(without.phase, 'proposing');
  t.notOk(without.decided.reaches(1), 'the window no longer reaches frontier 1');
  t.same(lateFrom(without, 1), [], 'without its log, the leader cannot answer');
  const l = farLeader(logArchive(log, 3));
  t.equal(l.phase, 'proposing');
  t.same(
    lateFrom(l, 1),
    [
      [
        2,
        1,
        [
          [2, K('c')],
          [3, K('d')],
        ],
        true,
      ],
      [
        2,
        3,
        [
          [4, K('e')],
          [5, K('f')],
        ],
        true,
      ],
    ],
    'two chunks (catchupAhead) read back from its log, exact up to their last entries',
  );
  t.same(
    lateFrom(l, 3),
    [
      [
        2,
        5,
        [
          [6, K('g')],
          [7, K('h')],
        ],
        true,
      ],
    ],
    'the next one once the first is committed',
  );
});

t.test('catch-up: a GATHER to a leader behind our window carries a chunk read back from our log', async (t) => {
  const log = Array.from({ length: 10 }, (_, e) => [e, K(String.fromCharCode(97 + e))] as const);
  const f = new Follower({ rank: 1, ranks: 5, interval: L, catchupChunk: 2, windowLimit: 4, archive: logArchive(log, 4).above });
  f.restore(log);
  f.step({ type: 'round', round: 5 });
  t.notOk(f.window.reaches(0), 'the window no longer reaches frontier 0');
  const sends = f.step({ type: 'msg', msg: { type: 'read', from: 0, round: 5, frontier: 0 } }).sends;
  t.same(
    sends.map((s) => s.msg),
    [
      {
        type: 'gather',
        from: 1,
        round: 5,
        frontier: 9,
        syncRound: -1,
        held: [],
        partial: true,
      },
    ],
    'below the window (the log says what it committed): a partial GATHER, no entries',
  );
  const bare = new Follower({ rank: 1, ranks: 5, interval: L, catchupChunk: 2, windowLimit: 4 });
  bare.restore(log);
  bare.step({ type: 'round', round: 5 });
  t.same(bare.step({ type: 'msg', msg: { type: 'read', from: 0, round: 5, frontier: 0 } }).sends, [], 'without its log: silent');
});

t.test(
  'catch-up: a CATCHUP that arrives after its round ended is committed as a chunk; this round’s leader is asked for the rest',
  async (t) => {
    const r = new Router({ rank: 2, startAtMs: 0, slotMs: 100 });
    r.tick(0);
    r.route({ type: 'read', from: 3, round: 3, frontier: -1 }, 1);
    const stale = r.route({ type: 'catchup', from: 1, round: 1, base: -1, entries: [[3, K('a')]] }, 2);
    t.same([stale.toFollower, stale.reply?.msg.type], [true, 'nack'], 'routed to the follower, and its sender still NACKed');
    t.notOk(r.route({ type: 'impose', from: 1, round: 1, base: -1, entries: [] }, 3).toFollower, 'other old traffic is not');

    const f = new Follower({ rank: 2, ranks: 5, interval: L });
    f.step({ type: 'round', round: 3 });
    f.step({ type: 'msg', msg: { type: 'propose', from: 3, round: 3, first: 0, keys: [K('p')], values: [new Uint8Array(1)] } });
    const gap = f.step({ type: 'msg', msg: { type: 'catchup', from: 1, round: 1, base: 5, entries: [[7, K('b')]] } });
    t.same(gap.committed, [], 'above a gap (base 5 > frontier -1): refused, as in its own round');
    const c = f.step({
      type: 'msg',
      msg: {
        type: 'catchup',
        from: 1,
        round: 1,
        base: -1,
        entries: [
          [3, K('a')],
          [150, K('b')],
        ],
      },
    });
    t.same(
      c.committed,
      [
        [3, K('a')],
        [150, K('b')],
      ],
      'its entries are chosen: committed',
    );
    t.same(msgs(c.sends, 'late'), [{ type: 'late', from: 2, round: 3, frontier: 150 }], 'the rest is asked of round 3’s leader');
    t.same(
      f.step({ type: 'msg', msg: { type: 'commit', from: 3, round: 3, seq: 0 } }).committed,
      [],
      'an old round’s CATCHUP does not decide this round’s sync: seq 0 of round 3 waits',
    );
    const again = f.step({
      type: 'msg',
      msg: {
        type: 'catchup',
        from: 1,
        round: 1,
        base: -1,
        entries: [
          [3, K('a')],
          [150, K('b')],
        ],
      },
    });
    t.same([again.committed, again.sends], [[], []], 'a duplicate commits nothing and asks nothing');
  },
);

t.test(
  'catch-up (§12): a rank with more chunks to come than are in flight gets no PROPOSE; the last chunk brings the outstanding ones',
  async (t) => {
    const l = chunkLeader();
    for (const [from, frontier] of [
      [0, 9],
      [1, 9],
      [2, -1],
      [3, 9],
      [4, 9],
    ] as const)
      l.step({ type: 'msg', msg: { type: 'gather', from, round: 5, frontier, syncRound: -1, held: [] } }, 0);
    for (const from of [0, 1, 3]) l.step({ type: 'msg', msg: { type: 'ack', from, round: 5, seq: -1 } }, 0);
    t.equal(l.phase, 'proposing');
    const step = (from: number, msg: PaxosMsg, nowMs: number): unknown[] =>
      l
        .step({ type: 'msg', msg }, nowMs)
        .sends.map((s) => [
          s.to,
          s.msg.type,
          s.msg.type === 'propose' ? s.msg.first : s.msg.type === 'catchup' ? (s.msg.more ?? false) : s.msg.round,
        ]);
    t.same(
      step(2, { type: 'late', from: 2, round: 5, frontier: -1 }, 1),
      [
        [2, 'catchup', true],
        [2, 'catchup', true],
        [2, 'catchup', true],
        [2, 'catchup', true],
      ],
      'four chunks in flight, more to come',
    );
    const acked = [0, 1, 3].flatMap((from) => step(from, { type: 'ack', from, round: 5, seq: 0 }, 2));
    t.same(
      acked.filter((s) => (s as unknown[])[1] === 'propose'),
      [
        [0, 'propose', 2],
        [1, 'propose', 2],
        [3, 'propose', 2],
        [4, 'propose', 2],
      ],
      'the next value goes to every rank but the one catching up',
    );
    t.same(
      step(2, { type: 'late', from: 2, round: 5, frontier: 1 }, 3),
      [
        [2, 'catchup', false],
        [2, 'propose', 1],
        [2, 'propose', 2],
      ],
      'the last chunk, then every value proposed and not yet committed, in order',
    );
    t.same(
      [0, 1, 3].flatMap((from) => step(from, { type: 'ack', from, round: 5, seq: 1 }, 4)).filter((s) => (s as unknown[])[1] === 'propose'),
      [0, 1, 2, 3, 4].map((r) => [r, 'propose', 3]),
      'once its last chunk is out, it gets every new value again',
    );
  },
);
