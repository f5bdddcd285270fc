// commit: the leader's out-of-order commit rule (C1 quorum-accepted under our LeaderId, C2
// interference resolved), a follower's import of commit marks (F7), and the instance-log commit
// lines, written only below the frontier and in position order (docs/protocols/traft.md §6.4, §6.5,
// §2.3).
import { assert } from '../../runtime/assert.js';
import { wordCount } from './bitmap_codec.js';
import type { LeaderId } from './leader_id.js';
import type { Effects, ReplicaState } from './state.js';
import { addSeq, bitmapLen, firstMissing, hasSeq, intersect, minus, union, wordOf, WORD_BITS, type TailBitmap } from './tail_bitmap.js';
import { firstUnresolved, foldRecord, overridesOnlyItself, type LogRecord, type Seq } from './record.js';

/** markCommitted adds `seq` to committed and traces it as chosen under `under`. */
function markCommitted(s: ReplicaState, fx: Effects, seq: Seq, under: LeaderId): void {
  const rec = s.log.get(seq);
  assert(rec !== undefined, () => `committing unstored position ${seq}`);
  s.committed = addSeq(s.committed, seq);
  fx.trace.push({ type: 'commit', seq, author: rec.author, kind: rec.kind, logKey: rec.logKey, under });
}

/**
 * c1Mask is C1 for the 32 positions at aligned `base`, as a bit mask: bit b is set when self
 * (once durable) plus synced followers reporting base + b form a quorum. Votes are counted
 * bit-sliced (one counter bit per plane), so a word costs O(voters), not O(32 · voters).
 */
function c1Mask(base: number, selfWord: number, voters: readonly TailBitmap[], need: number, planes: number[]): number {
  planes.fill(0);
  const add = (v: number): void => {
    let carry = v >>> 0;
    for (let j = 0; j < planes.length && carry !== 0; j++) {
      const c = planes[j] as number;
      planes[j] = (c ^ carry) >>> 0;
      carry = (c & carry) >>> 0;
    }
  };
  add(selfWord);
  for (const v of voters) add(wordOf(v, base));
  // counter ≥ need, compared bit-plane by bit-plane from the top
  let gt = 0;
  let eq = 0xffffffff;
  for (let j = planes.length - 1; j >= 0; j--) {
    const c = planes[j] as number;
    if ((need >> j) & 1) eq = (eq & c) >>> 0;
    else {
      gt = (gt | (eq & c)) >>> 0;
      eq = (eq & ~c) >>> 0;
    }
  }
  return (gt | eq) >>> 0;
}

/** interferenceResolved is C2: every dep is committed or overridden by this record. */
function interferenceResolved(s: ReplicaState, rec: LogRecord, frontier: Seq): boolean {
  return firstUnresolved(rec, s.committed, frontier) === -1;
}

/**
 * leaderCommit evaluates C1 ∧ C2 ascending from the frontier; one pass reaches the fixpoint
 * because deps are lower seqs. It marks only the committed seq, never what it overrides.
 * C1 is evaluated a word (32 positions) at a time over the uncommitted stored positions, so a
 * step costs O(window / 32 · ranks) plus C2 for the quorum-accepted ones; a seq found C1 but
 * not C2 is traced `held-back` once (the lab's "held back by interference" count).
 * With timing.inOrderCommit (the measured baseline) it stops at the first position that cannot
 * commit: every lower one is then committed, so C2 never holds a record back.
 */
