// rank: one rank of any protocol (runtime/protocol.ts) as four processors joined by bounded
// channels, every read with a timeout and no write that blocks:
// - msg is the network: a peer's batch goes to consensus (may drop: protocols retry), a
//   consensus turn's sends go to the transport; socket → msg → consensus → msg → socket;
// - consensus owns the protocol state and is the only caller of step: it steps on every input
//   that is waiting, ends the turn (`turn`), hands WAL batches to the store, appends the
//   instance log, and hands the next deadline to the waker of its role;
// - leader and follower hold no protocol state: each holds a deadline and wakes consensus when
//   it passes (the leader's timers, or the follower's election deadline).
// WAL durability comes back through a coalescing channel (consensus never waits on the disk).
import { CLOSED, TIMEOUT, select, type Chan, type Selected, type Timeout } from '../chan.js';
import type { Clock } from '../clock.js';
import { ProcessorGroup, type GroupOutcome } from '../processor.js';
import type { Envelope, MessageInfo, Protocol, ProtocolInput, RankStats } from '../protocol.js';
import type { Random } from '../random.js';
import type { Inbound, Transport } from '../transport.js';
import type { LogSink } from './logsink.js';
import { LogText } from './logtext.js';
import type { TraceFile } from './tracefile.js';
import { batchRange, describeByType } from '../trace.js';

export interface RankOptions<C, S, M, P, L, D, R> {
  readonly protocol: Protocol<C, S, M, P, L, D, R>;
  readonly rank: number;
  readonly ranks: number;
  readonly clusterId: string;
  readonly config: C;
  /** startAtMs: the run's shared start (now, if not given). */
  readonly startAtMs?: number;
  /** loadUntilMs: the end of the load (start + -t); the protocol says when it has drained after it. */
  readonly loadUntilMs: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport<M>;
  readonly sink: LogSink;
  /** storage writes persist batches in order and reports durability through persisted(). */
  readonly storage: { write(batches: readonly P[]): void };
  readonly durable?: D;
  readonly logged?: R;
  /** onRole hears each role change, with the round it came in. */
  readonly onRole?: (role: string, round: number) => void;
  /** trace, if given, hears every send, recv, persist, commit, role or round change and the stop (docs/trace.md). */
  readonly trace?: TraceFile;
}

export interface Rank<S> {
  readonly done: Promise<GroupOutcome>;
  /** persisted reports that every batch up to batchId is durable. */
  persisted(batchId: number): void;
  stop(): void;
  stats(): RankStats;
  state(): S;
}

const BIG = 1 << 16;

/** Chans are the rank's channels: network traffic may drop (protocols retry); completions and wake-ups coalesce. */
type Chans<M> = {
  readonly net: Chan<Inbound<M>>;
  readonly persisted: Chan<number>;
  readonly wakes: Chan<number>;
  readonly outbox: Chan<Envelope<M>[]>;
  readonly leaderDeadlines: Chan<number>;
  readonly followerDeadlines: Chan<number>;
};

/** Running is one running rank: its options, processor group, channels, the protocol state and its last reported role. */
type Running<C, S, M, P, L, D, R> = {
  readonly o: RankOptions<C, S, M, P, L, D, R>;
  readonly group: ProcessorGroup;
  readonly chans: Chans<M>;
  readonly random: Random;
  s: S;
  role: string;
  round: number;
  /** rest: the messages of a network batch a turn cut short left unstepped (stepped first, next turn). */
  rest: Inbound<M> | undefined;
  /** cut: the last turn ended on TURN_MS with work still buffered. */
  cut: boolean;
};

/** startRank starts the four processors of one rank; its state starts from init with what o recovered. */
export function startRank<C, S, M, P, L, D, R>(o: RankOptions<C, S, M, P, L, D, R>): Rank<S> {
  const group = new ProcessorGroup(`rank ${o.rank}`, o.clock);
  const chans = openChans<M>(group, o.transport);
  const random = o.random.fork('core');
  const s = o.protocol.init({
    self: o.rank,
    ranks: o.ranks,
    clusterId: o.clusterId,
    config: o.config,
    startAtMs: o.startAtMs ?? o.clock.nowMs(),
    loadUntilMs: o.loadUntilMs,
    nowMs: o.clock.nowMs(),
    random,
    rankRandom: o.random,
    ...(o.durable !== undefined ? { durable: o.durable } : {}),
    ...(o.logged !== undefined ? { logged: o.logged } : {}),
  });
  const rank: Running<C, S, M, P, L, D, R> = {
    o,
    group,
    chans,
    random,
    s,
    role: o.protocol.role(s),
    round: o.protocol.round(s),
    rest: undefined,
    cut: false,
  };
  o.trace?.note(o.clock.nowMs(), { ev: 'role', role: rank.role, round: rank.round });
  group.spawn('msg', msgLoop(rank));
  group.spawn('leader', waker(rank, chans.leaderDeadlines));
  group.spawn('follower', waker(rank, chans.followerDeadlines));
  group.spawn('consensus', consensusLoop(rank));
  void group.done.then(() => o.transport.close());
  return rankHandle(rank);
}

