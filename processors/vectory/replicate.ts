// replicate: a master's Sync and Append, a follower's answer, and commit (docs/protocols/vectory.md
// §6.2, P1–P4). A new master first Syncs each peer from that peer's commit index; the follower
// stages the batches and installs them in one persisted write with the last one (D16), because
// raising `accepted` over a log cut short lets a later Collect pick it as the source and lose
// committed entries. Within one ballot an index holds one entry, so incremental Appends never
// truncate (D7): a reordered older Append must not shorten a log whose length was acked.
import type { Random } from '../../runtime/random.js';
import type { AppendMsg, AppendReply } from './messages.js';
import { electionDeadline, emit, follow, lastIndex, raisePromise, send, wal, type NodeState, type ShardState } from './state.js';
import { compareBallot, type Entry } from './types.js';
import { observeEntry, observeVersion } from './vector.js';

/** startSync: P1 — Sync peer p from base (its commit index, or our guess; a refusal names the right one). */
export function startSync(n: NodeState, s: ShardState, p: number, base: number): void {
  const peer = s.peers[p];
  if (peer === undefined) return;
  peer.syncing = true;
  peer.syncFrom = Math.min(base, lastIndex(s));
  peer.staged = 0;
  sendTo(n, s, p);
}

/** sendTo: the next Sync batch, or the entries above what p is known to hold (an empty one carries the commit index). */
export function sendTo(n: NodeState, s: ShardState, p: number): void {
  const peer = s.peers[p];
  if (peer === undefined || s.role !== 'master') return;
  const base = { type: 'append' as const, shard: s.id, ballot: s.accepted, commitIndex: s.commitIndex, vclock: n.vector.vclock };
  if (peer.syncing) {
    const from = peer.syncFrom + peer.staged;
    const entries = s.log.slice(from, from + n.cfg.maxBatch);
    const last = from + entries.length >= lastIndex(s);
    send(n, p, { ...base, sync: true, last, prevIndex: peer.syncFrom, entries });
    return;
  }
  const prev = Math.min(peer.next - 1, lastIndex(s));
  const entries = s.log.slice(prev, prev + n.cfg.maxBatch);
  send(n, p, { ...base, sync: false, last: false, prevIndex: prev, entries });
  peer.next = prev + entries.length + 1;
}

/** onAppend: P2 at a follower. */
export function onAppend(n: NodeState, s: ShardState, from: number, m: AppendMsg, now: number, random: Random): void {
  const reply = (ok: boolean): void =>
    send(n, from, {
      type: 'append-reply',
      shard: s.id,
      ballot: m.ballot,
      ok,
      promised: s.promised,
      accepted: s.accepted,
      lastIndex: lastIndex(s),
      commitIndex: s.commitIndex,
      staged: s.stage !== undefined && compareBallot(s.stage.ballot, m.ballot) === 0 ? s.stage.entries.length : 0,
    });
  if (compareBallot(m.ballot, s.promised) < 0) return reply(false);
  if (compareBallot(m.ballot, s.promised) > 0 || s.role !== 'follower') follow(n, s, m.ballot, from);
  raisePromise(n, s, m.ballot);
  s.master = from;
  s.deadline = electionDeadline(n, now, random);
  observeVersion(n.vector, m.vclock);
  let ok: boolean;
  if (compareBallot(s.accepted, m.ballot) === 0) ok = appendInBallot(n, s, m);
  else ok = m.sync && m.prevIndex <= s.commitIndex && stageSync(n, s, m);
  if (compareBallot(s.accepted, m.ballot) === 0) s.commitIndex = Math.max(s.commitIndex, Math.min(m.commitIndex, lastIndex(s)));
  reply(ok);
}

/** appendInBallot: the incremental rule — write above lastIndex only, never truncate (D7). */
function appendInBallot(n: NodeState, s: ShardState, m: AppendMsg): boolean {
  if (m.prevIndex > lastIndex(s)) return false;
  const fresh = m.entries.filter((e) => e.index > lastIndex(s));
  if (fresh.length === 0) return true;
  s.log.push(...fresh);
  for (const e of fresh) observeEntry(n.vector, e);
  wal(n, { op: 'put', shard: s.id, entries: fresh });
  return true;
}

/** stageSync: D16 — batches go to a volatile stage; the last one installs it with `accepted` in one write. */
function stageSync(n: NodeState, s: ShardState, m: AppendMsg): boolean {
  const same = s.stage !== undefined && compareBallot(s.stage.ballot, m.ballot) === 0 && s.stage.prevIndex === m.prevIndex;
  const stage = same && s.stage !== undefined ? s.stage : { ballot: m.ballot, prevIndex: m.prevIndex, entries: [] as Entry[] };
  const want = m.prevIndex + stage.entries.length + 1;
  const first = m.entries[0]?.index ?? want;
  if (first !== want) {
    s.stage = stage;
    return first < want; // a duplicate of a batch already staged is harmless; a gap is not
  }
  stage.entries.push(...m.entries);
  s.stage = stage;
  if (!m.last) return true;
  s.log = [...s.log.slice(0, m.prevIndex), ...stage.entries];
  for (const e of stage.entries) observeEntry(n.vector, e);
  s.accepted = m.ballot;
  s.stage = undefined;
  wal(n, { op: 'cut', shard: s.id, above: m.prevIndex });
  wal(n, { op: 'put', shard: s.id, entries: stage.entries });
  wal(n, { op: 'accept', shard: s.id, ballot: m.ballot });
  emit(n, { type: 'accept', shard: s.id, ballot: m.ballot });
  return true;
}

/** onAppendReply: P3 — count only replies of our ballot whose log is our ballot's (D9). */
export function onAppendReply(n: NodeState, s: ShardState, from: number, m: AppendReply, now: number, random: Random): void {
  if (compareBallot(m.promised, s.promised) > 0) {
    s.maxEpochSeen = Math.max(s.maxEpochSeen, m.promised.epoch);
    if (s.role === 'master') {
      follow(n, s, m.promised, null);
      s.deadline = electionDeadline(n, now, random);
    }
    return;
  }
  const peer = s.peers[from];
  if (s.role !== 'master' || peer === undefined || compareBallot(m.ballot, s.accepted) !== 0) return;
  peer.heardAt = now;
  const inBallot = compareBallot(m.accepted, s.accepted) === 0;
  if (!m.ok) {
    if (inBallot) peer.next = Math.min(peer.next, m.lastIndex + 1);
    else if (!peer.syncing || m.commitIndex < peer.syncFrom) return startSync(n, s, from, m.commitIndex);
    return;
  }
  if (!inBallot) {
    if (peer.syncing && m.staged > peer.staged) {
      peer.staged = m.staged;
      sendTo(n, s, from);
    }
    return;
  }
  if (peer.syncing) {
    peer.syncing = false;
    peer.next = m.lastIndex + 1;
  }
  peer.match = Math.max(peer.match, m.lastIndex);
  advanceCommit(n, s);
  if (peer.next <= lastIndex(s)) sendTo(n, s, from);
}

/** advanceCommit: P4 — the largest index held by Q nodes (us included). */
export function advanceCommit(n: NodeState, s: ShardState): void {
  const held = s.peers.map((p, i) => (i === n.self ? lastIndex(s) : p.match)).sort((a, b) => b - a);
  const c = held[n.q - 1] ?? 0;
  if (c > s.commitIndex) s.commitIndex = c;
}
