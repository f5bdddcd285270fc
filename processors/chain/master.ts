// master: the single chain-replication master, the seed's ECS (docs/protocols/chain-master.md).
// A pure step over the node → master messages and ticks: it places the first configuration
// (decision 6), answers heartbeats with leases (M1, M2, L1), declares silent nodes failed after
// failTimeoutMs (M3, L3), and runs one reconfiguration at a time toward the ring's target
// chains (decision 5). Every configuration is persisted before it is sent, so a restarted
// master resumes from its record with a higher epoch.
import { assertNever } from '../../runtime/assert.js';
import { firstConfig } from './master_ring.js';
import { detectFailures, finishLeaves, onGetConfig, onHeartbeat, onJoin, onLeave } from './master_nodes.js';
import {
  describeChains,
  install,
  liveMembers,
  noteOnce,
  onPersisted,
  type MasterCounts,
  type MasterState,
  type NodeInfo,
} from './master_state.js';
import { onQuiesced, onReady, onRetired, reconcile, stepDeadline, stepTimers } from './master_steps.js';
import type { ChainOptions } from './options.js';
import { tailOf } from './config.js';
import type { ChainMsg } from './messages.js';
import { MASTER_RANK, type ChainInput, type ChainOut, type MasterRecord } from './types.js';

export type { MasterState } from './master_state.js';

export interface MasterSetup {
  ranks: number;
  startAtMs: number;
  nowMs: number;
  options: ChainOptions;
  record?: MasterRecord;
}

const ZERO_COUNTS: MasterCounts = {
  joins: 0,
  failures: 0,
  leaves: 0,
  configs: 0,
  extends: 0,
  removals: 0,
  splits: 0,
  merges: 0,
  aborts: 0,
  stuck: 0,
};

/**
 * initMaster: a fresh master, or one restarted from its record. A restarted master counts every
 * node of the record as heard from now, so it declares no one failed before failTimeoutMs has
 * passed without a heartbeat (L3): a lease its predecessor granted has lapsed by then.
 */
export function initMaster(s: MasterSetup): MasterState {
  const m: MasterState = {
    o: s.options,
    ranks: s.ranks,
    startAtMs: s.startAtMs,
    config: s.record?.config,
    announced: s.record?.config,
    seenEpoch: s.record?.config.epoch ?? 0,
    nodes: new Map(),
    failed: new Set(s.record?.failed ?? []),
    leaving: new Set(s.record?.leaving ?? []),
    stopped: new Set(),
    joinedTail: new Map(),
    lost: new Set(),
    step: undefined,
    retryAtMs: new Map(),
    stuck: new Map(),
    persists: 0,
    durable: 0,
    parked: [],
    resumeHeads: s.record !== undefined,
    notes: new Set(),
    degraded: false,
    counts: { ...ZERO_COUNTS },
  };
  const r = s.record;
  if (r === undefined) return m;
  const incarnations = new Map(r.incarnations ?? []);
  for (const range of r.config.ranges) {
    if (range.chain.length === 0) m.lost.add(range.rangeId);
    for (const c of range.chain) if (!m.failed.has(c)) m.nodes.set(c, restoredNode(incarnations.get(c) ?? -1, s.nowMs));
  }
  for (const [rank, inc] of incarnations) if (!m.failed.has(rank) && !m.nodes.has(rank)) m.nodes.set(rank, restoredNode(inc, s.nowMs));
  return m;
}

function restoredNode(incarnation: number, nowMs: number): NodeInfo {
  return { incarnation, lastHeardMs: nowMs, epoch: 0, minEpoch: 0, reports: new Map() };
}

/** stepMaster: one input; then the clock's duties (first config, failures, step timers) and the reconciler. */
export function stepMaster(m: MasterState, input: ChainInput, nowMs: number, out: ChainOut): void {
  if (m.resumeHeads) resumeAfterRestart(m, out);
  if (input.type === 'message') onMessage(m, input.from, input.msg, nowMs, out);
  else if (input.type === 'persisted') onPersisted(m, input.batchId, out);
  if (m.config === undefined) maybeFirstConfig(m, nowMs, out);
  detectFailures(m, nowMs, out);
  stepTimers(m, nowMs, out);
  finishLeaves(m, out);
  reconcile(m, nowMs, out);
  watchDegraded(m, out);
  out.wakeAt(nextWakeMs(m, nowMs));
}

