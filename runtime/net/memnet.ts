// memnet: an in-memory network of N endpoints in one process, for tests and seeded
// simulation. Every delivery is scheduled on the injected clock and every fault is drawn
// from the injected PRNG, so one seed and one sequence of sends replay one delivery trace.
import { CspChan } from '../chan.js';
import type { Cancel, Clock } from '../clock.js';
import type { Random } from '../random.js';
import type { Inbound, Transport, TransportStats } from '../transport.js';
import { mergeFaults, NO_FAULTS, partitionGroups, type Faults } from './faults.js';
import { TraceLog, type DropReason, type TraceEntry } from './trace.js';
import { defined } from '../assert.js';

export type { Faults } from './faults.js';
export type { TraceEntry, DropReason } from './trace.js';

export interface MemNetOptions<M> {
  /** ranks is the cluster size, 1 … 1000; endpoints are ranks 0 … ranks-1. */
  ranks: number;
  clock: Clock;
  /** random drives every fault draw; fork it (random.fork('net')) so other streams stay put. */
  random: Random;
  faults?: Partial<Faults>;
  /** inboxCapacity bounds each endpoint's inbox in batches (default 4096); overflow drops newest. */
  inboxCapacity?: number;
  /** holdLimit bounds the messages held for one paused rank, each way (default 65536). */
  holdLimit?: number;
  /** traceLimit bounds the kept trace entries (default 100000; 0 turns tracing off). */
  traceLimit?: number;
  /** summarize maps a message to what the trace records (default: the message itself). */
  summarize?: (msg: M) => unknown;
}

/** MemNetStats are whole-network counters (per-endpoint ones are in endpoint.stats()). */
export interface MemNetStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** inFlight counts scheduled batches not yet delivered. */
  inFlight: number;
}

/** Batch is the copies due from one sender to one receiver at one instant. */
interface Batch<M> {
  key: string;
  from: number;
  to: number;
  msgs: M[];
  /** senders are the endpoints that sent each msg (drops are charged to them). */
  senders: MemEndpoint<M>[];
  cancel: Cancel;
}

interface Held<M> {
  from: number;
  to: number;
  msg: M;
  sender: MemEndpoint<M>;
}

const MAX_RANKS = 1000;

/**
 * MemNet connects `ranks` in-memory endpoints. Self-sends loop back with no delay and no
 * faults (they never touch a wire); every other copy may be dropped, duplicated, delayed
 * (so reordered), cut by a partition, or held while either end is paused.
 */
export class MemNet<M> {
  readonly ranks: number;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly startMs: number;
  private readonly inboxCapacity: number;
  private readonly holdLimit: number;
  private readonly summarize: (msg: M) => unknown;
  private readonly log: TraceLog;
  private faultsNow: Faults;
  /** groupOf maps rank → partition side; undefined when healed (everyone talks). */
  private groupOf: Int32Array | undefined;
  /** blocked holds one-way cut links as from * ranks + to. */
  private readonly blocked = new Set<number>();
  private readonly paused = new Set<number>();
  private readonly heldOut = new Map<number, Held<M>[]>();
  private readonly heldIn = new Map<number, Held<M>[]>();
  private readonly endpoints: (MemEndpoint<M> | undefined)[];
  private readonly inFlight = new Map<string, Batch<M>>();
  private readonly counters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(options: MemNetOptions<M>) {
    const { ranks, clock, random } = options;
    if (!Number.isInteger(ranks) || ranks < 1 || ranks > MAX_RANKS)
      throw new RangeError(`memnet: ranks must be an integer in 1…${MAX_RANKS}, got ${ranks}`);
    this.ranks = ranks;
    this.clock = clock;
    this.random = random;
    this.startMs = clock.nowMs();
    this.inboxCapacity = options.inboxCapacity ?? 4096;
    if (!Number.isInteger(this.inboxCapacity) || this.inboxCapacity < 1)
      throw new RangeError(`memnet: inboxCapacity must be a positive integer, got ${this.inboxCapacity}`);
    this.holdLimit = options.holdLimit ?? 65536;
    if (!Number.isInteger(this.holdLimit) || this.holdLimit < 0)
      throw new RangeError(`memnet: holdLimit must be an integer ≥ 0, got ${this.holdLimit}`);
    this.summarize = options.summarize ?? ((m) => m);
    this.log = new TraceLog(options.traceLimit ?? 100_000);
    this.faultsNow = mergeFaults(NO_FAULTS, options.faults ?? {});
    this.endpoints = new Array<MemEndpoint<M> | undefined>(ranks).fill(undefined);
  }

