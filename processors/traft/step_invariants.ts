// step_invariants: TRaft's internal invariants (invariants.ts, docs/protocols/traft.md §14.1)
// as the simulator's per-step checker (Protocol.invariants; runtime/sim under checkEveryStep).
// One checker per run remembers what the logs cannot show: what was chosen at each seq and under
// which leader (S1, S2), which rank established each LeaderId, and what every rank promised in
// the messages it sent before a crash (T15, checked when it restarts).
import type { InvariantRun, ProtocolInput, ProtocolOutput, StepInvariants } from '../../runtime/protocol.js';
import type { WalBatch } from './durable.js';
import type { InstanceEvent, TraceEvent } from './io.js';
import {
  ballotsNeverDecrease,
  baseHoldsChosen,
  commitNeverMovesBack,
  committedAgreesWithDecided,
  leaderOwnsBallot,
  oneLeaderPerBallot,
  oneValuePerSeq,
  overrideSubsumes,
  promisesKept,
  recordPromise,
  reportsKept,
  syncDeletesOnlyOnNewCommitter,
  type Chosen,
  type Promised,
  type ReplicaView,
} from './invariants.js';
import { compareLeaderId, formatLeaderId, type LeaderId } from './leader_id.js';
import type { Seq } from './record.js';
import type { ReplicaState } from './state.js';
import { firstMissing } from './tail_bitmap.js';
import type { TraftState } from './protocol.js';
import type { TraftWire } from './clients.js';

type Out = ProtocolOutput<TraftWire, WalBatch, InstanceEvent>;

function view(s: ReplicaState): ReplicaView {
  return { vote: s.vote, committer: s.committer, accepted: s.accepted, committed: s.committed };
}

/** traftInvariants is one run's checker. */
export function traftInvariants(_run: InvariantRun<TraftState>): StepInvariants<TraftState, TraftWire, WalBatch, InstanceEvent> {
  return new TraftChecker();
}

class TraftChecker implements StepInvariants<TraftState, TraftWire, WalBatch, InstanceEvent> {
  /** chosen: seq → its commit mark, under the lowest leader it was seen committed under (S1, S2). */
  private readonly chosen = new Map<Seq, Chosen>();
  private readonly established = new Map<string, number>();
  private readonly promised = new Map<number, Promised>();
  /** stopped: the state machine each stopped rank ended with, by its commit frontier (S5). */
  private readonly stopped = new Map<number, { rank: number; kv: string }>();
  private prior: ReplicaView | undefined;

  before(_rank: number, r: TraftState): void {
    this.prior = view(r.s);
  }

  started(rank: number, r: TraftState, incarnation: number): readonly string[] {
    const p = this.promised.get(rank);
    if (incarnation === 0 || p === undefined) return [];
    return [promisesKept(p, view(r.s)), reportsKept(p.reported, view(r.s))].filter((v) => v !== null);
  }

  after(rank: number, r: TraftState, _input: ProtocolInput<TraftWire>, out: Out): readonly string[] {
    const found: string[] = [];
    const note = (v: string | null): void => {
      if (v !== null) found.push(v);
    };
    const before = this.prior;
    const s = r.s;
    if (before !== undefined) {
      note(ballotsNeverDecrease(before, view(s)));
      note(commitNeverMovesBack(before, view(s)));
    }
    // TRaft's steps trace its core's events (io.ts TraceEvent)
    for (const ev of out.trace as readonly TraceEvent[]) this.observe(rank, s, before?.committer ?? null, ev, note);
    for (const e of out.send) this.notePromise(rank, e.msg);
    if (out.stop === true) this.atStop(rank, r, note);
    return found;
  }

  private observe(rank: number, s: ReplicaState, committerBefore: LeaderId | null, ev: TraceEvent, note: (v: string | null) => void): void {
    switch (ev.type) {
      case 'skipped':
        return note(overrideSubsumes(ev.by, ev.q));
      case 'commit': {
        note(oneValuePerSeq(this.chosen, ev));
        const c = this.chosen.get(ev.seq);
        if (c === undefined || compareLeaderId(c.under, ev.under) > 0)
          this.chosen.set(ev.seq, { author: ev.author, logKey: ev.logKey, under: ev.under });
        return;
      }
      case 'established':
        note(leaderOwnsBallot(ev.leader, rank));
        note(oneLeaderPerBallot(this.established, ev.leader, rank));
        note(baseHoldsChosen(this.chosen, s.log, s.floor, ev.leader));
        this.established.set(formatLeaderId(ev.leader), rank);
        return;
      case 'synced':
        return note(syncDeletesOnlyOnNewCommitter(committerBefore, ev));
      case 'campaign':
      case 'pre-vote':
      case 'merged':
      case 'step-down':
      case 'held-back':
      case 'ignored':
      case 'snapshot':
        return; // no per-event invariant
    }
  }

  /** atStop: a rank drained at the end holds the decided records (S1) and the state machine of every rank that stopped at its frontier (S5). */
  private atStop(rank: number, r: TraftState, note: (v: string | null) => void): void {
    const s = r.s;
    note(committedAgreesWithDecided(this.chosen, s.log, s.committed, s.floor));
    const frontier = firstMissing(s.committed);
    const kv = s.applier.sm.describe();
    const other = this.stopped.get(frontier);
    if (other === undefined) this.stopped.set(frontier, { rank, kv });
    else if (other.kv !== kv)
      note(`S5: rank ${other.rank} stopped at frontier ${frontier} with {${other.kv}} but rank ${rank} with {${kv}}`);
  }

  /** notePromise: what a sent message promises, for T15's checks when the rank restarts. */
  private notePromise(rank: number, msg: TraftWire): void {
    if (msg.type === 'client-req' || msg.type === 'client-reply') return;
    let p = this.promised.get(rank);
    if (p === undefined) this.promised.set(rank, (p = { vote: null, committer: null, reported: null }));
    recordPromise(p, msg);
  }
}
