// leader: the proposer side of a rank, active in the rounds it leads (round mod N). Per round:
// sync (READ → GATHER quorum → IMPOSE → ACK quorum → DECIDE), then pipelined instances:
// PROPOSE batches while fewer than `window` instances are uncommitted, a COMMIT frontier once
// a quorum acked every seq up to it. Deterministic: step(input, nowMs) mutates only this object
// and returns sends and a wake-up time; values come from the injected Random.
import type { Random } from '../../runtime/random.js';
import { instanceKey } from './key.js';
import { leaderOf, quorumOf, type Entry, type PaxosMsg } from './messages.js';
import { ALL, type Send } from './events.js';
import { mergeGathers, type Gathered } from './merge.js';
import { CommitWindow } from './window.js';
import { advance, initialPhase, phaseOf, type LifecycleSnapshot, type Phase } from './lifecycle.js';

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
  dataSize: number;
  eager: boolean;
  random: Random;
  windowLimit?: number;
}

export type LeaderInput =
  | { k: 'round'; round: number }
  | { k: 'msg'; msg: PaxosMsg }
  | { k: 'committed'; entries: Entry[] }
  | { k: 'wake' };

export interface LeaderOutput {
  sends: Send[];
  /** wakeAtMs asks to be stepped with 'wake' at this time (grace deadline), if set. */
  wakeAtMs?: number;
}

export interface LeaderStats {
  roundsLed: number;
  proposed: number;
  committed: number;
}

export class Leader {
  /** decided mirrors this rank's committed log (fed by the consensus processor). */
  readonly decided: CommitWindow;
  round = -1;
  private lifecycle: LifecycleSnapshot = initialPhase();
  private readonly quorum: number;
  private gathers = new Map<number, Gathered>();
  private quorumAtMs = 0;
  private syncAcks = new Set<number>();
  private acked: number[];
  private nextSeq = 0;
  private commitSeq = -1;
  private sends: Send[] = [];
  private wakeAtMs: number | undefined;
  readonly stats: LeaderStats = { roundsLed: 0, proposed: 0, committed: 0 };

  constructor(private readonly cfg: LeaderConfig) {
    if (cfg.pipelineWindow < 1 || cfg.proposeBatch < 1) throw new RangeError('pipelineWindow and proposeBatch must be ≥ 1');
    this.quorum = quorumOf(cfg.ranks);
    this.acked = new Array<number>(cfg.ranks).fill(-1);
    this.decided = new CommitWindow(cfg.windowLimit);
  }

  get phase(): Phase {
    return phaseOf(this.lifecycle);
  }

  step(input: LeaderInput, nowMs: number): LeaderOutput {
    switch (input.k) {
      case 'round':
        this.enterRound(input.round);
        break;
      case 'committed':
        for (const [e, key] of input.entries) if (e > this.decided.last) this.decided.append(e, key);
        break;
      case 'msg':
        this.onMessage(input.msg, nowMs);
        break;
      case 'wake':
        if (this.phase === 'reading' && this.gathers.size >= this.quorum && nowMs >= this.quorumAtMs + this.cfg.gatherGraceMs) this.impose();
        break;
    }
    const out: LeaderOutput = { sends: this.sends };
    if (this.wakeAtMs !== undefined) out.wakeAtMs = this.wakeAtMs;
    this.sends = [];
    this.wakeAtMs = undefined;
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
    this.nextSeq = 0;
    this.commitSeq = -1;
    if (leaderOf(round, this.cfg.ranks) !== this.cfg.rank) {
      this.lifecycle = advance(this.lifecycle, { type: 'FOLLOW' });
      return;
    }
    this.lifecycle = advance(this.lifecycle, { type: 'LEAD' });
    this.stats.roundsLed++;
    this.broadcast({ t: 'read', from: this.cfg.rank, round, frontier: this.decided.last });
  }

  private onMessage(m: PaxosMsg, nowMs: number): void {
    if (m.round !== this.round) return; // stale replies of an earlier round are expected noise
    switch (m.t) {
      case 'gather':
        return this.onGather(m, nowMs);
      case 'ack':
        if (m.seq < 0) return this.onSyncAck(m.from);
        return this.onInstanceAck(m.from, m.seq);
      default:
        return; // the follower's traffic
    }
  }

  private onGather(m: Extract<PaxosMsg, { t: 'gather' }>, nowMs: number): void {
    if (this.phase !== 'reading' || this.gathers.has(m.from)) return; // late or duplicate
    this.gathers.set(m.from, { from: m.from, frontier: m.frontier, syncRound: m.syncRound, held: m.held });
    if (this.gathers.size === this.quorum) this.quorumAtMs = nowMs;
    if (this.gathers.size === this.cfg.ranks || (this.gathers.size >= this.quorum && this.cfg.gatherGraceMs === 0)) this.impose();
    else if (this.gathers.size === this.quorum) this.wakeAtMs = nowMs + this.cfg.gatherGraceMs;
  }

  /** impose sends the decided log above the lowest gathered frontier (catch-up included). */
  private impose(): void {
    const leaderFrontier = this.decided.last;
    const merged = mergeGathers([...this.gathers.values()], leaderFrontier, this.cfg.interval);
    let base = leaderFrontier;
    for (const g of this.gathers.values()) if (g.frontier < base && this.decided.reaches(g.frontier)) base = g.frontier;
    const entries = [...this.decided.since(base), ...merged];
    this.lifecycle = advance(this.lifecycle, { type: 'GATHERED' });
    this.broadcast({ t: 'impose', from: this.cfg.rank, round: this.round, base, entries });
  }

  private onSyncAck(from: number): void {
    if (this.phase !== 'imposing') return; // late
    this.syncAcks.add(from);
    if (this.syncAcks.size < this.quorum) return;
    this.lifecycle = advance(this.lifecycle, { type: 'IMPOSED' });
    this.broadcast({ t: 'decide', from: this.cfg.rank, round: this.round });
    this.proposeMore();
  }

  private onInstanceAck(from: number, seq: number): void {
    if (this.phase !== 'proposing' || seq <= this.acked[from]!) return;
    this.acked[from] = Math.min(seq, this.nextSeq - 1);
    const sorted = [...this.acked].sort((a, b) => b - a);
    const frontier = sorted[this.quorum - 1]!;
    if (frontier <= this.commitSeq) return;
    this.stats.committed += frontier - this.commitSeq;
    this.commitSeq = frontier;
    this.broadcast({ t: 'commit', from: this.cfg.rank, round: this.round, seq: frontier });
    if (this.commitSeq === this.cfg.interval - 1) {
      this.lifecycle = advance(this.lifecycle, { type: 'FINISHED' });
      if (this.cfg.eager) this.broadcast({ t: 'next', from: this.cfg.rank, round: this.round + 1 });
      return;
    }
    this.proposeMore();
  }

  private proposeMore(): void {
    const limit = Math.min(this.cfg.interval, this.commitSeq + 1 + this.cfg.pipelineWindow);
    while (this.nextSeq < limit) {
      const first = this.nextSeq;
      const count = Math.min(this.cfg.proposeBatch, limit - first);
      const keys: string[] = [];
      const values: string[] = [];
      for (let i = 0; i < count; i++) {
        const value = this.cfg.random.bytes(this.cfg.dataSize);
        keys.push(instanceKey(value));
        values.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
      }
      this.nextSeq += count;
      this.stats.proposed += count;
      this.broadcast({ t: 'propose', from: this.cfg.rank, round: this.round, first, keys, values });
    }
  }
}
