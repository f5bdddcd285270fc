// cluster: a deterministic simulator that drives N replicas' step functions. Virtual time is a
// number; one seeded SeededRandom tree decides every delay, drop, duplicate, fsync latency,
// crash and proposal, so a seed replays a whole run. Disks lose un-fsynced batches on crash
// (a random prefix of them survives: the torn tail); with damageRate the last durable batch may
// read back damaged, and that rank then refuses to restart (§8.5); instance logs survive, maybe
// with a torn last line.
// After every step the per-step invariants run (invariants.ts); violations are collected.
import { SeededRandom, rankRandom, type Random } from '../../../runtime/random.js';
import { toWire } from '../bitmap_codec.js';
import { msgpackCodec } from '../../../runtime/net/codec.js';
import { assertNever, defined } from '../../../runtime/assert.js';
import type { Command } from '../command.js';
import type { Config, Timing } from '../config.js';
import { replayWal, type WalEntry } from '../durable.js';
import { formatInstanceLine, keysFromLines } from '../instance_log.js';
import type { Input, Output, TraceEvent } from '../io.js';
import type { MachineKind } from '../state_machine.js';
import type { LeaderId } from '../leader_id.js';
import type { Message } from '../messages.js';
import type { Seq } from '../record.js';
import { restartReplica, roleOf, type ReplicaState } from '../state.js';
import { step } from '../step.js';
import { bitmapCount, bitmapLen } from '../tail_bitmap.js';
import type { RankLines } from '../../../check/index.js';
import { EventHeap } from './heap.js';
import {
  ballotsNeverDecrease,
  baseHoldsChosen,
  commitNeverMovesBack,
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
} from '../invariants.js';

/** NetOptions: the network's fault rates (one options object). */
export type NetOptions = {
  dropRate: number;
  dupRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** longDelayRate: share of messages delayed up to longDelayMs (delayed Sync copies, T22). */
  longDelayRate: number;
  longDelayMs: number;
};

/** DiskOptions: fsync latency and how often an un-fsynced batch survives a crash. */
export type DiskOptions = {
  minFsyncMs: number;
  maxFsyncMs: number;
  keepUnsyncedRate: number;
  tornLineRate: number;
  /** stallRate: share of batches whose fsync stalls up to stallMs (a slow disk: replies race the leader's own fsync). */
  stallRate?: number;
  stallMs?: number;
  /**
   * damageRate: share of crashes after which the last durable — hence possibly acknowledged —
   * batch reads back damaged (a bit flip in a complete frame, docs/protocols/traft.md §8.5).
   * Un-fsynced batches lost at a crash are the torn tail: dropping them is fine.
   */
  damageRate?: number;
  /**
   * onDamage: what recovery does with a damaged batch. 'refuse' (what wal/ does: exit 4) keeps
   * the rank down; 'truncate' is the old, wrong recovery that cut it like a torn tail, kept so
   * a test shows the invariants catch what that loses.
   */
  onDamage?: 'refuse' | 'truncate';
};

/** LoadOptions: the lab's leader window (§2.2): propose while fewer than `window` are uncommitted. */
export type LoadOptions = { intervalMs: number; window: number; keys: number; setRate: number };

/** SimOptions configure one run. */
export type SimOptions = {
  seed: string | number;
  ranks: number;
  timing: Timing;
  net: NetOptions;
  disk: DiskOptions;
  load: LoadOptions | null;
  /** machine: the replicated state machine (the lab's when absent). */
  machine?: MachineKind;
};

/** BASE_MS anchors virtual time to an epoch, so instance-log `at` values look like real ones. */
const BASE_MS = 1_700_000_000_000;

type SimEvent =
  | { atMs: number; type: 'deliver'; from: number; to: number; msg: Message }
  | { atMs: number; type: 'persisted'; rank: number; inc: number; batchId: number }
  | { atMs: number; type: 'wake'; rank: number; inc: number }
  | { atMs: number; type: 'load' };

/** RankSim is one simulated process plus its disk and instance log. */
export type RankSim = {
  readonly rank: number;
  incarnation: number;
  state: ReplicaState | null;
  random: Random;
  /** wal: what recovery replays from disk (survives crashes); a checkpoint replaces what came before. */
  wal: Array<readonly WalEntry[]>;
  pending: Array<{ batchId: number; entries: readonly WalEntry[]; checkpoint?: readonly WalEntry[]; durableAtMs: number }>;
  lastDurableAtMs: number;
  readonly lines: string[];
  /** tornLine: the last line was cut short by a crash (unterminated); a restart cuts it, as FileSink does. */
  tornLine: boolean;
  /** snapshots: snapshots taken here and installed from a leader or voter (for tests). */
  snapshots: { taken: number; installed: number };
  scheduledWakeMs: number;
  promised: Promised;
  /** damaged: the index in `wal` of a batch that reads back damaged, or null. */
  damaged: number | null;
  /** refused: why recovery refused to restart this rank (it stays down, as `csplab rank` exits 4). */
  refused: string | null;
};

