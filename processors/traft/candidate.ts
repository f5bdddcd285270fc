// candidate: starting a campaign, collecting ElectReplies and the merge (docs/protocols/traft.md
// §5.1, §5.4, §5.5). Establishment itself (§5.6) waits for the merge batch to be durable: see
// leader.ts.
import type { Random } from '../../runtime/random.js';
import { assert, defined } from '../../runtime/assert.js';
import { isQuorum } from './config.js';
import { compareLeaderId, formatLeaderId, leaderId, leaderIdEq } from './leader_id.js';
import type { ElectReply } from './messages.js';
import { assertSameRecord, formatRecordId, noopRecord, sameIdentity } from './record.js';
import type { Campaign, Effects, ReplicaState } from './state.js';
import { pendingBatchId, setCommitter, setVote, storeRecord } from './store.js';
import { installSnapshot } from './snapshot.js';
import { bitmapLen, firstMissing } from './tail_bitmap.js';
import { resetElectionDeadline } from './timers.js';

/** startCampaign is §5.1: vote for (T+1, self), ask everyone once the vote is durable. */
export function startCampaign(s: ReplicaState, fx: Effects, nowMs: number): void {
  assert(s.leader === null, 'an established leader does not campaign');
  const cand = leaderId(Math.max(s.maxTermSeen, s.vote.term) + 1, s.self);
  setVote(s, fx, cand);
  s.preVote = null;
  const c: Campaign = {
    cand,
    deadlineMs: nowMs + s.timing.electionTimeoutMs,
    replies: new Map(),
    parts: new Map(),
    staleLog: false,
    merge: null,
  };
  s.campaign = c;
  fx.trace.push({ type: 'campaign', cand });
  for (const p of s.config.members) {
    if (p === s.self) continue;
    fx.afterPersist.push({
      to: p,
      msg: {
        type: 'ElectReq',
        candidate: cand,
        committer: s.committer,
        accepted: s.accepted,
        frontier: firstMissing(s.committed),
        clusterId: s.config.clusterId,
      },
    });
  }
  mergeIfQuorum(s, fx, c); // a one-member cluster wins at once (§12.11)
}

/** handleElectReply is §5.4: keep granted replies for our ballot, one per member. */
export function handleElectReply(s: ReplicaState, fx: Effects, from: number, reply: ElectReply): void {
  const c = s.campaign;
  assert(c !== null, 'handleElectReply outside a campaign');
  if (!leaderIdEq(reply.candidate, c.cand)) {
    fx.trace.push({ type: 'ignored', why: 'ElectReply for an older campaign' });
    return;
  }
  if (c.merge !== null) return; // already merged; later replies add nothing
  if (!reply.granted) {
    if (reply.reason === 'stale-log') c.staleLog = true;
    return;
  }
  if (!leaderIdEq(reply.vote, c.cand)) return; // granted earlier, since moved on: not a promise now
  const whole = reply.part === undefined ? reply : collectPart(c, from, reply);
  if (whole === null) return; // a grant counts only once whole (§4.7)
  c.replies.set(from, whole);
  mergeIfQuorum(s, fx, c);
}

/**
 * collectPart keeps one part of a chunked grant; once every part of that answer is here, the
 * whole reply: records concatenated, the snapshot's KEY runs joined (each must start where the
 * previous one ended). Parts of another answer from the same voter start the collection over.
 */
function collectPart(c: Campaign, from: number, reply: ElectReply): ElectReply | null {
  const part = defined(reply.part, 'collectPart takes a part');
  let got = c.parts.get(from);
  if (got === undefined || got.id !== part.id || got.got.length !== part.of) {
    got = { id: part.id, got: new Array<ElectReply | undefined>(part.of), count: 0 };
    c.parts.set(from, got);
  }
  if (got.got[part.at] === undefined) got.count++;
  got.got[part.at] = reply;
  if (got.count < part.of) return null;
  c.parts.delete(from);
  return joinParts(got.got.map((r) => defined(r, 'every part arrived')));
}

