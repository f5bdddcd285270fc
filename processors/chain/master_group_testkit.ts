// master_group_testkit: a bench for the replicated master (tests only). Three master ranks run
// TRaft (master_replicated.ts) over a seeded network with a virtual clock; fake nodes
// (master_testkit.ts) heartbeat every master rank and answer whichever leads. Each master rank and
// each node has its own clock rate (a skew within the stated drift), the bench can kill a master
// rank or cut links, and it records what the audits need: every configuration sent with its real
// send time, every node's lease end in real time, and F6 fencing as in MasterNet.
import { defaultTiming, type Envelope } from '../traft/index.js';
import type { Config } from './config.js';
import { FakeNode, OPTS } from './master_testkit.js';
import {
  initMasterRank,
  newMasterRankOut,
  stepChain,
  stepGroup,
  type MasterRank,
  type MasterRankOut,
  type MasterRankSetup,
} from './master_replicated.js';
import type { ChainMsg } from './messages.js';
import type { ChainOptions } from './options.js';
import { SeededRandom, type Random } from '../../runtime/random.js';
import type { ChainLogEvent } from './types.js';

/** GroupBenchOptions: seed, group size, per-rank clock rates (1 = true time), the drift TRaft's lease assumes. */
export interface GroupBenchOptions {
  readonly seed: string;
  readonly masters: number;
  readonly nodes: number;
  readonly electionMs: number;
  readonly clockDrift: number;
  /** masterRate / nodeRate: a rank's clock runs at this rate of real time (default 1). */
  readonly masterRate?: (rank: number) => number;
  readonly nodeRate?: (rank: number) => number;
  readonly maxDelayMs: number;
  /** dropRate: every message, group or chain, is lost with this probability. */
  readonly dropRate?: number;
  readonly options?: ChainOptions;
}

type Addr = { readonly kind: 'master' | 'node'; readonly rank: number };
type Flight =
  | { readonly atMs: number; readonly kind: 'group'; readonly from: number; readonly to: number; readonly env: Envelope }
  | { readonly atMs: number; readonly kind: 'chain'; readonly from: Addr; readonly to: Addr; readonly msg: ChainMsg };

/** SentConfig: a configuration a master rank sent, when (real ms), and who sent it. */
export interface SentConfig {
  readonly atMs: number;
  readonly by: number;
  readonly config: Config;
}

const key = (a: Addr): string => `${a.kind[0] ?? ''}${a.rank}`;

/** GroupBench runs the master group and fake nodes in real (virtual) time, one ms at a time. */
export class GroupBench {
  nowMs = 0;
  readonly masters = new Map<number, MasterRank>();
  readonly dead = new Set<number>();
  readonly paused = new Set<number>();
  readonly nodes = new Map<number, FakeNode>();
  readonly options: ChainOptions;
  readonly random: Random;
  readonly sent: SentConfig[] = [];
  readonly logs: ChainLogEvent[] = [];
  /** leaseEnd: per node, the real time its lease runs to (L1 on its own clock, mapped to real time). */
  readonly leaseEnd = new Map<number, number>();
  /** hbSent: per node, hbNo → its local send time. */
  private readonly hbSent = new Map<number, Map<number, number>>();
  private readonly cuts = new Set<string>();
  private queue: Flight[] = [];
  private readonly wake = new Map<number, number>();
  private readonly setups = new Map<number, MasterRankSetup>();
  /** retired: `rank rangeId` of every Retired a node sent; unfenced: F6 violations seen in configurations sent. */
  private readonly retired = new Set<string>();
  readonly unfenced: string[] = [];

  constructor(readonly o: GroupBenchOptions) {
    this.options = o.options ?? OPTS;
    this.random = new SeededRandom(o.seed);
    const members = Array.from({ length: o.masters }, (_, i) => i);
    for (const self of members) {
      const setup = {
        self,
        members,
        nodes: o.nodes,
        startAtMs: 0,
        nowMs: 0,
        options: this.options,
        timing: defaultTiming(o.electionMs),
        clockDrift: o.clockDrift,
        random: new SeededRandom(`${o.seed}/m${self}`),
        clusterId: `chain-master-${o.seed}`,
      };
      this.setups.set(self, setup);
      this.masters.set(self, initMasterRank(setup));
      this.wake.set(self, 0);
    }
  }