function view(s: ReplicaState): ReplicaView {
  return { vote: s.vote, committer: s.committer, accepted: s.accepted, committed: s.committed };
}

/** SimCluster runs one seeded simulation. */
export class SimCluster {
  readonly config: Config;
  readonly ranks: RankSim[] = [];
  readonly violations: string[] = [];
  /** chosen: seq → first commit mark seen anywhere (S1, S2). */
  readonly chosen = new Map<Seq, Chosen>();
  readonly established = new Map<string, number>();
  readonly traces: Array<{ atMs: number; rank: number; ev: TraceEvent }> = [];
  nowMs = 0;
  proposals = 0;
  keepTrace = false;
  private groups: number[][] | null = null;
  private readonly heap = new EventHeap<SimEvent>();
  private readonly root: SeededRandom;
  private readonly netRandom: Random;
  private readonly diskRandom: Random;
  private readonly loadRandom: Random;
  net: NetOptions;
  load: LoadOptions | null;
  /** dropIf lets a scenario drop chosen messages at send time (after the random faults). */
  dropIf: ((from: number, to: number, msg: Message) => boolean) | null = null;

  constructor(readonly opts: SimOptions) {
    this.config = { clusterId: `sim-${opts.seed}`, members: Array.from({ length: opts.ranks }, (_, i) => i) };
    this.root = new SeededRandom(`traft-sim/${opts.seed}`);
    this.netRandom = this.root.fork('net');
    this.diskRandom = this.root.fork('disk');
    this.loadRandom = this.root.fork('load');
    this.net = opts.net;
    this.load = opts.load;
    for (let r = 0; r < opts.ranks; r++) {
      const random = rankRandom(opts.seed, r, 0);
      const state = restartReplica({ self: r, config: this.config, timing: opts.timing, nowMs: 0, random, ...this.machine() });
      const rs: RankSim = {
        rank: r,
        incarnation: 0,
        random,
        wal: [],
        pending: [],
        lastDurableAtMs: 0,
        lines: [],
        tornLine: false,
        snapshots: { taken: 0, installed: 0 },
        scheduledWakeMs: Infinity,
        promised: { vote: null, committer: null, reported: null },
        damaged: null,
        refused: null,
        state,
      };
      this.ranks.push(rs);
      this.scheduleWake(rs, state.electionDeadlineMs);
    }
    if (opts.load) this.startLoad(opts.load);
  }

  private loadRunning = false;

  /** startLoad turns the leader load on (or changes it); `load = null` stops it. */
  startLoad(load: LoadOptions): void {
    this.load = load;
    if (this.loadRunning) return;
    this.loadRunning = true;
    this.heap.push({ atMs: this.nowMs + load.intervalMs, type: 'load' });
  }

  // ---- scenario controls ----

