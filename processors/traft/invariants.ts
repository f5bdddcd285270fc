// invariants: one pure function per invariant of docs/protocols/traft.md §14.1. Each returns
// a violation message or null; step_invariants.ts runs them after every simulated step (runtime/sim, SimOptions.checkEveryStep).
import { formatCommand, subsumes } from './command.js';
import type { TraceEvent } from './io.js';
import { compareLeaderId, formatLeaderId, leaderIdEq, maxLeaderId, type LeaderId } from './leader_id.js';
import type { Message } from './messages.js';
import { formatRecordId, sameIdentity, type LogRecord, type Seq } from './record.js';
import type { RecordLookup } from './seq_log.js';
import { bitmapLen, isSubset, members, minus, union, type TailBitmap } from './tail_bitmap.js';

/** Chosen is what some replica marked committed at a seq, and the leader it was chosen under. */
export type Chosen = { readonly author: LeaderId; readonly logKey: string; readonly under: LeaderId };

/** ReplicaView is the slice of a replica the per-step checks compare before and after. */
export type ReplicaView = {
  readonly vote: LeaderId;
  readonly committer: LeaderId | null;
  readonly accepted: TailBitmap;
  readonly committed: TailBitmap;
};

/** oneValuePerSeq (S1): a commit mark agrees with every earlier mark at that seq, on any replica. */
export function oneValuePerSeq(chosen: ReadonlyMap<Seq, Chosen>, ev: Extract<TraceEvent, { type: 'commit' }>): string | null {
  const c = chosen.get(ev.seq);
  if (c === undefined || sameIdentity({ seq: ev.seq, author: c.author }, ev)) return null;
  return `S1: seq ${ev.seq} committed as ${formatRecordId(ev)} and earlier as ${formatRecordId({ seq: ev.seq, author: c.author })}`;
}

/** ballotsNeverDecrease (S3): vote and committer never decrease; committer ≤ vote. */
export function ballotsNeverDecrease(before: ReplicaView, after: ReplicaView): string | null {
  if (compareLeaderId(after.vote, before.vote) < 0) return `S3: vote fell ${formatLeaderId(before.vote)} → ${formatLeaderId(after.vote)}`;
  if (compareLeaderId(after.committer, before.committer) < 0)
    return `S3: committer fell ${formatLeaderId(before.committer)} → ${formatLeaderId(after.committer)}`;
  if (compareLeaderId(after.committer, after.vote) > 0)
    return `S3: committer ${formatLeaderId(after.committer)} > vote ${formatLeaderId(after.vote)}`;
  return null;
}

/** commitNeverMovesBack: committed only grows and stays within accepted (I3, §3.5). */
export function commitNeverMovesBack(before: ReplicaView, after: ReplicaView): string | null {
  if (!isSubset(before.committed, after.committed))
    return `commit moved backwards: lost ${minus(before.committed, after.committed, 0, bitmapLen(before.committed)).slice(0, 5).join(',')}`;
  if (!isSubset(after.committed, after.accepted))
    return `committed ⊄ accepted at ${minus(after.committed, after.accepted, 0, bitmapLen(after.committed)).slice(0, 5).join(',')}`;
  return null;
}

/** oneLeaderPerBallot: at most one replica ever establishes a given LeaderId (across restarts). */
export function oneLeaderPerBallot(established: ReadonlyMap<string, number>, leader: LeaderId, rank: number): string | null {
  const prev = established.get(formatLeaderId(leader));
  if (prev === undefined || prev === rank) return prev === rank ? `${formatLeaderId(leader)} established twice on rank ${rank}` : null;
  return `two ranks (${prev}, ${rank}) established ${formatLeaderId(leader)}`;
}

/** leaderOwnsBallot: a LeaderId (t, id) is only ever established by rank id. */
export function leaderOwnsBallot(leader: LeaderId, rank: number): string | null {
  return leader.id === rank ? null : `rank ${rank} established someone else's ballot ${formatLeaderId(leader)}`;
}

/**
 * baseHoldsChosen (S2, the §5.7 lemma): a new leader's base holds every record chosen under a
 * smaller leader (below its floor, in its snapshot: a snapshot holds only committed positions).
 */
export function baseHoldsChosen(chosen: ReadonlyMap<Seq, Chosen>, log: RecordLookup, floor: Seq, leader: LeaderId): string | null {
  for (const [seq, c] of chosen) {
    if (compareLeaderId(c.under, leader) >= 0 || seq < floor) continue;
    const r = log.get(seq);
    if (r === undefined || !sameIdentity(r, { seq, author: c.author })) {
      return `S2: ${formatLeaderId(leader)} established without ${formatRecordId({ seq, author: c.author })} (chosen under ${formatLeaderId(c.under)}), has ${r ? formatRecordId(r) : 'nothing'}`;
    }
  }
  return null;
}

