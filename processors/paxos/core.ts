// core: one Paxos rank as one state and one pure step (runtime/protocol.ts). The rank's three
// roles are parts of that state, each with its own sub-step: the router (the rank's round: slot
// timer, jumps, NACKs), the follower (acceptor and learner) and the leader (proposer of the
// rounds it leads). A step routes its input, hands it to the roles it concerns, and carries
// their outputs on inside the same step:
// - the leader reads the follower's committed window itself (one copy per rank), so it never
//   answers from a log that lags its own IMPOSE (§6.4); the committed feed only wakes it;
// - a message the rank sends itself (a broadcast reaches its own follower, a GATHER or ACK its
//   own leader) is stepped here, not sent through the network;
// - each round entered is persisted (the durable round bound of §8) before anything sent in it
//   leaves: sends wait in `parked` until `persisted` says the bound is durable.
// The rules the roles rely on are asserted here (runtime/assert.ts): a failed one stops the rank
// with exit 70, naming the rule (docs/protocols/paxos.md §6, §8, §13).
import { assert, defined } from '../../runtime/assert.js';
import type { Envelope, ProtocolInput, ProtocolOutput } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import type { CommitSource } from './archive.js';
import { ALL, type LogEvent, type Send } from './events.js';
import { Follower, type FollowerInput } from './follower.js';
import { Leader, type LeaderInput } from './leader.js';
import type { Entry, PaxosMsg } from './messages.js';
import { Router } from './router.js';

/** PaxosConfig: a rank's flags and timing, validated (processors/paxos/entry.ts). */
export interface PaxosConfig {
  /** slotMs: -o in ms: the round length and the longest any processor waits. */
  readonly slotMs: number;
  readonly interval: number; // -l
  readonly dataSize: number;
  readonly eager: boolean;
  readonly pipelineWindow: number;
  readonly proposeBatch: number;
  readonly gatherGraceMs: number;
  readonly retryMs: number;
  /** catchupChunk: most history entries per sync message (CATCHUP_CHUNK unless a test shrinks it). */
  readonly catchupChunk?: number;
  /** windowLimit: most committed entries the rank keeps in memory (CommitWindow's default unless a test shrinks it). */
  readonly windowLimit?: number;
  /**
   * archive: the rank's own instance log read back, for a rank behind the in-memory window
   * (§6.4). A read-only handle over a file that only grows: the entry opens it, the core only
   * reads committed entries from it, which never change once written. Without it such a rank
   * waits for a sync.
   */
  readonly archive?: CommitSource;
}

/** RoundBatch: one persist request: the durable round bound raised to `round` (§8). */
export interface RoundBatch {
  readonly batchId: number;
  readonly round: number;
}

/** PaxosState: one rank: its three roles, its durable-round bookkeeping and the summary's counts. */
export interface PaxosState {
  readonly self: number;
  readonly ranks: number;
  readonly slotMs: number;
  /** endAtMs: the end of the run: the rank stops there (-t after the start). */
  readonly endAtMs: number;
  readonly router: Router;
  readonly follower: Follower;
  readonly leader: Leader;
  /** asked: the last persist batch asked for; durable: the last reported durable; pending: those between, oldest first. */
  asked: RoundBatch;
  durable: RoundBatch;
  readonly pending: RoundBatch[];
  /** parked: sends to peers waiting for the round bound they depend on to be durable (FIFO). */
  readonly parked: { readonly batchId: number; readonly env: Envelope<PaxosMsg> }[];
  /** local: messages this rank sent itself, stepped before the step returns. */
  readonly local: PaxosMsg[];
  /** lastCommitted: the highest estround this incarnation committed or recovered (rule 1). */
  lastCommitted: number;
  readonly counts: { commits: number; generates: number; forged: number };
}

export interface PaxosInit {
  readonly self: number;
  readonly ranks: number;
  readonly config: PaxosConfig;
  readonly startAtMs: number;
  readonly endAtMs: number;
  /** random: the leader's values come from it. */
  readonly random: Random;
  /** votedThrough: the durable round bound a restarted rank found (undefined: a first start). */
  readonly votedThrough?: number;
  /** restored: the rank's own committed log, read back from its instance log (restart). */
  readonly restored?: readonly Entry[];
}

type Out = { send: Envelope<PaxosMsg>[]; persist: RoundBatch[]; log: LogEvent[]; trace: SelfSent[] };

/** SelfSent: the trace of a step: each message the rank sent itself (stepped locally, never on the network). */
export type SelfSent = { readonly type: 'self'; readonly msg: PaxosMsg };
export type PaxosOutput = ProtocolOutput<PaxosMsg, RoundBatch, LogEvent>;

