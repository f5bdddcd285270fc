// protocol: what a consensus protocol implements once to run as a rank on the driver
// (runtime/driver/), after etcd-io/raft's Step/Ready. The driver owns the processors, the
// network, the disk and the clock; the protocol owns a state that only its pure `step` changes:
//
//   s = init(setup)                                   // config + what survived on disk
//   loop: input = a peer's message (its sender taken from the connection), a wake-up at a
//         deadline the protocol asked for, a WAL durability report, or the end of a turn;
//         ({ state: s, out } = step(s, input, clock.nowMs(), random));
//         hand out.persist to the WAL, out.log to the instance log, out.send to peers (the
//         protocol parks a send that depends on a write until `persisted` says it is durable),
//         wake at out.wakeAtMs; stop once out.stop.
//
// The registry (processors/registry.ts) lists each protocol's ProtocolEntry: its flags and a
// lazy start, so the CLI knows protocols only through it. docs/protocols/interface.md.
import type { Options } from 'yargs';
import type { ClientReply, ClientRequest } from './client/wire.js';
import type { NodeBaseConfig } from './driver/cluster.js';
import type { Lab } from './lab.js';
import type { Random } from './random.js';
import type { SimOptions, SimOutcome } from './sim/types.js';

/** Envelope addresses one message to rank `to`. */
export type Envelope<M> = { readonly to: number; readonly msg: M };

/** LogBytes: where writeLog puts its bytes (runtime/driver/logtext.ts). */
export interface LogBytes {
  fill(max: number, write: (buf: Buffer, at: number) => number): void;
}

/** ProtocolInput is one event for a protocol's step. */
export type ProtocolInput<M> =
  /** message: `from` is the rank at the other end of the connection, never a field of msg. */
  | { readonly type: 'message'; readonly from: number; readonly msg: M }
  /** tick: a deadline the protocol asked for (wakeAtMs) passed, or no input came for pollMs. */
  | { readonly type: 'tick' }
  /** persisted: every batch the protocol asked to persist, up to batchId, is durable. */
  | { readonly type: 'persisted'; readonly batchId: number }
  /** turn: every input that was waiting has been stepped; a protocol's own load (a lab client) goes here. */
  | { readonly type: 'turn' };

/** ProtocolOutput is everything one step asks the driver to do. */
export interface ProtocolOutput<M, P, L> {
  readonly send: readonly Envelope<M>[];
  /** persist: batches for the WAL, in order; each one's durability comes back as `persisted`. */
  readonly persist: readonly P[];
  /** log: instance-log events, in order (the driver formats them with formatLog). */
  readonly log: readonly L[];
  /** trace: for tests and debugging; the driver does not read it. */
  readonly trace: readonly unknown[];
  /** wakeAtMs: step (a `tick`) no later than this. */
  readonly wakeAtMs: number;
  /** stop: the rank has done its part (drained after the load); the driver stops it. */
  readonly stop?: boolean;
}

/** RankSetup is what init gets: the rank, its protocol's validated flags and what survived on disk. */
export interface RankSetup<C, D, R> {
  readonly self: number;
  readonly ranks: number;
  readonly clusterId: string;
  readonly config: C;
  /** startAtMs: the run's shared start (a protocol with a slot clock counts its slots from it). */
  readonly startAtMs: number;
  /** loadUntilMs: the end of the run's load (start + -t); the protocol drains after it. */
  readonly loadUntilMs: number;
  readonly nowMs: number;
  /** random: the stream every step gets; rankRandom: the rank's root, for the protocol's other forks. */
  readonly random: Random;
  readonly rankRandom: Random;
  /** durable: the protocol's WAL replayed (undefined on a first start). */
  readonly durable?: D;
  /** logged: the protocol's reading of its instance log (undefined on a first start). */
  readonly logged?: R;
  /**
   * ratePerSec: the lab load's pace, commands per second per leader (`csplab sim --rate`); undefined:
   * as fast as the protocol's window allows (`csplab run`).
   */
  readonly ratePerSec?: number;
}

/** Store takes the protocol's persist batches in order and reports each durable batchId. */
export interface Store<P> {
  write(batches: readonly P[]): void;
  /** close waits for what was written to be durable. */
  close(): Promise<void>;
}

/** OpenedStorage is a WAL recovered (or created) and not yet written to. */
export interface OpenedStorage<P, D> {
  readonly durable: D | undefined;
  /** notes: what recovery did, for the debug output. */
  readonly notes: readonly string[];
  start(onPersisted: (batchId: number) => void, onError: (e: unknown) => void): Store<P>;
}

