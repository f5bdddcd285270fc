// master_nodes: the master's view of the nodes (docs/protocols/chain-master.md §3): joins
// (decision 1), heartbeats and their lease-granting replies (M1, M2, L1), failure detection
// after failTimeoutMs of silence (M3, L3) with the one configuration that drops the failed
// node from every chain (F0–F2, X5, F5), leave requests (§7.4 G1) and stuck chains (M4).
import type { ConfigRange } from './config.js';
import type { ChainMsg, RangeReport } from './messages.js';
import { interruptStep } from './master_steps.js';
import { install, nextEpoch, noteOnce, persistRecord, settled, type MasterState } from './master_state.js';
import type { ChainOut } from './types.js';

type Msg<T extends ChainMsg['type']> = Extract<ChainMsg, { type: T }>;

/**
 * onJoin: a (re)started node. A higher incarnation of a live rank means the old process is dead
 * (incarnations only grow): drop it now, then add the new one. A lower one is a late copy of an
 * older process's join and changes nothing.
 */
export function onJoin(m: MasterState, from: number, msg: Msg<'join'>, nowMs: number, out: ChainOut): void {
  const known = m.nodes.get(from);
  if (known !== undefined && known.incarnation >= 0 && msg.incarnation <= known.incarnation) return; // a repeated or late join
  if (known !== undefined && known.incarnation < 0 && !inAnyChain(m, from)) {
    known.incarnation = msg.incarnation; // known from the record, not a member: nothing to drop
    return;
  }
  if (known !== undefined) {
    dropFailed(
      m,
      [from],
      `rank ${from} restarted as incarnation ${msg.incarnation}: its old incarnation is dead, so it is failed at once`,
      nowMs,
      out,
    );
  }
  // No configuration older than the newest decided one reaches it: an older one may still name
  // its old self (or the process it was before Removed) in a chain, and it holds none of that data.
  const minEpoch = m.config?.epoch ?? 0;
  m.failed.delete(from);
  m.leaving.delete(from);
  m.stopped.delete(from);
  m.nodes.set(from, { incarnation: msg.incarnation, lastHeardMs: nowMs, epoch: 0, minEpoch, reports: new Map() });
  m.counts.joins++;
  const how = m.config === undefined ? 'it waits for the first configuration' : 'it will be added by the add procedure (§7.3)';
  out.log({ type: 'master', epoch: m.config?.epoch ?? 0, what: `rank ${from} joined (incarnation ${msg.incarnation}); ${how}` });
  if (m.config !== undefined) persistRecord(m, out);
}

/** onHeartbeat (M1, M2, L1): a live node's heartbeat renews its lease by the reply, which echoes hbNo. */
export function onHeartbeat(m: MasterState, from: number, msg: Msg<'heartbeat'>, nowMs: number, out: ChainOut): void {
  if (m.stopped.has(from)) return out.send(from, { type: 'stop' });
  const n = m.nodes.get(from);
  // A node known only from the record: a process with no configuration while the record puts it
  // in chains restarted while the master was down (its join was lost): it must rejoin as new.
  if (n !== undefined && n.incarnation < 0 && msg.epoch === 0 && inAnyChain(m, from)) return out.send(from, { type: 'removed' });
  if (n !== undefined && n.incarnation < 0) n.incarnation = msg.incarnation;
  if (n === undefined) return notLive(m, from, msg.epoch, out);
  // Another process of the rank: an older one's late heartbeat, or a newer one whose join is on
  // its way (it keeps joining until answered). Neither gets a lease.
  if (n.incarnation !== msg.incarnation) return;
  n.lastHeardMs = nowMs;
  n.epoch = msg.epoch;
  m.seenEpoch = Math.max(m.seenEpoch, msg.epoch);
  n.reports = new Map(msg.ranges.map((r) => [r.rangeId, r]));
  for (const r of msg.ranges) {
    if (r.servable && m.joinedTail.get(r.rangeId) === from) {
      m.joinedTail.delete(r.rangeId);
      out.log({ type: 'master', epoch: msg.epoch, what: `rank ${from} applied up to the handover of ${r.rangeId}: a full member (X4)` });
    }
    watchStuck(m, from, r, nowMs, out);
  }
  // stopBelowMin (K4): no reply, no lease (L1, L2): the store stops serving once the leases lapse
  if (m.degraded && m.o.stopBelowMin === true) return;
  out.send(from, { type: 'heartbeat-reply', hbNo: msg.hbNo, epoch: m.announced?.epoch ?? 0, incarnation: msg.incarnation });
}

/** onGetConfig (M2, L4): the newest announced configuration, unless the node must not see it yet. */
export function onGetConfig(m: MasterState, from: number, out: ChainOut): void {
  const n = m.nodes.get(from);
  if (n === undefined) return notLive(m, from, 1, out);
  if (m.announced !== undefined && m.announced.epoch >= n.minEpoch && n.incarnation >= 0)
    out.send(from, { type: 'config', config: m.announced, incarnation: n.incarnation });
}

/**
 * notLive answers a rank the master does not count as live: Removed if a process declared failed
 * still holds a configuration (it must drop its ranges and rejoin as a new node, L1); nothing to
 * a process that holds none (epoch 0): its join is on its way, and Removed would only make it
 * start over with another incarnation.
 */
function notLive(m: MasterState, from: number, epoch: number, out: ChainOut): void {
  if (m.failed.has(from) && epoch > 0) out.send(from, { type: 'removed' });
}

