// store: the only functions that change persisted fields. Each change is queued as a WAL
// entry of this step's batch (id lastBatchId + 1), so memory and WAL never disagree.
import { assert, InvariantError } from '../../runtime/assert.js';
import { compareLeaderId, formatLeaderId, type LeaderId } from './leader_id.js';
import { assertSameRecord, formatRecordId, sameIdentity, type LogRecord, type Seq } from './record.js';
import type { Effects, ReplicaState } from './state.js';
import { addSeq, bitmapLen, createBitmap, draftAdd, draftOf, hasSeq, intersect, settle, type DraftBitmap } from './tail_bitmap.js';

/** pendingBatchId is the id the batch of the current step will get. */
export function pendingBatchId(s: ReplicaState): number {
  return s.lastBatchId + 1;
}

/** setVote raises vote (never lowers it, S3) and queues the WAL entry. */
export function setVote(s: ReplicaState, fx: Effects, vote: LeaderId): void {
  assert(compareLeaderId(vote, s.vote) > 0, () => `vote must grow: ${formatLeaderId(s.vote)} → ${formatLeaderId(vote)}`);
  s.vote = vote;
  s.maxTermSeen = Math.max(s.maxTermSeen, vote.term);
  fx.entries.push({ type: 'vote', vote });
}

/** setCommitter raises committer (≤ vote) and queues the WAL entry. */
export function setCommitter(s: ReplicaState, fx: Effects, committer: LeaderId): void {
  assert(
    compareLeaderId(committer, s.committer) > 0,
    () => `committer must grow: ${formatLeaderId(s.committer)} → ${formatLeaderId(committer)}`,
  );
  assert(compareLeaderId(committer, s.vote) <= 0, 'committer ≤ vote');
  s.committer = committer;
  fx.entries.push({ type: 'committer', committer });
}

/**
 * storeRecord puts `rec` at its seq (new or replacing a different record during Sync), writes
 * its generate line, and queues the WAL entry. Storing an identical record again is a no-op.
 */
export function storeRecord(s: ReplicaState, fx: Effects, rec: LogRecord): void {
  if (putRecord(s, fx, rec)) s.accepted = addSeq(s.accepted, rec.seq);
}

/**
 * storeRecords is storeRecord for each of `recs` in turn, with `accepted` rebuilt once: a
 * follower's accepted spans the leader's window (~300 words at -l 10000), and copying it for
 * every record of an append was most of the bytes a follower allocated per record.
 */
export function storeRecords(s: ReplicaState, fx: Effects, recs: readonly LogRecord[]): void {
  let draft: DraftBitmap | null = null;
  for (const rec of recs) {
    if (!putRecord(s, fx, rec)) continue;
    draft ??= draftOf(s.accepted);
    draftAdd(draft, rec.seq);
  }
  if (draft !== null) s.accepted = settle(draft);
}

/**
 * putRecord is storeRecord but for `accepted`, which the caller updates when it returns true
 * (stored). Its checks throw without assert's message functions: those are closures over the
 * record, made on every call (every record every rank stores), and never called.
 */
function putRecord(s: ReplicaState, fx: Effects, rec: LogRecord): boolean {
  if (rec.seq < s.floor) throw new InvariantError(`storing ${formatRecordId(rec)} below the floor ${s.floor}`);
  const own = s.log.get(rec.seq);
  if (own !== undefined && sameIdentity(own, rec)) {
    assertSameRecord(own, rec);
    return false;
  }
  if (own !== undefined) {
    if (hasSeq(s.committed, rec.seq)) throw new InvariantError(`replacing committed ${formatRecordId(own)} by ${formatRecordId(rec)}`);
    s.unpersisted.drop(rec.seq, rec.seq + 1); // its batch is this step's now
  }
  s.log.set(rec.seq, rec);
  s.unpersisted.add(rec.seq, pendingBatchId(s));
  fx.entries.push({ type: 'record', record: rec });
  if (rec.logKey !== '') fx.log.push({ event: 'generate', seq: rec.seq, key: rec.logKey });
  return true;
}

/**
 * truncateFrom deletes every stored record at p ≥ from (F4); none may be committed. Positions
 * below our floor are committed (a snapshot may reach above a later leader's baseTail): kept.
 */
export function truncateFrom(s: ReplicaState, fx: Effects, fromSeq: Seq): Seq[] {
  const from = Math.max(fromSeq, s.floor);
  const deleted: Seq[] = [];
  const len = bitmapLen(s.accepted);
  for (let p = from; p < len; p++) {
    if (!s.log.has(p)) continue;
    assert(!hasSeq(s.committed, p), () => `deleting committed position ${p}`);
    s.log.delete(p);
    fx.entries.push({ type: 'delete', seq: p });
    deleted.push(p);
  }
  s.unpersisted.drop(from, Infinity);
  s.accepted = intersect(s.accepted, createBitmap(from));
  return deleted;
}
