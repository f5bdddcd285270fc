// sim: a deterministic simulator of a cluster of any protocol (runtime/protocol.ts). Virtual
// time is a number; one event heap (runtime/heap.ts, FIFO among equal times) orders every
// delivery, fsync, wake-up and fault, and the simulator's own streams of the seeded Random
// (fork 'net', 'disk') draw every drop, duplicate, delay and torn write, so a seed and a
// schedule replay a run exactly: no wall clock, no event loop. A rank is stepped the way the
// rank driver (runtime/driver/rank.ts) steps it: every input due now, then a `turn`, then a
// wake-up at the protocol's deadline or after pollMs. docs/trace.md, docs/faults.md.
import { isClientAddress } from '../client/gateway.js';
import { TimedHeap } from '../heap.js';
import { DOWN_QUEUE_LIMIT, KEPT_LIMIT, STALLED_AFTER_MS } from '../net/peer.js';
import type { Envelope, LogLines, LogReading, Protocol, ProtocolInput, ProtocolOutput, StepInvariants, Summary } from '../protocol.js';
import { SeededRandom, rankRandom, type Random } from '../random.js';
import { SimClients, type ClientEv } from './clients.js';
import { Disk, type DiskChange } from './disk.js';
import { Links, type LinkChange } from './links.js';
import { Tracer } from './trace.js';
import { describeByType } from '../trace.js';
import {
  DEFAULT_DISK,
  PROGRESS_EVENTS,
  type RankEnd,
  type ResolvedFault,
  type SimClientLoad,
  type SimFault,
  type SimOptions,
  type SimOutcome,
  STARVE,
  type Target,
  type Violation,
} from './types.js';

/** BASE_MS anchors virtual time to an epoch, so instance-log `at` values look like a real run's. */
export const BASE_MS = 1_700_000_000_000;

type Ev<M> =
  | {
      readonly atMs: number;
      readonly kind: 'deliver';
      readonly from: number;
      readonly to: number;
      readonly msg: M;
      readonly damaged: boolean;
    }
  | { readonly atMs: number; readonly kind: 'persisted'; readonly rank: number; readonly inc: number; readonly batchId: number }
  | { readonly atMs: number; readonly kind: 'wake'; readonly rank: number; readonly gen: number }
  | { readonly atMs: number; readonly kind: 'turn'; readonly rank: number; readonly inc: number }
  | { readonly atMs: number; readonly kind: 'fault'; readonly fault: SimFault }
  | { readonly atMs: number; readonly kind: 'resume'; readonly rank: number; readonly inc: number }
  | { readonly atMs: number; readonly kind: 'free'; readonly rank: number; readonly inc: number }
  | { readonly atMs: number; readonly kind: 'stall'; readonly rank: number; readonly untilMs: number }
  | { readonly atMs: number; readonly kind: 'client'; readonly ev: ClientEv };

export type Status = 'planned' | 'live' | RankEnd;

/** SimRank is one simulated rank process: its state while it runs, and its disk across crashes. */
interface SimRank<S, P extends { readonly batchId: number }> {
  readonly rank: number;
  incarnation: number;
  status: Status;
  state: S | undefined;
  random: Random;
  readonly skewMs: number;
  readonly disk: Disk<P>;
  pausedUntilMs: number;
  pausedAtMs: number;
  deferred: Ev<unknown>[];
  /** stalled: per sending rank, what arrived once the paused rank counted as stalled (hold's bound). */
  stalled: Map<number, { marked: number; unmarked: Ev<unknown>[] }>;
  wakeAtMs: number;
  wakeGen: number;
  turnQueued: boolean;
  role: string;
  round: number;
  readonly tracer: Tracer;
  summary: ReturnType<Protocol<unknown, S, unknown, P, unknown, unknown, unknown>['summary']> | undefined;
  /** busyUntilMs, backlog: the step-cost model's server (SimOptions.stepCostUs); unused at cost 0. */
  busyUntilMs: number;
  backlog: Extract<Ev<unknown>, { kind: 'deliver' }>[];
}

/**
 * ConfigFor: one rank's config, for a protocol whose config reaches the rank's own instance log
 * (Paxos reads it back for a rank behind its window); `lines` is the simulated log, live.
 */
/** ScriptedStep: a scripted test's step on one rank (Simulation.feed); nowMs is the rank's clock, as a step's. */
export type ScriptedStep<S, M, P, L> = (
  s: S,
  nowMs: number,
  random: Random,
) => { readonly state: S; readonly out: ProtocolOutput<M, P, L> };

export type ConfigFor<C> = (rank: number, lines: LogLines) => C;

