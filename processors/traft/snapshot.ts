// snapshot: compaction, installing a snapshot from a leader or a voter (F9, merge), and the
// checkpoint that makes either durable (docs/protocols/traft.md §7, §8.4). A snapshot is the state
// machine after exactly the positions in its `applied` bitmap; its floor never passes a position
// that is not committed, applied and logged, so a skipped-but-unchosen position stays in the log
// (it may still commit and needs its commit line), and the KEYs below the floor stay known for
// lagging ranks.
import { applierOf } from './applier.js';
import { assert } from '../../runtime/assert.js';
import { keysBudget, strBytes } from './chunk.js';
import type { Snapshot, SnapshotEntry, WalEntry } from './durable.js';
import type { KeyTable } from './key_table.js';
import type { SnapshotShipment } from './messages.js';
import type { Seq } from './record.js';
import type { Effects, ReplicaState } from './state.js';
import { createBitmap, firstMissing, union } from './tail_bitmap.js';

/**
 * adopt makes `snapshot` ours: the records below its floor leave memory, and the step's batch
 * carries a checkpoint whose snapshot entry keeps the KEYs since our previous floor (a restart
 * whose instance log lost its last line writes it again from there).
 */
function adopt(s: ReplicaState, fx: Effects, snapshot: Snapshot, installed: boolean): void {
  const keysFrom = s.floor;
  for (let p = keysFrom; p < snapshot.floor; p++) s.log.delete(p);
  s.unpersisted.drop(keysFrom, snapshot.floor);
  s.floor = snapshot.floor;
  s.snapshot = snapshot;
  fx.snapshot = snapshotEntry(s.keys, snapshot, keysFrom);
  fx.trace.push({ type: 'snapshot', floor: snapshot.floor, installed });
}

/**
 * snapshotEntry is the checkpoint's snapshot entry, whose KEYs of [keysFrom, floor) are read
 * from our key table when first asked for, then kept. A real rank's WAL writer asks once, to
 * encode them (the same fields in the same order, so the same bytes); the simulator's disk
 * holds the checkpoint until the next one and asks only on a restart whose instance log lost
 * its last line. The table is append-only, so those positions never change under the entry.
 */
function snapshotEntry(table: KeyTable, snapshot: Snapshot, keysFrom: Seq): SnapshotEntry {
  let keys: readonly string[] | undefined;
  return {
    type: 'snapshot',
    snapshot,
    keysFrom,
    get keys(): readonly string[] {
      return (keys ??= table.slice(keysFrom, snapshot.floor));
    },
  };
}

/**
 * snapshotFloor is where a snapshot now could end: at most `ready` (readyFloor).
 * A leader also keeps the records a live follower still lacks, by up to `every` positions:
 * those are a moment from being appended, and compacting them would cost that follower a whole
 * InstallSnapshot and Sync. A follower silent for E, or further behind, does not hold memory.
 */
function snapshotFloor(s: ReplicaState, ready: Seq, every: number, nowMs: number): Seq {
  let floor = ready;
  for (const pr of s.leader?.progress.values() ?? []) {
    if (pr.synced && nowMs - pr.lastAckAtMs < s.timing.electionTimeoutMs)
      floor = Math.min(floor, Math.max(firstMissing(pr.accepted), ready - every));
  }
  return floor;
}

/** readyFloor: the commit, apply and log frontiers' minimum, which no snapshot passes. */
function readyFloor(s: ReplicaState): Seq {
  return Math.min(firstMissing(s.applier.applied), firstMissing(s.committed), s.loggedUpTo + 1);
}

/** maybeSnapshot takes a snapshot once the commit, apply and log frontiers, and the leader's followers (snapshotFloor), allow a floor at or above snapshotDue. */
export function maybeSnapshot(s: ReplicaState, fx: Effects, nowMs: number): void {
  const every = s.timing.snapshotEvery ?? 0;
  if (every <= 0) return;
  const { members } = s.config;
  const due = snapshotDue(s.floor, every, Math.max(0, members.indexOf(s.self)), members.length);
  // runs after every step: the followers' floors only lower the ready one, so short of `due` there is nothing to look at
  const ready = readyFloor(s);
  if (ready < due) return;
  const floor = snapshotFloor(s, ready, every, nowMs);
  if (floor < due) return;
  adopt(s, fx, { floor, applied: s.applier.applied, kv: s.applier.sm.image() }, false);
}

/**
 * snapshotDue is the least floor our next snapshot may have: the first of this rank's marks at
 * least every/2 above our floor. A rank's marks are `every` apart, shifted by its place among
 * the members (place × every / members), so ranks that commit the same positions at the same
 * time snapshot at different ones: each snapshot rotates the WAL (its checkpoint written and
 * fsynced before the next acknowledgement), and followers that all rotated in the same moment
 * left the leader without a quorum for that long (§7.2). The mark lies ⌈every/2⌉ to
 * ⌈every/2⌉ + every − 1 above the floor; the floor taken is the candidate floor once it reaches
 * the mark (it may pass it: a step's commits, a leader's hold for a follower released).
 */
