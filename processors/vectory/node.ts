// node: one Vectory node's step (runtime/protocol.ts): dispatch by message, the timers of §5 and
// §8 (Alive, ticks, election deadlines), then hand newly committed entries to the vector layer,
// apply what is ready and answer what waited on it. A send leaves only once every WAL batch
// written up to its step is durable (§4: persisted before any reply that reveals it, D15).
import { isClientAddress } from '../../runtime/client/gateway.js';
import type { ProtocolInput, ProtocolOutput } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import { noteApplied, noteCommitAt } from './lag.js';
import { masterDuties, onAlive, onAliveAck, sendAlive } from './alive.js';
import { expireBalance, onBalanceAck, onBalanceReq } from './balance.js';
import { answerApplied, onClientRequest, serveReads } from './clients.js';
import { onCollect, onCollectReply, startElection } from './collect.js';
import type { VLogEvent } from './log.js';
import type { VMsg } from './messages.js';
import { onLoadProbe } from './probe.js';
import { onAppend, onAppendReply, sendTo } from './replicate.js';
import {
  electionDeadline,
  emit,
  follow,
  lastIndex,
  lastVersion,
  peersOf,
  wal,
  type NodeState,
  type ShardState,
  type WalBatch,
} from './state.js';
import { compareBallot, ZERO_BALLOT } from './types.js';
import { applyReady, noteCommitted, stampVersion, tickDue } from './vector.js';

type Out = ProtocolOutput<VMsg, WalBatch, VLogEvent>;

/** stepNode: one input; the state is updated in place. */
export function stepNode(n: NodeState, input: ProtocolInput<VMsg>, now: number, random: Random): Out {
  return stepWith(
    n,
    now,
    random,
    () => {
      if (input.type === 'message') onMessage(n, input.from, input.msg, now, random);
      else if (input.type === 'persisted') n.durableId = Math.max(n.durableId, input.batchId);
    },
    input.type === 'tick',
  );
}

/**
 * stepWith: one step whose input is `rule` (a test calls a rule directly; the bookkeeping is the
 * same); `tick`: the step is a tick, on which the rules that act on silence run (silenceOnTick).
 */
export function stepWith(n: NodeState, now: number, random: Random, rule: () => void, tick = true): Out {
  n.step = { send: [], wal: [], log: [] };
  if (!n.started) {
    n.started = true;
    emit(n, { type: 'start' });
    // A promise's line waits for its batch to be durable (finish), so a kill between the two
    // leaves a durable promise with no line: a restart states what it recovered (S4 over the logs).
    for (const s of n.shards)
      if (compareBallot(s.promised, ZERO_BALLOT) > 0) emit(n, { type: 'recover', shard: s.id, promised: s.promised, accepted: s.accepted });
  }
  rule();
  timers(n, now, random, tick || !n.cfg.silenceOnTick);
  afterStep(n, now);
  return finish(n, now);
}

function onMessage(n: NodeState, from: number, m: VMsg, now: number, random: Random): void {
  if (m.type === 'client-req') return isClientAddress(from) ? onClientRequest(n, from, m, now) : undefined;
  if (m.type === 'load-probe') return from === n.self ? onLoadProbe(n, m.cpu) : undefined;
  if (m.type === 'client-reply' || isClientAddress(from) || from === n.self || from >= n.n) return;
  if (m.type === 'alive') return onAlive(n, from, m, now, random);
  if (m.type === 'alive-ack') return onAliveAck(n, from, m, now, random);
  if (m.type === 'balance-req') return onBalanceReq(n, from, m, now);
  if (m.type === 'balance-ack') return onBalanceAck(n, from, m, now);
  const s = n.shards[m.shard];
  if (s === undefined) return;
  if (m.type === 'collect') return onCollect(n, s, from, m, now, random);
  if (m.type === 'collect-reply') return onCollectReply(n, s, from, m, now);
  if (m.type === 'append') return onAppend(n, s, from, m, now, random);
  return onAppendReply(n, s, from, m, now, random);
}

/**
 * timers: elections (A4, E5), the master's interval duties (A1, A5, V5) and balance expiry (L4).
 * `silence`: whether the deadlines that act on silence may act in this step (silenceOnTick).
 */