export function leaderCommit(s: ReplicaState, fx: Effects): void {
  const L = s.leader;
  if (L === null) return;
  const frontier = firstMissing(s.committed);
  const len = bitmapLen(s.accepted);
  if (frontier >= len) return;
  const voters: TailBitmap[] = [];
  for (const pr of L.progress.values()) if (pr.synced) voters.push(pr.accepted);
  const need = Math.floor(s.config.members.length / 2) + 1;
  if (voters.length + 1 < need) return;
  const planes = new Array<number>(32 - Math.clz32(voters.length + 1)).fill(0);
  // self counts a position only once its record is durable
  const pending = new Map<number, number>();
  s.unpersisted.forEach((seq) => {
    if (seq < frontier) return;
    const base = seq - (seq % WORD_BITS);
    pending.set(base, ((pending.get(base) ?? 0) | (1 << (seq % WORD_BITS))) >>> 0);
  });
  for (let base = frontier - (frontier % WORD_BITS); base < len; base += WORD_BITS) {
    const open = (wordOf(s.accepted, base) & ~wordOf(s.committed, base)) >>> 0;
    if (open === 0) continue;
    let d = (open & c1Mask(base, (open & ~(pending.get(base) ?? 0)) >>> 0, voters, need, planes)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const seq = base + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      if (seq < frontier || seq >= len || hasSeq(s.committed, seq)) continue;
      if (s.timing.inOrderCommit === true && seq !== firstMissing(s.committed)) return; // a gap below: Raft waits
      const rec = s.log.get(seq);
      assert(rec !== undefined, () => `accepted position ${seq} is not stored`);
      if (interferenceResolved(s, rec, frontier)) {
        markCommitted(s, fx, seq, L.id);
        L.heldBack.delete(seq);
      } else if (!L.heldBack.has(seq)) {
        L.heldBack.add(seq);
        fx.trace.push({ type: 'held-back', seq });
      }
    }
  }
}

/**
 * learnCommitted is F7: a follower whose committer is the sender imports the leader's marks,
 * but only at positions it stores (marking an unstored one would hide a record, §5.7).
 */
export function learnCommitted(s: ReplicaState, fx: Effects, from: LeaderId, leaderCommitted: typeof s.committed): void {
  const next = union(s.committed, intersect(leaderCommitted, s.accepted));
  const fresh = minus(next, s.committed, firstMissing(s.committed), bitmapLen(next));
  for (const seq of fresh) markCommitted(s, fx, seq, from);
}

/**
 * foldBelowFrontier is the in-memory form of a record once the frontier passed it: deps become
 * [0, seq) and overrides {seq}. Every lower position is committed, so C2 is unchanged; its
 * apply order only waits for more committed positions, and a `set` then overwrites what it
 * would have skipped (the same state, see LogRecord.overrides); a new leader's keyIndex built on
 * it yields larger deps and fewer overrides, both on the safe side. It keeps a record small while
 * it waits above the snapshot floor (§6.5, §15). Plain WAL frames keep the record as written, a
 * checkpoint the folded form; R1 compares kind, logKey and cmd only.
 */
function foldBelowFrontier(s: ReplicaState, rec: LogRecord): void {
  if (wordCount(rec.deps) <= 1 && overridesOnlyItself(rec)) return;
  s.log.set(rec.seq, foldRecord(rec, foldsShared));
}

/**
 * foldsShared: whether a folded form is kept on its record for the next replica that folds the
 * same object (record.ts foldRecord). Only replicas sharing one process share record objects
 * (the simulator's); a rank process has one replica, where it would never be read again.
 */
let foldsShared = true;

/** unshareFolds: this process runs one replica (a real rank): fold without keeping the folded form on the record. */
export function unshareFolds(): void {
  foldsShared = false;
}

/**
 * emitCommitLines writes commit lines for positions newly below the frontier, skipping no-ops,
 * and records their KEYs. Below the floor (a snapshot just installed, or a restart whose
 * instance log lost its last lines) the KEY comes from the key index, not a record.
 */
export function emitCommitLines(s: ReplicaState, fx: Effects): void {
  const frontier = firstMissing(s.committed);
  for (let seq = s.loggedUpTo + 1; seq < frontier; seq++) {
    let key: string;
    if (seq < s.floor) {
      const known = s.keys.at(seq);
      assert(known !== undefined, () => `no KEY for compacted position ${seq}`);
      key = known;
    } else {
      const rec = s.log.get(seq);
      assert(rec !== undefined, () => `committed position ${seq} is not stored`);
      key = rec.kind === 'noop' ? '' : rec.logKey;
      foldBelowFrontier(s, rec);
    }
    if (key !== '') fx.log.push({ event: 'commit', seq, key });
    if (seq === s.keys.length) s.keys.push(key);
  }
  if (frontier - 1 > s.loggedUpTo) s.loggedUpTo = frontier - 1;
}