/** Simulation runs one cluster of protocol `p` with config `config` under o's faults. */
export class Simulation<C, S, M, P extends { readonly batchId: number }, L, D, R> {
  private readonly heap = new TimedHeap<Ev<M>>();
  private readonly ranks: SimRank<S, P>[] = [];
  private readonly links: Links;
  private readonly resolved: ResolvedFault[] = [];
  private readonly problems: string[] = [];
  private nowMs = 0;
  private events = 0;
  private lastKilled: number | undefined;
  private pendingStarts = 0;
  /** live: how many ranks are live (the run ends when none is and none is still to start). */
  private live = 0;
  private readonly clients: SimClients | undefined;
  /** checker: the protocol's invariants, when the run checks every step (SimOptions.checkEveryStep). */
  private readonly checker: StepInvariants<S, M, P, L> | undefined;
  private violation: Violation | undefined;
  /** stepCostMs: SimOptions.stepCostUs in ms; 0 delivers every message when it arrives. */
  private readonly stepCostMs: number;
  /** starve: the stream every `--starve` span is drawn from (forked per rank), apart from the net's and the disks'. */
  private readonly starve: Random;
  /**
   * readings: per rank, the protocol's reading of its instance log at its last restart, handed
   * to the next restart's recoverLog so it reads only the lines written since (a long run's
   * ranks restart a hundred times on logs of a million lines). Lines are only ever appended,
   * except that a crash may cut the last; a reading that covered a line cut is longer than the
   * log that is left and is not used.
   */
  private readonly readings: (LogReading<R> | undefined)[] = [];

  constructor(
    private readonly p: Protocol<C, S, M, P, L, D, R>,
    private readonly config: C,
    private readonly o: SimOptions,
    private readonly configFor?: ConfigFor<C>,
  ) {
    this.stepCostMs = (o.stepCostUs ?? 0) / 1000;
    const root = new SeededRandom(`csplab-sim/${o.seed.length}:${o.seed}`);
    this.checker = o.checkEveryStep === true ? p.invariants?.({ ranks: o.ranks, live: (rank) => this.ranks[rank]?.state }) : undefined;
    this.links = new Links(o.ranks, o.link, root.fork('net'));
    this.starve = root.fork('starve');
    const diskRandom = root.fork('disk');
    const late = new Set(o.faults.flatMap((f) => (f.action === 'start' && f.target.type === 'rank' ? [f.target.rank] : [])));
    for (let r = 0; r < o.ranks; r++) {
      const skewMs = o.link.skew?.rank === r ? o.link.skew.offsetMs : 0;
      const disk = new Disk<P>(o.disk ?? DEFAULT_DISK, diskRandom.fork(`rank${r}`), p.supersedes?.bind(p), o.logTap?.(r));
      const tracer = new Tracer(o.trace);
      this.ranks.push({
        ...{ rank: r, incarnation: 0, status: 'planned', state: undefined, random: rankRandom(o.seed, r, 0), skewMs, disk, tracer },
        ...{
          pausedUntilMs: 0,
          pausedAtMs: 0,
          deferred: [],
          stalled: new Map(),
          wakeAtMs: Infinity,
          wakeGen: 0,
          turnQueued: false,
          role: '',
          round: -1,
          summary: undefined,
          busyUntilMs: 0,
          backlog: [],
        },
      });
    }
    for (const f of o.faults) this.heap.push({ atMs: f.atMs, kind: 'fault', fault: f });
    this.pendingStarts = o.faults.filter((f) => f.action === 'start' || f.action === 'restart').length;
    for (const r of this.ranks) if (!late.has(r.rank)) this.boot(r);
    this.clients = o.clients === undefined ? undefined : this.startClients(o.clients, root.fork('clients'));
  }

  /** startClients: the client load, its requests delivered to a rank as `message`s from the client's address. */
  private startClients(load: SimClientLoad, random: Random): SimClients {
    const port = this.p.clients;
    if (port === undefined) throw new RangeError(`${this.p.name} takes no clients (it has no client port)`);
    return new SimClients(load, this.o.ranks, this.o.loadMs, this.o.link, random, {
      nowMs: () => this.nowMs,
      at: (atMs, ev) => this.heap.push({ atMs, kind: 'client', ev }),
      request: (atMs, from, to, req) => this.heap.push({ atMs, kind: 'deliver', from, to, msg: port.toMsg(req), damaged: false }),
    });
  }

  /** run processes events until every rank has stopped or gone down for good, or the grace after the load ends. */
  run(): SimOutcome {
    this.drain(this.o.loadMs + (this.o.graceMs ?? 120_000));
    return this.outcome();
  }