  /** local: a rank's clock reading at real time t. */
  private masterNow(rank: number): number {
    return this.nowMs * (this.o.masterRate?.(rank) ?? 1);
  }
  private nodeNow(rank: number): number {
    return this.nowMs * (this.o.nodeRate?.(rank) ?? 1);
  }

  startNode(rank: number, incarnation = 1): FakeNode {
    const n = new FakeNode(rank, incarnation, this.nowMs);
    this.nodes.set(rank, n);
    return n;
  }

  /** cut / heal: drop every message between a and b, both ways. */
  cut(a: Addr, b: Addr): void {
    this.cuts.add(`${key(a)}|${key(b)}`).add(`${key(b)}|${key(a)}`);
  }
  healAll(): void {
    this.cuts.clear();
  }
  kill(master: number): void {
    this.dead.add(master);
  }
  /** restart: a killed master rank comes back from its durable TRaft state (vote, committer, log), its master gone. */
  restart(master: number): void {
    const old = this.masters.get(master);
    const setup = this.setups.get(master);
    if (old === undefined || setup === undefined) throw new Error(`no master rank ${master}`);
    const s = old.replica;
    const again = initMasterRank(
      { ...setup, nowMs: this.masterNow(master), random: new SeededRandom(`${this.o.seed}/m${master}/again`) },
      { vote: s.vote, committer: s.committer, log: new Map(s.log), snapshot: null },
    );
    this.masters.set(master, again);
    this.dead.delete(master);
    this.wake.set(master, 0);
  }
  /** pause / resume: a master rank's process stalls (a GC pause, a stopped VM): messages to it wait, its clock runs on. */
  pause(master: number): void {
    this.paused.add(master);
  }
  resume(master: number): void {
    this.paused.delete(master);
  }

  /** leader: the master rank whose master is deciding (undefined while none is). */
  leader(): MasterRank | undefined {
    return [...this.masters].find(([r, m]) => !this.dead.has(r) && m.master !== undefined)?.[1];
  }

  private delay(): number {
    return 1 + this.random.int(this.o.maxDelayMs);
  }

  private lost(): boolean {
    return this.random.next() < (this.o.dropRate ?? 0);
  }

  private post(from: Addr, to: Addr, msg: ChainMsg): void {
    if (this.cuts.has(`${key(from)}|${key(to)}`) || this.lost()) return;
    this.queue.push({ atMs: this.nowMs + this.delay(), kind: 'chain', from, to, msg });
  }

  /** flush: a master rank's step output goes out (its WAL batches are durable at once). */
  private flush(rank: number, out: MasterRankOut): void {
    for (const env of out.group) {
      if (this.cuts.has(`m${rank}|m${env.to}`) || this.lost()) continue;
      this.queue.push({ atMs: this.nowMs + this.delay(), kind: 'group', from: rank, to: env.to, env });
    }
    for (const s of out.chain) {
      if (s.msg.type === 'config') this.onConfigSent(rank, s.msg.config);
      this.post({ kind: 'master', rank }, { kind: 'node', rank: s.to }, s.msg);
    }
    this.logs.push(...out.logs);
    if (out.wakeAtMs < Infinity) this.wake.set(rank, Math.min(this.wake.get(rank) ?? Infinity, out.wakeAtMs));
    const m = this.masters.get(rank);
    if (out.wal.length > 0 && m !== undefined) {
      const more = newMasterRankOut();
      stepGroup(m, { type: 'persisted', batchId: m.replica.lastBatchId }, this.masterNow(rank), more);
      this.flush(rank, more);
    }
  }

  /**
   * onConfigSent records a configuration and audits F6 on its first send: a member it drops from a
   * range answered Retired for it, or the sender's master no longer counts that process live
   * (declared failed, or replaced by a new incarnation), or it is a joined tail that never became
   * servable (X5).
   */
  private onConfigSent(rank: number, config: Config): void {
    const prev = this.sent.filter((x) => x.config.epoch < config.epoch).at(-1)?.config;
    const first = !this.sent.some((x) => x.config.epoch === config.epoch);
    this.sent.push({ atMs: this.nowMs, by: rank, config });
    const m = this.masters.get(rank)?.master;
    if (!first || prev === undefined || m === undefined) return;
    for (const r of config.ranges) {
      const old = prev.ranges.find((x) => x.rangeId === r.rangeId);
      for (const x of old?.chain.filter((c) => !r.chain.includes(c)) ?? []) {
        const fenced = this.retired.has(`${x} ${r.rangeId}`) || m.failed.has(x) || !m.nodes.has(x);
        if (!fenced) this.unfenced.push(`epoch ${config.epoch} drops live rank ${x} from ${r.rangeId} without Retired`);
      }
    }
  }