/** openChans makes the rank's channels in `group`, which also adopts the transport's inbox (stop() closes them all). */
function openChans<M>(group: ProcessorGroup, transport: Transport<M>): Chans<M> {
  group.adopt(transport.inbox);
  const latest = { type: 'coalesce' as const, merge: (_a: number, b: number) => b };
  return {
    net: group.chan<Inbound<M>>({ name: 'consensus.net', capacity: 4096, overflow: { type: 'drop-newest' } }),
    persisted: group.chan<number>({ name: 'consensus.persisted', capacity: 1, overflow: { type: 'coalesce', merge: Math.max } }),
    wakes: group.chan<number>({ name: 'consensus.wakes', capacity: 1, overflow: { type: 'coalesce', merge: Math.min } }),
    outbox: group.chan<Envelope<M>[]>({ name: 'msg.outbox', capacity: BIG, overflow: { type: 'drop-newest' } }),
    leaderDeadlines: group.chan<number>({ name: 'leader.deadline', capacity: 1, overflow: latest }),
    followerDeadlines: group.chan<number>({ name: 'follower.deadline', capacity: 1, overflow: latest }),
  };
}

/** pollMs: the longest a processor waits before looking again. */
function pollMs<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>): number {
  return rank.o.protocol.pollMs(rank.s);
}

/** msgLoop is the msg processor: inbound batches from other ranks to consensus, outbound batches to the transport. */
function msgLoop<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>): () => Promise<void> {
  const { o, chans } = rank;
  const { clock, transport } = o;
  return async () => {
    const inputs = [transport.inbox, chans.outbox] as Chan<unknown>[];
    for (;;) {
      const got = await select(inputs, pollMs(rank), clock);
      if (got === CLOSED) break;
      if (got === TIMEOUT) continue;
      if (got.index === 0) {
        for (const b of [got.value as Inbound<M>, ...transport.inbox.drain()]) if (b.from !== o.rank) chans.net.write(b);
      } else {
        for (const batch of [got.value as Envelope<M>[], ...chans.outbox.drain()]) for (const e of batch) transport.send(e.to, e.msg);
      }
    }
  };
}

/** waker: a loop that holds a deadline and wakes consensus when it passes. */
function waker<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, deadlines: Chan<number>): () => Promise<void> {
  const { clock } = rank.o;
  return async () => {
    let deadline = Infinity;
    for (;;) {
      const waitMs = Math.min(pollMs(rank), Math.max(0, deadline - clock.nowMs()));
      const got = await deadlines.read(waitMs);
      if (got === CLOSED) break;
      if (got !== TIMEOUT) {
        deadline = got;
        continue;
      }
      if (clock.nowMs() >= deadline) {
        rank.chans.wakes.write(deadline);
        deadline = Infinity;
      }
    }
  };
}

/** Turn collects one consensus wake-up's outputs: its sends and instance-log text go out once, after all its steps. */
type Turn = { readonly sends: Envelope<unknown>[]; readonly text: LogText; wakeAtMs: number | undefined; stop: boolean };