  /** runUntil processes every event due by atMs, and then is at atMs (a scripted test's step in time). */
  runUntil(atMs: number): void {
    this.drain(atMs);
    if (atMs > this.nowMs && atMs !== Infinity) this.nowMs = atMs;
  }

  /** drain processes every event due by atMs; it stops early at a violation or once no rank is left. */
  private drain(atMs: number): void {
    const progress = this.o.onProgress;
    for (let n = 1; this.heap.size > 0; n++) {
      if (this.heap.peekAtMs() > atMs) break;
      const ev = this.heap.pop() as Ev<M>;
      this.nowMs = ev.atMs;
      this.dispatch(ev);
      if (progress !== undefined && n % PROGRESS_EVENTS === 0) progress(this.nowMs, this.events);
      if (this.violation !== undefined) return;
      if (this.pendingStarts === 0 && this.live === 0) return;
    }
  }

  // ---- scripted control (tests): through the protocol interface only ----

  /** tap sees every message a rank sends a rank, before the links judge it; returning true drops it (a test's filter). */
  tap: ((from: number, to: number, msg: M) => boolean | undefined) | undefined;

  /** now: simulated ms after round 0. */
  now(): number {
    return this.nowMs;
  }

  /** fault fires a fault now, as a scheduled one would (its target resolved now). */
  fault(f: DistributiveOmit<SimFault, 'atMs'>): void {
    if (f.action === 'start' || f.action === 'restart') this.pendingStarts++; // fire counts it down
    this.fire({ ...f, atMs: this.nowMs });
  }

  /** damageLastBatch makes a down rank's last durable batch read back damaged (a scripted disk fault). */
  damageLastBatch(rank: number): void {
    const r = this.at(rank);
    if (r.status !== 'live') r.disk.damageLast();
  }

  /**
   * feed steps a live, unpaused rank now on a scripted input: `stepWith` stands in for the
   * protocol's step this once (the simulator never looks inside it; a protocol's testkit builds
   * it), and its outputs go out, and the invariants run, as on any step; false if the rank cannot step.
   */
  feed(rank: number, stepWith: ScriptedStep<S, M, P, L>): boolean {
    const r = this.at(rank);
    if (r.status !== 'live' || r.state === undefined || r.pausedUntilMs > this.nowMs) return false;
    this.input(r, TURN, stepWith);
    return true;
  }

  /** setLink changes the rank-to-rank links' faults from now on (the clients' links keep theirs). */
  setLink(change: LinkChange): void {
    this.links.retune(change);
  }

  /** kvClients: the client load (SimOptions.clients), for a scripted test to issue ops, filter their traffic, read the history. */
  kvClients(): SimClients {
    if (this.clients === undefined) throw new RangeError('this run has no clients (SimOptions.clients)');
    return this.clients;
  }

  /** heal ends every partition and cut now, scheduled or fired (a scripted test's heal). */
  heal(): void {
    this.links.heal();
  }

  /** setDisk changes every rank's disk faults from now on (a kill that keeps no unsynced write: keepUnsyncedRate 0). */
  setDisk(change: DiskChange): void {
    for (const r of this.ranks) r.disk.retune(change);
  }

  /** durable: what a rank's disk holds durably now, what a restart would replay (read it, never change it). */
  durable(rank: number): readonly P[] {
    return this.at(rank).disk.durable;
  }

  /** unterminated: a crash cut the rank's last instance-log line short (a restart cuts it). */
  unterminated(rank: number): boolean {
    return this.at(rank).disk.torn;
  }

  /** end: how a rank's run stands ('live', 'planned', or how it went down). */
  end(rank: number): Status {
    return this.at(rank).status;
  }

  /** inject hands rank `to` a message now, as if the connection from rank `from` carried it (a forged or replayed one). */
  inject(from: number, to: number, msg: M): void {
    this.heap.push({ atMs: this.nowMs, kind: 'deliver', from, to, msg, damaged: false });
  }

  /** state: a rank's state while it runs (undefined: down or not started). Read it, never change it. */
  state(rank: number): S | undefined {
    return this.at(rank).state;
  }

  /** problems: what went wrong so far (a broken invariant of a run checked every step is one). */
  problemsSoFar(): readonly string[] {
    return this.problems;
  }

  /** lines: a rank's instance log so far, as strings (a copy). */
  lines(rank: number): string[] {
    return this.at(rank).disk.lines.toArray();
  }

  /** summary: a live rank's summary now, or a down one's as it went down. */
  summary(rank: number): Summary | undefined {
    const r = this.at(rank);
    return r.state !== undefined ? this.p.summary(r.state) : r.summary;
  }

