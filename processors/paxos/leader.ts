// leader: the proposer side of a rank, active in the rounds it leads (round mod N). Per round:
// sync (READ → GATHER quorum → IMPOSE → ACK quorum → DECIDE), then pipelined instances:
// PROPOSE batches while fewer than `window` instances are uncommitted, a COMMIT frontier once
// a quorum acked every seq up to it. Deterministic: step(input, nowMs) mutates only this object
// and returns sends and a wake-up time; values come from the injected Random.
import type { Random } from '../../runtime/random.js';
import { instanceKey } from './key.js';
import { randomValues } from './values.js';
import { CATCHUP_CHUNK, leaderOf, quorumOf, type Entry, type PaxosMsg } from './messages.js';
import { ALL, type Send } from './events.js';
import { mergeGathers, type Gathered } from './merge.js';
import { CommitWindow } from './window.js';
import type { CommitSource } from './archive.js';
import { assert, assertNever, defined } from '../../runtime/assert.js';

export interface LeaderConfig {
  rank: number;
  ranks: number;
  interval: number; // L
  /** pipelineWindow: most instances proposed but not yet committed (1 = the lab's lock-step). */
  pipelineWindow: number;
  /** proposeBatch: most instances in one PROPOSE message. */
  proposeBatch: number;
  /** gatherGraceMs: after a quorum of GATHERs, how long to wait for the rest (catch-up). */
  gatherGraceMs: number;
  /** retryMs: how often an unanswered step (READ, IMPOSE, PROPOSE, COMMIT) is sent again. */
  retryMs: number;
  dataSize: number;
  eager: boolean;
  random: Random;
  windowLimit?: number;
  /**
   * amnesiac: restarted. Its old incarnation may have led a round and imposed values in it; if
   * the new one led that round again it would propose other values under the same ballot. So
   * it leads only rounds after its first sync led by another rank: a quorum accepted that sync,
   * and none of them would have entered it had the old incarnation's round still been ahead.
   */
  amnesiac?: boolean;
  /** catchupChunk: most history entries in one IMPOSE catch-up or CATCHUP (CATCHUP_CHUNK; tests shrink it). */
  catchupChunk?: number;
  /** catchupAhead: most CATCHUP chunks in flight to one rank (CATCHUP_AHEAD; tests change it). */
  catchupAhead?: number;
  /** archive: this rank's whole committed log (its instance log), for a rank behind `decided`. */
  archive?: CommitSource;
  /**
   * decided: this rank's committed log, when another part of the rank keeps it (core.ts hands
   * the follower's window): one copy, appended once per commit. Without it the leader keeps
   * its own, fed by 'committed' inputs (tests drive a lone Leader so).
   */
  decided?: CommitWindow;
}

/**
 * CATCHUP_AHEAD: chunks sent to a far-behind rank before it confirms the first. One chunk per
 * round trip left the rank idle while its LATE queued behind the live traffic at the leader;
 * a few in flight keep it busy, and stay bounded (8 chunks, < 8 MB) per laggard.
 */
export const CATCHUP_AHEAD = 8;

export type LeaderInput =
  | { type: 'round'; round: number }
  | { type: 'msg'; msg: PaxosMsg }
  | { type: 'committed'; entries: Entry[] }
  | { type: 'rejoined'; round: number }
  | { type: 'wake' };

export interface LeaderOutput {
  sends: Send[];
  /** wakeAtMs asks to be stepped with 'wake' at this time (grace deadline), if set. */
  wakeAtMs?: number;
}

/**
 * Phase: this rank's part in the current round. A round it leads goes reading (READ sent) →
 * imposing (IMPOSE sent) → proposing (DECIDE sent) → done (L instances committed); in a round
 * led by another rank it is idle. Each step checks the phase before moving it on.
 */
type Phase = 'idle' | 'reading' | 'imposing' | 'proposing' | 'done';

export interface LeaderStats {
  roundsLed: number;
  proposed: number;
  committed: number;
}