function onMessage(m: MasterState, from: number, msg: ChainMsg, nowMs: number, out: ChainOut): void {
  if (from === MASTER_RANK) return;
  switch (msg.type) {
    case 'join':
      return onJoin(m, from, msg, nowMs, out);
    case 'heartbeat':
      return onHeartbeat(m, from, msg, nowMs, out);
    case 'get-config':
      return onGetConfig(m, from, out);
    case 'ready':
      return onReady(m, from, msg, out);
    case 'retired':
      return onRetired(m, from, msg, out);
    case 'quiesced':
      return onQuiesced(m, from, msg, nowMs, out);
    case 'leave':
      return onLeave(m, from, out);
    case 'forward':
    case 'ack':
    case 'resend':
    case 'transfer-pull':
    case 'transfer':
    case 'handover':
    case 'version-query':
    case 'version-reply':
    case 'client-req':
    case 'client-reply':
    case 'heartbeat-reply':
    case 'removed':
    case 'config':
    case 'join-as-tail':
    case 'retire':
    case 'pause':
    case 'resume':
    case 'stop':
      return; // chain, client and master-to-node traffic is not for the master: ignored
    default:
      assertNever(msg, 'chain message');
  }
}

/** resumeAfterRestart: the crashed master may have left heads paused (J3); its steps are gone, so release them. */
function resumeAfterRestart(m: MasterState, out: ChainOut): void {
  m.resumeHeads = false;
  const c = m.config;
  if (c === undefined) return;
  out.log({
    type: 'master',
    epoch: c.epoch,
    what: `restarted from the record of epoch ${c.epoch}: ${describeChains(c)}; nobody is declared failed before ${m.o.failTimeoutMs} ms (L3)`,
  });
  for (const r of c.ranges) {
    const head = r.chain[0];
    if (head !== undefined) out.send(head, { type: 'resume', epoch: c.epoch, rangeId: r.rangeId });
  }
}

/** maybeFirstConfig (decision 6): epoch 1 once every rank joined, or at start + 2·heartbeatMs with at least minNodes. */
function maybeFirstConfig(m: MasterState, nowMs: number, out: ChainOut): void {
  const joined = [...m.nodes.keys()];
  const deadline = m.startAtMs + 2 * m.o.heartbeatMs;
  const all = joined.length >= m.ranks - 1;
  if (!all && nowMs < deadline) return;
  if (joined.length < m.o.minNodes) {
    noteOnce(m, `waiting for nodes: ${joined.length} joined, the first configuration needs minNodes ${m.o.minNodes} (K4)`, out);
    return;
  }
  const c = firstConfig(joined, m.o.k);
  const why = `first configuration: ${joined.length} node${joined.length > 1 ? 's' : ''} joined${all ? '' : ` by start + ${2 * m.o.heartbeatMs} ms`}; one range per node, chains of ${Math.min(m.o.k, joined.length)} (decision 6)`;
  install(m, 1, c.ranges, [], why, out);
}

/**
 * watchDegraded (K4, C4): fewer live nodes than minNodes: chains are shorter, the cluster still
 * serves — or, with stopBelowMin, stops: heartbeats go unanswered (master_nodes.ts) until enough
 * nodes are live again.
 */
function watchDegraded(m: MasterState, out: ChainOut): void {
  if (m.config === undefined) return;
  const live = liveMembers(m).length;
  const degraded = live < m.o.minNodes;
  if (degraded === m.degraded) return;
  m.degraded = degraded;
  const what = degraded
    ? `DEGRADED: ${live} live node${live === 1 ? '' : 's'}, below minNodes ${m.o.minNodes}: ${m.o.stopBelowMin === true ? 'stopBelowMin: no more leases, the store stops serving once they lapse' : 'serving on shorter chains'} (K4, C4)`
    : `no longer degraded: ${live} live nodes`;
  out.log({ type: 'master', epoch: m.config.epoch, what });
}

function nextWakeMs(m: MasterState, nowMs: number): number {
  let at = nowMs + m.o.heartbeatMs;
  for (const n of m.nodes.values()) at = Math.min(at, n.lastHeardMs + m.o.failTimeoutMs);
  if (m.config === undefined) at = Math.min(at, Math.max(nowMs + 1, m.startAtMs + 2 * m.o.heartbeatMs));
  for (const t of m.retryAtMs.values()) if (t > nowMs) at = Math.min(at, t);
  return Math.max(nowMs + 1, Math.min(at, stepDeadline(m)));
}

/** masterPollMs: the master has something to check at least every heartbeat. */
export function masterPollMs(m: MasterState): number {
  return m.o.heartbeatMs;
}

/** masterSummary: the master's counters and the ring at the end (the summary table's columns). */
export function masterSummary(m: MasterState): Record<string, number | string> {
  const c = m.config;
  return {
    epoch: c?.epoch ?? 0,
    liveNodes: m.nodes.size,
    failedNodes: m.failed.size,
    leavingNodes: m.leaving.size,
    lostRanges: m.lost.size,
    degraded: m.degraded ? 'yes' : 'no',
    ...m.counts,
    step: m.step === undefined ? 'none' : `${m.step.kind} ${m.step.rangeId}`,
    chains: c === undefined ? '' : describeChains(c),
    tails: c === undefined ? '' : c.ranges.map((r) => tailOf(r) ?? '-').join(' '),
  };
}