  private outcome(): SimOutcome {
    const ranks = this.ranks.map((r) => {
      if (r.status === 'live' && r.state !== undefined) r.summary = this.p.summary(r.state);
      const end: RankEnd = r.status === 'live' ? 'cut-off' : r.status === 'planned' ? 'never-started' : r.status;
      const { disk } = r;
      const log = disk.lines;
      let lines: string[] | undefined;
      return {
        rank: r.rank,
        log,
        get lines(): readonly string[] {
          return (lines ??= log.toArray());
        },
        unterminated: disk.torn,
        trace: r.tracer.lines,
        end,
        incarnations: r.incarnation + 1,
        summary: r.summary,
      };
    });
    const { events, nowMs: simMs, problems } = this;
    const clients = this.clients === undefined ? {} : { history: this.clients.history, clientStats: this.clients.stats() };
    const violation = this.violation === undefined ? {} : { violation: this.violation };
    return { ranks, resolved: this.resolved, events, simMs, problems, drops: this.links.drops, ...clients, ...violation };
  }

  // ---- events ----

  private dispatch(ev: Ev<M>): void {
    if (ev.kind === 'fault') return this.fire(ev.fault);
    if (ev.kind === 'client') return this.clients?.on(ev.ev);
    if (ev.kind === 'stall') return this.stall(ev.rank, ev.untilMs);
    const r = this.at(ev.kind === 'deliver' ? ev.to : ev.rank);
    if (ev.kind === 'persisted' && ev.inc === r.incarnation) r.disk.synced(ev.batchId); // durable even while paused
    if (r.status !== 'live' || r.state === undefined) return;
    if (ev.kind === 'resume') return this.resume(r, ev.inc);
    if (ev.kind === 'free') return this.free(r, ev.inc);
    if (r.pausedUntilMs > this.nowMs) {
      if (ev.kind === 'deliver' && !isClientAddress(ev.from)) this.hold(r, ev);
      else r.deferred.push(ev);
      return;
    }
    switch (ev.kind) {
      case 'deliver':
        return this.stepCostMs > 0 ? this.enqueue(r, ev) : this.deliver(r, ev);
      case 'persisted':
        if (ev.inc === r.incarnation) this.input(r, { type: 'persisted', batchId: ev.batchId });
        return;
      case 'wake':
        if (ev.gen === r.wakeGen) this.input(r, TICK);
        return;
      case 'turn':
        if (ev.inc === r.incarnation) this.turn(r);
        return;
    }
  }

  /**
   * enqueue: with a step cost a rank is one server: a message that arrives while it is busy waits
   * in its backlog, in arrival order (so links stay FIFO), and each delivered message keeps it busy
   * for the cost. Only messages cost: ticks, turns and fsync completions are the driver's own
   * bookkeeping, and the model is meant to show where one rank's message handling is the limit.
   */
  private enqueue(r: SimRank<S, P>, ev: Extract<Ev<M>, { kind: 'deliver' }>): void {
    if (r.busyUntilMs > this.nowMs || r.backlog.length > 0) {
      if (r.backlog.push(ev) === 1) this.heap.push({ atMs: r.busyUntilMs, kind: 'free', rank: r.rank, inc: r.incarnation });
      return;
    }
    r.busyUntilMs = this.nowMs + this.stepCostMs;
    this.deliver(r, ev);
  }

  /** free: the rank finished its last message; it takes the backlog's oldest, if any. */
  private free(r: SimRank<S, P>, inc: number): void {
    if (inc !== r.incarnation) return;
    const next = r.backlog.shift() as Extract<Ev<M>, { kind: 'deliver' }> | undefined;
    if (next === undefined) return;
    r.busyUntilMs = this.nowMs + this.stepCostMs;
    if (r.backlog.length > 0) this.heap.push({ atMs: r.busyUntilMs, kind: 'free', rank: r.rank, inc: r.incarnation });
    this.deliver(r, next);
  }

  private deliver(r: SimRank<S, P>, ev: Extract<Ev<M>, { kind: 'deliver' }>): void {
    if (ev.damaged) {
      const refused = this.damagedRefused(ev.msg);
      r.tracer.drop(this.nowMs, ev.from, ev.to, 'damaged');
      this.links.drops++;
      if (!refused)
        this.problems.push(`t=${this.nowMs.toFixed(3)}ms rank ${r.rank}: validate accepted a damaged frame from rank ${ev.from}`);
      return;
    }
    if (r.tracer.on && !isClientAddress(ev.from))
      r.tracer.message(this.nowMs, 'recv', ev.from, ev.to, this.p.describe?.(ev.msg) ?? describeByType(ev.msg));
    this.input(r, { type: 'message', from: ev.from, msg: ev.msg });
  }

