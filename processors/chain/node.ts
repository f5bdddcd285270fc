// node: one chain node's pure step (docs/protocols/chain.md §4–§8): client requests, the
// chain's messages under L4's epoch rules, the master's instructions, and the timers (W7
// resends, snapshot pulls, heartbeats). Every effect goes into the ChainOut it is handed.
import { isClientAddress } from '../../runtime/client/gateway.js';
import { onClientRequest } from './client.js';
import { abandonReads, nextReadExpiry, onVersionQuery, onVersionReply, sendQueries } from './craq.js';
import { installConfig } from './install.js';
import { getConfig, heartbeatDue, onHeartbeatReply, onRemoved } from './lease.js';
import type { ChainMsg, MasterToNode, NodeToNode } from './messages.js';
import { isHead, toMasters, type NodeState } from './node_state.js';
import { joinDue, onHandover, onJoinAsTail, onTransfer, onTransferPull } from './transfer.js';
import type { ChainInput, ChainOut } from './types.js';
import { flush, onAck, onForward, onResend, resendDue } from './write.js';

export { initNode, type NodeSetup, type NodeState } from './node_state.js';

/** stepNode: one input; then heartbeats, quiesce reports and the next wake-up. */
export function stepNode(n: NodeState, input: ChainInput, nowMs: number, out: ChainOut): void {
  if (n.stopped) return;
  if (input.type === 'message') onMessage(n, input.from, input.msg, nowMs, out);
  else if (input.type === 'tick') timers(n, nowMs, out);
  if (n.stopped) return;
  if (input.type === 'turn' || input.type === 'tick') {
    flush(n, out);
    sendQueries(n, out);
  }
  if (input.type === 'turn' && n.counts.reads !== n.readsAtTurn) {
    n.counts.readTurns++;
    n.readsAtTurn = n.counts.reads;
  }
  heartbeatDue(n, nowMs, out);
  reportQuiesced(n, out);
  out.wakeAt(nextWakeMs(n, nowMs));
}

/** onMessage routes by sender: a client address, the master, or a chain neighbour. */
function onMessage(n: NodeState, from: number, msg: ChainMsg, nowMs: number, out: ChainOut): void {
  if (msg.type === 'client-req') {
    if (isClientAddress(from)) onClientRequest(n, from, msg, nowMs, out);
    return;
  }
  if (n.masters.includes(from)) {
    if (MASTER_TO_NODE.has(msg.type)) fromMaster(n, from, msg as MasterToNode, nowMs, out);
    else n.counts.notFromNeighbour++;
    return;
  }
  if (NODE_TO_NODE.has(msg.type)) fromNode(n, from, msg as NodeToNode, nowMs, out);
  else n.counts.notFromNeighbour++; // a master's message from a node, or a node's meant for the master
}

const NODE_TO_NODE: ReadonlySet<ChainMsg['type']> = new Set<NodeToNode['type']>([
  'forward',
  'ack',
  'resend',
  'transfer-pull',
  'transfer',
  'handover',
  'version-query',
  'version-reply',
]);
const MASTER_TO_NODE: ReadonlySet<ChainMsg['type']> = new Set<MasterToNode['type']>([
  'heartbeat-reply',
  'removed',
  'config',
  'join-as-tail',
  'retire',
  'pause',
  'resume',
  'stop',
]);

/** fromMaster: the master's instructions (from a master rank; configurations are fenced by epoch, L4). */
function fromMaster(n: NodeState, from: number, msg: MasterToNode, nowMs: number, out: ChainOut): void {
  const r = 'rangeId' in msg ? n.ranges.get(msg.rangeId) : undefined;
  switch (msg.type) {
    case 'heartbeat-reply':
      if (msg.incarnation !== n.incarnation) {
        n.counts.otherIncarnationReplies++; // answered a heartbeat of another process of this rank
        return;
      }
      return onHeartbeatReply(n, from, msg.hbNo, msg.epoch, nowMs, out);
    case 'removed':
      return onRemoved(n, nowMs, out);
    case 'config': {
      // decided for another process of this rank (an older one, or the one before Removed): it may
      // name that process in chains whose data this one never held (I7's class)
      if (msg.incarnation !== n.incarnation) {
        n.counts.otherIncarnationConfigs++;
        return;
      }
      const before = n.epoch;
      installConfig(n, msg.config, nowMs, out);
      if (n.epoch !== before) abandonReads(n, nowMs, true, out); // T15: a VersionReply of the old epoch could name another tail's seq
      return;
    }
    case 'join-as-tail':
      if (msg.epoch > n.epoch) getConfig(n, nowMs, out);
      return onJoinAsTail(n, msg, nowMs, out);
    case 'retire':
      if (r !== undefined) r.retired = true; // F6: serves and forwards nothing for the range from now on
      toMasters(n, out, { type: 'retired', epoch: msg.epoch, rangeId: msg.rangeId });
      return;
    case 'pause':
      if (r !== undefined) {
        r.paused = true;
        r.pauseEpoch = msg.epoch;
        r.quiescedSent = false; // a repeated Pause is answered again (J3)
      }
      return;
    case 'resume':
      if (r !== undefined) r.paused = false;
      return;
    case 'stop':
      n.stopped = true;
      out.stop();
      return;
  }
}

