// master_testkit: a master-only test bench (tests only). Fake nodes answer the master the way
// the node core does — Ready for JoinAsTail, Retired for Retire, Quiesced for Pause, GetConfig
// when a reply names a newer epoch, a new Join after Removed — over a seeded lossy network with
// a virtual clock, so the reconciler's decisions can be driven to convergence and checked.
import type { Config } from './config.js';
import { initMaster, stepMaster, type MasterSetup, type MasterState } from './master.js';
import type { ChainMsg, RangeReport } from './messages.js';
import { DEFAULT_CHAIN_OPTIONS, type ChainOptions } from './options.js';
import { SeededRandom, type Random } from '../../runtime/random.js';
import { MASTER_RANK, type ChainInput, type ChainLogEvent, type ChainOut, type MasterRecord } from './types.js';

/** Captured: what one or more master steps asked for. */
export class Captured implements ChainOut {
  sends: { to: number; msg: ChainMsg }[] = [];
  logs: ChainLogEvent[] = [];
  persists: Omit<MasterRecord, 'batchId'>[] = [];
  wake = Infinity;
  stopped = false;
  send(to: number, msg: ChainMsg): void {
    this.sends.push({ to, msg });
  }
  log(ev: ChainLogEvent): void {
    this.logs.push(ev);
  }
  persist(r: Omit<MasterRecord, 'batchId'>): void {
    this.persists.push(r);
  }
  wakeAt(atMs: number): void {
    this.wake = Math.min(this.wake, atMs);
  }
  stop(): void {
    this.stopped = true;
  }
  /** configs: the configurations sent, in order (one per epoch: the first recipient's copy). */
  configs(): Config[] {
    const seen = new Map<number, Config>();
    for (const s of this.sends) if (s.msg.type === 'config' && !seen.has(s.msg.config.epoch)) seen.set(s.msg.config.epoch, s.msg.config);
    return [...seen.values()];
  }
  to(rank: number, type: ChainMsg['type']): ChainMsg[] {
    return this.sends.filter((s) => s.to === rank && s.msg.type === type).map((s) => s.msg);
  }
  lines(): string[] {
    return this.logs.map((l) => ('what' in l ? l.what : 'summary' in l ? `config ${l.epoch}: ${l.summary}` : l.type));
  }
}

export const OPTS: ChainOptions = DEFAULT_CHAIN_OPTIONS;

/** FakeNode: a node as the master sees it; its data is not modelled, only its answers. */
export class FakeNode {
  alive = true;
  stopped = false;
  config: Config | undefined;
  hbNo = 0;
  nextHbMs: number;
  /** pendingServable: ranges it joined as tail that report `servable` only after one more heartbeat (handover). */
  readonly pendingServable = new Set<string>();
  readonly joining = new Set<string>();
  /** joined: a heartbeat was answered; until then every heartbeat goes with a join (node.ts's lease.ts). */
  joined = false;
  /** retired: ranges it answered Retire for; like the real node it never takes that back. */
  readonly retired = new Set<string>();

  constructor(
    readonly rank: number,
    public incarnation: number,
    nowMs: number,
  ) {
    this.nextHbMs = nowMs;
  }

  reports(): RangeReport[] {
    const ranges = this.config?.ranges.filter((r) => r.chain.includes(this.rank)) ?? [];
    return ranges.map((r) => {
      const i = r.chain.indexOf(this.rank);
      const role = i === 0 ? 'head' : i === r.chain.length - 1 ? 'tail' : 'middle';
      const retired = this.retired.has(r.rangeId);
      return {
        rangeId: r.rangeId,
        role,
        lastApplied: 0,
        lastAcked: 0,
        sentLength: 0,
        servable: !retired && !this.pendingServable.has(r.rangeId),
        retired,
      };
    });
  }

  heartbeat(): ChainMsg {
    const hb: ChainMsg = {
      type: 'heartbeat',
      incarnation: this.incarnation,
      hbNo: ++this.hbNo,
      epoch: this.config?.epoch ?? 0,
      ranges: this.reports(),
    };
    this.pendingServable.clear(); // the handover completes before the next heartbeat
    return hb;
  }