  /** endpoint returns rank's open endpoint, opening a new one (a restart) if it has none. */
  endpoint(rank: number): Transport<M> {
    this.checkRank(rank, 'endpoint');
    const open = this.endpoints[rank];
    if (open !== undefined && !open.closed) return open;
    const ep = new MemEndpoint<M>(
      this,
      rank,
      new CspChan<Inbound<M>>(this.clock, {
        name: `memnet.inbox.${rank}`,
        capacity: this.inboxCapacity,
        overflow: { type: 'drop-newest' },
      }),
    );
    this.endpoints[rank] = ep;
    return ep;
  }

  /** faults returns the fault rates in force. */
  faults(): Faults {
    return this.faultsNow;
  }

  /** setFaults changes some fault rates from now on (copies in flight keep their schedule). */
  setFaults(update: Partial<Faults>): void {
    this.faultsNow = mergeFaults(this.faultsNow, update);
  }

  /** partition splits the ranks into sides that cannot talk; unlisted ranks are isolated. */
  partition(groups: readonly (readonly number[])[]): void {
    this.groupOf = partitionGroups(groups, this.ranks);
  }

  /** blockLink cuts the one-way link from → to (asymmetric faults: a leader that sends but cannot hear). */
  blockLink(from: number, to: number): void {
    this.checkRank(from, 'blockLink');
    this.checkRank(to, 'blockLink');
    if (from !== to) this.blocked.add(from * this.ranks + to);
  }

  unblockLink(from: number, to: number): void {
    this.blocked.delete(from * this.ranks + to);
  }

  /** heal removes any partition and every blocked link. */
  heal(): void {
    this.groupOf = undefined;
    this.blocked.clear();
  }

  /** canTalk says whether the partition and blocked links in force let from reach to. */
  canTalk(from: number, to: number): boolean {
    if (this.blocked.size > 0 && this.blocked.has(from * this.ranks + to)) return false;
    return this.groupOf === undefined || this.groupOf[from] === this.groupOf[to];
  }

  /** pause holds rank's inbound and outbound traffic until resume (like SIGSTOP). */
  pause(rank: number): void {
    this.checkRank(rank, 'pause');
    this.paused.add(rank);
  }

  /** resume delivers what was held for rank, then sends what rank sent while paused. */
  resume(rank: number): void {
    this.checkRank(rank, 'resume');
    if (!this.paused.delete(rank)) return;
    const inbound = this.heldIn.get(rank) ?? [];
    const outbound = this.heldOut.get(rank) ?? [];
    this.heldIn.delete(rank);
    this.heldOut.delete(rank);
    for (const run of runsBySender(inbound)) this.deliver(run.from, rank, run.msgs, run.senders);
    for (const h of outbound) this.route(h.sender, h.to, h.msg);
  }

  isPaused(rank: number): boolean {
    return this.paused.has(rank);
  }

  /** trace lists what happened to every copy, in order (see TraceEntry). */
  trace(): readonly TraceEntry[] {
    return this.log.list();
  }

  stats(): MemNetStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  /** close cancels every scheduled delivery and closes every endpoint (no timers left). */
  async close(): Promise<void> {
    for (const b of this.inFlight.values()) b.cancel();
    this.inFlight.clear();
    await Promise.all(this.endpoints.flatMap((ep) => (ep === undefined ? [] : [ep.close()])));
  }

  /** route is MemEndpoint.send's path onto the simulated wire. */
  route(sender: MemEndpoint<M>, to: number, msg: M): void {
    const from = sender.rank;
    if (this.paused.has(from)) return this.hold(this.heldOut, from, { from, to, msg, sender });
    this.counters.sent++;
    if (from === to) return this.schedule(sender, to, msg, 0);
    const f = this.faultsNow;
    // Draw both rates for every message, whatever they are, so changing one rate does not
    // shift the stream the other draws from.
    const dropDraw = this.random.next();
    const dupDraw = this.random.next();
    if (!this.canTalk(from, to)) return this.drop(sender, from, to, msg, 'partition');
    if (dropDraw < f.dropRate) return this.drop(sender, from, to, msg, 'random');
    this.schedule(sender, to, msg, this.drawDelayMs());
    if (dupDraw < f.dupRate) {
      this.counters.duplicated++;
      this.record(from, to, msg, 'dup');
      this.schedule(sender, to, msg, this.drawDelayMs());
    }
  }

  /** detach forgets a closed endpoint (copies for it are then dropped as 'down'). */
  detach(ep: MemEndpoint<M>): void {
    if (this.endpoints[ep.rank] === ep) this.endpoints[ep.rank] = undefined;
  }

  private drawDelayMs(): number {
    const [minMs, maxMs] = this.faultsNow.delayMs;
    return minMs + this.random.int(maxMs - minMs + 1);
  }