export function snapshotDue(floor: Seq, every: number, place: number, members: number): Seq {
  const phase = Math.floor((place * every) / members);
  const least = floor + Math.ceil(every / 2);
  return least + ((((phase - least) % every) + every) % every);
}

/**
 * shipmentFor is our snapshot with the KEYs from `keysFrom` (a receiver's frontier) to our floor,
 * cut to what fits `budget` bytes with the snapshot itself: then it is a `part` (§4.7).
 */
export function shipmentFor(s: ReplicaState, keysFrom: Seq, budget: number): SnapshotShipment {
  const snapshot = s.snapshot;
  assert(snapshot !== null && snapshot.floor === s.floor && keysFrom <= s.floor, 'shipping a snapshot needs one above keysFrom');
  let room = keysBudget(snapshot, budget);
  let end = keysFrom;
  while (end < snapshot.floor) {
    room -= strBytes(s.keys.at(end) ?? '');
    if (room < 0) break;
    end++;
  }
  const keys = s.keys.slice(keysFrom, end);
  return end < snapshot.floor ? { snapshot, keysFrom, keys, part: true } : { snapshot, keysFrom, keys };
}

/** keysReach: where the KEYs we logged, then those staged from snapshot parts, end. */
export function keysReach(s: ReplicaState): Seq {
  const st = s.keyStage;
  if (st === null || st.from > s.keys.length) return s.keys.length;
  return Math.max(s.keys.length, st.from + st.keys.length);
}

/**
 * stageKeys keeps a part's KEYs (§4.7): positions below a snapshot's floor are chosen, so their
 * KEYs are facts whichever leader or voter sent them, and staging them changes nothing a vote,
 * a reply or the commit rule reads. false (nothing kept) when the part starts beyond our reach.
 */
export function stageKeys(s: ReplicaState, ship: SnapshotShipment): boolean {
  const from = ship.keysFrom;
  if (from > keysReach(s)) return false;
  const st = s.keyStage;
  if (st === null || st.from > s.keys.length || from < st.from) {
    s.keyStage = { from, keys: [...ship.keys] };
    return true;
  }
  st.keys.length = Math.min(st.keys.length, from - st.from);
  for (const k of ship.keys) st.keys.push(k);
  return true;
}

/** canInstall: the shipment is whole, newer than our floor, and its KEYs reach down to what we logged or staged. */
export function canInstall(s: ReplicaState, ship: SnapshotShipment): 'newer' | 'not-newer' | 'need-keys' {
  assert(ship.part !== true, 'a snapshot part is staged, never installed');
  if (ship.snapshot.floor <= s.floor) return 'not-newer';
  return ship.keysFrom <= keysReach(s) ? 'newer' : 'need-keys';
}

/**
 * installSnapshot is F9's state change: records below the floor go, the floor's positions are
 * accepted and committed (they are chosen everywhere), the applier becomes the snapshot's
 * (applied may reach above the floor: those positions are never applied twice, T25), and the
 * KEYs we lack (staged ones first) are kept for the commit lines emitCommitLines writes next.
 * committer is unchanged.
 */
export function installSnapshot(s: ReplicaState, fx: Effects, ship: SnapshotShipment): void {
  assert(canInstall(s, ship) === 'newer', 'installSnapshot needs a newer snapshot with enough KEYs');
  const { snapshot, keysFrom, keys } = ship;
  const st = s.keyStage;
  for (let p = s.keys.length; p < snapshot.floor; p++) {
    const key = p >= keysFrom ? keys[p - keysFrom] : st?.keys[p - st.from];
    assert(key !== undefined, () => `no KEY for ${p} below the installed floor ${snapshot.floor}`);
    s.keys.push(key);
  }
  s.keyStage = null;
  s.accepted = union(s.accepted, createBitmap(snapshot.floor));
  s.committed = union(s.committed, createBitmap(snapshot.floor));
  s.applier = applierOf(s.machine, snapshot);
  adopt(s, fx, snapshot, true);
}

/** checkpointEntries is the whole durable state (§8.4): snapshot, vote, committer, records ≥ floor ascending. */
export function checkpointEntries(s: ReplicaState, entry: SnapshotEntry): WalEntry[] {
  const out: WalEntry[] = [entry, { type: 'vote', vote: s.vote }];
  if (s.committer !== null) out.push({ type: 'committer', committer: s.committer });
  for (const record of s.log.values()) out.push({ type: 'record', record }); // SeqLog: ascending
  return out;
}
