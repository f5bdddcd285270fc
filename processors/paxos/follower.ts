// follower: the acceptor/learner side of a rank, active in every round (the leader's own rank
// included). Deterministic: step(input) mutates only this object and returns what to send and
// log; the follower processor carries that out. Safety rules (docs/protocols/paxos.md §6, §8):
// - commit only after this round's sync is decided here, and only in estround order;
// - a rank behind the IMPOSE's base, or missing an accepted value below a COMMIT frontier,
//   sits the round out (commits nothing) rather than commit above a hole;
// - a restarted rank has forgotten what it accepted and promised, so it answers no READ until
//   it has accepted an IMPOSE of a round after every round its old incarnations answered in
//   (`votedThrough`, kept durable before answering): that sync supersedes what it forgot. It
//   neither ACKs an IMPOSE nor a PROPOSE of a round up to that bound.
import { CATCHUP_CHUNK, COMMITTED, estroundOf, leaderOf, type Entry, type Held, type PaxosMsg } from './messages.js';
import type { LogEvent, Send } from './events.js';
import { CommitWindow } from './window.js';
import type { CommitSource } from './archive.js';
import { assert, assertNever } from '../../runtime/assert.js';

/** EARLY_LIMIT: most CATCHUP chunks held above the frontier (two leaders' chunks in flight). */
const EARLY_LIMIT = 16;

export interface FollowerConfig {
  rank: number;
  ranks: number;
  interval: number; // L: instances per round
  /** amnesiac: restarted with its acceptances lost (incarnation > 0). */
  amnesiac?: boolean;
  /**
   * votedThrough: the highest round this rank's earlier incarnations may have answered in (a
   * GATHER is a promise, an ACK an acceptance): the durable bound it kept before answering.
   * While amnesiac it votes in no round up to it (docs/protocols/paxos.md §8).
   */
  votedThrough?: number;
  windowLimit?: number;
  /** catchupChunk: most committed entries a GATHER to a leader far behind carries (CATCHUP_CHUNK). */
  catchupChunk?: number;
  /** archive: this rank's whole committed log (its instance log), for a leader behind the window. */
  archive?: CommitSource;
}

export type FollowerInput = { type: 'round'; round: number } | { type: 'msg'; msg: PaxosMsg };

export interface FollowerOutput {
  sends: Send[];
  log: LogEvent[];
  /** committed lists entries committed by this step, in order (for the leader's window). */
  committed: Entry[];
  /** rejoined: a restarted rank accepted this round's IMPOSE; its leader may lead after it. */
  rejoined?: number;
}

interface Accepted {
  key: string;
  round: number;
}

export class Follower {
  readonly window: CommitWindow;
  round = -1;
  /** frontier: highest committed estround (-1: none). Everything decided below it is committed. */
  frontier = -1;
  /** syncRound: last round whose IMPOSE this rank accepted (-1: none). */
  syncRound = -1;
  amnesiac: boolean;
  /** votedThrough: see FollowerConfig; an amnesiac rank without a bound votes in no round. */
  private readonly votedThrough: number;
  private accepted = new Map<number, Accepted>();
  // Round-local state, reset by each new round.
  private imposed: Entry[] | undefined;
  private decided = false;
  private stalled = false;
  private contig = -1; // every seq ≤ contig of this round is accepted here
  private committedSeq = -1; // every seq ≤ committedSeq of this round is committed here
  private commitTarget = -1; // highest COMMIT frontier heard this round
  private lateAsks = 0; // round traffic seen while unable to commit (LATE is re-asked every 32)
  private gapAskedAt = -2; // the frontier a LATE(gap) of this round was sent from (-2: none)
  private reaskedAt = -2; // the frontier the last of this round's re-asks was sent from (-2: none)
  /**
   * horizon: the furthest estround a leader said it has sent us in CATCHUP chunks (`ahead`), of
   * any round: our LATEs ask the next leader to go on from there (`after`), not to resend it.
   */
  private horizon = -1;
  /** early: chunks that arrived above our frontier but below the horizon, applied once it reaches their base. */
  private early: { base: number; entries: Entry[]; more: boolean; round: number }[] = [];
  private out: FollowerOutput = { sends: [], log: [], committed: [] };

  constructor(private readonly cfg: FollowerConfig) {
    this.amnesiac = cfg.amnesiac ?? false;
    this.votedThrough = cfg.votedThrough ?? (this.amnesiac ? Infinity : -1);
    this.window = new CommitWindow(cfg.windowLimit);
  }