/** onLeave (§7.4 G1): mark the node leaving; the reconciler moves its chains off it, then stops it. */
export function onLeave(m: MasterState, from: number, out: ChainOut): void {
  if (!m.nodes.has(from) || m.leaving.has(from)) return;
  m.leaving.add(from);
  m.counts.leaves++;
  out.log({
    type: 'master',
    epoch: m.config?.epoch ?? 0,
    what: `rank ${from} asked to leave: its chains are extended, then it is retired from each (§7.4)`,
  });
  persistRecord(m, out);
}

/** detectFailures (M3): every node silent for failTimeoutMs is failed; its lease (L1) ran out before. */
export function detectFailures(m: MasterState, nowMs: number, out: ChainOut): void {
  const silent = [...m.nodes].filter(([, n]) => nowMs - n.lastHeardMs >= m.o.failTimeoutMs).map(([r]) => r);
  if (silent.length === 0) return;
  const why = `no heartbeat from rank${silent.length > 1 ? 's' : ''} ${silent.join(', ')} for ${m.o.failTimeoutMs} ms: failed (M3); any lease it held has lapsed (L3)`;
  dropFailed(m, silent, why, nowMs, out);
}

/**
 * dropFailed (F0): declare `ranks` failed and install one configuration without them. Each
 * chain just loses them (F1 head, F2 tail, middle by install + Resend: decision 2); a joined
 * tail that is not yet servable goes too if its predecessor failed (X5); a chain left empty is
 * lost (F5, C6), kept empty so the ranges still partition the ring and never recreated.
 */
export function dropFailed(m: MasterState, ranks: readonly number[], why: string, nowMs: number, out: ChainOut): void {
  interruptStep(m, ranks, nowMs, out);
  for (const r of ranks) {
    m.nodes.delete(r);
    m.failed.add(r);
    m.leaving.delete(r);
    m.counts.failures++;
  }
  const c = m.config;
  if (c === undefined) return out.log({ type: 'master', epoch: 0, what: why });
  if (!c.ranges.some((r) => r.chain.some((x) => ranks.includes(x)))) {
    out.log({ type: 'master', epoch: c.epoch, what: `${why}; it was in no chain` });
    persistRecord(m, out);
    return;
  }
  const epoch = nextEpoch(m);
  const ranges = c.ranges.map((r) => dropFrom(m, r, ranks, epoch, out));
  install(m, epoch, ranges, [], why, out);
}

function dropFrom(m: MasterState, r: ConfigRange, ranks: readonly number[], epoch: number, out: ChainOut): ConfigRange {
  if (!r.chain.some((x) => ranks.includes(x))) return r;
  let chain = r.chain.filter((x) => !ranks.includes(x));
  const tail = r.chain[r.chain.length - 1];
  const pred = r.chain[r.chain.length - 2];
  if (tail !== undefined && pred !== undefined && !ranks.includes(tail) && ranks.includes(pred) && !isFull(m, r.rangeId, tail)) {
    chain = chain.slice(0, -1);
    m.joinedTail.delete(r.rangeId);
    out.log({
      type: 'master',
      epoch,
      what: `range ${r.rangeId}: rank ${tail} had not applied up to its handover when its predecessor failed: dropped too (X5)`,
    });
  }
  if (chain.length === 0) {
    m.lost.add(r.rangeId);
    out.log({
      type: 'master',
      epoch,
      what: `range ${r.rangeId} is LOST: every full member failed; data lives in memory only, so it is not recreated empty (F5, C6)`,
    });
  }
  return { ...r, chain };
}

/** isFull: a member holds everything its range committed (a joined tail only once it reported servable, X4). */
export function isFull(m: MasterState, rangeId: string, rank: number): boolean {
  if (m.joinedTail.get(rangeId) === rank) return false;
  return m.nodes.get(rank)?.reports.get(rangeId)?.servable !== false;
}

export function inAnyChain(m: MasterState, rank: number): boolean {
  return m.config?.ranges.some((r) => r.chain.includes(rank)) ?? false;
}

/** watchStuck (M4): `sent` non-empty with lastAcked unchanged for stuckMs is logged once (diagnosis only). */
function watchStuck(m: MasterState, from: number, r: RangeReport, nowMs: number, out: ChainOut): void {
  const key = `${from} ${r.rangeId}`;
  const s = m.stuck.get(key);
  if (r.sentLength === 0) return void m.stuck.delete(key);
  if (s === undefined || s.lastAcked !== r.lastAcked)
    return void m.stuck.set(key, { lastAcked: r.lastAcked, sinceMs: nowMs, logged: false });
  if (s.logged || nowMs - s.sinceMs < m.o.stuckMs) return;
  s.logged = true;
  m.counts.stuck++;
  const what = `range ${r.rangeId} looks stuck at rank ${from}: ${r.sentLength} updates sent, lastAcked ${r.lastAcked} unchanged for ${nowMs - s.sinceMs} ms (M4; a cut link between chain neighbours stalls it)`;
  out.log({ type: 'master', epoch: m.config?.epoch ?? 0, what });
}

/** finishLeaves (G1): a leaving node in no chain of the announced configuration is told to Stop. */
export function finishLeaves(m: MasterState, out: ChainOut): void {
  if (!settled(m)) return;
  for (const r of [...m.leaving]) {
    if (inAnyChain(m, r)) continue;
    m.leaving.delete(r);
    m.nodes.delete(r);
    m.failed.add(r); // a later process of this rank joins as a new node
    m.stopped.add(r);
    out.send(r, { type: 'stop' });
    out.log({ type: 'master', epoch: m.config?.epoch ?? 0, what: `rank ${r} is in no chain any more: told to stop (G1)` });
    persistRecord(m, out);
  }
  if (m.leaving.size > 0 && [...m.nodes.keys()].every((r) => m.leaving.has(r)))
    noteOnce(m, 'every live node is leaving: no node can take their chains, so the leaves wait', out);
}