/** consensusLoop is the consensus processor: step on every waiting input, end the turn, hand outputs on, stop when told. */
function consensusLoop<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>): () => Promise<void> {
  const { o, group, chans } = rank;
  const { clock } = o;
  return async () => {
    const inputs = [chans.net, chans.persisted, chans.wakes] as Chan<unknown>[];
    let wakeAtMs = clock.nowMs();
    const text = new LogText();
    for (;;) {
      // A turn cut short gives the event loop a turn: its sends leave (the transport flushes on
      // setImmediate) and sockets are read, before the backlog goes on.
      if (rank.cut) await new Promise<void>((resolve) => clock.schedule(0, resolve));
      rank.cut = false;
      const rest = rank.rest;
      rank.rest = undefined;
      const waitMs = Math.min(pollMs(rank), Math.max(1, wakeAtMs - clock.nowMs()));
      const got = rest !== undefined ? { index: 0, value: rest } : await select(inputs, waitMs, clock);
      if (got === CLOSED) break;
      const turn: Turn = { sends: [], text, wakeAtMs: undefined, stop: false };
      if (got === TIMEOUT || got.index === 2) await stepBeforeLateTick(rank, turn, got === TIMEOUT ? wakeAtMs : (got.value as number));
      stepOnInput(rank, turn, got);
      runStep(rank, turn, { type: 'turn' });
      wakeAtMs = flushTurn(rank, turn, wakeAtMs);
      if (turn.stop) group.stop();
    }
    o.sink.close();
  };
}

const TICK: ProtocolInput<never> = { type: 'tick' };

/** LATE_TICK_MS: a wake-up this far past its deadline means the process was not running (a starved machine). */
const LATE_TICK_MS = 10;

/**
 * stepBeforeLateTick: a late wake-up first lets the sockets be read and steps the network
 * batches waiting, so the tick after it sees what arrived. Node runs due timers before it polls
 * sockets, so without this a rank descheduled past its election deadline campaigns before the
 * leader's heartbeats queued meanwhile are read (docs/protocols/traft.md §9.2, D30).
 */
async function stepBeforeLateTick<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, turn: Turn, dueMs: number): Promise<void> {
  const { clock } = rank.o;
  if (clock.nowMs() - dueMs < LATE_TICK_MS) return;
  await new Promise<void>((resolve) => clock.schedule(0, resolve)); // one poll of the sockets (msg relays what it read)
  const waiting = rank.chans.net.drain(1)[0];
  if (waiting !== undefined) stepNet(rank, turn, waiting);
}

/**
 * TURN_MS: how long one turn steps buffered network batches before it ends. A turn's sends and
 * log lines leave only when it ends; a rank that found seconds of work buffered (a resumed Paxos
 * rank's catch-up chunks) stepped all of it in one turn: the LATEs asking for the next chunks
 * waited for the last one, and the leader's pipeline ran dry meanwhile (docs/protocols/paxos.md
 * §12). A virtual clock does not move inside a turn, so the simulator's turns are unchanged.
 */
const TURN_MS = 25;

/** stepOnInput steps on what select returned: a tick on timeout, every buffered network batch, a persisted report, or a wake-up. */
function stepOnInput<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, turn: Turn, got: Selected<unknown> | Timeout): void {
  if (got === TIMEOUT) runStep(rank, turn, TICK);
  else if (got.index === 0) stepNet(rank, turn, got.value as Inbound<M>);
  else if (got.index === 1) runStep(rank, turn, { type: 'persisted', batchId: got.value as number });
  else runStep(rank, turn, TICK);
}

/**
 * stepNet steps network batches, `first` and then what is buffered, until TURN_MS of the clock has
 * passed: what is left (of a batch too) waits for the next turn. select prefers the network, so a
 * waiting durability report and the timers are stepped before a turn cut short ends.
 */
function stepNet<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, turn: Turn, first: Inbound<M>): void {
  const { clock } = rank.o;
  const untilMs = clock.nowMs() + TURN_MS;
  for (let b: Inbound<M> | undefined = first; b !== undefined; b = rank.chans.net.drain(1)[0]) {
    for (const [i, msg] of b.msgs.entries()) {
      rank.o.trace?.message(clock.nowMs(), 'recv', b.from, rank.o.rank, describe(rank, msg));
      runStep(rank, turn, { type: 'message', from: b.from, msg });
      if (clock.nowMs() < untilMs) continue;
      if (i + 1 < b.msgs.length) rank.rest = { from: b.from, msgs: b.msgs.slice(i + 1) };
      rank.cut = true;
      const durable = rank.chans.persisted.drain()[0];
      if (durable !== undefined) runStep(rank, turn, { type: 'persisted', batchId: durable });
      runStep(rank, turn, TICK);
      return;
    }
  }
}