/** initPaxos builds a rank's state; a restarted rank (restored) is amnesiac below its durable bound. */
export function initPaxos(o: PaxosInit): PaxosState {
  const c = o.config;
  const amnesiac = o.restored !== undefined;
  const shared = {
    rank: o.self,
    ranks: o.ranks,
    interval: c.interval,
    amnesiac,
    ...(c.archive ? { archive: c.archive } : {}),
    ...(c.windowLimit !== undefined ? { windowLimit: c.windowLimit } : {}),
    ...(c.catchupChunk !== undefined ? { catchupChunk: c.catchupChunk } : {}),
  };
  const bound = o.votedThrough ?? -1;
  const follower = new Follower({ ...shared, ...(o.votedThrough !== undefined ? { votedThrough: o.votedThrough } : {}) });
  const s: PaxosState = {
    self: o.self,
    ranks: o.ranks,
    slotMs: c.slotMs,
    endAtMs: o.endAtMs,
    router: new Router({ rank: o.self, startAtMs: o.startAtMs, slotMs: c.slotMs }),
    follower,
    // One committed log per rank: the leader reads its follower's window (§12).
    leader: new Leader({ ...shared, ...leaderTiming(c), random: o.random, decided: follower.window }),
    asked: { batchId: 0, round: bound },
    durable: { batchId: 0, round: bound },
    pending: [],
    parked: [],
    local: [],
    lastCommitted: -1,
    counts: { commits: 0, generates: 0, forged: 0 },
  };
  if (o.restored && o.restored.length > 0) {
    s.follower.restore(o.restored); // the leader's log too: it reads the follower's window
    s.counts.commits = o.restored.length;
    s.lastCommitted = s.follower.frontier;
  }
  return s;
}

/** leaderTiming: the flags and timing only the leader role reads. */
function leaderTiming(
  c: PaxosConfig,
): Pick<PaxosConfig, 'pipelineWindow' | 'proposeBatch' | 'gatherGraceMs' | 'retryMs' | 'dataSize' | 'eager'> {
  const { pipelineWindow, proposeBatch, gatherGraceMs, retryMs, dataSize, eager } = c;
  return { pipelineWindow, proposeBatch, gatherGraceMs, retryMs, dataSize, eager };
}

/** stepPaxos: one input through the roles it concerns, and everything that follows from it inside the rank. */
export function stepPaxos(s: PaxosState, input: ProtocolInput<PaxosMsg>, nowMs: number): { state: PaxosState; out: PaxosOutput } {
  const out: Out = { send: [], persist: [], log: [], trace: [] };
  switch (input.type) {
    case 'message':
      // The run is over at endAtMs: a message stepped after it (a backlog the driver still steps
      // on its way out) commits nothing, so every commit line is stamped inside the run.
      if (nowMs < s.endAtMs) routeIn(s, out, input.from, input.msg, nowMs);
      break;
    case 'tick':
      onTick(s, out, nowMs);
      break;
    case 'persisted':
      onPersisted(s, out, input.batchId);
      break;
    case 'turn':
      break;
  }
  stepLocal(s, out, nowMs);
  const stop = nowMs >= s.endAtMs;
  return { state: s, out: { ...out, wakeAtMs: wakeAt(s), ...(stop ? { stop } : {}) } };
}

/** wakeAt: the next deadline of any role: the slot's end, the leader's grace or retry, the run's end. */
export function wakeAt(s: PaxosState): number {
  return Math.min(s.router.nextTickMs(), s.leader.wakeAt ?? Infinity, s.endAtMs);
}

/** onTick: the slot timer (maybe a new round) and the leader's deadline, whichever passed. */
function onTick(s: PaxosState, out: Out, nowMs: number): void {
  const round = s.router.tick(nowMs);
  if (round !== undefined) enterRound(s, out, round, nowMs);
  const leaderAt = s.leader.wakeAt;
  if (leaderAt !== undefined && nowMs >= leaderAt) leaderIn(s, out, { type: 'wake' }, nowMs);
}

/**
 * routeIn is the router's sub-step: a message from a peer (or from this rank itself) is
 * dropped if it claims another sender, may move the rank to a newer round first, may be NACKed
 * as an older round's, and goes to the roles it is for.
 */
function routeIn(s: PaxosState, out: Out, from: number, m: PaxosMsg, nowMs: number): void {
  // The transport proved who sent it (TCP: the handshake; MemNet: the endpoint). Replies go to
  // m.from and votes are counted by it, so a message claiming another sender is dropped and
  // counted (issue 11 hole 7).
  if (m.from !== from) {
    s.counts.forged++;
    return;
  }
  const r = s.router.route(m, nowMs);
  if (r.bump !== undefined) enterRound(s, out, r.bump, nowMs);
  if (r.reply) emit(s, out, r.reply);
  if (r.toFollower) followerIn(s, out, { type: 'msg', msg: m }, nowMs);
  if (r.toLeader) leaderIn(s, out, { type: 'msg', msg: m }, nowMs);
}

