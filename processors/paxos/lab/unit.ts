// unit: the Paxos lab's unit tests (processors/paxos/lab/index.ts names them per part). Each
// drives a student's Follower or Leader, loaded by path from the compiled core, through a few
// messages and asserts what the decision must do; the expected merge is our own (merge.ts), so
// a student's sync is held to the reference's rule. A failure throws one sentence naming it.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { deepStrictEqual } from 'node:assert/strict';
import { SeededRandom } from '../../../runtime/random.js';
import { ALL, type LogEvent, type Send } from '../events.js';
import { mergeGathers } from '../merge.js';
import { COMMITTED, type Entry, type Held, type PaxosMsg } from '../messages.js';
import type * as FollowerModule from '../follower.js';
import type * as LeaderModule from '../leader.js';

type Core = { Follower: typeof FollowerModule.Follower; Leader: typeof LeaderModule.Leader };
type Follower = FollowerModule.Follower;
type Leader = LeaderModule.Leader;
type Kind<T extends PaxosMsg['type']> = Extract<PaxosMsg, { type: T }>;

/** k: a 32-letter instance key (the window holds keys of exactly that size). */
const k = (c: string): string => c.repeat(32).slice(0, 32);

async function load(build: string): Promise<Core> {
  const url = (f: string): string => pathToFileURL(join(build, f)).href;
  const f = (await import(url('follower.js'))) as Partial<Core>;
  const l = (await import(url('leader.js'))) as Partial<Core>;
  if (f.Follower === undefined || l.Leader === undefined) throw new Error('follower.js or leader.js does not export its class');
  return { Follower: f.Follower, Leader: l.Leader };
}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