export class Leader {
  /** decided is this rank's committed log: its follower's window (core.ts), or a mirror fed by 'committed'. */
  readonly decided: CommitWindow;
  round = -1;
  phase: Phase = 'idle';
  private readonly quorum: number;
  private gathers = new Map<number, Gathered>();
  private syncAcks = new Set<number>();
  private acked: number[];
  /** ackedAtMs: when each rank's instance ACK last advanced (retry resends only to ranks that stopped). */
  private ackedAtMs: number[];
  private nextSeq = 0;
  private commitSeq = -1;
  /** outstanding: proposed, not yet committed instances (at most pipelineWindow), for resends. */
  private outstanding = new Map<number, { key: string; value: Uint8Array }>();
  private imposeMsg: PaxosMsg | undefined;
  /** readFrontier: the frontier the round's last READ named (GATHERs hold entries above it). */
  private readFrontier = -1;
  private readonly chunk: number;
  /**
   * lateAnswered: per rank, the frontier last caught up this round, when (no duplicate
   * CATCHUPs), the last estround of each chunk sent ahead of it (oldest first), and whether the
   * last of those ends the catch-up (no `more`).
   */
  private lateAnswered = new Map<number, { frontier: number; atMs: number; ahead: number[]; final: boolean }>();
  private retryAtMs = Infinity;
  private retryDelayMs = 0; // doubles on each retry within a phase (big IMPOSEs are not resent every few ms)
  private graceAtMs = Infinity;
  private sends: Send[] = [];
  /** wakeAtMs: the wake-up last asked for (reported again only when it changes). */
  private wakeAtMs: number | undefined;
  /** leadsFrom: the first round this incarnation may lead (see LeaderConfig.amnesiac). */
  private leadsFrom: number;
  readonly stats: LeaderStats = { roundsLed: 0, proposed: 0, committed: 0 };

  constructor(private readonly cfg: LeaderConfig) {
    if (cfg.pipelineWindow < 1 || cfg.proposeBatch < 1) throw new RangeError('pipelineWindow and proposeBatch must be ≥ 1');
    if (!(cfg.retryMs > 0)) throw new RangeError(`retryMs must be > 0, got ${cfg.retryMs}`);
    this.quorum = quorumOf(cfg.ranks);
    this.acked = new Array<number>(cfg.ranks).fill(-1);
    this.ackedAtMs = new Array<number>(cfg.ranks).fill(-Infinity);
    this.decided = cfg.decided ?? new CommitWindow(cfg.windowLimit);
    this.leadsFrom = cfg.amnesiac ? Infinity : 0;
    this.chunk = cfg.catchupChunk ?? CATCHUP_CHUNK;
    if (!(this.chunk >= 1)) throw new RangeError(`catchupChunk must be ≥ 1, got ${this.chunk}`);
  }

  /** held counts what the leader keeps per rank or per instance (memory check: processors/paxos/memory.test.ts). */
  get held(): { outstanding: number; gathers: number; lateAnswered: number; aheadChunks: number } {
    let aheadChunks = 0;
    for (const l of this.lateAnswered.values()) aheadChunks += l.ahead.length;
    return { outstanding: this.outstanding.size, gathers: this.gathers.size, lateAnswered: this.lateAnswered.size, aheadChunks };
  }

  /** wakeAt: the deadline this role waits for (grace or retry), if any. */
  get wakeAt(): number | undefined {
    return this.wakeAtMs;
  }