  /**
   * schedule adds msg to the batch due from sender to `to` at the same whole millisecond,
   * so a burst of sends becomes one inbox write.
   */
  private schedule(sender: MemEndpoint<M>, to: number, msg: M, delayMs: number): void {
    const nowMs = this.clock.nowMs();
    const dueMs = Math.ceil(nowMs + delayMs);
    const key = `${dueMs}:${sender.rank}:${to}`;
    const open = this.inFlight.get(key);
    if (open !== undefined) {
      open.msgs.push(msg);
      open.senders.push(sender);
      return;
    }
    const batch: Batch<M> = { key, from: sender.rank, to, msgs: [msg], senders: [sender], cancel: () => {} };
    batch.cancel = this.clock.schedule(dueMs - nowMs, () => this.arrive(batch));
    this.inFlight.set(key, batch);
  }

  /** arrive is a batch's due time: hold it for a paused receiver, else deliver it. */
  private arrive(batch: Batch<M>): void {
    this.inFlight.delete(batch.key);
    const { from, to, msgs, senders } = batch;
    if (this.paused.has(to)) {
      msgs.forEach((msg, i) =>
        this.hold(this.heldIn, to, { from, to, msg, sender: defined(senders[i], 'a batch holds one sender per message') }),
      );
      return;
    }
    this.deliver(from, to, msgs, senders);
  }

  private deliver(from: number, to: number, msgs: M[], senders: MemEndpoint<M>[]): void {
    const ep = this.endpoints[to];
    // A partition cuts copies already in flight too, as a real cable cut would.
    const reason: DropReason | undefined = ep === undefined ? 'down' : from !== to && !this.canTalk(from, to) ? 'partition' : undefined;
    if (ep === undefined || reason !== undefined) {
      msgs.forEach((msg, i) => this.drop(defined(senders[i], 'a batch holds one sender per message'), from, to, msg, reason ?? 'down'));
      return;
    }
    if (!ep.inbox.write({ from, msgs })) {
      // Overflow is the receiver's loss (its inbox was full), so it is counted there.
      ep.counters.dropped += msgs.length;
      this.counters.dropped += msgs.length;
      for (const msg of msgs) this.record(from, to, msg, 'drop', 'overflow');
      return;
    }
    ep.counters.delivered += msgs.length;
    this.counters.delivered += msgs.length;
    for (const msg of msgs) this.record(from, to, msg, 'deliver');
  }

  private hold(queues: Map<number, Held<M>[]>, rank: number, held: Held<M>): void {
    const queue = queues.get(rank) ?? [];
    if (queue.length >= this.holdLimit) return this.drop(held.sender, held.from, held.to, held.msg, 'held-overflow');
    queue.push(held);
    queues.set(rank, queue);
  }

  private drop(sender: MemEndpoint<M>, from: number, to: number, msg: M, reason: DropReason): void {
    sender.counters.dropped++;
    this.counters.dropped++;
    this.record(from, to, msg, 'drop', reason);
  }

  private record(from: number, to: number, msg: M, event: TraceEntry['event'], reason?: DropReason): void {
    const entry: TraceEntry = { atMs: this.clock.nowMs() - this.startMs, from, to, event, msg: this.summarize(msg) };
    if (reason !== undefined) entry.reason = reason;
    this.log.add(entry);
  }

  private checkRank(rank: number, what: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.ranks)
      throw new RangeError(`memnet.${what}: rank ${rank} is not in 0…${this.ranks - 1}`);
  }
}

/** runsBySender groups consecutive held copies from one sender into one batch each. */
function runsBySender<M>(held: readonly Held<M>[]): { from: number; msgs: M[]; senders: MemEndpoint<M>[] }[] {
  const runs: { from: number; msgs: M[]; senders: MemEndpoint<M>[] }[] = [];
  for (const h of held) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.from === h.from) {
      last.msgs.push(h.msg);
      last.senders.push(h.sender);
    } else {
      runs.push({ from: h.from, msgs: [h.msg], senders: [h.sender] });
    }
  }
  return runs;
}

/** MemEndpoint is one rank's Transport on a MemNet. */
export class MemEndpoint<M> implements Transport<M> {
  /** counters: sent by this rank; delivered into and dropped (faults, overflow) for it. */
  readonly counters = { sent: 0, delivered: 0, dropped: 0 };
  private closedFlag = false;

  constructor(
    private readonly net: MemNet<M>,
    readonly rank: number,
    readonly inbox: CspChan<Inbound<M>>,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  send(to: number, msg: M): void {
    if (!Number.isInteger(to) || to < 0 || to >= this.net.ranks)
      throw new RangeError(`memnet rank ${this.rank}: send to unknown rank ${to}`);
    if (this.closedFlag) {
      this.counters.dropped++;
      return;
    }
    this.counters.sent++;
    this.net.route(this, to, msg);
  }

  close(): Promise<void> {
    if (!this.closedFlag) {
      this.closedFlag = true;
      this.inbox.close();
      this.net.detach(this);
    }
    return Promise.resolve();
  }

  stats(): TransportStats {
    return { ...this.counters, rejected: 0 };
  }
}