/** enterRound raises the durable bound to the round (sends wait for it), then tells both roles. */
function enterRound(s: PaxosState, out: Out, round: number, nowMs: number): void {
  // The router's round only grows; below the bound is a restarted rank's (it sits those out).
  assert(s.pending.length === 0 || round > s.asked.round, () => `rule §8: round ${round} entered again (asked ${s.asked.round})`);
  if (round > s.asked.round) {
    s.asked = { batchId: s.asked.batchId + 1, round };
    s.pending.push(s.asked);
    out.persist.push(s.asked);
  }
  followerIn(s, out, { type: 'round', round }, nowMs);
  leaderIn(s, out, { type: 'round', round }, nowMs);
}

/** followerIn is the follower's sub-step; what it commits goes to the leader in the same step. */
function followerIn(s: PaxosState, out: Out, input: FollowerInput, nowMs: number): void {
  const f = s.follower.step(input);
  for (const ev of f.log) {
    if (ev.kind === 'commit') {
      assert(
        ev.estround > s.lastCommitted,
        () => `rule 1: instance ${ev.estround} committed again or out of order (after ${s.lastCommitted})`,
      );
      s.lastCommitted = ev.estround;
      s.counts.commits++;
    } else s.counts.generates++;
  }
  // A caught-up chunk is tens of thousands of events: the follower's own list is passed on, not
  // copied (a copy that size is allocated with the old generation and collected with it).
  if (out.log.length === 0) out.log = f.log;
  else for (const ev of f.log) out.log.push(ev);
  for (const send of f.sends) emit(s, out, send);
  if (f.committed.length > 0) leaderIn(s, out, { type: 'committed', entries: f.committed }, nowMs);
  if (f.rejoined !== undefined) leaderIn(s, out, { type: 'rejoined', round: f.rejoined }, nowMs);
}

/** leaderIn is the leader's sub-step. */
function leaderIn(s: PaxosState, out: Out, input: LeaderInput, nowMs: number): void {
  for (const send of s.leader.step(input, nowMs).sends) emit(s, out, send);
}

/** stepLocal steps the messages this rank sent itself until none is left. */
function stepLocal(s: PaxosState, out: Out, nowMs: number): void {
  for (let m = s.local.shift(); m !== undefined; m = s.local.shift()) routeIn(s, out, s.self, m, nowMs);
}

/**
 * emit sends one role's message: to this rank itself, stepped locally; to a peer, parked while
 * a round bound is not yet durable (every message names the rank's round, so each depends on
 * the newest bound asked for), else out now.
 */
function emit(s: PaxosState, out: Out, send: Send): void {
  if (send.to === ALL) {
    for (let to = 0; to < s.ranks; to++) emit(s, out, { to, msg: send.msg });
    return;
  }
  if (send.to === s.self) {
    s.local.push(send.msg);
    out.trace.push({ type: 'self', msg: send.msg });
    return;
  }
  const env = { to: send.to, msg: send.msg };
  if (s.durable.batchId < s.asked.batchId) s.parked.push({ batchId: s.asked.batchId, env });
  else sendOut(s, out, env);
}

/** onPersisted: the bound is durable up to batchId: the sends that waited for it go out, in order. */
function onPersisted(s: PaxosState, out: Out, batchId: number): void {
  assert(batchId <= s.asked.batchId, () => `rule §8: round batch ${batchId} reported durable, only ${s.asked.batchId} asked`);
  for (let b = s.pending[0]; b !== undefined && b.batchId <= batchId; b = s.pending[0])
    s.durable = defined(s.pending.shift(), 'b is pending');
  let n = 0;
  while (n < s.parked.length && (s.parked[n]?.batchId ?? Infinity) <= s.durable.batchId) n++;
  for (const p of s.parked.splice(0, n)) sendOut(s, out, p.env);
}

/** sendOut: a send leaves the rank; the round it speaks for must be covered by the durable bound (§8). */
function sendOut(s: PaxosState, out: Out, env: Envelope<PaxosMsg>): void {
  const { msg } = env;
  // Every message but NACK and NEXT is a vote or leadership in msg.round (a NACK names the
  // round to jump to, a NEXT the round after the one it ends; neither answers in it).
  if (msg.type !== 'nack' && msg.type !== 'next')
    assert(
      msg.round <= s.durable.round,
      () => `rule §8: a ${msg.type} of round ${msg.round} would leave before the round is durable (bound ${s.durable.round})`,
    );
  out.send.push(env);
}
