// commit: the leader's out-of-order commit rule (4.4: C1 quorum-accepted under our LeaderId,
// C2 interference resolved), a follower's import of commit marks (F7), and the instance-log
// commit lines, which are written only below the frontier and in position order (section 0).
import { assert } from './assert.js';
import { isQuorum } from './config.js';
import type { LeaderId } from './leader_id.js';
import type { Effects, ReplicaState } from './state.js';
import { addSeq, bitmapLen, firstMissing, hasSeq, intersect, members, minus, union } from './tail_bitmap.js';
import { overridesSeq, type Seq } from './record.js';

/** markCommitted adds `seq` to committed and traces it as chosen under `under`. */
function markCommitted(s: ReplicaState, fx: Effects, seq: Seq, under: LeaderId): void {
  const rec = s.log.get(seq);
  assert(rec !== undefined, () => `committing unstored position ${seq}`);
  s.committed = addSeq(s.committed, seq);
  fx.trace.push({ t: 'commit', seq, author: rec.author, kind: rec.kind, logKey: rec.logKey, under });
}

/** quorumAccepted is C1 for `seq`: self once durable, plus synced followers that report it. */
function quorumAccepted(s: ReplicaState, seq: Seq): boolean {
  const L = s.leader;
  assert(L !== null, 'C1 needs an established leader');
  const ids: number[] = [];
  if (!s.unpersisted.has(seq)) ids.push(s.self);
  for (const [p, pr] of L.progress) if (pr.synced && hasSeq(pr.accepted, seq)) ids.push(p);
  return isQuorum(s.config, ids);
}

/** interferenceResolved is C2: every dep is committed or overridden by this record. */
function interferenceResolved(s: ReplicaState, seq: Seq, frontier: Seq): boolean {
  const rec = s.log.get(seq);
  assert(rec !== undefined, () => `C2 on unstored ${seq}`);
  for (const q of members(rec.deps, frontier, seq)) {
    if (!hasSeq(s.committed, q) && !overridesSeq(rec, q)) return false;
  }
  return true;
}

/**
 * leaderCommit evaluates C1 ∧ C2 ascending from the frontier; one pass reaches the fixpoint
 * because deps are lower seqs. It marks only the committed seq, never what it overrides.
 */
export function leaderCommit(s: ReplicaState, fx: Effects): void {
  const L = s.leader;
  if (L === null) return;
  const frontier = firstMissing(s.committed);
  const len = bitmapLen(s.accepted);
  for (let seq = frontier; seq < len; seq++) {
    if (hasSeq(s.committed, seq) || !s.log.has(seq)) continue;
    if (quorumAccepted(s, seq) && interferenceResolved(s, seq, frontier)) markCommitted(s, fx, seq, L.id);
  }
}

/**
 * learnCommitted is F7: a follower whose committer is the sender imports the leader's marks,
 * but only at positions it stores (marking an unstored one would hide a record, 3.6).
 */
export function learnCommitted(s: ReplicaState, fx: Effects, from: LeaderId, leaderCommitted: typeof s.committed): void {
  const next = union(s.committed, intersect(leaderCommitted, s.accepted));
  const fresh = minus(next, s.committed, firstMissing(s.committed), bitmapLen(next));
  for (const seq of fresh) markCommitted(s, fx, seq, from);
}

/** emitCommitLines writes commit lines for positions newly below the frontier, skipping no-ops. */
export function emitCommitLines(s: ReplicaState, fx: Effects): void {
  const frontier = firstMissing(s.committed);
  for (let seq = s.loggedUpTo + 1; seq < frontier; seq++) {
    const rec = s.log.get(seq);
    assert(rec !== undefined, () => `committed position ${seq} is not stored`);
    if (rec.kind !== 'noop') fx.log.push({ event: 'commit', seq, key: rec.logKey });
  }
  if (frontier - 1 > s.loggedUpTo) s.loggedUpTo = frontier - 1;
}