/** fromNode: a chain message from another node: snapshots and CRAQ's version queries first, then L4's rules. */
function fromNode(n: NodeState, from: number, msg: NodeToNode, nowMs: number, out: ChainOut): void {
  const r = n.ranges.get(msg.rangeId);
  // A snapshot only moves data: it is pulled by a joiner the master named, whose epoch may lag
  // (it may have no configuration yet); only the master's next configuration makes it a member.
  if (r !== undefined && msg.type === 'transfer-pull') return onTransferPull(n, r, from, msg, out);
  if (r !== undefined && msg.type === 'transfer') return onTransfer(n, r, from, msg, nowMs, out);
  // Any member may ask the tail (R3), and both sides judge the epoch themselves: the tail answers
  // null outside its own, the asker takes only a reply of the query's epoch.
  if (msg.type === 'version-query') {
    if (msg.epoch > n.epoch) getConfig(n, nowMs, out);
    return onVersionQuery(n, from, msg, nowMs, out);
  }
  if (msg.type === 'version-reply') return onVersionReply(n, from, msg, out);
  fromNeighbour(n, from, msg, nowMs, out);
}

/**
 * fromNode: L4: a lower epoch is rejected, a higher one dropped with GetConfig (W7 resends
 * later); Forward and Handover only from the installed pred, Ack and Resend only from succ.
 */
function fromNeighbour(
  n: NodeState,
  from: number,
  msg: Exclude<NodeToNode, { type: 'version-query' | 'version-reply' }>,
  nowMs: number,
  out: ChainOut,
): void {
  const r = n.ranges.get(msg.rangeId);
  if (msg.epoch < n.epoch) {
    n.counts.staleEpochDropped++;
    return;
  }
  if (msg.epoch > n.epoch) {
    n.counts.higherEpochDropped++;
    getConfig(n, nowMs, out);
    return;
  }
  if (r === undefined) return;
  const fromPred = from === r.pred;
  const fromSucc = from === r.succ;
  switch (msg.type) {
    case 'forward':
      if (fromPred) return onForward(n, r, msg.updates, nowMs, out);
      break;
    case 'handover':
      if (fromPred) return onHandover(r, msg.s1);
      break;
    case 'ack':
      if (fromSucc) return onAck(n, r, msg.upTo, nowMs, out);
      break;
    case 'resend':
      if (fromSucc) return onResend(n, r, msg.from, nowMs, out);
      break;
    case 'transfer-pull':
    case 'transfer':
      return;
  }
  n.counts.notFromNeighbour++;
}

/** timers: W7 resends, snapshot pulls, and C3's dedup eviction. */
function timers(n: NodeState, nowMs: number, out: ChainOut): void {
  abandonReads(n, nowMs, false, out);
  for (const r of n.ranges.values()) {
    resendDue(n, r, nowMs, out);
    joinDue(n, r, nowMs, out);
    for (const [client, d] of r.dedup) if (nowMs - d.atMs > n.options.clientTtlMs) r.dedup.delete(client);
  }
}

/** reportQuiesced: J3: a paused head whose sent has drained reports Quiesced once per Pause. */
function reportQuiesced(n: NodeState, out: ChainOut): void {
  for (const r of n.ranges.values()) {
    if (!r.paused || r.quiescedSent || !isHead(r, n.rank) || r.sent.length > 0) continue;
    r.quiescedSent = true;
    toMasters(n, out, { type: 'quiesced', epoch: r.pauseEpoch, rangeId: r.rangeId, lastApplied: r.lastApplied });
  }
}

/**
 * nextWakeMs: the next heartbeat, or sooner a resend or pull that may fall due — only those a
 * tick would act on (a retired range or one without a successor resends nothing), and never
 * the current instant again, so nothing that stays due can spin the clock in place.
 */
function nextWakeMs(n: NodeState, nowMs: number): number {
  let at = Math.min(n.nextHbAtMs, nextReadExpiry(n));
  for (const r of n.ranges.values()) {
    const resends = !r.retired && r.succ !== undefined && (r.sent.length > 0 || r.handover !== undefined);
    if (resends) at = Math.min(at, r.lastAckAtMs + n.options.resendAfterMs);
    if (r.joining !== undefined && !r.joining.done) at = Math.min(at, r.joining.pulledAtMs + n.options.resendAfterMs);
  }
  return Math.max(at, nowMs + 1);
}