/** syncDeletesOnlyOnNewCommitter (S4, I2): a Sync from the current committer changes nothing. */
export function syncDeletesOnlyOnNewCommitter(
  committerBefore: LeaderId | null,
  ev: Extract<TraceEvent, { type: 'synced' }>,
): string | null {
  if (leaderIdEq(committerBefore, ev.leader) && (ev.deleted.length > 0 || ev.replaced.length > 0)) {
    return `S4: a Sync from the current committer ${formatLeaderId(ev.leader)} changed ${[...ev.deleted, ...ev.replaced].join(',')}`;
  }
  return null;
}

/** Promised: what a rank's sent messages promised (its vote, its committer, the records it reported accepted), for T15. */
export type Promised = {
  vote: LeaderId | null;
  committer: LeaderId | null;
  reported: { committer: LeaderId | null; accepted: TailBitmap } | null;
};

/** recordPromise raises p by what sending msg promises; promisesKept and reportsKept hold a restarted rank to it. */
export function recordPromise(p: Promised, msg: Message): void {
  switch (msg.type) {
    case 'ElectReq':
      if (msg.pre !== true) p.vote = maxLeaderId(p.vote, msg.candidate); // a pre-vote promises nothing
      return;
    case 'ForwardReq':
    case 'InstallSnapshotReq':
      p.vote = maxLeaderId(p.vote, msg.leader);
      return;
    case 'ElectReply':
      p.vote = maxLeaderId(p.vote, msg.vote);
      p.committer = maxLeaderId(p.committer, msg.committer);
      return;
    case 'ForwardReply': {
      p.vote = maxLeaderId(p.vote, msg.vote);
      p.committer = maxLeaderId(p.committer, msg.committer);
      if (!msg.ok) return;
      const prev = p.reported;
      const same = prev !== null && compareLeaderId(prev.committer, msg.committer) === 0;
      p.reported = { committer: msg.committer, accepted: same ? union(prev.accepted, msg.accepted) : msg.accepted };
      return;
    }
  }
}

/** promisesKept (T15, S3 across restarts): recovered vote and committer ≥ every one the rank sent before the crash. */
export function promisesKept(promised: { vote: LeaderId | null; committer: LeaderId | null }, recovered: ReplicaView): string | null {
  if (compareLeaderId(recovered.vote, promised.vote) < 0) {
    return `T15: restart forgot a promise: vote ${formatLeaderId(recovered.vote)} < sent ${formatLeaderId(promised.vote)}`;
  }
  if (compareLeaderId(recovered.committer, promised.committer) < 0) {
    return `T15: restart lowered committer ${formatLeaderId(recovered.committer)} < sent ${formatLeaderId(promised.committer)}`;
  }
  return null;
}

/** committedAgreesWithDecided: every position a replica marks committed holds the decided record (its log's committed part is a prefix-with-gaps of the one decided log). */
export function committedAgreesWithDecided(
  chosen: ReadonlyMap<Seq, Chosen>,
  log: RecordLookup,
  committed: TailBitmap,
  floor = 0,
): string | null {
  for (const seq of members(committed, floor, bitmapLen(committed))) {
    const c = chosen.get(seq);
    const r = log.get(seq);
    if (c === undefined || r === undefined || !sameIdentity(r, { seq, author: c.author })) {
      return `committed ${seq} holds ${r ? formatRecordId(r) : 'nothing'}, decided ${c ? formatRecordId({ seq, author: c.author }) : 'nothing'}`;
    }
  }
  return null;
}

/** reportsKept (T15): positions reported in an ok ForwardReply under a committer survive a restart with that committer. */
export function reportsKept(reported: { committer: LeaderId | null; accepted: TailBitmap } | null, recovered: ReplicaView): string | null {
  if (reported === null || !leaderIdEq(reported.committer, recovered.committer)) return null;
  const lost = minus(reported.accepted, recovered.accepted, 0, bitmapLen(reported.accepted));
  return lost.length === 0
    ? null
    : `T15: restart lost acknowledged positions ${lost.slice(0, 5).join(',')} under ${formatLeaderId(recovered.committer)}`;
}

/** overrideSubsumes (R5, S5): a record skipped as overridden is a no-op or subsumed by the skipping record (else a command is lost silently, on every replica alike). */
export function overrideSubsumes(r: LogRecord, x: LogRecord): string | null {
  if (x.kind === 'noop') return null;
  if (r.cmd !== undefined && x.cmd !== undefined && subsumes(r.cmd, x.cmd)) return null;
  return `R5: applying ${formatRecordId(r)} (${r.cmd ? formatCommand(r.cmd) : r.kind}) skips ${formatRecordId(x)} (${x.cmd ? formatCommand(x.cmd) : x.kind}), which it does not subsume`;
}

/** statesEqual (S5): after quiescence every live replica's state machine is the same. */
export function statesEqual(states: ReadonlyArray<{ rank: number; state: string }>): string | null {
  const first = states[0];
  if (first === undefined) return null;
  const odd = states.find((s) => s.state !== first.state);
  return odd === undefined ? null : `S5: rank ${first.rank} has {${first.state}} but rank ${odd.rank} has {${odd.state}}`;
}