  step(input: LeaderInput, nowMs: number): LeaderOutput {
    switch (input.type) {
      case 'round':
        this.enterRound(input.round);
        break;
      case 'committed':
        // A shared window holds these already (the follower appended them): nothing to copy.
        if ((input.entries.at(-1)?.[0] ?? -1) > this.decided.last)
          for (const [e, key] of input.entries) if (e > this.decided.last) this.decided.append(e, key);
        break;
      case 'msg':
        this.onMessage(input.msg, nowMs);
        break;
      case 'rejoined':
        this.leadsFrom = Math.min(this.leadsFrom, input.round + 1);
        break;
      case 'wake':
        // Whatever this wake-up was for, the timer is spent: ask again below if still needed
        // (an early or spurious wake must not leave the round without a timer).
        this.wakeAtMs = undefined;
        if (this.phase === 'reading' && this.gathers.size >= this.quorum && nowMs >= this.graceAtMs) this.impose();
        if (nowMs >= this.retryAtMs) this.retry(nowMs);
        break;
    }
    const active = this.phase === 'reading' || this.phase === 'imposing' || this.phase === 'proposing';
    if (!active) this.retryAtMs = Infinity;
    else if (this.retryAtMs === Infinity || nowMs >= this.retryAtMs) {
      this.retryDelayMs = this.retryAtMs === Infinity ? this.cfg.retryMs : Math.min(this.retryDelayMs * 2, 8 * this.cfg.retryMs);
      this.retryAtMs = nowMs + this.retryDelayMs;
    }
    const wake = Math.min(this.retryAtMs, this.phase === 'reading' ? this.graceAtMs : Infinity);
    const out: LeaderOutput = { sends: this.sends };
    if (wake !== Infinity && wake !== this.wakeAtMs) out.wakeAtMs = wake;
    this.wakeAtMs = wake === Infinity ? undefined : wake;
    this.sends = [];
    return out;
  }

  private broadcast(msg: PaxosMsg): void {
    this.sends.push({ to: ALL, msg });
  }

  private enterRound(round: number): void {
    if (round <= this.round) return;
    this.round = round;
    this.gathers.clear();
    this.syncAcks.clear();
    this.acked.fill(-1);
    this.ackedAtMs.fill(-Infinity);
    this.nextSeq = 0;
    this.commitSeq = -1;
    this.outstanding.clear();
    this.imposeMsg = undefined;
    this.lateAnswered.clear();
    this.retryAtMs = Infinity;
    this.graceAtMs = Infinity;
    if (leaderOf(round, this.cfg.ranks) !== this.cfg.rank || round < this.leadsFrom) {
      this.phase = 'idle';
      return;
    }
    this.phase = 'reading';
    this.stats.roundsLed++;
    this.readFrontier = this.decided.last;
    this.broadcast({ type: 'read', from: this.cfg.rank, round, frontier: this.readFrontier });
  }

  private onMessage(m: PaxosMsg, nowMs: number): void {
    if (m.round !== this.round) return; // stale replies of an earlier round are expected noise
    switch (m.type) {
      case 'gather':
        return this.onGather(m, nowMs);
      case 'ack':
        if (m.seq < 0) return this.onSyncAck(m.from);
        return this.onInstanceAck(m.from, m.seq, nowMs);
      case 'late':
        return this.onLate(m, nowMs);
      case 'read':
      case 'impose':
      case 'decide':
      case 'propose':
      case 'commit':
      case 'catchup':
      case 'nack':
      case 'next':
        return; // the follower's traffic, or the msg processor's (nack, next)
      default:
        return assertNever(m);
    }
  }

  private onGather(m: Extract<PaxosMsg, { type: 'gather' }>, nowMs: number): void {
    if (this.phase !== 'reading' || this.gathers.has(m.from)) return; // late or duplicate
    if (m.partial === true) return this.handOn();
    this.gathers.set(m.from, { from: m.from, frontier: m.frontier, syncRound: m.syncRound, held: m.held });
    if (this.gathers.size === this.quorum) this.graceAtMs = nowMs + this.cfg.gatherGraceMs;
    if (this.gathers.size === this.cfg.ranks || (this.gathers.size >= this.quorum && nowMs >= this.graceAtMs)) this.impose();
  }