function timers(n: NodeState, now: number, random: Random, silence: boolean): void {
  for (const s of n.shards) {
    if (!silence || s.role === 'master' || now < s.deadline) continue;
    if (s.role === 'candidate') {
      follow(n, s, s.promised, null);
      s.master = null;
      s.deadline = electionDeadline(n, now, random);
    } else startElection(n, s, now);
  }
  if (now >= n.nextAliveAt) {
    n.nextAliveAt = now + n.cfg.aliveMs;
    for (const s of n.shards) if (s.role === 'master') tick(n, s);
    masterDuties(n, now, random, silence);
    n.aliveNow = false;
  }
  if (n.aliveNow) {
    n.aliveNow = false;
    sendAlive(n);
  }
  expireBalance(n, now);
}

/** tick: V5 — an idle shard's master appends a tick so no node's global apply waits on it. */
function tick(n: NodeState, s: ShardState): void {
  const due = tickDue(n.vector, s.id, lastVersion(s), s.hadEntrySinceTick);
  s.hadEntrySinceTick = false;
  if (!due) return;
  const e = {
    index: lastIndex(s) + 1,
    ballot: s.accepted,
    kind: 'tick' as const,
    version: stampVersion(n.vector, s.id, lastVersion(s), undefined, 'tick'),
  };
  s.log.push(e);
  wal(n, { op: 'put', shard: s.id, entries: [e] });
  for (const p of peersOf(n)) if (s.peers[p]?.syncing === false) sendTo(n, s, p);
}

/** afterStep: V4 — committed entries held here go to the vector layer, then V6 applies what is ready. */
function afterStep(n: NodeState, now: number): void {
  for (const s of n.shards) {
    if (s.commitIndex <= s.noted) continue;
    const fresh = s.log.slice(s.noted, s.commitIndex);
    noteCommitted(n.vector, s.id, fresh);
    s.noted = s.commitIndex;
    for (const e of fresh) {
      emit(n, { type: 'commit', shard: s.id, index: e.index, ballot: e.ballot, version: e.version, kind: e.kind, by: s.accepted });
      if (e.kind === 'write' && s.role === 'master') n.rateCount++;
    }
    n.counters.commits += fresh.length;
    noteCommitAt(n.lag, s.id, s.commitIndex, now);
  }
  const applied = applyReady(n.vector);
  n.counters.applied += applied.length;
  noteApplied(n.lag, applied, now);
  answerApplied(n, applied);
  if (now - n.rateWindowStart >= 1000) {
    n.rate = 0.5 * n.rate + (0.5 * n.rateCount * 1000) / Math.max(1, now - n.rateWindowStart);
    n.rateCount = 0;
    n.rateWindowStart = now;
  }
  serveReads(n, now);
}

/** finish: persist this step's WAL ops as one batch and hold every send until what precedes it is durable. */
function finish(n: NodeState, now: number): Out {
  const persist: WalBatch[] = [];
  if (n.step.wal.length > 0) {
    n.batchId++;
    persist.push({ batchId: n.batchId, ops: n.step.wal });
  }
  for (const env of n.step.send) n.parked.push({ upTo: n.batchId, env });
  const ready = n.parked.filter((p) => p.upTo <= n.durableId).map((p) => p.env);
  n.parked = n.parked.filter((p) => p.upTo > n.durableId);
  const durable = (ev: VLogEvent): boolean => ev.type === 'promise' || ev.type === 'accept';
  for (const ev of n.step.log) if (durable(ev)) n.durableLog.push({ upTo: n.batchId, ev });
  const log = [...n.step.log.filter((ev) => !durable(ev)), ...n.durableLog.filter((p) => p.upTo <= n.durableId).map((p) => p.ev)];
  n.durableLog = n.durableLog.filter((p) => p.upTo > n.durableId);
  return { send: ready, persist, log, trace: [], wakeAtMs: nextWake(n, now), ...(now >= n.stopAtMs ? { stop: true } : {}) };
}

function nextWake(n: NodeState, now: number): number {
  let at = n.shards.some((s) => s.role === 'master') ? n.nextAliveAt : now + n.cfg.electionMs;
  for (const s of n.shards) if (s.role !== 'master') at = Math.min(at, s.deadline);
  for (const r of n.reads) at = Math.min(at, r.until);
  if (n.balance !== undefined) at = Math.min(at, n.balance.until);
  return Math.max(at, now + 1);
}