  /**
   * hold: a delivery to a paused rank waits for the resume as a real peer's queue holds it
   * (runtime/net/peer.ts): once the rank has read nothing for STALLED_AFTER_MS, each link keeps
   * only its newest DOWN_QUEUE_LIMIT messages and the oldest KEPT_LIMIT that the protocol's
   * keepWhenStalled marks; the rest is stale, dropped as the sender would.
   */
  private hold(r: SimRank<S, P>, ev: Extract<Ev<M>, { kind: 'deliver' }>): void {
    if (ev.atMs < r.pausedAtMs + STALLED_AFTER_MS) {
      r.deferred.push(ev);
      return;
    }
    let link = r.stalled.get(ev.from);
    if (link === undefined) r.stalled.set(ev.from, (link = { marked: 0, unmarked: [] }));
    if (!ev.damaged && this.p.keepWhenStalled?.(this.p.encode?.(ev.msg) ?? ev.msg) === true) {
      if (link.marked >= KEPT_LIMIT) return this.stale(r, ev.from);
      link.marked++;
      r.deferred.push(ev);
      return;
    }
    link.unmarked.push(ev);
    r.deferred.push(ev);
    if (link.unmarked.length <= DOWN_QUEUE_LIMIT) return;
    const oldest = link.unmarked.shift();
    r.deferred.splice(r.deferred.indexOf(oldest as Ev<unknown>), 1);
    this.stale(r, ev.from);
  }

  private stale(r: SimRank<S, P>, from: number): void {
    r.tracer.drop(this.nowMs, from, r.rank, 'stale');
    this.links.drops++;
  }