  /**
   * handOn: a partial GATHER says we lead more than a chunk behind its sender. We cannot
   * impose before catching up, and catching up as this round's leader (a chunk per READ round
   * trip) kept every rank waiting for the rest of the slot. So we give the round up: NEXT(r+1)
   * moves every rank to the next leader's round now, as --eager does after a finished round,
   * and our follower catches up there by LATE, chunks in flight. We imposed and proposed
   * nothing in this round, so nothing can be chosen in it (§6.4, §12).
   */
  private handOn(): void {
    this.phase = 'idle';
    this.graceAtMs = Infinity;
    this.broadcast({ type: 'next', from: this.cfg.rank, round: this.round + 1 });
  }

  /**
   * impose sends the decided log above the lowest gathered frontier a chunk reaches (catch-up
   * included). A gatherer further behind sits this sync out and catches up by CATCHUP chunks
   * addressed to it alone (§6.4): catching it up here would make this broadcast, sent to every
   * rank and resent to each that has not ACKed, carry its whole gap (issue 11 hole 3).
   */
  private impose(): void {
    assert(
      this.gathers.size >= this.quorum,
      () => `rule §6.1: an IMPOSE of round ${this.round} from ${this.gathers.size} GATHERs, under a quorum`,
    );
    const leaderFrontier = this.decided.last;
    const merged = mergeGathers([...this.gathers.values()], leaderFrontier, this.cfg.interval);
    let base = leaderFrontier;
    for (const g of this.gathers.values())
      if (g.frontier < base && this.decided.reaches(g.frontier) && this.decided.countAbove(g.frontier) <= this.chunk) base = g.frontier;
    const entries = [...this.decided.since(base), ...merged];
    this.phase = 'imposing';
    this.retryAtMs = Infinity;
    this.imposeMsg = { type: 'impose', from: this.cfg.rank, round: this.round, base, entries };
    this.broadcast(this.imposeMsg);
  }

  /**
   * onLate answers a rank that missed this round's sync with our decided log above its frontier,
   * in chunks: up to `catchupAhead` of them in flight, one more each time the rank reports a
   * chunk committed (its LATE with a higher frontier), so it never waits a round trip per chunk.
   */
  private onLate(m: Extract<PaxosMsg, { type: 'late' }>, nowMs: number): void {
    if (this.phase !== 'proposing' && this.phase !== 'done') return; // the sync is not decided yet
    const { from, frontier } = m;
    const gap = m.gap === true;
    // A rank re-asks while our answer is in flight; answer the same frontier again only when
    // the first answer has had time to arrive (it may have been lost), or at once when a chunk
    // of it arrived above a lost one (`gap`): then from the start.
    const last = this.lateAnswered.get(from);
    if (last && last.frontier === frontier && !gap && nowMs < last.atMs + 8 * this.cfg.retryMs) return;
    // A lower frontier is a new incarnation of the rank: what we sent ahead did not reach it.
    const keep = last !== undefined && last.frontier < frontier;
    const ahead = keep ? last.ahead.filter((end) => end > frontier) : [];
    // Our first answer this round starts where the chunks another leader sent it end (`after`):
    // sending from its frontier again would overlap them, each entry encoded, sent and decoded
    // twice. A re-ask from the same frontier means some of those were lost: then from the frontier.
    const start = last === undefined && !gap && m.after !== undefined && m.after > frontier ? m.after : frontier;
    let final = keep && last.final && ahead.length > 0; // the last chunk is on its way already
    const batch: Extract<PaxosMsg, { type: 'catchup' }>[] = [];
    while (!final && ahead.length < (this.cfg.catchupAhead ?? CATCHUP_AHEAD)) {
      const after = ahead.at(-1) ?? start;
      const chunk = this.catchupAbove(after);
      if (chunk === undefined) break; // behind our window and no archive: it waits for a sync
      const msg: Extract<PaxosMsg, { type: 'catchup' }> = {
        type: 'catchup',
        from: this.cfg.rank,
        round: this.round,
        base: after,
        entries: chunk.entries,
      };
      if (chunk.more) msg.more = true; // the rank asks for the next chunk as soon as it has this one
      this.sends.push({ to: from, msg });
      batch.push(msg);
      final = !chunk.more;
      const end = chunk.entries.at(-1)?.[0];
      if (end === undefined) break; // an empty last chunk: nothing in flight to track
      ahead.push(end);
    }
    // Each chunk names the furthest one in flight, so a rank moved to another round's leader can
    // ask it to go on from there (`after`) rather than from its frontier.
    const horizon = ahead.at(-1);
    if (horizon !== undefined) for (const msg of batch) if ((msg.entries.at(-1)?.[0] ?? -1) < horizon) msg.ahead = horizon;
    // The last chunk is on its way: the values withheld while it caught up follow it.
    const withheld = last !== undefined && !last.final;
    if (final && withheld && this.phase === 'proposing') this.proposeOutstanding(from, this.commitSeq + 1);
    this.lateAnswered.set(from, { frontier, atMs: nowMs, ahead, final });
  }

