// alive: the combined heartbeat (docs/protocols/vectory.md §5, A1–A5): one Alive per master per
// interval lists every shard it masters; a receiver refreshes a shard's deadline only for a
// ballot at or above its promise (A2, D4: a deposed master must not hold elections back).
import type { Random } from '../../runtime/random.js';
import { maybeRequestBalance } from './balance.js';
import type { AliveShard, VMsg } from './messages.js';
import { sendTo } from './replicate.js';
import { broadcast, electionDeadline, follow, lastIndex, load, raisePromise, send, type NodeState } from './state.js';
import { compareBallot } from './types.js';
import { observeVersion } from './vector.js';

/** sendAlive: A1, with each mastered shard's commit index, so followers commit without an Append. */
export function sendAlive(n: NodeState): void {
  const shards: AliveShard[] = n.shards
    .filter((s) => s.role === 'master')
    .map((s) => ({ shard: s.id, ballot: s.accepted, commitIndex: s.commitIndex, lastIndex: lastIndex(s) }));
  if (shards.length === 0) return;
  n.aliveSeq++;
  broadcast(n, { type: 'alive', seq: n.aliveSeq, load: load(n), vclock: n.vector.vclock, shards });
}

/** onAlive: A2 per listed shard, then the balance trigger (L1). */
export function onAlive(n: NodeState, from: number, m: Extract<VMsg, { type: 'alive' }>, now: number, random: Random): void {
  observeVersion(n.vector, m.vclock);
  const acks: { shard: number; promised: AliveShard['ballot'] }[] = [];
  for (const a of m.shards) {
    const s = n.shards[a.shard];
    if (s === undefined) continue;
    const c = compareBallot(a.ballot, s.promised);
    if (c >= 0) {
      if (c > 0 || s.role !== 'follower') follow(n, s, a.ballot, from);
      raisePromise(n, s, a.ballot);
      s.master = from;
      s.deadline = electionDeadline(n, now, random);
      if (compareBallot(s.accepted, a.ballot) === 0) s.commitIndex = Math.max(s.commitIndex, Math.min(a.commitIndex, lastIndex(s)));
    }
    acks.push({ shard: a.shard, promised: s.promised });
  }
  send(n, from, { type: 'alive-ack', seq: m.seq, shards: acks });
  maybeRequestBalance(n, from, m, now, random);
}

/** onAliveAck: liveness for A5, confirmations for master reads (V10), and a higher promise deposes us. */
export function onAliveAck(n: NodeState, from: number, m: Extract<VMsg, { type: 'alive-ack' }>, now: number, random: Random): void {
  for (const a of m.shards) {
    const s = n.shards[a.shard];
    if (s === undefined || s.role !== 'master') continue;
    const c = compareBallot(a.promised, s.accepted);
    if (c > 0) {
      s.maxEpochSeen = Math.max(s.maxEpochSeen, a.promised.epoch);
      follow(n, s, a.promised, null);
      s.deadline = electionDeadline(n, now, random);
      continue;
    }
    if (c < 0) continue;
    const peer = s.peers[from];
    if (peer !== undefined) peer.heardAt = now;
    for (const r of n.reads)
      if (
        r.master?.readIndex !== undefined &&
        r.shard === s.id &&
        m.seq >= r.master.seq &&
        compareBallot(r.master.ballot, s.accepted) === 0
      )
        r.master.acks.add(from);
  }
}

/** masterDuties: every H — A5 CheckQuorum (when `silence` may act: silenceOnTick), resend what peers lack, Alive. */
export function masterDuties(n: NodeState, now: number, random: Random, silence = true): void {
  for (const s of n.shards) {
    if (s.role !== 'master') continue;
    const heard = s.peers.filter((p, i) => i !== n.self && p.heardAt >= now - n.cfg.electionMs).length;
    if (silence && heard < n.q - 1 && now - s.masterSince >= n.cfg.electionMs) {
      follow(n, s, s.accepted, null);
      s.master = null;
      s.deadline = electionDeadline(n, now, random);
      continue;
    }
    s.peers.forEach((p, i) => {
      if (i === n.self) return;
      if (p.syncing || p.match < lastIndex(s)) {
        if (!p.syncing) p.next = p.match + 1;
        sendTo(n, s, i);
      }
    });
  }
  sendAlive(n);
}