  /** runFor advances virtual time by ms, processing every event due. */
  runFor(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  runUntil(tMs: number): void {
    while (this.heap.peekAtMs() <= tMs) {
      const ev = this.heap.pop();
      if (ev === undefined) break; // an empty heap peeks at Infinity: only runUntil(Infinity) gets here
      this.nowMs = Math.max(this.nowMs, ev.atMs);
      this.dispatch(ev);
    }
    this.nowMs = Math.max(this.nowMs, tMs);
  }

  /** partition splits the network into groups; ranks in no group are isolated. */
  partition(groups: number[][]): void {
    this.groups = groups;
  }

  heal(): void {
    this.groups = null;
    this.cut.clear();
  }

  /** cut: one-way link failures `from→to` (asymmetric partitions); cleared by heal. */
  private readonly cut = new Set<string>();

  cutOneWay(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  connected(a: number, b: number): boolean {
    if (this.cut.has(`${a}>${b}`)) return false;
    if (this.groups === null) return true;
    return this.groups.some((g) => g.includes(a) && g.includes(b));
  }

  alive(rank: number): boolean {
    return this.rankAt(rank).state !== null;
  }

  /** crash kills a rank: un-fsynced batches are lost except a random prefix; maybe tears the last log line. */
  crash(rank: number, keepUnsynced: 'random' | 'none' = 'random'): void {
    const r = this.rankAt(rank);
    if (r.state === null) return;
    for (const b of r.pending) {
      if (b.durableAtMs > this.nowMs && (keepUnsynced === 'none' || !(this.diskRandom.next() < this.opts.disk.keepUnsyncedRate))) break;
      writeDisk(r, b);
    }
    r.pending = [];
    const last = r.lines.length - 1;
    const lastLine = r.lines[last]; // undefined when nothing was logged yet
    if (lastLine !== undefined && lastLine.length > 0 && this.diskRandom.next() < this.opts.disk.tornLineRate) {
      r.lines[last] = lastLine.slice(0, this.diskRandom.int(lastLine.length));
      r.tornLine = true;
    }
    // drawn only when damage is on, so seeds without it replay exactly as before
    const damageRate = this.opts.disk.damageRate ?? 0;
    if (damageRate > 0 && r.wal.length > 0 && this.diskRandom.next() < damageRate) r.damaged = r.wal.length - 1;
    r.state = null;
    r.incarnation++;
  }

  /** damageLastBatch makes a crashed rank's last durable batch read back damaged (scripted disk faults). */
  damageLastBatch(rank: number): void {
    const r = this.rankAt(rank);
    if (r.state === null && r.wal.length > 0) r.damaged = r.wal.length - 1;
  }

  /**
   * restart recovers a crashed rank from its WAL and instance log (§8.5); a rank whose WAL has a
   * damaged batch stays down with `refused` set (unless onDamage is 'truncate').
   */
  restart(rank: number): void {
    const r = this.rankAt(rank);
    if (r.state !== null || r.refused !== null) return;
    if (r.damaged !== null) {
      if (this.opts.disk.onDamage !== 'truncate') {
        r.refused = `rank ${rank}: WAL batch ${r.damaged + 1} of ${r.wal.length} is damaged; refusing to restart (exit 4)`;
        return;
      }
      r.wal = r.wal.slice(0, r.damaged);
      r.damaged = null;
    }
    r.random = rankRandom(this.opts.seed, rank, r.incarnation);
    if (r.tornLine) r.lines.pop(); // the restarted sink cuts a torn last line (runtime/driver/logsink.ts)
    r.tornLine = false;
    const keys = keysFromLines(r.lines);
    const durable = replayWal(r.wal);
    const s = restartReplica({
      self: rank,
      config: this.config,
      timing: this.opts.timing,
      durable,
      loggedUpTo: keys.length - 1,
      keys,
      nowMs: this.nowMs,
      random: r.random,
      ...this.machine(),
    });
    this.violate(rank, promisesKept(r.promised, view(s)));
    this.violate(rank, reportsKept(r.promised.reported, view(s)));
    r.state = s;
    r.lastDurableAtMs = this.nowMs;
    r.scheduledWakeMs = Infinity;
    this.scheduleWake(r, s.electionDeadlineMs);
  }

  /** campaignAt moves a live rank's election deadline (scripted races, T3). */
  campaignAt(rank: number, atMs: number): void {
    const r = this.rankAt(rank);
    this.stateOf(rank).electionDeadlineMs = atMs;
    this.scheduleWake(r, atMs);
  }

  /** establishedSince lists leaders established at or after `sinceMs`, if any. */
  establishedSince(sinceMs: number): Array<{ atMs: number; rank: number; leader: LeaderId }> {
    return this.traces.flatMap((x) =>
      x.ev.type === 'established' && x.atMs >= sinceMs ? [{ atMs: x.atMs, rank: x.rank, leader: x.ev.leader }] : [],
    );
  }

  /** machine: the restart option naming SimOptions.machine, if any. */
  private machine(): { machine?: MachineKind } {
    return this.opts.machine ? { machine: this.opts.machine } : {};
  }

  /** onStep hears every step's output on a rank (a client layer around the core, sim/clients.ts). */
  onStep: ((rank: number, out: Output) => void) | null = null;

  /** inject feeds a live rank one input (a client's proposal or read round). */
  inject(rank: number, input: Input): void {
    this.input(this.rankAt(rank), this.stateOf(rank), input);
  }

  /** propose hands a command to a rank (as the lab's leader load generator does). */
  propose(rank: number, cmd: Command, logKey: string): void {
    this.input(this.rankAt(rank), this.stateOf(rank), { type: 'propose', cmd, logKey });
  }

  /** leaders lists live established leaders. */
  /** instanceLogs is every rank's instance log as the checker reads it (a crashed rank's torn last line unterminated). */
  instanceLogs(): RankLines[] {
    return this.ranks.map((r) => ({ name: `instancelog${r.rank}.log`, node: r.rank, lines: r.lines, unterminated: r.tornLine }));
  }

  leaders(): number[] {
    return this.ranks.filter((r) => r.state !== null && roleOf(r.state) === 'leader').map((r) => r.rank);
  }

  /** stateOf returns a live rank's state (throws for a dead one). */
  stateOf(rank: number): ReplicaState {
    const s = this.rankAt(rank).state;
    if (s === null) throw new Error(`rank ${rank} is down`);
    return s;
  }

  /** rankAt is the simulated process of rank number `rank`. */
  private rankAt(rank: number): RankSim {
    return defined(this.ranks[rank], 'the cluster has a RankSim for each rank 0..n-1');
  }

  kvOf(rank: number): string {
    return this.stateOf(rank).applier.sm.describe();
  }

  // ---- event handling ----

  private dispatch(ev: SimEvent): void {
    switch (ev.type) {
      case 'deliver': {
        const r = this.rankAt(ev.to);
        const s = r.state;
        if (s === null || !this.connected(ev.from, ev.to)) return;
        this.input(r, s, { type: 'message', from: ev.from, msg: ev.msg });
        return;
      }
      case 'persisted': {
        const r = this.rankAt(ev.rank);
        const s = r.state;
        if (s === null || r.incarnation !== ev.inc) return;
        for (let b = r.pending[0]; b !== undefined && b.batchId <= ev.batchId; b = r.pending[0]) {
          r.pending.shift();
          writeDisk(r, b);
        }
        this.input(r, s, { type: 'persisted', batchId: ev.batchId });
        return;
      }
      case 'wake': {
        const r = this.rankAt(ev.rank);
        const s = r.state;
        if (s === null || r.incarnation !== ev.inc || ev.atMs !== r.scheduledWakeMs) return;
        r.scheduledWakeMs = Infinity;
        this.input(r, s, { type: 'tick' });
        return;
      }
      case 'load':
        this.generateLoad();
        if (this.load) this.heap.push({ atMs: this.nowMs + this.load.intervalMs, type: 'load' });
        else this.loadRunning = false;
        return;
      default:
        assertNever(ev, 'sim event');
    }
  }

  private generateLoad(): void {
    const load = this.load;
    if (load === null) return;
    for (const rank of this.leaders()) {
      const s = this.stateOf(rank);
      if (bitmapLen(s.accepted) - bitmapCount(s.committed) >= load.window) continue;
      const rnd = this.loadRandom;
      const key = `k${rnd.int(load.keys)}`;
      const cmd: Command = rnd.next() < load.setRate ? { op: 'set', key, value: rnd.int(1000) } : { op: 'incr', key };
      let logKey = '';
      for (let i = 0; i < 20; i++) logKey += String.fromCharCode(97 + rnd.int(26));
      this.proposals++;
      this.propose(rank, cmd, logKey);
    }
  }

  private scheduleWake(r: RankSim, atMs: number): void {
    if (atMs >= r.scheduledWakeMs) return;
    r.scheduledWakeMs = atMs;
    this.heap.push({ atMs, type: 'wake', rank: r.rank, inc: r.incarnation });
  }

  private violate(rank: number, v: string | null): void {
    if (v !== null) this.violations.push(`t=${this.nowMs.toFixed(1)}ms rank ${rank}: ${v}`);
  }

  /** input runs one step on a live rank (`s` is its state), then the per-step invariants and the outputs. */
  private input(r: RankSim, s: ReplicaState, input: Input): void {
    const before = view(s);
    const committerBefore = s.committer;
    let res: ReturnType<typeof step>;
    try {
      res = step(s, input, this.nowMs, r.random);
    } catch (e) {
      this.violations.push(`t=${this.nowMs.toFixed(1)}ms rank ${r.rank}: step threw ${(e as Error).stack ?? String(e)}`);
      throw e;
    }
    const { state, out } = res;
    r.state = state;
    this.violate(r.rank, ballotsNeverDecrease(before, view(state)));
    this.violate(r.rank, commitNeverMovesBack(before, view(state)));
    for (const ev of out.trace) this.observe(r, state, committerBefore, ev);
    for (const b of out.persist) {
      const disk = this.opts.disk;
      const stalled = disk.stallRate !== undefined && this.diskRandom.next() < disk.stallRate;
      const latencyMs = this.diskRandom.between(disk.minFsyncMs, stalled ? (disk.stallMs ?? disk.maxFsyncMs) : disk.maxFsyncMs);
      const durableAtMs = Math.max(r.lastDurableAtMs, this.nowMs + latencyMs);
      r.lastDurableAtMs = durableAtMs;
      r.pending.push({ ...b, durableAtMs });
      this.heap.push({ atMs: durableAtMs, type: 'persisted', rank: r.rank, inc: r.incarnation, batchId: b.batchId });
    }
    for (const e of out.log) r.lines.push(formatInstanceLine(e, (BASE_MS + this.nowMs) * 1000));
    for (const env of out.send) this.send(r, env.to, env.msg);
    this.scheduleWake(r, out.wakeAtMs);
    this.onStep?.(r.rank, out);
  }

  private observe(r: RankSim, s: ReplicaState, committerBefore: LeaderId | null, ev: TraceEvent): void {
    if (this.keepTrace) this.traces.push({ atMs: this.nowMs, rank: r.rank, ev });
    switch (ev.type) {
      case 'skipped':
        this.violate(r.rank, overrideSubsumes(ev.by, ev.q));
        return;
      case 'snapshot':
        if (ev.installed) r.snapshots.installed++;
        else r.snapshots.taken++;
        return;
      case 'commit': {
        this.violate(r.rank, oneValuePerSeq(this.chosen, ev));
        const c = this.chosen.get(ev.seq);
        if (c === undefined || c.under.term > ev.under.term || (c.under.term === ev.under.term && c.under.id > ev.under.id)) {
          this.chosen.set(ev.seq, { author: ev.author, logKey: ev.logKey, under: ev.under });
        }
        return;
      }
      case 'established':
        this.violate(r.rank, leaderOwnsBallot(ev.leader, r.rank));
        this.violate(r.rank, oneLeaderPerBallot(this.established, ev.leader, r.rank));
        this.violate(r.rank, baseHoldsChosen(this.chosen, s.log, s.floor, ev.leader));
        this.established.set(`(${ev.leader.term},${ev.leader.id})`, r.rank);
        return;
      case 'synced':
        this.violate(r.rank, syncDeletesOnlyOnNewCommitter(committerBefore, ev));
        return;
      case 'campaign':
      case 'pre-vote':
      case 'merged':
      case 'step-down':
      case 'held-back':
      case 'ignored':
        return; // no per-event invariant: kept in the trace only
      default:
        assertNever(ev, 'trace event');
    }
  }

  private send(r: RankSim, to: number, msg: Message): void {
    this.notePromise(r, msg);
    if (!this.withinBound(r.rank, to, msg)) return; // the transport drops a frame over its limit
    const net = this.net;
    const rnd = this.netRandom;
    if (!this.connected(r.rank, to) || rnd.next() < net.dropRate) return;
    if (this.dropIf !== null && this.dropIf(r.rank, to, msg)) return;
    const copies = rnd.next() < net.dupRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay =
        rnd.next() < net.longDelayRate ? rnd.between(net.minDelayMs, net.longDelayMs) : rnd.between(net.minDelayMs, net.maxDelayMs);
      this.heap.push({ atMs: this.nowMs + delay, type: 'deliver', from: r.rank, to, msg });
    }
  }

  private readonly codec = msgpackCodec<unknown>();
  /** largestMessage: the most bytes one sent message took, when the timing sets a bound (B1). */
  largestMessage = 0;

  /** withinBound is B1: with `maxMessageBytes` set, every message's real wire form stays under it (§4.7). */
  private withinBound(from: number, to: number, msg: Message): boolean {
    const bound = this.opts.timing.maxMessageBytes;
    if (bound === undefined) return true;
    const n = this.codec.encode([toWire(msg)]).length;
    this.largestMessage = Math.max(this.largestMessage, n);
    if (n <= bound) return true;
    this.violations.push(`B1 at t=${this.nowMs.toFixed(1)}ms: ${msg.type} ${from}→${to} encodes to ${n} bytes, over ${bound}`);
    return false;
  }

  /** notePromise records what a sent message promises, for T15's restart checks. */
  private notePromise(r: RankSim, msg: Message): void {
    recordPromise(r.promised, msg);
  }
}

/** writeDisk makes a batch durable on the simulated disk: its entries, or its checkpoint replacing everything before. */
function writeDisk(r: RankSim, b: { entries: readonly WalEntry[]; checkpoint?: readonly WalEntry[] }): void {
  r.wal.push([...b.entries]);
  if (b.checkpoint !== undefined) r.wal = [b.checkpoint];
}
