// router: the msg handler's decisions. It owns the rank's view of the round: rounds are fixed
// `-o` slots from a common start (so all ranks' slots line up); a message of a newer round
// jumps this rank there at once (catch-up after a pause) and re-arms the slot timer; a
// leader's message of an older round is answered with NACK(myRound) and dropped.
import type { PaxosMsg } from './messages.js';
import type { Send } from './events.js';

export interface RouterConfig {
  rank: number;
  startAtMs: number;
  slotMs: number;
}

export interface Routed {
  /** bump: the new round this rank entered, if any (deliver it before the message). */
  bump?: number;
  toLeader: boolean;
  toFollower: boolean;
  reply?: Send;
}

const TO_LEADER: ReadonlySet<PaxosMsg['type']> = new Set(['gather', 'ack', 'late']);
const TO_FOLLOWER: ReadonlySet<PaxosMsg['type']> = new Set(['read', 'impose', 'decide', 'propose', 'commit', 'catchup']);

export class Router {
  round = -1;
  /** nacked: the round each sender was last told about (one NACK per sender per round). */
  private readonly nacked = new Map<number, number>();
  /** roundStartMs: when the current round began (slot boundary, or the jump). */
  roundStartMs = 0;

  constructor(private readonly cfg: RouterConfig) {
    if (!(cfg.slotMs > 0)) throw new RangeError(`slot length must be > 0 ms, got ${cfg.slotMs}`);
  }

  /** slotAt is the slot index at nowMs (-1 before the start). */
  slotAt(nowMs: number): number {
    return nowMs < this.cfg.startAtMs ? -1 : Math.floor((nowMs - this.cfg.startAtMs) / this.cfg.slotMs);
  }

  /** nextTickMs is when the current round's slot ends (the next bump by timer). */
  nextTickMs(): number {
    return this.round < 0 ? this.cfg.startAtMs : this.roundStartMs + this.cfg.slotMs;
  }

  /** tick is the slot timer: returns the round entered, if the slot moved on. */
  tick(nowMs: number): number | undefined {
    if (nowMs < this.nextTickMs()) return undefined;
    return this.enter(Math.max(this.round + 1, this.slotAt(nowMs)), nowMs);
  }

  /** route decides what to do with one inbound message. */
  route(m: PaxosMsg, nowMs: number): Routed {
    const r: Routed = { toLeader: false, toFollower: false };
    // A rank that missed whole slots (SIGSTOPped, starved) finds its sockets full of the traffic
    // of rounds that ended meanwhile, ahead of its own stale round, and its slot timer not yet
    // run. Stepped as it comes, each message moved it into the next old round: a durable round
    // bound each, its PROPOSEs accepted and logged, ACKs to leaders long gone, all before it
    // asked for what it missed (issue 11 hole 3). It goes to the slot's round first, as the
    // timer would; the old rounds' messages are then noise. Within one slot of the grid (a timer
    // about to run) nothing changes: a message just past the boundary still counts in its round.
    const slot = this.slotAt(nowMs);
    const to = Math.max(m.round, slot > this.round + 1 ? slot : -1);
    if (to > this.round) {
      const bumped = this.enter(to, nowMs);
      if (bumped !== undefined) r.bump = bumped;
    }
    if (m.round < this.round) {
      if (TO_FOLLOWER.has(m.type) && this.nacked.get(m.from) !== this.round) {
        this.nacked.set(m.from, this.round);
        r.reply = { to: m.from, msg: { type: 'nack', from: this.cfg.rank, round: this.round } };
      }
      // An older round's CATCHUP still carries chosen entries, exact up to its last one: a
      // rank far behind keeps them rather than lose a round trip at each round change (§6.4).
      r.toFollower = m.type === 'catchup';
      return r; // an older round's traffic: expected noise at every round boundary
    }
    r.toLeader = TO_LEADER.has(m.type);
    r.toFollower = TO_FOLLOWER.has(m.type);
    return r;
  }

  private enter(round: number, nowMs: number): number | undefined {
    if (round <= this.round) return undefined;
    this.round = round;
    const slot = this.slotAt(nowMs);
    // On the slot grid, the round began at its boundary; ahead of it (eager), it begins now.
    this.roundStartMs = round <= slot ? this.cfg.startAtMs + round * this.cfg.slotMs : nowMs;
    return round;
  }
}