/** Storage is a protocol's WAL: its record format and recovery. */
export interface Storage<P, D> {
  /**
   * open: a fresh WAL for incarnation 0, else the recovered one. Damaged or foreign state is
   * refused with runtime/errors.ts's ForeignStateError (exit 4).
   */
  open(o: { logDir: string; rank: number; clusterId: string; incarnation: number }): Promise<OpenedStorage<P, D>>;
}

/**
 * LogLines: an instance log's lines as recoverLog reads them: an array of strings, or the
 * simulator's log kept as bytes (runtime/sim/line_log.ts), which makes a string of a line only
 * when it is read.
 */
export interface LogLines extends Iterable<string> {
  readonly length: number;
  /** at: line i (0 ≤ i < length). */
  at(i: number): string | undefined;
  /**
   * sliced: the lines from line `from` on, for a reader that keeps none of them (the simulator's
   * log hands out slices of a chunk's text, cheaper than a string per line, which keep that text).
   */
  sliced?(from: number): Iterable<string>;
}

/** LogReading: a protocol's recoverLog of a log's first `lines` lines (Protocol.recoverLog's `after`). */
export type LogReading<R> = { readonly logged: R; readonly lines: number };

/**
 * Protocol: C its validated flags, S its state, M its wire message, P a WAL batch (with the
 * batchId its `persisted` input names), L an instance-log event, D its recovered WAL, R its
 * reading of the instance log.
 */
export interface Protocol<C, S, M, P, L, D, R> {
  readonly name: string;
  init(setup: RankSetup<C, D, R>): S;
  /** step owns s linearly: it may update it in place and returns it; the caller drops the old one. */
  step(s: S, input: ProtocolInput<M>, nowMs: number, random: Random): { readonly state: S; readonly out: ProtocolOutput<M, P, L> };
  /** validate reads one decoded wire message or throws (the connection is dropped as bad input). */
  validate(x: unknown): M;
  /** encode: the form a message travels in over TCP, if not itself (validate reads it back). */
  encode?(msg: M): M;
  /**
   * keepWhenStalled: a message (in its wire form) a peer that stopped reading is still held,
   * where its newest few are (runtime/net/peer.ts): one whose loss costs more than its bytes.
   */
  keepWhenStalled?(msg: M): boolean;
  /** transientPayloads: validate keeps no view of the decoded bytes, so TCP may reuse them (runtime/net/tcp.ts). */
  readonly transientPayloads?: boolean;
  /** formatLog renders one instance-log line (no newline); atUs is the epoch µs it is written. */
  formatLog(ev: L, atUs: number): string;
  /**
   * writeLog, if given, writes a step's events as the bytes formatLog's lines make (each with its
   * newline) straight into the turn's text: a catch-up step logs tens of thousands of lines, and
   * a string per line was most of its cost after the collector (docs/protocols/paxos.md §12).
   */
  writeLog?(events: readonly L[], atUs: number, text: LogBytes): void;
  /**
   * recoverLog reads back the lines of an earlier incarnation's instance log (a torn last line
   * already cut). `after`, when given, is this function's own reading of the first `after.lines`
   * lines, unchanged since: a caller that keeps the log in memory (the simulator, whose ranks
   * restart often on logs of a million lines) passes it so that only the lines since need reading.
   * The result must be the same with it as without it; a protocol may ignore it.
   */
  recoverLog(lines: LogLines, after?: LogReading<R>): R;
  readonly storage: Storage<P, D>;
  /** pollMs: the longest any processor waits for input (a heartbeat interval, say). */
  pollMs(s: S): number;
  /** role: 'follower' waits on the follower processor's deadline; any other role on the leader's. */
  role(s: S): string;
  /** round: the term, ballot or round of the current role, reported when the role changes. */
  round(s: S): number;
  /** summary: the counters and gauges of the rank's progress and summary events (commit and generate lines at least). */
  summary(s: S): Summary;
  /** recovered: a debug line on what a restarted rank recovered. */
  recovered?(durable: D, logged: R | undefined, incarnation: number): string;
  /**
   * replay: what recovery reads back from the batches that reached the disk, in order — the
   * simulator's disk (runtime/sim/) in place of storage's files. Without it a restarted rank
   * recovers nothing (undefined durable state).
   */
  replay?(batches: readonly P[]): D;
  /** supersedes: once durable, this batch replaces every earlier one on disk (a checkpoint), so the simulated disk may forget them. */
  supersedes?(batch: P): boolean;
  /** describe: a message's type, round and seq range for traces (docs/trace.md); by default its `type` field. */
  describe?(msg: M): MessageInfo;
  /**
   * clients: a replicated store's client port. A client request reaches step as a `message`
   * from a client address (runtime/client/gateway.ts: CLIENT_ADDRESS_BASE + n, above every
   * rank) and a reply is sent `to` that address — on the rank driver through the gateway, on the
   * simulator over its simulated links (runtime/sim/clients.ts). Absent: the protocol takes no clients.
   */
  readonly clients?: ClientPort<M>;
  /**
   * invariants: the protocol's own invariants over its states, checked by the simulator after
   * every step when asked (SimOptions.checkEveryStep; docs/protocols/interface.md). One checker
   * per run, so it may remember what it saw across ranks and crashes (what was chosen, what a
   * rank promised before it crashed).
   */
  invariants?(run: InvariantRun<S>): StepInvariants<S, M, P, L>;
}