/** joinParts rebuilds one reply from all its parts, in order; null when their KEY runs do not join up (never from a correct voter). */
function joinParts(all: readonly ElectReply[]): ElectReply | null {
  const { part: _part, snapshot: _s, records: _r, ...head } = defined(all[0], 'a reply has parts');
  const records = all.flatMap((r) => r.records);
  const runs = all.flatMap((r) => (r.snapshot === undefined ? [] : [r.snapshot]));
  const first = runs[0];
  if (first === undefined) return { ...head, records };
  const keys: string[] = [];
  for (const run of runs) {
    if (run.keysFrom !== first.keysFrom + keys.length || run.snapshot.floor !== first.snapshot.floor) return null;
    for (const k of run.keys) keys.push(k);
  }
  if (first.keysFrom + keys.length !== first.snapshot.floor) return null;
  return { ...head, records, snapshot: { snapshot: first.snapshot, keysFrom: first.keysFrom, keys } };
}

/** mergeIfQuorum merges once the campaign `c` (the running one, s.campaign) holds a quorum of grants. */
function mergeIfQuorum(s: ReplicaState, fx: Effects, c: Campaign): void {
  if (c.merge !== null || !isQuorum(s.config, [s.self, ...c.replies.keys()])) return;
  merge(s, fx, c);
}

/**
 * merge is §5.5: adopt records only from replies whose committer is the quorum maximum
 * (which V3 makes our own), fill remaining holes with no-ops, then committer := cand. All in
 * this step's WAL batch; establishment waits for it (§5.6). A voter whose floor is above one
 * of our holes shipped its snapshot: the largest is installed first, so no position a voter
 * compacted (committed, chosen) can become a no-op.
 */
function merge(s: ReplicaState, fx: Effects, c: Campaign): void {
  const cmax = s.committer;
  const chosen: ElectReply[] = [];
  for (const r of c.replies.values()) {
    assert(
      compareLeaderId(r.committer, cmax) <= 0,
      () => `V3 broken: reply committer ${formatLeaderId(r.committer)} > own ${formatLeaderId(cmax)}`,
    );
    // Smaller committers are ignored even at holes (T6): no chosen record can sit at a hole of
    // every Cmax reply (§5.7), and a record from another log carries deps/overrides computed
    // against that log, so adopting it could skip a different record at an overridden position.
    if (leaderIdEq(r.committer, cmax)) chosen.push(r);
  }
  let best: NonNullable<ElectReply['snapshot']> | undefined;
  for (const r of chosen) if (r.snapshot !== undefined && r.snapshot.snapshot.floor > (best?.snapshot.floor ?? s.floor)) best = r.snapshot;
  // The KEYs start at the frontier our ElectReq reported and our key index only grew since, so
  // installSnapshot's own check (newer, KEYs reach) cannot fail here.
  if (best !== undefined) installSnapshot(s, fx, best);
  let tail = bitmapLen(s.accepted);
  for (const r of chosen) {
    tail = Math.max(tail, bitmapLen(r.accepted));
    for (const rec of r.records) {
      if (rec.seq < s.floor) continue; // in the installed snapshot
      const own = s.log.get(rec.seq);
      if (own !== undefined) {
        assert(
          sameIdentity(own, rec),
          () => `merge: ${formatRecordId(rec)} differs from own ${formatRecordId(own)} under ${formatLeaderId(cmax)}`,
        );
        assertSameRecord(own, rec);
      } else {
        storeRecord(s, fx, rec);
      }
    }
  }
  for (let p = s.floor; p < tail; p++) if (!s.log.has(p)) storeRecord(s, fx, noopRecord(p, c.cand));
  setCommitter(s, fx, c.cand);
  c.merge = { batchId: pendingBatchId(s), baseTail: tail, cmax };
  fx.trace.push({ type: 'merged', cand: c.cand, baseTail: tail });
}

/** campaignTimers is §5.4's deadline: a campaign that has not merged by its deadline fails. */
export function campaignTimers(s: ReplicaState, fx: Effects, nowMs: number, random: Random): void {
  const c = s.campaign;
  if (c === null || c.merge !== null || nowMs < c.deadlineMs) return;
  const stretch = c.staleLog ? random.between(2, 3) : 1;
  fx.trace.push({ type: 'step-down', leader: c.cand, reason: 'campaign deadline' });
  s.campaign = null;
  resetElectionDeadline(s, nowMs, random, stretch);
}