  /** restore replays this rank's own committed log (restart): entries in estround order. */
  restore(entries: Iterable<Entry>): void {
    for (const [e, key] of entries) this.commitEntry(e, key, false);
  }

  /** acceptedCount is the number of accepted, not yet committed entries (memory check). */
  get acceptedCount(): number {
    return this.accepted.size;
  }

  /** earlyEntries counts the entries of CATCHUP chunks held above the frontier (memory check). */
  get earlyEntries(): number {
    let n = 0;
    for (const c of this.early) n += c.entries.length;
    return n;
  }

  step(input: FollowerInput): FollowerOutput {
    if (input.type === 'round') this.enterRound(input.round);
    else this.onMessage(input.msg);
    const out = this.out;
    this.out = { sends: [], log: [], committed: [] };
    return out;
  }

  private enterRound(round: number): void {
    if (round <= this.round) return; // a repeated bump for a round already reached
    this.round = round;
    this.imposed = undefined;
    this.decided = false;
    this.stalled = false;
    this.contig = -1;
    this.committedSeq = -1;
    this.commitTarget = -1;
    this.lateAsks = 0;
    this.gapAskedAt = -2;
    this.reaskedAt = -2;
  }

  private onMessage(m: PaxosMsg): void {
    if (m.round !== this.round) {
      // The msg handler routes only this round's traffic, and an older round's CATCHUP.
      if (m.type === 'catchup' && m.round < this.round) this.takeChunk(m.base, m.entries, m.more === true, m.round, m.ahead);
      return;
    }
    switch (m.type) {
      case 'read':
        return this.onRead(m.round, m.frontier);
      case 'impose':
        return this.onImpose(m.round, m.base, m.entries);
      case 'decide':
        this.onDecide();
        return this.askIfLate();
      case 'propose':
        this.onPropose(m.round, m.first, m.keys);
        return this.askIfLate();
      case 'commit':
        this.onDecide(); // a COMMIT of round r implies its IMPOSE was decided
        this.commitTarget = Math.max(this.commitTarget, m.seq);
        this.advanceCommits();
        return this.askIfLate();
      case 'catchup':
        return this.takeChunk(m.base, m.entries, m.more === true, m.round, m.ahead);
      case 'gather':
      case 'ack':
      case 'nack':
      case 'late':
      case 'next':
        return; // the leader's traffic, or the msg processor's (next)
      default:
        return assertNever(m);
    }
  }

  private leader(): number {
    return leaderOf(this.round, this.cfg.ranks);
  }

  private onRead(round: number, leaderFrontier: number): void {
    if (this.amnesiac) return; // see the header: a forgetful acceptor must not vote
    const chunk = this.cfg.catchupChunk ?? CATCHUP_CHUNK;
    const reaches = this.window.reaches(leaderFrontier);
    if (!reaches && this.cfg.archive === undefined) return; // cannot show all we committed above it
    if (!reaches || this.window.countAbove(leaderFrontier) > chunk) {
      // The leader is far behind: our whole log above its frontier would not fit one bounded
      // message. Say so, with no promise and no entries: a GATHER that left out committed
      // entries could let its sync miss a chosen value, and the leader hands its round on at
      // the first partial GATHER and catches up by LATE (§6.4). The lowest chunk it once held
      // cost every healthy rank a chunk's encoding, and the far-behind rank decoding four (§12).
      const msg = {
        type: 'gather',
        from: this.cfg.rank,
        round,
        frontier: this.frontier,
        syncRound: this.syncRound,
        held: [] as Held[],
        partial: true,
      } as const;
      this.out.sends.push({ to: this.leader(), msg });
      return;
    }
    const held: Held[] = [];
    for (const [e, key] of this.window.since(leaderFrontier)) held.push([e, key, COMMITTED]);
    for (const [e, a] of this.accepted) if (e > leaderFrontier) held.push([e, a.key, a.round]);
    this.out.sends.push({
      to: this.leader(),
      msg: { type: 'gather', from: this.cfg.rank, round, frontier: this.frontier, syncRound: this.syncRound, held },
    });
  }

  /**
   * mayNotVote: amnesiac, and its old incarnation may have answered in this round or a later
   * one. An ACK here could complete a quorum that a later sync, counting on the promise or
   * acceptance it forgot, would not see: a committed instance lost (§8, issue 11 hole 1).
   */
  private mayNotVote(round: number): boolean {
    return this.amnesiac && round <= this.votedThrough;
  }