  /** receive: the node's answer to a master message (what it sends back, if anything). */
  receive(msg: ChainMsg): ChainMsg[] {
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- a fake node answers only the master
    switch (msg.type) {
      case 'config':
        return msg.incarnation === this.incarnation ? this.install(msg.config) : []; // as node.ts: meant for another process
      case 'heartbeat-reply':
        if (msg.incarnation !== this.incarnation) return []; // as node.ts: meant for another process
        this.joined = true;
        return msg.epoch > (this.config?.epoch ?? 0) ? [{ type: 'get-config' }] : [];
      case 'join-as-tail':
        this.joining.add(msg.rangeId);
        return [{ type: 'ready', epoch: msg.epoch, rangeId: msg.rangeId, s0: 0 }];
      case 'retire':
        if (this.config?.ranges.some((r) => r.rangeId === msg.rangeId && r.chain.includes(this.rank)) === true)
          this.retired.add(msg.rangeId);
        return [{ type: 'retired', epoch: msg.epoch, rangeId: msg.rangeId }];
      case 'pause':
        return [{ type: 'quiesced', epoch: msg.epoch, rangeId: msg.rangeId, lastApplied: 0 }];
      case 'removed':
        // As node.ts does: no lease, no ranges, and a new incarnation that joins again.
        this.config = undefined;
        this.retired.clear();
        this.joined = false;
        this.incarnation++;
        return [{ type: 'join', incarnation: this.incarnation }];
      case 'stop':
        this.alive = false;
        this.stopped = true;
        return [];
      default:
        return [];
    }
  }

  private install(c: Config): ChainMsg[] {
    if (c.epoch <= (this.config?.epoch ?? 0)) return [];
    for (const r of c.ranges) {
      if (this.joining.has(r.rangeId) && r.chain[r.chain.length - 1] === this.rank) this.pendingServable.add(r.rangeId);
    }
    this.joining.clear();
    for (const id of [...this.retired]) if (!c.ranges.some((r) => r.rangeId === id && r.chain.includes(this.rank))) this.retired.delete(id);
    this.config = c;
    return [];
  }
}

interface InFlight {
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly msg: ChainMsg;
}

/** NetOptions: the bench's network: delay range and drop rate for every message. */
export interface NetOptions {
  readonly seed: string;
  readonly dropRate: number;
  readonly maxDelayMs: number;
  readonly fsyncMs: number;
}

/**
 * MasterNet runs a master and fake nodes on a virtual clock: messages take 1…maxDelayMs and are
 * dropped at dropRate; persists become durable after fsyncMs; every installed config is kept.
 */
export class MasterNet {
  nowMs = 0;
  master: MasterState;
  readonly nodes = new Map<number, FakeNode>();
  readonly out = new Captured();
  private queue: InFlight[] = [];
  private durableAt: { atMs: number; batchId: number }[] = [];
  private batches = 0;
  readonly random: Random;
  dropRate: number;
  /** retired: `rank rangeId epoch` of every Retired the master received; unfenced: F6 violations seen. */
  private readonly retired = new Set<string>();
  readonly unfenced: string[] = [];
  /** record: the last persisted record (what a restart reads back). */
  record: MasterRecord | undefined;

  constructor(
    readonly ranks: number,
    readonly o: NetOptions,
    readonly options: ChainOptions = OPTS,
  ) {
    this.random = new SeededRandom(o.seed);
    this.dropRate = o.dropRate;
    this.master = initMaster({ ranks, startAtMs: 0, nowMs: 0, options });
    this.out.persist = (r) => {
      this.out.persists.push(r);
      this.record = { batchId: ++this.batches, ...r };
      this.durableAt.push({ atMs: this.nowMs + o.fsyncMs, batchId: this.batches });
    };
  }

  startNode(rank: number, incarnation: number): FakeNode {
    const n = new FakeNode(rank, incarnation, this.nowMs);
    this.nodes.set(rank, n);
    this.post(rank, MASTER_RANK, { type: 'join', incarnation });
    return n;
  }

  post(from: number, to: number, msg: ChainMsg): void {
    if (this.random.next() < this.dropRate) return;
    this.queue.push({ atMs: this.nowMs + 1 + this.random.int(this.o.maxDelayMs), from, to, msg });
  }

  /** restartMaster: the master crashes (unsent parked configs and all) and restarts from its record. */
  restartMaster(): void {
    const setup: MasterSetup = { ranks: this.ranks, startAtMs: 0, nowMs: this.nowMs, options: this.options };
    this.master = initMaster(this.record === undefined ? setup : { ...setup, record: this.record });
    this.durableAt = [];
    this.batches = 0;
    this.queue = this.queue.filter((q) => q.to !== MASTER_RANK);
  }