function same(actual: unknown, expected: unknown, what: string): void {
  try {
    deepStrictEqual(actual, expected);
  } catch {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const msgs = <T extends PaxosMsg['type']>(sends: readonly Send[], type: T): (Send & { msg: Kind<T> })[] =>
  sends.filter((s): s is Send & { msg: Kind<T> } => s.msg.type === type);

const commits = (log: readonly LogEvent[]): number[] => log.filter((e) => e.kind === 'commit').map((e) => e.estround);
const generates = (log: readonly LogEvent[]): number[] => log.filter((e) => e.kind === 'generate').map((e) => e.estround);

/** follower: rank 1 of 5, L = 10. */
function follower(c: Core, o: Partial<FollowerModule.FollowerConfig> = {}): Follower {
  return new c.Follower({ rank: 1, ranks: 5, interval: 10, ...o });
}

/** leader: rank 2 of 5 (it leads rounds 2, 7, …), L = 10, a window of 4 in PROPOSEs of 2. */
function leader(c: Core, o: Partial<LeaderModule.LeaderConfig> = {}): Leader {
  const base = { rank: 2, ranks: 5, interval: 10, pipelineWindow: 4, proposeBatch: 2, gatherGraceMs: 5, retryMs: 50 };
  return new c.Leader({ ...base, dataSize: 8, eager: false, random: new SeededRandom('lab-unit'), ...o });
}

const msg = (m: PaxosMsg): { type: 'msg'; msg: PaxosMsg } => ({ type: 'msg', msg: m });
const gather = (from: number, round: number, frontier: number, syncRound: number, held: Held[]): Kind<'gather'> => ({
  type: 'gather',
  from,
  round,
  frontier,
  syncRound,
  held,
});

/** synced: a leader of round 7 whose IMPOSE a quorum acked (proposing), and what it sent on the way. */
function synced(c: Core, o: Partial<LeaderModule.LeaderConfig> = {}): { l: Leader; sends: Send[] } {
  const l = leader(c, o);
  l.step({ type: 'round', round: 7 }, 100);
  const f = l.decided.last;
  for (let r = 0; r < 5; r++) l.step(msg(gather(r, 7, f, 6, [])), 101);
  const sends: Send[] = [];
  for (const r of [0, 1, 3]) sends.push(...l.step(msg({ type: 'ack', from: r, round: 7, seq: -1 }), 102).sends);
  return { l, sends };
}

const tests: Record<string, (c: Core) => void> = {
  'follower answers READ with GATHER': (c) => {
    const f = follower(c);
    f.restore([
      [0, k('a')],
      [1, k('b')],
      [2, k('c')],
    ]);
    f.step({ type: 'round', round: 3 });
    f.step(msg({ type: 'impose', from: 3, round: 3, base: 2, entries: [[5, k('x')]] }));
    f.step({ type: 'round', round: 4 });
    const g = msgs(f.step(msg({ type: 'read', from: 4, round: 4, frontier: 0 })).sends, 'gather');
    check(g.length === 1, `one GATHER expected for a READ, got ${g.length}`);
    const [one] = g;
    check(one !== undefined && one.to === 4, `the GATHER goes to round 4's leader (4), went to ${one?.to}`);
    same([one.msg.frontier, one.msg.syncRound], [2, 3], 'GATHER frontier and syncRound');
    const held = [...one.msg.held].sort((a, b) => a[0] - b[0]);
    same(
      held,
      [
        [1, k('b'), COMMITTED],
        [2, k('c'), COMMITTED],
        [5, k('x'), 3],
      ],
      'GATHER held (committed and accepted above the leader’s frontier)',
    );
  },
  'leader imposes after a quorum and the grace': (c) => {
    const l = leader(c);
    const read = msgs(l.step({ type: 'round', round: 7 }, 100).sends, 'read');
    check(read.length === 1 && read[0]?.to === ALL, 'entering a round it leads, the leader broadcasts one READ');
    const gs = [
      gather(0, 7, -1, 5, [
        [10, k('a'), 5],
        [11, k('b'), 5],
      ]),
      gather(1, 7, -1, 6, [[10, k('c'), 6]]),
      gather(2, 7, -1, 6, [[10, k('c'), 6]]),
    ];
    let wake: number | undefined;
    for (const [i, g] of gs.entries()) {
      const out = l.step(msg(g), 101 + i);
      check(msgs(out.sends, 'impose').length === 0, `no IMPOSE before the grace after a quorum (GATHER ${i + 1} of 3)`);
      wake = out.wakeAtMs ?? wake;
    }
    check(wake !== undefined && wake <= 103 + 5, `a quorum arms the grace: a wake-up by ${103 + 5} expected, got ${wake}`);
    const imposed = msgs(l.step({ type: 'wake' }, 108).sends, 'impose');
    check(imposed.length === 1 && imposed[0]?.to === ALL, `once the grace passed, one IMPOSE broadcast (got ${imposed.length})`);
    const expect: Entry[] = mergeGathers(gs, -1, 10);
    same(
      imposed[0].msg.entries,
      expect,
      'IMPOSE entries (the merge of the GATHERs: highest round wins, a later sync makes older acceptances absent)',
    );
    check(msgs(l.step(msg(gather(3, 7, -1, 6, [])), 109).sends, 'impose').length === 0, 'a GATHER after the IMPOSE imposes nothing again');
  },
  'follower accepts IMPOSE, commits on DECIDE': (c) => {
    const f = follower(c);
    f.restore([[0, k('a')]]);
    f.step({ type: 'round', round: 3 });
    const entries: Entry[] = [
      [0, k('a')],
      [4, k('x')],
      [5, k('y')],
      [40, k('z')],
    ];
    const out = f.step(msg({ type: 'impose', from: 3, round: 3, base: 0, entries }));
    same(generates(out.log), [4, 5], 'IMPOSE accepts (generates) the entries above the frontier and below round·L');
    same(commits(out.log), [], 'IMPOSE commits nothing before DECIDE');
    same(
      msgs(out.sends, 'ack').map((s) => [s.to, s.msg.seq]),
      [[3, -1]],
      'IMPOSE is ACKed (seq -1) to the leader',
    );
    const again = f.step(msg({ type: 'impose', from: 3, round: 3, base: 0, entries }));
    same([generates(again.log), msgs(again.sends, 'ack').length], [[], 1], 'a resent IMPOSE is ACKed again, accepting nothing new');
    same(commits(f.step(msg({ type: 'decide', from: 3, round: 3 })).log), [4, 5], 'DECIDE commits the imposed entries in order');
    same(commits(f.step(msg({ type: 'decide', from: 3, round: 3 })).log), [], 'a second DECIDE commits nothing');
    const behind = follower(c);
    behind.step({ type: 'round', round: 3 });
    const sat = behind.step(msg({ type: 'impose', from: 3, round: 3, base: 2, entries: [[4, k('x')]] }));
    same([sat.sends.length, generates(sat.log)], [0, []], 'a rank whose frontier is below the IMPOSE’s base sits the sync out');
  },
  'leader decides the sync only at a quorum': (c) => {
    const l = leader(c);
    l.step({ type: 'round', round: 7 }, 100);
    for (let r = 0; r < 5; r++) l.step(msg(gather(r, 7, -1, 6, [])), 101);
    const early = [0, 1, 1].flatMap((r) => l.step(msg({ type: 'ack', from: r, round: 7, seq: -1 }), 102).sends);
    same(msgs(early, 'decide').length + msgs(early, 'propose').length, 0, 'no DECIDE or PROPOSE from two ranks’ ACKs (one of them twice)');
    const out = l.step(msg({ type: 'ack', from: 3, round: 7, seq: -1 }), 103).sends;
    check(msgs(out, 'decide').length === 1, 'the quorum-th sync ACK broadcasts DECIDE');
    const seqs = msgs(out, 'propose').flatMap((p) => p.msg.keys.map((_, i) => p.msg.first + i));
    const distinct = [...new Set(seqs)];
    check(distinct.length > 0 && distinct[0] === 0, 'proposing starts at seq 0');
    same(
      distinct,
      distinct.map((_, i) => i),
      'proposed seqs are consecutive',
    );
    check(Math.max(...distinct) < 4, `no more than the window (4) proposed, got seqs up to ${Math.max(...distinct)}`);
    check(
      msgs(out, 'propose').every((p) => p.msg.keys.length <= 2 && p.msg.keys.length === p.msg.values.length),
      'each PROPOSE holds ≤ proposeBatch values, one key each',
    );
  },
  'follower acks PROPOSEs contiguously': (c) => {
    const f = follower(c);
    f.step({ type: 'round', round: 3 });
    f.step(msg({ type: 'impose', from: 3, round: 3, base: -1, entries: [] }));
    f.step(msg({ type: 'decide', from: 3, round: 3 }));
    const propose = (first: number, keys: string[]): { gen: number[]; acks: number[] } => {
      const out = f.step(msg({ type: 'propose', from: 3, round: 3, first, keys, values: keys.map(() => new Uint8Array(1)) }));
      return { gen: generates(out.log), acks: msgs(out.sends, 'ack').map((s) => s.msg.seq) };
    };
    same(propose(0, [k('a'), k('b')]), { gen: [30, 31], acks: [1] }, 'PROPOSE seqs 0-1: accepted and ACKed up to 1');
    same(propose(3, [k('d')]), { gen: [33], acks: [1] }, 'PROPOSE seq 3 after a gap: accepted, ACK stays at 1');
    same(propose(2, [k('c')]), { gen: [32], acks: [3] }, 'the gap filled: ACK jumps to 3');
    same(propose(0, [k('a')]), { gen: [], acks: [3] }, 'a resent PROPOSE is ACKed again, accepting nothing new');
    same(commits(f.step(msg({ type: 'commit', from: 3, round: 3, seq: 3 })).log), [30, 31, 32, 33], 'COMMIT 3 commits seqs 0-3 in order');
  },
  'leader commits what a quorum acked': (c) => {
    // Whatever its window, the leader must commit the seq a quorum acked, and go on proposing
    // until the round's L instances are committed.
    const { l, sends } = synced(c);
    const top = (out: readonly Send[], was: number): number =>
      Math.max(was, ...msgs(out, 'propose').flatMap((p) => p.msg.keys.map((_, i) => p.msg.first + i)));
    let proposed = top(sends, -1);
    check(proposed >= 0, 'the sync decided, the leader proposes');
    const ack = (from: number, seq: number): Send[] => {
      const out = l.step(msg({ type: 'ack', from, round: 7, seq }), 110).sends;
      proposed = top(out, proposed);
      return out;
    };
    same(msgs([...ack(0, proposed), ...ack(1, proposed)], 'commit').length, 0, 'no COMMIT while fewer than a quorum acked any seq');
    same(
      msgs(ack(3, 0), 'commit').map((s) => s.msg.seq),
      [0],
      'a third rank acked seq 0: COMMIT 0 (the highest seq a quorum holds)',
    );
    for (let i = 0; i < 20 && proposed < 9; i++) {
      const upTo = proposed;
      const out = [0, 1, 3].flatMap((r) => ack(r, upTo));
      same(
        msgs(out, 'commit')
          .map((s) => s.msg.seq)
          .at(-1),
        upTo,
        `a quorum acked up to ${upTo}: COMMIT ${upTo}`,
      );
    }
    check(proposed === 9, `proposing goes on to the round's last seq (L−1 = 9); stopped at ${proposed}`);
    const last = [0, 1, 3].flatMap((r) => ack(r, 9));
    same(
      msgs(last, 'commit')
        .map((s) => s.msg.seq)
        .at(-1),
      9,
      'the round’s last seq committed',
    );
  },
  'leader catches up a LATE rank': (c) => {
    const entries: Entry[] = [0, 1, 2, 3, 4].map((e) => [e, k(String.fromCharCode(97 + e))]);
    const l = leader(c, { catchupChunk: 2 });
    l.step({ type: 'committed', entries }, 99);
    l.step({ type: 'round', round: 7 }, 100);
    for (let r = 0; r < 5; r++) l.step(msg(gather(r, 7, 4, 6, [])), 101);
    const early = l.step(msg({ type: 'late', from: 4, round: 7, frontier: 0 }), 101).sends;
    same(msgs(early, 'catchup').length, 0, 'no CATCHUP before the round’s sync is decided');
    for (const r of [0, 1, 3]) l.step(msg({ type: 'ack', from: r, round: 7, seq: -1 }), 102);
    const out = msgs(l.step(msg({ type: 'late', from: 4, round: 7, frontier: 0 }), 103).sends, 'catchup');
    check(out.length > 0 && out.every((s) => s.to === 4), 'a LATE after the sync is answered with CATCHUPs to the late rank');
    same(
      out.flatMap((s) => s.msg.entries).map((e) => e[0]),
      [1, 2, 3, 4],
      'the CATCHUPs hold the decided log above its frontier, in order',
    );
    check(
      out.every((s) => s.msg.entries.length <= 2),
      'no CATCHUP holds more than a chunk (2)',
    );
    same(
      out.map((s) => s.msg.more === true),
      out.map((_, i) => i < out.length - 1),
      '`more` on every chunk but the last',
    );
  },
  'follower commits a CATCHUP': (c) => {
    const f = follower(c);
    f.step({ type: 'round', round: 7 });
    const late = msgs(
      f.step(msg({ type: 'propose', from: 2, round: 7, first: 0, keys: [k('p')], values: [new Uint8Array(1)] })).sends,
      'late',
    );
    same(
      late.map((s) => [s.to, s.msg.frontier]),
      [[2, -1]],
      'a rank that missed the sync asks its leader (LATE with its frontier)',
    );
    const gap = f.step(msg({ type: 'catchup', from: 2, round: 7, base: 1, entries: [[2, k('c')]] }));
    same(
      [commits(gap.log), msgs(gap.sends, 'late').map((s) => s.msg.gap)],
      [[], [true]],
      'a chunk above the frontier is not committed; LATE(gap) asks again',
    );
    const first = f.step(
      msg({
        type: 'catchup',
        from: 2,
        round: 7,
        base: -1,
        entries: [
          [0, k('a')],
          [1, k('b')],
        ],
        more: true,
      }),
    );
    same(commits(first.log), [0, 1], 'a CATCHUP chunk is committed');
    same(
      msgs(first.sends, 'late').map((s) => s.msg.frontier),
      [1],
      'with `more`, the next chunk is asked for at once',
    );
    same(
      commits(f.step(msg({ type: 'catchup', from: 2, round: 7, base: 1, entries: [[2, k('c')]] })).log),
      [2],
      'the last chunk is committed',
    );
    same(
      commits(f.step(msg({ type: 'commit', from: 2, round: 7, seq: 0 })).log),
      [70],
      'after the catch-up the rank commits the round’s seqs',
    );
  },
  'restarted rank does not vote below its bound': (c) => {
    const f = follower(c, { amnesiac: true, votedThrough: 7 });
    f.step({ type: 'round', round: 7 });
    const read = f.step(msg({ type: 'read', from: 2, round: 7, frontier: -1 }));
    const imposed = f.step(msg({ type: 'impose', from: 2, round: 7, base: -1, entries: [[3, k('x')]] }));
    same([...read.sends, ...imposed.sends].length, 0, 'an amnesiac rank answers no READ or IMPOSE of a round ≤ its durable bound (§8)');
    f.step({ type: 'round', round: 8 });
    const later = f.step(msg({ type: 'impose', from: 3, round: 8, base: -1, entries: [[3, k('x')]] }));
    same(
      msgs(later.sends, 'ack').map((s) => s.msg.seq),
      [-1],
      'above its bound it accepts an IMPOSE again',
    );
  },
};

/** unitTest runs one named test against the core compiled into build. */
export async function unitTest(name: string, build: string): Promise<void> {
  const test = tests[name];
  if (test === undefined) throw new Error(`no unit test named ${JSON.stringify(name)}`);
  test(await load(build));
}