  private onImpose(round: number, base: number, entries: Entry[]): void {
    if (this.mayNotVote(round)) return;
    if (this.imposed !== undefined) {
      // A resent IMPOSE: our ACK was probably lost; answer again.
      this.out.sends.push({ to: this.leader(), msg: { type: 'ack', from: this.cfg.rank, round, seq: -1 } });
      return;
    }
    if (this.frontier < base) return; // we lack decided entries in (frontier, base]: sit out
    const below = round * this.cfg.interval;
    for (const e of [...this.accepted.keys()]) if (e < below) this.accepted.delete(e);
    const mine: Entry[] = [];
    for (const [e, key] of entries) {
      if (e >= below) continue; // malformed: an IMPOSE covers only earlier rounds
      if (e <= this.frontier) continue; // committed already (identical by safety)
      this.accepted.set(e, { key, round });
      this.out.log.push({ kind: 'generate', estround: e, key });
      mine.push([e, key]);
    }
    this.imposed = mine;
    this.syncRound = round;
    if (this.amnesiac) this.out.rejoined = round;
    this.amnesiac = false;
    this.out.sends.push({ to: this.leader(), msg: { type: 'ack', from: this.cfg.rank, round, seq: -1 } });
  }

  private onDecide(): void {
    if (this.imposed === undefined || this.decided) return;
    this.decided = true;
    for (const [e, key] of this.imposed) this.commitAccepted(e, key);
    this.advanceCommits();
  }

  private onPropose(round: number, first: number, keys: string[]): void {
    if (this.mayNotVote(round)) return; // it learns this round's commits by CATCHUP only
    const base = round * this.cfg.interval;
    for (const [i, key] of keys.entries()) {
      const seq = first + i;
      if (seq >= this.cfg.interval) break; // outside the round's range
      const e = estroundOf(round, seq, this.cfg.interval);
      if (e <= this.frontier || this.accepted.has(e)) continue; // duplicate
      this.accepted.set(e, { key, round });
      this.out.log.push({ kind: 'generate', estround: e, key });
    }
    while (this.contig + 1 < this.cfg.interval) {
      const e = base + this.contig + 1;
      if (!this.accepted.has(e) && !(this.decided && this.contig + 1 <= this.committedSeq)) break;
      this.contig++;
    }
    // Ack even when nothing advanced: a resent PROPOSE means our last ACK was lost.
    if (this.contig >= 0) {
      this.out.sends.push({ to: this.leader(), msg: { type: 'ack', from: this.cfg.rank, round, seq: this.contig } });
    }
  }

  /**
   * askIfLate: this round is under way but we cannot commit in it (we missed its sync, or a
   * PROPOSE below the COMMIT frontier was lost): ask the leader for the decided log instead of
   * sitting the whole round out. Re-asked every 32 messages in case the LATE or CATCHUP is lost.
   */
  private askIfLate(): void {
    if (this.decided && !this.stalled) return;
    if (this.lateAsks++ % 32 !== 0) return;
    // Not moved since the last re-ask, with chunks announced up to the horizon: one of those was
    // lost, and a LATE `after` the horizon would never ask for it again (a new round's leader too
    // goes on from there); early chunks would pile up to EARLY_LIMIT first. Ask across the gap.
    if (this.frontier === this.reaskedAt && this.horizon > this.frontier) {
      this.gapAskedAt = -2;
      this.askAcrossGap();
      return;
    }
    this.reaskedAt = this.frontier;
    this.askLate();
  }

  /** askLate asks this round's leader for the decided log above our frontier, after what is on its way. */
  private askLate(): void {
    const msg: PaxosMsg = { type: 'late', from: this.cfg.rank, round: this.round, frontier: this.frontier };
    if (this.horizon > this.frontier) msg.after = this.horizon;
    this.out.sends.push({ to: this.leader(), msg });
  }

  /**
   * takeChunk: a CATCHUP of this round or an older one. A chunk above our frontier that another
   * leader's chunks in flight lead up to (at most the horizon) waits for them in `early`, bounded:
   * a rank that moved to a new round's leader asks it to go on from the horizon, and its chunks
   * may overtake the old leader's on another link. One above the horizon shows a lost chunk.
   */
  private takeChunk(base: number, entries: Entry[], more: boolean, round: number, ahead: number | undefined): void {
    // Only chunks announced before this one explain its base: a chunk lost from the same answer does not.
    const expected = base <= this.horizon;
    this.horizon = Math.max(this.horizon, ahead ?? -1, entries.at(-1)?.[0] ?? -1);
    if (this.frontier < base && expected && this.early.length < EARLY_LIMIT && !(this.decided && !this.stalled)) {
      this.early.push({ base, entries, more, round });
      return;
    }
    this.applyChunk(base, entries, more, round);
    // Each chunk applied may reach the base of one that came early: apply those in order.
    for (;;) {
      this.early = this.early.filter((c) => (c.entries.at(-1)?.[0] ?? -1) > this.frontier && !(this.decided && !this.stalled));
      const next = this.early.findIndex((c) => c.base <= this.frontier);
      if (next < 0) return;
      const c = this.early.splice(next, 1)[0];
      if (c !== undefined) this.applyChunk(c.base, c.entries, c.more, c.round);
    }
  }