  private stepMaster(input: ChainInput): void {
    const before = this.out.sends.length;
    const m = this.master;
    const decided = m.config;
    const incarnations = new Map([...m.nodes].map(([r, n]) => [r, n.incarnation]));
    const joinedTails = new Map(m.joinedTail);
    if (input.type === 'message' && input.msg.type === 'retired') this.retired.add(`${input.from} ${input.msg.rangeId} ${input.msg.epoch}`);
    this.out.wake = Infinity;
    stepMaster(m, input, this.nowMs, this.out);
    if (decided !== undefined && m.config !== decided && m === this.master) this.auditFencing(decided, incarnations, joinedTails);
    for (const s of this.out.sends.slice(before)) this.post(MASTER_RANK, s.to, s.msg);
  }

  /**
   * auditFencing (F6): a configuration that drops a member from a range is decided only once
   * that member is fenced: it answered Retired for the range in the epoch before, or the master
   * no longer counts that process live (declared failed, or replaced by a new incarnation), or
   * it is a joined tail that never became servable (X5: it serves nothing).
   */
  private auditFencing(prev: Config, incarnations: Map<number, number>, joinedTails: Map<string, number>): void {
    const next = this.master.config;
    if (next === undefined) return;
    for (const r of next.ranges) {
      const old = prev.ranges.find((x) => x.rangeId === r.rangeId);
      for (const x of old?.chain.filter((c) => !r.chain.includes(c)) ?? []) {
        const retired = this.retired.has(`${x} ${r.rangeId} ${prev.epoch}`);
        const gone = this.master.nodes.get(x)?.incarnation !== incarnations.get(x);
        if (!retired && !gone && joinedTails.get(r.rangeId) !== x)
          this.unfenced.push(`epoch ${next.epoch} drops live rank ${x} from ${r.rangeId} without Retired`);
      }
    }
  }

  /** run advances the clock to untilMs, delivering, heartbeating and ticking in time order. */
  run(untilMs: number): void {
    let masterWake = this.nowMs;
    while (this.nowMs <= untilMs) {
      const t = this.nowMs;
      for (const d of this.durableAt.filter((x) => x.atMs <= t)) this.stepMaster({ type: 'persisted', batchId: d.batchId });
      this.durableAt = this.durableAt.filter((x) => x.atMs > t);
      const due = this.queue.filter((q) => q.atMs <= t);
      this.queue = this.queue.filter((q) => q.atMs > t);
      for (const q of due) this.deliver(q);
      for (const n of this.nodes.values()) {
        if (!n.alive || n.nextHbMs > t) continue;
        n.nextHbMs = t + this.options.heartbeatMs;
        if (!n.joined) this.post(n.rank, MASTER_RANK, { type: 'join', incarnation: n.incarnation }); // until answered
        this.post(n.rank, MASTER_RANK, n.heartbeat());
      }
      if (masterWake <= t || due.some((q) => q.to === MASTER_RANK)) {
        this.stepMaster({ type: 'tick' });
        masterWake = this.out.wake;
      }
      this.nowMs = Math.max(t + 1, this.nextEventMs(masterWake));
    }
    this.nowMs = untilMs;
  }

  /** nextEventMs: the clock jumps to the next delivery, fsync, heartbeat or master wake-up. */
  private nextEventMs(masterWake: number): number {
    let at = masterWake;
    for (const q of this.queue) at = Math.min(at, q.atMs);
    for (const d of this.durableAt) at = Math.min(at, d.atMs);
    for (const n of this.nodes.values()) if (n.alive) at = Math.min(at, n.nextHbMs);
    return at;
  }

  private deliver(q: InFlight): void {
    if (q.to === MASTER_RANK) return this.stepMaster({ type: 'message', from: q.from, msg: q.msg });
    const n = this.nodes.get(q.to);
    if (n === undefined || !n.alive) return;
    for (const reply of n.receive(q.msg)) this.post(n.rank, MASTER_RANK, reply);
  }

  /** crash: a node stops answering (its data, in memory only, is gone). */
  crash(rank: number): void {
    const n = this.nodes.get(rank);
    if (n !== undefined) n.alive = false;
  }
}
