// lease: a node's link to the master (docs/protocols/chain.md §8.2–§8.3): heartbeats every
// heartbeatMs with each range's progress (M1), the lease each answered heartbeat grants from
// its send time (L1, decision 8), and GetConfig when the master names a newer epoch (M2, L4).
import type { ChainOut } from './types.js';
import type { RangeReport } from './messages.js';
import { servable, toMasters, type NodeState } from './node_state.js';

/** reports: one RangeReport per range (M1; a paused range reports `paused`). */
export function reports(n: NodeState): RangeReport[] {
  return [...n.ranges.values()].map((r) => ({
    rangeId: r.rangeId,
    role: r.paused ? 'paused' : r.role,
    lastApplied: r.lastApplied,
    lastAcked: r.lastAcked,
    sentLength: r.sent.length,
    servable: servable(r),
    ...(r.retired ? { retired: true } : {}),
  }));
}

/** heartbeatDue: M1 when due; a node the master does not know yet also (re)sends Join (decision 1). */
export function heartbeatDue(n: NodeState, nowMs: number, out: ChainOut): void {
  if (nowMs < n.nextHbAtMs) return;
  n.nextHbAtMs = nowMs + n.options.heartbeatMs;
  if (!n.joined) toMasters(n, out, { type: 'join', incarnation: n.incarnation });
  n.hbNo++;
  n.hbSent.set(n.hbNo, { atMs: nowMs, epoch: n.epoch });
  for (const [no, h] of n.hbSent) if (h.atMs + n.options.leaseMs <= nowMs) n.hbSent.delete(no); // could grant nothing now
  const hb = { type: 'heartbeat', incarnation: n.incarnation, hbNo: n.hbNo, epoch: n.epoch, ranges: reports(n) } as const;
  const leader = heartbeatLeader(n, nowMs);
  if (leader !== undefined) out.send(leader, hb);
  else toMasters(n, out, hb);
}

/**
 * heartbeatLeader: the master rank to heartbeat alone: the one that answered within the last two
 * heartbeats (only the group leader, under its lease, answers: §8.1). Otherwise — no answer yet, a
 * lost one, a leader dead or deposed — every master rank is asked again, so a new leader hears
 * this node within two heartbeats, long before its failTimeoutMs. Idle, the other master ranks
 * only dropped these copies; they cost each node and each master rank a wake-up apiece.
 */
function heartbeatLeader(n: NodeState, nowMs: number): number | undefined {
  if (n.masters.length < 2 || n.masterLeader === undefined) return undefined;
  return nowMs - n.masterReplyAtMs < 2 * n.options.heartbeatMs ? n.masterLeader : undefined;
}

/**
 * getConfig: M2/L4, at most once per heartbeatMs, and only once the master knows this process:
 * a restarted process that a peer's Forward (meant for its dead predecessor) made ask would be
 * sent the configuration naming its old self, take up its roles with no data, and stop sending
 * Join — so the master, never told of the restart, would fail it only after failTimeoutMs.
 */
export function getConfig(n: NodeState, nowMs: number, out: ChainOut): void {
  if (!n.joined) return;
  if (nowMs - n.getConfigAtMs < n.options.heartbeatMs) return;
  n.getConfigAtMs = nowMs;
  toMasters(n, out, { type: 'get-config' });
}

/**
 * onHeartbeatReply: L1: the lease runs from the echoed heartbeat's send time + leaseMs, and
 * only for the epoch both the heartbeat and the reply name, so a node that has not installed
 * the master's newest configuration holds no lease for it.
 */
export function onHeartbeatReply(n: NodeState, from: number, hbNo: number, epoch: number, nowMs: number, out: ChainOut): void {
  n.joined = true;
  n.masterLeader = from;
  n.masterReplyAtMs = nowMs;
  if (epoch > n.epoch) {
    getConfig(n, nowMs, out);
    return;
  }
  const sent = n.hbSent.get(hbNo);
  if (sent === undefined || sent.epoch !== n.epoch || epoch !== n.epoch) return;
  const until = sent.atMs + n.options.leaseMs;
  n.leaseUntilMs = n.leaseEpoch === n.epoch ? Math.max(n.leaseUntilMs, until) : until;
  n.leaseEpoch = n.epoch;
}

/**
 * onRemoved: the master declared this node failed, or answered a heartbeat that overtook its
 * Join (L1): no lease, no ranges, and it joins again. A node that held ranges joins as a new
 * incarnation, so the master fails whatever it still counts of the old one at once and adds it
 * back (decision 1), never keeping an empty process in a chain; one that held none keeps its
 * incarnation, so a Removed for each heartbeat that overtakes the new Join changes nothing.
 */
export function onRemoved(n: NodeState, nowMs: number, out: ChainOut): void {
  n.leaseUntilMs = -Infinity;
  n.leaseEpoch = -1;
  n.hbSent.clear();
  n.masterLeader = undefined;
  if (n.ranges.size > 0) n.incarnation = Math.max(n.incarnation + 1, Math.floor(nowMs));
  for (const id of n.ranges.keys()) out.log({ type: 'role', rangeId: id, epoch: n.epoch, role: 'dropped (removed)' });
  n.ranges.clear();
  n.joined = false;
  n.nextHbAtMs = nowMs;
}
