// collect: electing a shard's master (docs/protocols/vectory.md §6.1, E1–E5). Voters grant any
// higher ballot with their log above the candidate's commit index (Paxos phase 1, no log check);
// the candidate adopts the log of the grant with the largest (accepted, lastIndex) — the VR view
// change rule (D6), because the highest commit index can belong to a log that lost committed
// entries of a later ballot.
import { assert } from '../../runtime/assert.js';
import type { Random } from '../../runtime/random.js';
import type { CollectReply } from './messages.js';
import { startSync } from './replicate.js';
import {
  broadcast,
  emit,
  follow,
  lastIndex,
  load,
  lastVersion,
  peersOf,
  raisePromise,
  rankOf,
  send,
  wal,
  electionDeadline,
  type NodeState,
  type ShardState,
  type Vote,
} from './state.js';
import { compareBallot, type Ballot } from './types.js';
import { observeEntry, stampVersion } from './vector.js';

/** startElection: E1 — a ballot above every epoch seen and promised, so never reused. */
export function startElection(n: NodeState, s: ShardState, now: number): void {
  const ballot: Ballot = { epoch: Math.max(s.maxEpochSeen, s.promised.epoch) + 1, rank: rankOf(load(n)), nodeId: n.self };
  follow(n, s, ballot, null);
  raisePromise(n, s, ballot);
  s.role = 'candidate';
  s.deadline = now + n.cfg.electionMs;
  s.votes.set(n.self, {
    accepted: s.accepted,
    commitIndex: s.commitIndex,
    lastIndex: lastIndex(s),
    entries: s.log.slice(s.commitIndex),
    complete: true,
  });
  n.counters.elections++;
  broadcast(n, { type: 'collect', shard: s.id, ballot, fromIndex: s.commitIndex + 1 });
  maybeWin(n, s, now);
}

/** onCollect: E2 — grant a ballot at or above promised (an equal one is the same candidate's duplicate). */
export function onCollect(
  n: NodeState,
  s: ShardState,
  from: number,
  m: { ballot: Ballot; fromIndex: number; accepted?: Ballot },
  now: number,
  random: Random,
): void {
  const c = compareBallot(m.ballot, s.promised);
  const more = m.accepted !== undefined;
  // a CollectMore pages one log: refused once promised or accepted moved (E2)
  const granted = more ? c === 0 && m.accepted !== undefined && compareBallot(m.accepted, s.accepted) === 0 : c >= 0;
  if (granted && c > 0) {
    follow(n, s, m.ballot, null);
    raisePromise(n, s, m.ballot);
    s.deadline = electionDeadline(n, now, random);
  }
  const from0 = Math.max(1, m.fromIndex);
  const entries = granted ? s.log.slice(from0 - 1, from0 - 1 + n.cfg.maxCollectEntries) : [];
  send(n, from, {
    type: 'collect-reply',
    shard: s.id,
    ballot: m.ballot,
    granted,
    promised: s.promised,
    accepted: s.accepted,
    commitIndex: s.commitIndex,
    lastIndex: lastIndex(s),
    entries,
    more: granted && from0 - 1 + entries.length < lastIndex(s),
  });
}

/** onCollectReply: E3/E5 — gather grants, page long logs in with CollectMore, win on Q complete ones. */
export function onCollectReply(n: NodeState, s: ShardState, from: number, m: CollectReply, now: number): void {
  if (s.role !== 'candidate' || compareBallot(m.ballot, s.promised) !== 0) return;
  if (!m.granted) {
    s.maxEpochSeen = Math.max(s.maxEpochSeen, m.promised.epoch);
    if (compareBallot(m.promised, s.promised) > 0) follow(n, s, m.promised, null);
    else if (s.votes.get(from)?.complete === false) s.votes.delete(from); // its log moved under the pages: not spliced (E2)
    return;
  }
  const v: Vote = s.votes.get(from) ?? {
    accepted: m.accepted,
    commitIndex: m.commitIndex,
    lastIndex: m.lastIndex,
    entries: [],
    complete: false,
  };
  if (v.complete) return;
  const nextIndex = s.commitIndex + 1 + v.entries.length;
  if (m.entries.length > 0 && m.entries[0]?.index !== nextIndex) return; // a duplicate or stale page
  v.entries.push(...m.entries);
  v.complete = !m.more;
  s.votes.set(from, v);
  if (!v.complete)
    send(n, from, { type: 'collect', shard: s.id, ballot: s.promised, fromIndex: nextIndex + m.entries.length, accepted: v.accepted });
  maybeWin(n, s, now);
}

function maybeWin(n: NodeState, s: ShardState, now: number): void {
  const done = [...s.votes.values()].filter((v) => v.complete);
  if (done.length < n.q) return;
  const src = pickSource(s.votes, n.self);
  assert(
    done.every((v) => src.vote.lastIndex >= v.commitIndex),
    'E3: the source log reaches every commit index of the quorum',
  );
  win(n, s, src, Math.max(...done.map((v) => v.commitIndex)), now);
}

/** pickSource: E3 — the complete grant with the largest (accepted, lastIndex); ties keep our own log. */
export function pickSource(votes: ReadonlyMap<number, Vote>, self: number): { from: number; vote: Vote } {
  let best: { from: number; vote: Vote } | undefined;
  for (const [from, v] of votes) {
    if (!v.complete) continue;
    const c = best === undefined ? 1 : compareBallot(v.accepted, best.vote.accepted) || v.lastIndex - best.vote.lastIndex;
    if (c > 0 || (c === 0 && from === self)) best = { from, vote: v };
  }
  assert(best !== undefined, 'E3: a source among complete grants');
  return best;
}

/** win: E3/E4 — adopt the source's log above our commit index, append a noop, start Sync. */
function win(n: NodeState, s: ShardState, src: { from: number; vote: Vote }, quorumCommit: number, now: number): void {
  const ballot = s.promised;
  const source = src.vote;
  if (src.from !== n.self) {
    s.log = [...s.log.slice(0, s.commitIndex), ...source.entries];
    wal(n, { op: 'cut', shard: s.id, above: s.commitIndex });
    wal(n, { op: 'put', shard: s.id, entries: source.entries });
  }
  for (const e of source.entries) observeEntry(n.vector, e);
  s.accepted = ballot;
  wal(n, { op: 'accept', shard: s.id, ballot });
  emit(n, { type: 'accept', shard: s.id, ballot });
  emit(n, { type: 'master', shard: s.id, ballot, lastIndex: lastIndex(s) });
  const noop = {
    index: lastIndex(s) + 1,
    ballot,
    kind: 'noop' as const,
    version: stampVersion(n.vector, s.id, lastVersion(s), undefined, 'noop'),
  };
  s.log.push(noop);
  wal(n, { op: 'put', shard: s.id, entries: [noop] });
  s.noopIndex = noop.index;
  s.commitIndex = Math.max(s.commitIndex, Math.min(quorumCommit, lastIndex(s)));
  s.role = 'master';
  s.masterSince = now;
  s.master = n.self;
  const known = new Map([...s.votes].map(([p, v]) => [p, v.commitIndex]));
  s.votes.clear();
  s.hadEntrySinceTick = true;
  n.counters.won++;
  n.aliveNow = true;
  s.peers = Array.from({ length: n.n }, () => ({ match: 0, syncing: true, syncFrom: 0, staged: 0, next: 1, heardAt: now }));
  for (const p of peersOf(n)) startSync(n, s, p, Math.min(known.get(p) ?? s.commitIndex, s.commitIndex));
}
