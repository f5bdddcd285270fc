// balance: load-driven mastership moves (docs/protocols/vectory.md §6.3, L1–L5). A follower far
// enough below a master (θ, D10) asks for one of its shards; the master grants one token at a
// time and fences the shard's new writes meanwhile (D11), so the handover strands none. The
// token only keeps several followers from campaigning for one shard at once: ballots decide.
import type { Random } from '../../runtime/random.js';
import { startElection } from './collect.js';
import type { VMsg } from './messages.js';
import { broadcast, emit, lastIndex, load, loadKnown, send, type NodeState } from './state.js';
import { compareBallot } from './types.js';

/** maybeRequestBalance: L1/L2 at follower f on master m's Alive. */
export function maybeRequestBalance(n: NodeState, m: number, alive: Extract<VMsg, { type: 'alive' }>, now: number, random: Random): void {
  if (n.cfg.balance === false || n.balance !== undefined || now < n.cooldownUntil || !loadKnown(n)) return;
  if (alive.load - load(n) < n.cfg.theta) return;
  if (n.shards.some((s) => s.role === 'candidate')) return;
  const ours = alive.shards.filter((a) => {
    const s = n.shards[a.shard];
    return s !== undefined && compareBallot(s.promised, a.ballot) === 0 && s.role === 'follower' && lastIndex(s) >= a.commitIndex;
  });
  if (ours.length === 0) return;
  const pick = ours[Math.floor(random.next() * ours.length)];
  if (pick === undefined) return;
  n.cooldownUntil = now + n.cfg.cooldownMs;
  n.balance = { shard: pick.shard, master: m, acks: new Set(), token: false, until: now + n.cfg.electionMs };
  emit(n, { type: 'balance', shard: pick.shard, master: m });
  broadcast(n, { type: 'balance-req', shard: pick.shard, master: m, masterBallot: pick.ballot, requesterLoad: load(n) });
}

/** onBalanceReq: L3 — only the named master may grant, once per token TTL across all its shards. */
export function onBalanceReq(n: NodeState, from: number, m: Extract<VMsg, { type: 'balance-req' }>, now: number): void {
  const s = n.shards[m.shard];
  let token = false;
  if (m.master === n.self && s !== undefined) {
    token =
      s.role === 'master' &&
      compareBallot(s.accepted, m.masterBallot) === 0 &&
      now >= n.tokenUntil &&
      loadKnown(n) &&
      load(n) - m.requesterLoad >= n.cfg.theta;
    if (token) {
      n.tokenUntil = now + n.cfg.tokenTtlMs;
      s.writesFencedUntil = n.tokenUntil;
      s.fenceHint = from;
      n.counters.tokens++;
      emit(n, { type: 'token', shard: s.id, requester: from });
    }
  }
  send(n, from, { type: 'balance-ack', shard: m.shard, token });
}

/** onBalanceAck: L4 — Q − 1 peers and the token within E start the election. */
export function onBalanceAck(n: NodeState, from: number, m: Extract<VMsg, { type: 'balance-ack' }>, now: number): void {
  const b = n.balance;
  if (b === undefined || b.shard !== m.shard) return;
  b.acks.add(from);
  if (m.token && from === b.master) b.token = true;
  if (b.token && b.acks.size >= n.q - 1 && now < b.until) {
    n.balance = undefined;
    const s = n.shards[b.shard];
    if (s !== undefined && s.role === 'follower') startElection(n, s, now);
  }
}

/** expireBalance: L4 — no token or quorum within E: give up until the cooldown ends. */
export function expireBalance(n: NodeState, now: number): void {
  if (n.balance !== undefined && now >= n.balance.until) n.balance = undefined;
}