/** InvariantRun: what a run's invariant checker may read: the cluster size and any live rank's state. */
export interface InvariantRun<S> {
  readonly ranks: number;
  /** live: a live rank's current state (undefined: down, or not started yet). Read it, never change it. */
  live(rank: number): S | undefined;
}

/** StepInvariants: a run's checker; each call returns its violations, one sentence each, led by the rule's name. */
export interface StepInvariants<S, M, P, L> {
  /** before: rank's state just before it steps (step may update it in place: copy what `after` compares). */
  before?(rank: number, s: S): void;
  /** after: rank's state after its step on `input` gave `out`. */
  after(rank: number, s: S, input: ProtocolInput<M>, out: ProtocolOutput<M, P, L>): readonly string[];
  /** started: a rank's state as (re)started from what its disk kept (incarnation 0: a fresh start). */
  started?(rank: number, s: S, incarnation: number): readonly string[];
}

/** ClientPort maps a store's client traffic to its wire messages and back. */
export interface ClientPort<M> {
  /** toMsg: the message a client request arrives as. */
  toMsg(req: ClientRequest): M;
  /** asReply: the client reply a message sent to a client address carries, or null if it carries none (dropped). */
  asReply(msg: M): ClientReply | null;
}

/** MessageInfo is what a trace records of one message (docs/trace.md). */
export interface MessageInfo {
  readonly type: string;
  /** round: the term, ballot or round the message belongs to. */
  readonly round?: number;
  /** seq: the first and last position it carries, if any. */
  readonly seq?: readonly [number, number];
  /** size: an estimate of its size in bytes (records carried × a record's size, say). */
  readonly size?: number;
}

/** Summary is a protocol's counters and gauges; every protocol counts its instance log's lines. */
export type Summary = { commits: number; generates: number } & Record<string, number | string>;

/** RankStats is what a rank reports: the protocol's summary between its rank and the network's drops. */
export type RankStats = { rank: number; drops: number } & Summary;

/** RankOutcome is how a rank process ended. */
export type RankOutcome =
  | { readonly type: 'finished'; readonly stats: RankStats }
  | { readonly type: 'crashed'; readonly message: string; readonly stats: RankStats };

/** RankNode is a started rank process of any protocol. */
export interface RankNode {
  readonly finished: Promise<{
    type: 'finished' | 'crashed';
    message?: string;
    stats: { commits: number; generates: number; drops: number };
  }>;
  stop(): void;
}

/** FlagReader reads one numeric flag in [min, max] or throws the CLI's usage error. */
export type FlagReader = (name: string, value: unknown, min: number, max: number, integer?: boolean) => number;

/** CommonFlags are the flags every protocol reads: -o, -l, -t (meaning is the protocol's). */
export interface CommonFlags {
  readonly o: number;
  readonly l: number;
  readonly t: number;
}