/** runStep is one step of the protocol: WAL batches to storage, sends and instance-log text into the turn. */
function runStep<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, turn: Turn, input: ProtocolInput<M>): void {
  const { o } = rank;
  const { state, out } = o.protocol.step(rank.s, input, o.clock.nowMs(), rank.random);
  rank.s = state;
  turn.wakeAtMs = out.wakeAtMs;
  if (out.stop === true) turn.stop = true;
  if (out.persist.length > 0) {
    o.storage.write(out.persist);
    o.trace?.persist(o.clock.nowMs(), batchRange(out.persist));
  }
  for (const e of out.send) turn.sends.push(e);
  if (out.log.length > 0) {
    writeStepLines(o.protocol, out.log, o.clock.nowUs(), turn.text, o.trace && { trace: o.trace, atMs: o.clock.nowMs() });
  }
  if (o.trace) for (const e of out.send) o.trace.message(o.clock.nowMs(), 'send', o.rank, e.to, describe(rank, e.msg));
}

/**
 * writeStepLines: a step's events into the instance-log text, through the protocol's writeLog
 * when it has one, else line by line. A trace counts the commit lines, so it takes the
 * line-by-line path.
 */
export function writeStepLines<L>(
  protocol: Pick<Protocol<unknown, unknown, unknown, unknown, L, unknown, unknown>, 'formatLog' | 'writeLog'>,
  log: readonly L[],
  atUs: number,
  text: LogText,
  traced?: { trace: TraceFile; atMs: number },
): void {
  if (protocol.writeLog !== undefined && traced === undefined) protocol.writeLog(log, atUs, text);
  else formatLines(protocol, log, atUs, text, traced);
}

/** formatLines: a step's events as lines through formatLog, counted for the trace if there is one. */
function formatLines<L>(
  protocol: { formatLog(ev: L, atUs: number): string },
  log: readonly L[],
  atUs: number,
  text: LogText,
  traced: { trace: TraceFile; atMs: number } | undefined,
): void {
  let commits = 0;
  for (const ev of log) {
    const line = protocol.formatLog(ev, atUs);
    if (line.startsWith('commit')) commits++;
    text.add(line);
  }
  if (traced) traceCommits(traced.trace, traced.atMs, commits, log.length);
}

/** traceCommits: a commit line for a step that wrote commits; every step's lines count toward the log's length. */
function traceCommits(trace: TraceFile, atMs: number, commits: number, lines: number): void {
  trace.lines += lines;
  if (commits > 0) trace.note(atMs, { ev: 'commit', n: commits, lines: trace.lines });
}

/** describe: what a trace records of a message (the protocol's describe, or its type field). */
function describe<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, msg: M): MessageInfo {
  return rank.o.protocol.describe?.(msg) ?? describeByType(msg);
}

/**
 * flushTurn writes the turn's instance-log text and sends, reports a role change, and hands
 * the next wake-up to the current role's waker; it returns that wake-up time.
 */
function flushTurn<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>, turn: Turn, wakeAtMs: number): number {
  const { o, chans } = rank;
  if (!turn.text.empty) o.sink.write(turn.text.take());
  if (turn.sends.length > 0) chans.outbox.write(turn.sends as Envelope<M>[]);
  const next = turn.wakeAtMs ?? wakeAtMs;
  const role = o.protocol.role(rank.s);
  const round = o.protocol.round(rank.s);
  if (role !== rank.role) o.onRole?.(role, round);
  if (role !== rank.role || round !== rank.round) o.trace?.note(o.clock.nowMs(), { ev: 'role', role, round });
  rank.role = role;
  rank.round = round;
  if (turn.stop) o.trace?.note(o.clock.nowMs(), { ev: 'stop' });
  (role === 'follower' ? chans.followerDeadlines : chans.leaderDeadlines).write(next);
  return next;
}

/** rankHandle is the Rank its node holds: the group's outcome, persisted reports, stop, and reads of state and stats. */
function rankHandle<C, S, M, P, L, D, R>(rank: Running<C, S, M, P, L, D, R>): Rank<S> {
  const { o, group, chans } = rank;
  return {
    done: group.done,
    persisted: (batchId) => chans.persisted.write(batchId),
    stop: () => group.stop(),
    state: () => rank.s,
    stats: () => ({
      rank: o.rank,
      ...o.protocol.summary(rank.s),
      drops: o.transport.stats().dropped + group.stats().reduce((n, c) => n + c.dropped, 0),
    }),
  };
}