  /** damagedRefused: a complete frame with its `type` damaged in transit must fail validate, as any bad frame does. */
  private damagedRefused(msg: M): boolean {
    const wire: unknown = this.p.encode?.(msg) ?? msg;
    const damaged = typeof wire === 'object' && wire !== null ? { ...wire, type: '\u0000damaged' } : '\u0000damaged';
    // The refusal's stack is never read, and capturing it was most of what a damaged copy cost.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      this.p.validate(damaged);
      return false;
    } catch {
      return true;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** input steps a live rank on one input and queues its turn (after every input due at this instant). */
  private input(r: SimRank<S, P>, input: ProtocolInput<M>, stepWith?: ScriptedStep<S, M, P, L>): void {
    if (!this.step(r, input, stepWith)) return;
    if (!r.turnQueued) {
      r.turnQueued = true;
      this.heap.push({ atMs: this.nowMs, kind: 'turn', rank: r.rank, inc: r.incarnation });
    }
  }

  /** turn ends the turn as the driver does: the protocol's own load, then role report and the next wake-up. */
  private turn(r: SimRank<S, P>): void {
    r.turnQueued = false;
    const out = this.step(r, TURN);
    if (out === undefined || r.state === undefined) return;
    this.noteRole(r, r.state);
    if (out.stop === true) {
      r.summary = this.p.summary(r.state);
      r.tracer.note(this.nowMs, { ev: 'stop' });
      this.down(r, 'stopped');
      return;
    }
    const wakeAt = Math.min(out.wakeAtMs - BASE_MS - r.skewMs, this.nowMs + this.p.pollMs(r.state));
    this.setWake(r, Math.max(wakeAt, this.nowMs));
  }

  private setWake(r: SimRank<S, P>, atMs: number): void {
    if (atMs === r.wakeAtMs) return;
    r.wakeAtMs = atMs;
    this.heap.push({ atMs, kind: 'wake', rank: r.rank, gen: ++r.wakeGen });
  }

  /** step runs the protocol's step and hands its outputs on; undefined if the step threw (the rank crashed). */
  private step(r: SimRank<S, P>, input: ProtocolInput<M>, stepWith?: ScriptedStep<S, M, P, L>): ProtocolOutput<M, P, L> | undefined {
    const s = r.state as S;
    this.events++;
    const nowMs = BASE_MS + this.nowMs + r.skewMs;
    let res: { readonly state: S; readonly out: ProtocolOutput<M, P, L> };
    this.checker?.before?.(r.rank, s);
    try {
      res = stepWith === undefined ? this.p.step(s, input, nowMs, r.random) : stepWith(s, nowMs, r.random);
    } catch (e) {
      this.problems.push(`t=${this.nowMs.toFixed(3)}ms rank ${r.rank}: step threw ${(e as Error).stack ?? String(e)}`);
      r.tracer.note(this.nowMs, { ev: 'crash', why: 'step threw' });
      this.down(r, 'crashed');
      return undefined;
    }
    r.state = res.state;
    const { out } = res;
    if (this.checker !== undefined) this.violated(r, this.checker.after(r.rank, res.state, input, out));
    if (input.type === 'tick') r.wakeAtMs = Infinity;
    if (out.persist.length > 0) this.persist(r, out.persist);
    if (out.log.length > 0) this.log(r, out.log, nowMs);
    for (const e of out.send) this.send(r, e);
    return out;
  }

  /** violated: the first violation stops the run (run's loop), named by rank, step and rule. */
  private violated(r: SimRank<S, P>, found: readonly string[]): void {
    const rule = found[0];
    if (rule === undefined || this.violation !== undefined) return;
    this.violation = { rank: r.rank, step: this.events, atMs: this.nowMs, rule };
    this.problems.push(`step ${this.events} t=${this.nowMs.toFixed(3)}ms rank ${r.rank}: invariant broken: ${rule}`);
    r.tracer.note(this.nowMs, { ev: 'violation', step: this.events, rule });
  }

  private persist(r: SimRank<S, P>, batches: readonly P[]): void {
    const last = batches[batches.length - 1] as P;
    const durableAtMs = r.disk.write(batches, this.nowMs);
    if (r.tracer.on) r.tracer.note(this.nowMs, { ev: 'persist', batches: [batches[0]?.batchId, last.batchId] });
    this.heap.push({ atMs: durableAtMs, kind: 'persisted', rank: r.rank, inc: r.incarnation, batchId: last.batchId });
  }

  private log(r: SimRank<S, P>, events: readonly L[], nowMs: number): void {
    const { lines } = r.disk;
    const atUs = nowMs * 1000;
    let commits = 0; // for the trace alone
    for (const ev of events) {
      const line = this.p.formatLog(ev, atUs);
      lines.push(line);
      if (r.tracer.on && line.startsWith('commit')) commits++;
    }
    if (commits > 0) r.tracer.note(this.nowMs, { ev: 'commit', n: commits, lines: lines.length });
  }

  private send(r: SimRank<S, P>, e: Envelope<M>): void {
    if (isClientAddress(e.to)) return this.clients?.fromRank(r.rank, e.to, this.p.clients?.asReply(e.msg) ?? null);
    if (this.tap?.(r.rank, e.to, e.msg) === true) {
      r.tracer.drop(this.nowMs, r.rank, e.to, 'filtered');
      return;
    }
    if (r.tracer.on) r.tracer.message(this.nowMs, 'send', r.rank, e.to, this.p.describe?.(e.msg) ?? describeByType(e.msg));
    const copies = this.links.copies(r.rank, e.to, this.nowMs);
    if (typeof copies === 'string') {
      r.tracer.drop(this.nowMs, r.rank, e.to, copies);
      return;
    }
    for (const c of copies) this.heap.push({ atMs: c.atMs, kind: 'deliver', from: r.rank, to: e.to, msg: e.msg, damaged: c.damaged });
  }

  private noteRole(r: SimRank<S, P>, s: S): void {
    const role = this.p.role(s);
    const round = this.p.round(s);
    if (role === r.role && round === r.round) return;
    r.role = role;
    r.round = round;
    r.tracer.note(this.nowMs, { ev: 'role', role, round });
  }

  // ---- rank lives ----

  /** boot starts an incarnation: the first from nothing, a restart from what its disk kept. */
  private boot(r: SimRank<S, P>): boolean {
    const restart = r.incarnation > 0;
    let durable: D | undefined;
    const damaged = restart ? r.disk.recover(r.rank) : undefined;
    if (damaged !== undefined) {
      this.problems.push(`t=${this.nowMs.toFixed(3)}ms ${damaged}`);
      this.down(r, 'refused');
      return false;
    }
    try {
      durable = restart && this.p.replay !== undefined ? this.p.replay(r.disk.durable) : undefined;
    } catch (e) {
      this.problems.push(`t=${this.nowMs.toFixed(3)}ms rank ${r.rank}: recovery refused its WAL: ${(e as Error).message}`);
      this.down(r, 'refused');
      return false;
    }
    const logged = restart ? this.recoverLog(r) : undefined;
    r.random = rankRandom(this.o.seed, r.rank, r.incarnation);
    const nowMs = BASE_MS + this.nowMs + r.skewMs;
    r.state = this.p.init({
      self: r.rank,
      ranks: this.o.ranks,
      clusterId: this.o.clusterId,
      config: this.configFor?.(r.rank, r.disk.lines) ?? this.config,
      startAtMs: BASE_MS,
      loadUntilMs: BASE_MS + this.o.loadMs,
      nowMs,
      random: r.random.fork('core'),
      rankRandom: r.random,
      ...(durable !== undefined ? { durable } : {}),
      ...(logged !== undefined ? { logged } : {}),
      ...(this.o.ratePerSec !== undefined ? { ratePerSec: this.o.ratePerSec } : {}),
    });
    r.random = r.random.fork('core'); // the stream every step gets, as the driver's
    r.status = 'live';
    this.live++;
    r.role = '';
    r.round = -1;
    r.tracer.note(this.nowMs, { ev: 'start', incarnation: r.incarnation });
    if (this.checker?.started !== undefined) this.violated(r, this.checker.started(r.rank, r.state, r.incarnation));
    this.noteRole(r, r.state);
    this.setWake(r, this.nowMs);
    return true;
  }

  /** recoverLog: the protocol's reading of a restarted rank's instance log, from its last reading while that holds. */
  private recoverLog(r: SimRank<S, P>): R {
    const lines = r.disk.reopen();
    const earlier = this.readings[r.rank];
    const logged = this.p.recoverLog(lines, earlier !== undefined && earlier.lines <= lines.length ? earlier : undefined);
    this.readings[r.rank] = { logged, lines: lines.length };
    return logged;
  }

  private down(r: SimRank<S, P>, status: RankEnd): void {
    if (r.status === 'live') this.live--;
    r.status = status;
    r.state = undefined;
    r.pausedUntilMs = 0;
    r.deferred = [];
    r.stalled.clear();
    r.backlog = [];
    r.busyUntilMs = 0;
    r.turnQueued = false;
    r.wakeAtMs = Infinity;
    r.wakeGen++;
  }

  private resume(r: SimRank<S, P>, inc: number): void {
    if (inc !== r.incarnation || r.pausedUntilMs === 0) return;
    r.pausedUntilMs = 0;
    r.tracer.note(this.nowMs, { ev: 'fault', fault: 'resume' });
    for (const ev of r.deferred) this.heap.push({ ...ev, atMs: this.nowMs } as Ev<M>);
    r.deferred = [];
    r.stalled.clear();
    // The overdue timers run once what the sockets held is read, as a real event loop, stopped
    // in its poll for input, reads first (a tick ahead of the backlog hid the rounds it held).
    r.wakeAtMs = this.nowMs;
    this.heap.push({ atMs: this.nowMs, kind: 'wake', rank: r.rank, gen: ++r.wakeGen });
  }

  // ---- faults ----

  private fire(f: SimFault): void {
    if (f.action === 'partition' || f.action === 'cut') return this.fireNet(f);
    if (f.action === 'starve') return this.fireStarve(f);
    if (f.action === 'start' || f.action === 'restart') this.pendingStarts--;
    const rank = this.resolve(f.target);
    const entry = { action: f.action, target: f.target.type, atMs: f.atMs, rank: rank ?? null };
    const r = rank === undefined ? undefined : this.ranks[rank];
    const applied = r !== undefined && this.apply(f, r);
    this.resolved.push(applied ? entry : { ...entry, ignored: true });
  }

  private apply(f: Exclude<SimFault, { action: 'partition' | 'cut' | 'starve' }>, r: SimRank<S, P>): boolean {
    switch (f.action) {
      case 'kill': {
        if (r.status !== 'live') return false;
        if (r.state !== undefined) r.summary = this.p.summary(r.state);
        const lost = r.disk.crash();
        r.tracer.note(this.nowMs, {
          ev: 'fault',
          fault: 'kill',
          lostBatches: lost,
          tornLine: r.disk.torn,
          ...(r.disk.torn ? { tornWord: r.disk.tornWord } : {}),
        });
        this.down(r, 'killed');
        r.incarnation++;
        this.lastKilled = r.rank;
        return true;
      }
      case 'restart':
        if (r.status !== 'killed') return false;
        r.tracer.note(this.nowMs, { ev: 'fault', fault: 'restart' });
        return this.boot(r);
      case 'start':
        if (r.status !== 'planned') return false;
        return this.boot(r);
      case 'pause':
        if (r.status !== 'live' || r.pausedUntilMs > this.nowMs) return false;
        this.pause(r, f.durationMs, 'pause');
        return true;
    }
  }

  private pause(r: SimRank<S, P>, durationMs: number, fault: 'pause' | 'stall'): void {
    r.pausedUntilMs = this.nowMs + durationMs;
    r.pausedAtMs = this.nowMs;
    r.tracer.note(this.nowMs, { ev: 'fault', fault, untilMs: r.pausedUntilMs });
    this.heap.push({ atMs: r.pausedUntilMs, kind: 'resume', rank: r.rank, inc: r.incarnation });
  }

  /**
   * stall is one span of a starved rank (STARVE): descheduled now for a drawn stall (held as a
   * pause holds it), then run for a drawn span before the next stall, until the window ends.
   * A rank down or already paused skips this stall; the window's draws go on regardless.
   */
  private stall(rank: number, untilMs: number): void {
    if (this.nowMs >= untilMs) return;
    const r = this.at(rank);
    const random = this.starveOf(rank);
    const stallMs = random.between(STARVE.stallMs[0], STARVE.stallMs[1]);
    const runMs = random.between(STARVE.runMs[0], STARVE.runMs[1]);
    const runnable = r.status === 'live' && r.pausedUntilMs <= this.nowMs;
    if (runnable) this.pause(r, stallMs, 'stall');
    this.heap.push({ atMs: Math.max(this.nowMs, r.pausedUntilMs) + runMs, kind: 'stall', rank, untilMs });
  }

  private readonly starveStreams = new Map<number, Random>();

  private starveOf(rank: number): Random {
    let random = this.starveStreams.get(rank);
    if (random === undefined) this.starveStreams.set(rank, (random = this.starve.fork(`rank${rank}`)));
    return random;
  }

  private fireNet(f: Extract<SimFault, { action: 'partition' | 'cut' }>): void {
    const untilMs = this.nowMs + f.durationMs;
    const all = f.action === 'partition' ? f.groups.flat() : [...f.from, ...f.to];
    const named = all.some((t) => t.type === 'leader');
    const leader = named ? this.resolve({ type: 'leader' }) : undefined;
    // The resolved leader leaves any other group it is named in (docs/faults.md).
    const ranks = (ts: readonly Target[]): number[] =>
      ts.flatMap((t) => (t.type === 'leader' ? (leader ?? []) : t.type === 'rank' && t.rank !== leader ? [t.rank] : []));
    const base = {
      target: named ? 'leader' : 'rank',
      atMs: f.atMs,
      rank: leader ?? null,
      untilMs,
      ...(named && leader === undefined ? { ignored: true as const } : {}),
    };
    if (base.ignored === true) {
      this.resolved.push({ action: f.action, ...base });
      return; // no leader to cut off: skipped, as `csplab run` skips it
    }
    if (f.action === 'partition') {
      const groups = this.links.partition(f.groups.map(ranks), untilMs);
      this.resolved.push({ action: 'partition', ...base, groups });
    } else {
      const from = ranks(f.from);
      const to = ranks(f.to);
      this.links.cut(from, to, untilMs);
      this.resolved.push({ action: 'cut', ...base, from, to });
    }
    for (const r of this.ranks) r.tracer.note(this.nowMs, { ev: 'fault', fault: f.action, untilMs });
  }

  /** fireStarve starts each named rank's stalls (`leader` resolved now), each rank on its own draws. */
  private fireStarve(f: Extract<SimFault, { action: 'starve' }>): void {
    const untilMs = this.nowMs + f.durationMs;
    const ranks = [...new Set(f.ranks.flatMap((t) => this.resolve(t) ?? []))].sort((a, b) => a - b);
    this.resolved.push({
      action: 'starve',
      target: f.ranks.some((t) => t.type === 'leader') ? 'leader' : 'rank',
      atMs: f.atMs,
      rank: null,
      from: ranks,
      untilMs,
    });
    for (const rank of ranks) this.heap.push({ atMs: this.nowMs, kind: 'stall', rank, untilMs });
  }

  /** resolve: a fixed rank; `leader`: the live, unpaused rank leading the highest round; `killed`: the rank killed last. */
  private resolve(t: Target): number | undefined {
    if (t.type === 'rank') return t.rank;
    if (t.type === 'killed') return this.lastKilled;
    let best: SimRank<S, P> | undefined;
    for (const r of this.ranks) {
      if (r.status !== 'live' || r.pausedUntilMs > this.nowMs || r.role !== 'leader') continue;
      if (best === undefined || r.round > best.round) best = r;
    }
    return best?.rank;
  }

  private at(rank: number): SimRank<S, P> {
    const r = this.ranks[rank];
    if (r === undefined) throw new RangeError(`rank ${rank} is not in 0…${this.ranks.length - 1}`);
    return r;
  }
}

const TICK: ProtocolInput<never> = { type: 'tick' };
const TURN: ProtocolInput<never> = { type: 'turn' };
/** DistributiveOmit: Omit applied to each member of a union (a fault without its time). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
