// protocol: a Vectory node as a runtime Protocol (runtime/protocol.ts), run by the rank driver and
// the simulator. Every node masters some shards and follows the rest (docs/protocols/vectory.md);
// the persisted fields go to a WAL (storage.ts) before any send that reveals them (node.ts).
import type { ClientPort, Protocol, RankSetup } from '../../runtime/protocol.js';
import type { VectoryConfig } from './config.js';
import { formatLog, type VLogEvent } from './log.js';
import { validateVMsg, type VMsg } from './messages.js';
import { stepNode } from './node.js';
import { mastered, newNodeState, newShard, type NodeState, type WalBatch } from './state.js';
import { replay, vectoryStorage, type Durable } from './storage.js';
import { observeEntry } from './vector.js';
import { lagSummary } from './lag.js';
import { vectoryStepInvariants } from './step_invariants.js';

/** initNode: fresh shards with A3's staggered first deadlines (D5), or what the WAL kept. */
export function initNode(o: RankSetup<VectoryConfig, Durable, undefined>): NodeState {
  const cfg = o.config;
  const n = newNodeState(o.self, o.ranks, cfg);
  const e = cfg.electionMs;
  for (let id = 0; id < cfg.shards; id++) {
    const first = (cfg.startOn ?? id) % o.ranks === o.self;
    const span = o.durable !== undefined ? 1 + o.random.next() : first ? 0.5 + 0.5 * o.random.next() : 2 + o.random.next();
    const s = newShard(id, o.nowMs + e * span);
    const d = o.durable?.shards.get(id);
    if (d !== undefined) {
      s.promised = d.promised;
      s.accepted = d.accepted;
      s.log = d.log;
      s.maxEpochSeen = d.promised.epoch;
      for (const x of d.log) observeEntry(n.vector, x);
    }
    n.shards.push(s);
  }
  n.nextAliveAt = o.nowMs;
  n.stopAtMs = o.loadUntilMs + cfg.electionMs;
  n.rateWindowStart = o.nowMs;
  return n;
}

/** vectoryClientPort: clients speak the shared client wire as Vectory messages. */
export const vectoryClientPort: ClientPort<VMsg> = { toMsg: (req) => req, asReply: (m) => (m.type === 'client-reply' ? m : null) };

export const vectory: Protocol<VectoryConfig, NodeState, VMsg, WalBatch, VLogEvent, Durable, undefined> = {
  name: 'vectory',
  init: initNode,
  step: (s, input, nowMs, random) => ({ state: s, out: stepNode(s, input, nowMs, random) }),
  validate: validateVMsg,
  formatLog,
  recoverLog: () => undefined,
  storage: vectoryStorage,
  pollMs: (s) => s.cfg.aliveMs,
  // a node masters some shards and follows others: 'leader' while it masters any, so a `leader` fault target picks a master
  role: (s) => (mastered(s) > 0 ? 'leader' : 'follower'),
  round: (s) => Math.max(0, ...s.shards.map((x) => x.promised.epoch)),
  summary: (s) => ({
    // csplab run's progress line shows the highest round any rank reports: here the highest ballot epoch
    round: Math.max(0, ...s.shards.map((x) => x.promised.epoch)),
    commits: s.counters.commits,
    generates: s.counters.writes,
    mastered: mastered(s),
    elections: s.counters.elections,
    won: s.counters.won,
    tokens: s.counters.tokens,
    applied: s.counters.applied,
    reads: s.counters.reads,
    ...lagSummary(s.lag),
  }),
  replay,
  invariants: () => vectoryStepInvariants(),
  clients: vectoryClientPort,
  describe: (m) => ({
    type: m.type,
    ...('ballot' in m ? { round: m.ballot.epoch } : {}),
    ...(m.type === 'append' && m.entries.length > 0
      ? { seq: [m.entries[0]?.index ?? 0, m.entries[m.entries.length - 1]?.index ?? 0] as const, size: m.entries.length * 64 }
      : {}),
  }),
};