  /**
   * catchupAbove is our decided log above `after`, at most one chunk of it: `more` says the log
   * goes on above its last entry. The follower of this rank commits into `decided` in the same
   * step it commits, and it committed this round's IMPOSE when our DECIDE reached it, before
   * any LATE is answered: so the chunk is a prefix of the decided log with this round's sync in
   * it, and the rank it goes to commits this round's seqs above no hole (§6.4).
   */
  private catchupAbove(after: number): { entries: Entry[]; more: boolean } | undefined {
    const imposed = this.imposeMsg?.type === 'impose' ? (this.imposeMsg.entries.at(-1)?.[0] ?? -1) : -1;
    assert(
      this.decided.last >= imposed,
      () => `rule §6.4: a CATCHUP of round ${this.round} from a log (last ${this.decided.last}) without its IMPOSE (up to ${imposed})`,
    );
    if (!this.decided.reaches(after)) {
      // Below our window: the chunk comes from our instance log, exact up to its last entry;
      // the window holds more above it.
      const entries = this.cfg.archive?.(after, this.chunk);
      return entries === undefined || entries.length === 0 ? undefined : { entries, more: true };
    }
    // Counted, not listed one past the chunk and cut: that copy was a 64 KB array per chunk.
    return { entries: this.decided.since(after, this.chunk), more: this.decided.countAbove(after) > this.chunk };
  }

  private onSyncAck(from: number): void {
    if (this.phase !== 'imposing') return; // late
    this.syncAcks.add(from);
    if (this.syncAcks.size < this.quorum) return;
    this.phase = 'proposing';
    this.retryAtMs = Infinity; // progress: the retry clock restarts
    this.broadcast({ type: 'decide', from: this.cfg.rank, round: this.round });
    this.proposeMore();
  }

  private onInstanceAck(from: number, seq: number, nowMs: number): void {
    if (this.phase !== 'proposing' || seq <= defined(this.acked[from], 'acked has one entry per rank')) return;
    this.acked[from] = Math.min(seq, this.nextSeq - 1);
    this.ackedAtMs[from] = nowMs;
    const sorted = [...this.acked].sort((a, b) => b - a);
    const frontier = defined(sorted[this.quorum - 1], 'a quorum is at most the number of ranks');
    if (frontier <= this.commitSeq) return;
    assert(frontier < this.nextSeq, () => `rule 3: a COMMIT of seq ${frontier} in round ${this.round}, only ${this.nextSeq} proposed`);
    this.stats.committed += frontier - this.commitSeq;
    for (let seq = this.commitSeq + 1; seq <= frontier; seq++) this.outstanding.delete(seq);
    this.retryAtMs = Infinity;
    this.commitSeq = frontier;
    this.broadcast({ type: 'commit', from: this.cfg.rank, round: this.round, seq: frontier });
    if (this.commitSeq === this.cfg.interval - 1) {
      this.phase = 'done';
      if (this.cfg.eager) this.broadcast({ type: 'next', from: this.cfg.rank, round: this.round + 1 });
      return;
    }
    this.proposeMore();
  }