  private applyChunk(base: number, entries: Entry[], more: boolean, round: number): void {
    if (round === this.round) this.onCatchup(base, entries, more);
    else if (round < this.round) this.onStaleCatchup(base, entries);
  }

  /**
   * onCatchup commits the leader rank's committed log above our frontier: every entry in it is
   * chosen and the list is complete above base, so our log stays a prefix of the decided log.
   * We then take part in this round's commits from the last seq the catch-up covered. A chunk
   * (`more`) is complete only up to its last entry: commit it and ask for the next one at once.
   */
  private onCatchup(base: number, entries: Entry[], more: boolean): void {
    if (this.decided && !this.stalled) return;
    if (this.frontier < base) return this.askAcrossGap();
    const below = this.round * this.cfg.interval;
    this.commitChunk(entries);
    if (more) return this.askLate();
    this.decided = true;
    this.stalled = false;
    this.committedSeq = Math.max(this.committedSeq, this.frontier - below);
    this.contig = Math.max(this.contig, this.committedSeq);
    this.advanceCommits();
  }

  /**
   * askAcrossGap: a chunk above our frontier arrived without the one at it, which was lost; the
   * leader would hold the chunks it has in flight as answered for 8 retry periods, and we would
   * discard every one of them. LATE(gap) has it send again from our frontier at once; once per
   * frontier, as every later chunk of the same answer shows the same gap.
   */
  private askAcrossGap(): void {
    if (this.gapAskedAt === this.frontier) return;
    this.gapAskedAt = this.frontier;
    this.out.sends.push({
      to: this.leader(),
      msg: { type: 'late', from: this.cfg.rank, round: this.round, frontier: this.frontier, gap: true },
    });
  }

  /**
   * onStaleCatchup takes a CATCHUP that arrived after its round ended. Its entries are chosen
   * and exact up to the last one whatever the round; only "that round's sync is decided" is
   * tied to its round. So it is committed like a chunk with `more`, and this round's leader
   * asked for the rest: dropping it cost a far-behind rank a round trip at every round change.
   */
  private onStaleCatchup(base: number, entries: Entry[]): void {
    if ((this.decided && !this.stalled) || this.frontier < base) return;
    const before = this.frontier;
    this.commitChunk(entries);
    if (this.frontier === before || this.round < 0) return;
    this.askLate();
  }

  /** commitChunk commits a CATCHUP's entries above our frontier (a `generate` and a `commit` each). */
  private commitChunk(entries: Entry[]): void {
    const holdsAccepted = this.accepted.size > 0; // a rank far behind, catching up, has accepted nothing to drop
    for (const entry of entries) {
      const [e, key] = entry;
      if (e <= this.frontier) continue;
      this.out.log.push({ kind: 'generate', estround: e, key });
      if (holdsAccepted) this.accepted.delete(e);
      this.commitEntry(e, key, true, entry);
    }
  }

  private advanceCommits(): void {
    if (!this.decided || this.stalled) return;
    while (this.committedSeq < this.commitTarget) {
      const e = estroundOf(this.round, this.committedSeq + 1, this.cfg.interval);
      const a = this.accepted.get(e);
      if (a === undefined || a.round !== this.round) {
        this.stalled = true; // a lost PROPOSE below the frontier: sit out until the next sync
        return;
      }
      this.commitAccepted(e, a.key);
      this.committedSeq++;
    }
  }

  private commitAccepted(e: number, key: string): void {
    // What this rank accepted is chosen only once the round's sync is decided here (§6.1).
    assert(this.decided, () => `rule 3: instance ${e} committed in round ${this.round} before its sync was decided here`);
    this.accepted.delete(e);
    this.commitEntry(e, key, true);
  }

  /** commitEntry: `entry`, if given, is [e, key] already (a chunk's own tuple, passed on instead of a copy per entry). */
  private commitEntry(e: number, key: string, log: boolean, entry?: Entry): void {
    if (e <= this.frontier) return;
    this.frontier = e;
    this.window.append(e, key);
    if (log) {
      this.out.log.push({ kind: 'commit', estround: e, key });
      this.out.committed.push(entry ?? [e, key]);
    }
  }
}