/** ValidFlags are one protocol's flags after validation, ready to hand to ranks. */
export interface ValidFlags {
  /**
   * passOn: these flags as arguments, as validated (`csplab sim`'s replay command). `csplab run`
   * hands each rank every protocol's flags as given instead (cmd/rank.ts protocolsFlagArgs).
   */
  readonly passOn: readonly string[];
  /** check: a check across the common flags and these (run for the chosen protocol only); throws the usage error. */
  check?(common: CommonFlags): void;
  /**
   * warm, if given, runs the protocol's hot paths in memory before a rank listens or is held
   * (runtime/driver/warmup.ts), so the run's first second is not spent in cold code. It must
   * touch no file, socket or shared clock.
   */
  warm?(common: CommonFlags, debug: (line: string) => void): Promise<void>;
  /** start loads the protocol's code (not before: `csplab check` must not) and starts one rank. */
  start(node: NodeBaseConfig, common: CommonFlags): Promise<RankNode>;
  /** simulate loads the protocol's code and binds it to its config for the simulator (runtime/sim/); absent: it cannot be simulated. */
  simulate?(common: CommonFlags): Promise<SimProgram>;
}

/**
 * SimProgram is a protocol bound to its validated flags, its types hidden: the simulator
 * (runtime/sim/bind.ts makes one) runs it without knowing which protocol it is.
 */
export interface SimProgram {
  readonly name: string;
  /** clients: the protocol has a client port (Protocol.clients), so SimOptions.clients may load it. */
  readonly clients: boolean;
  /** run runs one simulated cluster to its end. */
  run(o: SimOptions): SimOutcome;
  /**
   * audit: the protocol's own log invariants over a finished run, one sentence per violation.
   * Given, it grades the instance logs instead of the lab's commit-line checker (a store whose
   * logs hold no commit lines, graded by its clients' history: chain).
   */
  audit?(o: SimOutcome): string[];
}

/** SummaryColumn is a column of `csplab run`'s end table: a number from each rank's summary event. */
export interface SummaryColumn {
  readonly header: string;
  /** key: the summary's field (the protocol's Summary). */
  readonly key: string;
}

/**
 * RankSeries: a count per rank over a run, read back from the instance logs (Vectory: the shards
 * each node masters), for summary.json, `csplab run`'s end table and `csplab report`'s chart.
 */
export interface RankSeries {
  readonly title: string;
  /** points: the state after each change: atMs (the logs' clock, ms), a count per rank, and what no rank holds. */
  readonly points: readonly { readonly atMs: number; readonly perRank: readonly number[]; readonly none: number }[];
}

/** ProtocolEntry is one registry line's protocol: its flags, validation and start. */
export interface ProtocolEntry {
  readonly name: string;
  /** defaults of -o, -l and -t. */
  readonly defaults: CommonFlags;
  /** options: the yargs options it adds to `csplab rank` and `csplab run`, by flag name. */
  readonly options: Readonly<Record<string, Options>>;
  /** flags validates its options in args (yargs' camelCase keys); usage makes the CLI's usage error (exit 2). */
  flags(args: Readonly<Record<string, unknown>>, read: FlagReader, usage: (message: string) => Error): ValidFlags;
  /** columns: the protocol's own columns in `csplab run`'s end table, after the commits. */
  readonly columns?: readonly SummaryColumn[];
  /** overTime: the protocol's count per rank over a run from its logs (one line array per rank) and the kills applied (`downs`). */
  readonly overTime?: (
    logs: readonly (readonly string[])[],
    downs: readonly { readonly rank: number; readonly atMs: number }[],
  ) => RankSeries;
  /**
   * gradedBy: the instance-log rules (check/rules.ts) do not read this protocol's log lines, so a
   * run is graded by its client history — `check --lin`, and `check --sc` when `sc` (a store whose
   * local reads are only sequentially consistent). `csplab report` says which checks ran.
   */
  readonly gradedBy?: { readonly sc: boolean };
  /** slotLeader: a `leader` fault target resolves by the slot clock too (fixed-length rounds, Paxos). */
  readonly slotLeader?: boolean;
  /**
   * rankNodeFlags: Node/V8 flags `csplab run` starts this protocol's rank processes with (a heap
   * size measured for its allocation pattern); CSPLAB_RANK_NODE_OPTIONS comes after and wins.
   */
  readonly rankNodeFlags?: readonly string[];
  /** lab: the protocol's teaching lab (`csplab lab init`, `csplab grade`), loaded only by those commands. */
  lab?(): Promise<Lab>;
}

/** numericOption declares a numeric option the way the CLI's are (a flag's text is kept for its error message). */
export function numericOption(describe: string, defaultValue?: number): Options {
  return defaultValue === undefined ? { requiresArg: true, describe } : { requiresArg: true, describe, default: defaultValue };
}