  private proposeMore(): void {
    const limit = Math.min(this.cfg.interval, this.commitSeq + 1 + this.cfg.pipelineWindow);
    while (this.nextSeq < limit) {
      const first = this.nextSeq;
      const count = Math.min(this.cfg.proposeBatch, limit - first);
      const values = randomValues(this.cfg.random, count, this.cfg.dataSize);
      const keys = values.map((value, i) => {
        const key = instanceKey(value);
        this.outstanding.set(first + i, { key, value });
        return key;
      });
      this.nextSeq += count;
      this.stats.proposed += count;
      const msg: PaxosMsg = { type: 'propose', from: this.cfg.rank, round: this.round, first, keys, values };
      if (this.lateAnswered.size === 0) this.broadcast(msg);
      else for (let r = 0; r < this.cfg.ranks; r++) if (!this.catchingUp(r)) this.sends.push({ to: r, msg });
    }
  }

  /**
   * catchingUp: rank r asked for the decided log (LATE) and more of it is to come than is in
   * flight. Values proposed now would sit in its backlog behind the chunks, cost it and us
   * their encoding, and reach a rank that cannot commit them before its last chunk; so they
   * wait for that chunk, which is followed by every value still outstanding (§6.4, §12). Its
   * ACKs only ever helped a quorum it was needed in: that quorum waits for the catch-up.
   */
  private catchingUp(r: number): boolean {
    const late = this.lateAnswered.get(r);
    return late !== undefined && !late.final && r !== this.cfg.rank;
  }

  /** proposeOutstanding sends rank r the values proposed and not yet committed this round, from `from` on. */
  private proposeOutstanding(r: number, from: number): void {
    const { rank, proposeBatch } = this.cfg;
    for (let first = from; first < this.nextSeq; first += proposeBatch) {
      const keys: string[] = [];
      const values: Uint8Array[] = [];
      for (let seq = first; seq < Math.min(this.nextSeq, first + proposeBatch); seq++) {
        const p = this.outstanding.get(seq);
        if (p === undefined) break;
        keys.push(p.key);
        values.push(p.value);
      }
      if (keys.length > 0) this.sends.push({ to: r, msg: { type: 'propose', from: rank, round: this.round, first, keys, values } });
    }
  }

  /** retry re-sends the current step to the ranks that have not answered it (loss recovery). */
  private retry(nowMs: number): void {
    const { rank } = this.cfg;
    const round = this.round;
    switch (this.phase) {
      case 'reading':
        // From our frontier now: a CATCHUP of an older round may have moved it.
        this.readFrontier = this.decided.last;
        for (let r = 0; r < this.cfg.ranks; r++)
          if (!this.gathers.has(r)) this.sends.push({ to: r, msg: { type: 'read', from: rank, round, frontier: this.readFrontier } });
        return;
      case 'imposing':
        for (let r = 0; r < this.cfg.ranks; r++)
          if (!this.syncAcks.has(r) && this.imposeMsg) this.sends.push({ to: r, msg: this.imposeMsg });
        return;
      case 'proposing':
        for (let r = 0; r < this.cfg.ranks; r++) {
          const acked = defined(this.acked[r], 'acked has one entry per rank');
          const from = Math.max(acked, this.commitSeq) + 1;
          if (this.commitSeq >= 0) this.sends.push({ to: r, msg: { type: 'commit', from: rank, round, seq: this.commitSeq } });
          else this.sends.push({ to: r, msg: { type: 'decide', from: rank, round } });
          // A rank whose ACKs advanced within the last retry period is slow, not missing
          // PROPOSEs: resending it up to a window of values would only deepen its backlog and
          // stall the quorum (docs/protocols/paxos.md §7, §12).
          if (nowMs - defined(this.ackedAtMs[r], 'ackedAtMs has one entry per rank') < this.retryDelayMs) continue;
          if (!this.catchingUp(r)) this.proposeOutstanding(r, from);
        }
        return;
      case 'idle':
      case 'done':
        return; // nothing outstanding to resend
      default:
        return assertNever(this.phase);
    }
  }
}