  private deliver(f: Flight): void {
    if (f.kind === 'group') {
      const m = this.masters.get(f.to);
      if (m === undefined || this.dead.has(f.to)) return;
      const out = newMasterRankOut();
      stepGroup(m, { type: 'message', from: f.from, msg: f.env.msg }, this.masterNow(f.to), out);
      return this.flush(f.to, out);
    }
    if (f.to.kind === 'master') {
      const m = this.masters.get(f.to.rank);
      if (m === undefined || this.dead.has(f.to.rank)) return;
      const out = newMasterRankOut();
      stepChain(m, { type: 'message', from: f.from.rank, msg: f.msg }, this.masterNow(f.to.rank), out);
      return this.flush(f.to.rank, out);
    }
    this.toNode(f.to.rank, f.msg);
  }

  /** toNode: a fake node answers every master rank (it does not know which leads); a heartbeat reply is its lease (L1). */
  private toNode(rank: number, msg: ChainMsg): void {
    const n = this.nodes.get(rank);
    if (n === undefined || !n.alive) return;
    if (msg.type === 'heartbeat-reply') {
      const sentLocal = this.hbSent.get(rank)?.get(msg.hbNo);
      const rate = this.o.nodeRate?.(rank) ?? 1;
      if (sentLocal !== undefined)
        this.leaseEnd.set(rank, Math.max(this.leaseEnd.get(rank) ?? 0, (sentLocal + this.options.leaseMs) / rate));
    }
    for (const reply of n.receive(msg)) this.toMasters(rank, reply);
  }

  private toMasters(from: number, msg: ChainMsg): void {
    if (msg.type === 'retired') this.retired.add(`${from} ${msg.rangeId}`);
    for (const r of this.masters.keys()) this.post({ kind: 'node', rank: from }, { kind: 'master', rank: r }, msg);
  }

  private heartbeats(): void {
    for (const n of this.nodes.values()) {
      if (!n.alive || n.nextHbMs > this.nowMs) continue;
      n.nextHbMs = this.nowMs + this.options.heartbeatMs;
      if (!n.joined) this.toMasters(n.rank, { type: 'join', incarnation: n.incarnation });
      const hb = n.heartbeat();
      if (hb.type === 'heartbeat') {
        const sent = this.hbSent.get(n.rank) ?? new Map<number, number>();
        sent.set(hb.hbNo, this.nodeNow(n.rank));
        this.hbSent.set(n.rank, sent);
      }
      this.toMasters(n.rank, hb);
    }
  }

  /** ticks: every live master rank whose wake-up is due steps its group and its master. */
  private ticks(): void {
    for (const [rank, m] of this.masters) {
      if (this.dead.has(rank) || this.paused.has(rank) || (this.wake.get(rank) ?? 0) > this.masterNow(rank)) continue;
      this.wake.set(rank, Infinity);
      const out = newMasterRankOut();
      stepGroup(m, { type: 'tick' }, this.masterNow(rank), out);
      stepChain(m, { type: 'tick' }, this.masterNow(rank), out);
      this.flush(rank, out);
    }
  }

  private stalled(f: Flight): boolean {
    return this.paused.has(f.kind === 'group' ? f.to : f.to.kind === 'master' ? f.to.rank : -1);
  }

  /** run advances real time to untilMs; `until` stops early when it holds (checked every ms). */
  run(untilMs: number, until?: () => boolean): boolean {
    while (this.nowMs < untilMs) {
      this.nowMs++;
      const due = this.queue.filter((q) => q.atMs <= this.nowMs && !this.stalled(q));
      this.queue = this.queue.filter((q) => q.atMs > this.nowMs || this.stalled(q));
      for (const f of due) this.deliver(f);
      this.heartbeats();
      this.ticks();
      if (until?.() === true) return true;
    }
    return false;
  }
}
