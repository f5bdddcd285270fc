// core.test: one Paxos rank's state and step (core.ts), driven by hand: the round bound is
// durable before anything sent in the round leaves (§8, issue 11 hole 1), the leader's log has
// its own follower's commits in the same step (no lagging feed, §6.4), a rank's messages to
// itself never reach the network, and a broken rule stops the rank naming it.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import type { ProtocolInput } from '../../runtime/protocol.js';
import { initPaxos, stepPaxos, type PaxosOutput, type PaxosState } from './core.js';
import type { PaxosMsg } from './messages.js';

const K = (c: string): string => c.repeat(32);
const SLOT = 1000;

/** rank0 is rank 0 of 5 (interval 4), the leader of round 5, with the rank's slots starting at 0. */
function rank0(): PaxosState {
  return initPaxos({
    self: 0,
    ranks: 5,
    config: { slotMs: SLOT, interval: 4, dataSize: 8, eager: false, pipelineWindow: 2, proposeBatch: 1, gatherGraceMs: 10, retryMs: 50 },
    startAtMs: 0,
    endAtMs: 100 * SLOT,
    random: new SeededRandom('core'),
  });
}

function step(s: PaxosState, input: ProtocolInput<PaxosMsg>, nowMs: number): PaxosOutput {
  return stepPaxos(s, input, nowMs).out;
}

const from = (msg: PaxosMsg): ProtocolInput<PaxosMsg> => ({ type: 'message', from: msg.from, msg });

t.test('a round’s messages leave only once the round is durable; the rank’s own are stepped inside', async (t) => {
  const s = rank0();
  const enter = step(s, { type: 'tick' }, 5 * SLOT);
  t.same(enter.persist, [{ batchId: 1, round: 5 }], 'entering round 5 asks for the bound to be raised to 5');
  t.same(enter.send, [], 'its READs wait: an answer in a round not yet durable could be forgotten by a restart (§8)');
  t.same(
    enter.trace.map((x) => (x as { msg: PaxosMsg }).msg.type),
    ['read', 'gather'],
    'the READ to itself and its own GATHER were stepped at once, not sent',
  );
  const out = step(s, { type: 'persisted', batchId: 1 }, 5 * SLOT + 1);
  t.same(
    out.send.map((e) => [e.to, e.msg.type]),
    [
      [1, 'read'],
      [2, 'read'],
      [3, 'read'],
      [4, 'read'],
    ],
    'once durable, the READs go to the four peers, none to itself',
  );
});

t.test('the leader answers a LATE with the IMPOSE its own follower committed in the same step (§6.4)', async (t) => {
  const s = rank0();
  step(s, { type: 'tick' }, 5 * SLOT);
  step(s, { type: 'persisted', batchId: 1 }, 5 * SLOT);
  const gather = (r: number, held: Extract<PaxosMsg, { type: 'gather' }>['held']): PaxosMsg => ({
    type: 'gather',
    from: r,
    round: 5,
    frontier: -1,
    syncRound: -1,
    held,
  });
  step(s, from(gather(1, [[8, K('b'), 4]])), 5 * SLOT + 1);
  step(s, from(gather(2, [])), 5 * SLOT + 1);
  step(s, from(gather(3, [])), 5 * SLOT + 1);
  const imposed = step(s, from(gather(4, [])), 5 * SLOT + 1);
  t.same(
    imposed.send.filter((e) => e.msg.type === 'impose').map((e) => e.to),
    [1, 2, 3, 4],
    'all five gathered: the IMPOSE goes out',
  );
  step(s, from({ type: 'ack', from: 1, round: 5, seq: -1 }), 5 * SLOT + 2);
  const decided = step(s, from({ type: 'ack', from: 2, round: 5, seq: -1 }), 5 * SLOT + 2);
  t.same(
    decided.log.filter((ev) => ev.kind === 'commit').map((ev) => ev.estround),
    [8],
    'its own ACK and two others decide the sync: its follower commits the IMPOSE in the same step',
  );
  const answer = step(s, from({ type: 'late', from: 3, round: 5, frontier: -1 }), 5 * SLOT + 3);
  t.same(
    answer.send.map((e) => e.msg),
    [{ type: 'catchup', from: 0, round: 5, base: -1, entries: [[8, K('b')]] }],
    'the CATCHUP holds the IMPOSE (no lagging feed to patch)',
  );
});

t.test('a broken rule stops the step, naming the rule', async (t) => {
  const s = rank0();
  step(s, { type: 'tick' }, 5 * SLOT);
  t.throws(() => step(s, { type: 'persisted', batchId: 2 }, 5 * SLOT), /rule §8: round batch 2 reported durable, only 1 asked/);
});

t.test('a restarted rank keeps its durable bound: no persist for rounds at or below it', async (t) => {
  const s = initPaxos({
    self: 1,
    ranks: 5,
    config: { slotMs: SLOT, interval: 4, dataSize: 8, eager: false, pipelineWindow: 2, proposeBatch: 1, gatherGraceMs: 10, retryMs: 50 },
    startAtMs: 0,
    endAtMs: 100 * SLOT,
    random: new SeededRandom('core'),
    votedThrough: 7,
    restored: [[3, K('a')]],
  });
  const nack = step(s, from({ type: 'read', from: 4, round: 4, frontier: -1 }), 4 * SLOT);
  t.same(nack.persist, [], 'round 4 is below the bound 7: durable already');
  t.same(nack.send, [], 'and the amnesiac rank does not answer a READ of a round its old incarnation may have voted in');
  const later = step(s, from({ type: 'read', from: 3, round: 8, frontier: -1 }), 4 * SLOT + 1);
  t.same(later.persist, [{ batchId: 1, round: 8 }], 'round 8 raises the bound');
  t.equal(s.counts.commits, 1, 'the restored commit counts');
});

t.test('a message stepped at or after the run’s end commits nothing: every commit line is stamped inside the run', async (t) => {
  const catchup: PaxosMsg = { type: 'catchup', from: 1, round: 3, base: -1, entries: [[0, K('a')]], more: true };
  const end = 100 * SLOT;
  const inside = rank0();
  step(inside, { type: 'tick' }, end - 10);
  t.same(
    step(inside, from(catchup), end - 1).log.map((e) => e.kind),
    ['generate', 'commit'],
    'just before the end: an older round’s chunk commits',
  );
  const after = rank0();
  step(after, { type: 'tick' }, end - 10);
  const out = stepPaxos(after, from(catchup), end).out;
  t.same([out.log, out.send, out.stop], [[], [], true], 'at the end: nothing logged or sent, and the rank stops');
});
