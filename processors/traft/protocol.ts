// protocol: TRaft as a runtime Protocol (runtime/protocol.ts), run by the rank driver
// (runtime/driver/). Around the pure core (step.ts) it adds the lab's part of a rank, which
// docs/protocols/traft.md §9.2 gives the consensus processor: the lab load (an established
// leader keeps -l records uncommitted until -t), the summary's counters, and the end of the
// run (drained everywhere, or 2E after -t). The WAL's records and recovery (§8.5) and the
// instance log's lines are TRaft's own.
import { join } from 'node:path';
import { assert } from '../../runtime/assert.js';
import { ForeignStateError } from '../../runtime/errors.js';
import type { Envelope, OpenedStorage, Protocol, ProtocolInput, ProtocolOutput, RankSetup } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import { toWire } from './bitmap_codec.js';
import { defaultTiming, type Config, type Timing } from './config.js';
import { isDrained, uncommittedCount } from './drain.js';
import { entriesToReplay, replayWal, type DurableState, type WalBatch, type WalEntry } from './durable.js';
import { formatInstanceLine, keyTableFromLines } from './instance_log.js';
import { KeyTable, type KeyArchive } from './key_table.js';
import type { Input, InstanceEvent, Output, TraceEvent } from './io.js';
import { LabLoad } from './lab_load.js';
import { Pace } from './pace.js';
import { describeTraft } from './describe.js';
import { traftInvariants } from './step_invariants.js';
import type { Message } from './messages.js';
import { restartReplica, roleOf, type ReplicaState } from './state.js';
import { step } from './step.js';
import { bitmapLen, firstMissing } from './tail_bitmap.js';
import { WalCorruptError } from './wal/format.js';
import { WalDir, type WalDir as OpenWal } from './wal/segments.js';
import { WalWriter } from './wal_writer.js';
import { validateTraftMsg } from './wire.js';
import { isClientAddress } from '../../runtime/client/gateway.js';
import type { ClientReply, ClientRequest } from '../../runtime/client/wire.js';
import { afterStep, clientPort, clientRequest, newClients, type Clients, type ReadOptions, type TraftWire } from './clients.js';
import { kvMachine } from './kv_machine.js';
import { labMachine } from './lab_machine.js';
import type { MachineKind } from './state_machine.js';

/** TraftConfig: TRaft's flags, validated (processors/traft/entry.ts). */
export interface TraftConfig {
  /** electionMs: E = 1000·o; heartbeats every E/5. */
  readonly electionMs: number;
  /** window: -l, the most uncommitted records a leader keeps (the lab load). */
  readonly window: number;
  readonly keys: number;
  /** setShare: the lab load's share of `set` commands (the rest `incr`); 0.5 when absent. */
  readonly setShare?: number;
  /** snapshotEvery: the snapshot threshold in positions (§7.2); 0 never snapshots. */
  readonly snapshotEvery: number;
  /** machine: what the log replicates — the lab load's set/incr, or the clients' kv store (state_machine.ts). */
  readonly machine?: 'lab' | 'kv';
  /** clientPort: where clients dial this rank (0: ephemeral, reported in a `clients` event); absent: no clients. */
  readonly clientPort?: number;
  readonly reads?: ReadOptions;
  /** inOrderCommit: the in-order baseline (config.ts Timing.inOrderCommit); absent or false in every real run. */
  readonly inOrderCommit?: boolean;
  /** seedElections: elections as the seed's design has them, without pre-vote, backoff, tick-only silence timers and the fresh start (§11 D28–D31): a measured baseline. */
  readonly seedElections?: boolean;
  /** tuning: a scripted test's timing (lease protection off for same-term races, the design's first deadlines, a message bound), or a real rank's flow control (fullInflight, entry.ts; not simulated). */
  readonly tuning?: Partial<Pick<Timing, 'leaseProtection' | 'maxMessageBytes' | 'freshStart' | 'fullInflight' | 'freshStartSpreadMs'>>;
  /**
   * keyArchive: where the KEY table spills its old blocks (a real rank's file, entry.ts and
   * key_spill.ts); absent (the simulator, tests): every KEY stays in memory (§7.3).
   */
  readonly keyArchive?: KeyArchive;
}

/**
 * Logged is what a restart reads from its instance log: the KEYs by seq (keysFromLines; our
 * recoverLog reads them into a KeyTable, which a restart copies as bytes) and the highest logged seq.
 */
export interface Logged {
  readonly keys: readonly string[] | KeyTable;
  readonly upTo: number;
}

/** Counts are the summary's counters, from the instance-log lines and trace events of every step. */
type Counts = {
  commits: number;
  outOfOrderCommits: number;
  heldBackCommits: number;
  generates: number;
  snapshots: number;
  snapshotsInstalled: number;
};

/** TraftState is the protocol state of one rank: the replica (passed through the core's step) and the lab around it. */
export interface TraftState {
  s: ReplicaState;
  readonly config: TraftConfig;
  readonly loadUntilMs: number;
  /** H: the heartbeat interval, the longest any processor waits. */
  readonly H: number;
  /** heardLen: the largest committed length a leader's ForwardReq told us (positions we may still lack). */
  heardLen: number;
  /** drainedSinceMs: since when drainedEverywhere has held (after -t). */
  drainedSinceMs: number | undefined;
  /** wakeAtMs: the core's last asked wake-up, for a turn that proposes nothing. */
  wakeAtMs: number;
  readonly counts: Counts;
  readonly load: LabLoad;
  /** pace: the simulator's rate for the lab load (RankSetup.ratePerSec); undefined: the window alone limits it. */
  readonly pace: Pace | undefined;
  readonly clients: Clients;
  /** core: whose step runs (ours, or a lab student's loaded by --core: traftOf). */
  readonly core: TraftCore;
}

/** TraftCore: the core's two entry points, ours or a lab student's (state.js and step.js of a compiled core). */
export interface TraftCore {
  readonly step: typeof step;
  readonly restartReplica: typeof restartReplica;
}

const OUR_CORE: TraftCore = { step, restartReplica };

/** WireOut: a core step's output whose sends may include client replies (the gateway takes those). */
type WireOut = Omit<Output, 'send'> & { readonly send: readonly Envelope<TraftWire>[] };

type Result = { readonly state: TraftState; readonly out: ProtocolOutput<TraftWire, WalBatch, InstanceEvent> };

/** MACHINES: the state machines a rank can replicate (--machine). */
const MACHINES: Readonly<Record<NonNullable<TraftConfig['machine']>, MachineKind>> = { lab: labMachine, kv: kvMachine };

const PROPOSALS_PER_STEP = 256;

/**
 * rankTiming is the lab's timing for E = electionMs. Requests time out after E/2, not H
 * (config.ts rpcTimeoutMs): a follower's WAL write + fsync can outlast H under load, and each
 * expiry resends up to maxBatch records (§11 D6, §15).
 */
function rankTiming(c: TraftConfig): Timing {
  return {
    ...defaultTiming(c.electionMs),
    rpcTimeoutMs: c.electionMs / 2,
    snapshotEvery: c.snapshotEvery,
    ...(c.inOrderCommit === true ? { inOrderCommit: true } : {}),
    // A starved machine wakes followers late: pre-vote and backoff keep that from deposing a live leader (D28, D29);
    // a fresh cluster elects its first leader without waiting out a lease nobody holds (D31).
    ...(c.seedElections === true ? {} : { preVote: true, electionBackoff: true, silenceOnTick: true, freshStart: true }),
    ...c.tuning,
  };
}

/** init restarts the replica from what survived on disk (none on a first start). */
function init(o: RankSetup<TraftConfig, DurableState, Logged>, core: TraftCore = OUR_CORE): TraftState {
  const timing = rankTiming(o.config);
  const config: Config = { clusterId: o.clusterId, members: Array.from({ length: o.ranks }, (_, r) => r) };
  const load = new LabLoad(o.rankRandom.fork('load'), { keys: o.config.keys, setShare: o.config.setShare ?? 0.5 });
  const logged = o.durable !== undefined ? o.logged : undefined;
  const s = core.restartReplica({
    self: o.self,
    config,
    timing,
    nowMs: o.nowMs,
    random: o.random,
    machine: MACHINES[o.config.machine ?? 'lab'],
    ...(o.durable ? { durable: o.durable } : {}),
    loggedUpTo: logged?.upTo ?? -1,
    // a lab student's core takes the KEYs as strings (its RestartOptions)
    ...(logged ? { keys: core === OUR_CORE || !(logged.keys instanceof KeyTable) ? logged.keys : logged.keys.slice(0) } : {}),
  });
  if (o.config.keyArchive !== undefined && s.keys instanceof KeyTable) {
    s.keys.spillTo(o.config.keyArchive);
    // A real rank reads its instance log once, and the driver keeps its setup (hence this reading)
    // for the run: emptied, the reading no longer holds the blocks s.keys shares and spilled.
    if (logged?.keys instanceof KeyTable) logged.keys.release();
  }
  const counts = { commits: 0, outOfOrderCommits: 0, heldBackCommits: 0, generates: 0, snapshots: 0, snapshotsInstalled: 0 };
  const H = timing.heartbeatIntervalMs;
  const pace = o.ratePerSec === undefined ? undefined : new Pace(o.ratePerSec / 1000, PROPOSALS_PER_STEP);
  return {
    s,
    config: o.config,
    loadUntilMs: o.loadUntilMs,
    H,
    heardLen: 0,
    drainedSinceMs: undefined,
    wakeAtMs: o.nowMs,
    counts,
    load,
    pace,
    clients: newClients(o.config.reads ?? { leaseReads: false, clockDrift: 0 }),
    core,
  };
}

/** traftStep: the core's step on a message, tick or persisted report; the lab load and the end of the run on a turn. */
function traftStep(r: TraftState, input: ProtocolInput<TraftWire>, nowMs: number, random: Random): Result {
  if (input.type === 'turn') return { state: r, out: turn(r, nowMs, random) };
  if (input.type === 'message' && (input.msg.type === 'client-req' || input.msg.type === 'client-reply')) {
    return { state: r, out: clientStep(r, input.from, input.msg, nowMs, random) };
  }
  const core: Input = input.type === 'message' ? { type: 'message', from: input.from, msg: input.msg as Message } : input;
  if (core.type === 'message' && core.msg.type === 'ForwardReq') r.heardLen = Math.max(r.heardLen, bitmapLen(core.msg.committed));
  return { state: r, out: coreStep(r, core, nowMs, random) };
}

/**
 * clientStep: a request from the client gateway (only it delivers from a client address);
 * the proposal or read round it needs runs as a core step, the replies go out with its sends.
 */
function clientStep(r: TraftState, from: number, msg: ClientRequest | ClientReply, nowMs: number, random: Random): WireOut {
  const none: WireOut = { send: [], persist: [], log: [], trace: [], answers: [], applied: [], wakeAtMs: r.wakeAtMs };
  if (msg.type !== 'client-req' || !isClientAddress(from)) return none; // a reply is never sent to a rank
  const asked = clientRequest(r.clients, r.s, from, msg, nowMs, random);
  // A read a valid lease covers needs no core step: answer it now, not at the next heartbeat.
  const out = asked.propose
    ? coreStep(r, { type: 'propose', ...asked.propose }, nowMs, random)
    : asked.readRound
      ? coreStep(r, { type: 'read-round' }, nowMs, random)
      : { ...none, send: afterStep(r.clients, r.s, [], nowMs) };
  return { ...out, send: [...out.send, ...asked.replies] };
}

/** coreStep is one step of the core, counted for the summary, with the client replies it settled. */
export function coreStep(r: TraftState, input: Parameters<typeof step>[1], nowMs: number, random: Random): WireOut {
  const { state, out: core } = r.core.step(r.s, input, nowMs, random);
  r.s = state;
  const replies = afterStep(r.clients, r.s, core.applied, nowMs);
  const out: WireOut = replies.length === 0 ? core : { ...core, send: [...core.send, ...replies] };
  r.wakeAtMs = out.wakeAtMs;
  for (const ev of out.log) {
    if (ev.event === 'commit') r.counts.commits++;
    else r.counts.generates++;
  }
  for (const tr of out.trace) {
    if (tr.type === 'commit' && tr.kind === 'cmd' && tr.seq > r.s.loggedUpTo) r.counts.outOfOrderCommits++;
    else if (tr.type === 'held-back') r.counts.heldBackCommits++;
    else if (tr.type === 'snapshot') r.counts[tr.installed ? 'snapshotsInstalled' : 'snapshots']++;
  }
  return out;
}

/**
 * turn is the lab load — until loadUntilMs an established leader keeps its window of
 * uncommitted records full — and the stop rule after it (drainedLongEnough).
 */
function turn(r: TraftState, nowMs: number, random: Random): ProtocolOutput<TraftWire, WalBatch, InstanceEvent> {
  const send: Envelope<TraftWire>[] = [];
  const persist: WalBatch[] = [];
  const log: InstanceEvent[] = [];
  const trace: TraceEvent[] = [];
  let wakeAtMs = r.wakeAtMs;
  const leading = (r.config.machine ?? 'lab') === 'lab' && nowMs < r.loadUntilMs && roleOf(r.s) === 'leader';
  const window = Math.min(PROPOSALS_PER_STEP, r.config.window - uncommittedCount(r.s));
  const room = r.pace === undefined ? window : r.pace.allow(window, nowMs, leading);
  if (leading) {
    r.pace?.spend(room);
    for (let i = 0; i < room && roleOf(r.s) === 'leader'; i++) {
      const { cmd, logKey } = r.load.next();
      const out = coreStep(r, { type: 'propose', cmd, logKey }, nowMs, random);
      // indexed appends: no iterator per list per proposal (this loop runs on every leader turn)
      append(send, out.send);
      for (const b of out.persist) mergeBatch(persist, b);
      append(log, out.log);
      append(trace, out.trace);
    }
  }
  if (leading && r.pace !== undefined && window > room) wakeAtMs = Math.min(wakeAtMs, r.pace.nextAtMs(window - room, nowMs));
  const stop = nowMs >= r.loadUntilMs && drainedLongEnough(r, nowMs);
  return { send, persist, log, trace, wakeAtMs, stop };
}

/**
 * mergeBatch adds a proposal's WAL batch to the turn's: it joins the previous one when neither
 * carries a checkpoint, under the later batchId. The merged batch is written and fsynced whole,
 * and `persisted{b}` covers every batch ≤ b (durable.ts WalBatch), so the core learns each
 * proposal durable no earlier than before, and replay needs batchIds only to increase
 * (wal/format.ts). One WAL frame per turn instead of per proposal: a frame's encoding,
 * checksum and buffer per record were a tenth of a leader's CPU at -l 10000.
 */
function mergeBatch(turnBatches: WalBatch[], b: WalBatch): void {
  const last = turnBatches[turnBatches.length - 1];
  if (last === undefined || last.checkpoint !== undefined || b.checkpoint !== undefined) {
    turnBatches.push(b.checkpoint === undefined ? { batchId: b.batchId, entries: b.entries.slice() } : b);
    return;
  }
  assert(b.batchId > last.batchId, 'WAL batches come in batchId order');
  append(last.entries as WalEntry[], b.entries); // the turn's own copy (made above)
  turnBatches[turnBatches.length - 1] = { batchId: b.batchId, entries: last.entries };
}

function append<T>(to: T[], from: readonly T[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i] as T);
}

/**
 * drainedEverywhere is the end-of-run test: our frontier reached our log's end (isDrained)
 * and every position a leader reported committed; a leader also waits until every follower
 * reported committing its whole log. A follower missing the last appends is locally "drained"
 * with fewer records, and a leader that stopped 2H after its own drain left such followers
 * short (unequal counts at the cutoff). A silent rank still ends the run at the 2E cutoff.
 */
function drainedEverywhere(r: TraftState): boolean {
  const { s } = r;
  if (!isDrained(s)) return false;
  const frontier = firstMissing(s.committed);
  if (frontier < r.heardLen) return false;
  if (s.leader !== null) for (const pr of s.leader.progress.values()) if (firstMissing(pr.committed) < frontier) return false;
  return true;
}

/**
 * drainedLongEnough is the stop rule after -t: proposals have stopped and the protocol keeps
 * running until drained everywhere for 2H, or at the latest until 2E after loadUntilMs.
 */
function drainedLongEnough(r: TraftState, now: number): boolean {
  if (drainedEverywhere(r)) r.drainedSinceMs ??= now;
  else r.drainedSinceMs = undefined;
  return (r.drainedSinceMs !== undefined && now - r.drainedSinceMs >= 2 * r.H) || now >= r.loadUntilMs + 2 * r.config.electionMs;
}

/** openWal: a fresh WAL (<log-dir>/wal<rank>/) for incarnation 0, else the recovered one replayed (§8.5). */
async function openWal(o: {
  logDir: string;
  rank: number;
  clusterId: string;
  incarnation: number;
}): Promise<OpenedStorage<WalBatch, DurableState>> {
  const dir = join(o.logDir, `wal${o.rank}`);
  const started = (wal: OpenWal, durable: DurableState | undefined, notes: string[]): OpenedStorage<WalBatch, DurableState> => ({
    durable,
    notes,
    start: (onPersisted, onError) => new WalWriter(wal, onPersisted, onError),
  });
  try {
    if (o.incarnation === 0) return started(await WalDir.create(dir, o.clusterId), undefined, []);
    const opened = await WalDir.open(dir, o.clusterId);
    const notes = opened.truncatedBytes > 0 ? [`WAL had a torn tail of ${opened.truncatedBytes} bytes; truncated`] : [];
    try {
      const durable = replayWal(
        opened.batches.map((b) => b.entries),
        opened.positions,
      );
      return started(opened.wal, durable, notes);
    } catch (e) {
      await opened.wal.close();
      throw e;
    }
  } catch (e) {
    if (e instanceof WalCorruptError) throw new ForeignStateError(e.message);
    throw e;
  }
}

/** traft is TRaft for the rank driver. */
export const traft: Protocol<TraftConfig, TraftState, TraftWire, WalBatch, InstanceEvent, DurableState, Logged> = {
  name: 'traft',
  init: (o) => init(o),
  step: traftStep,
  validate: (x) => validateTraftMsg(x), // the lab's commands; traftWith gives another machine's
  // bitmaps travel as binary words (bitmap_codec.ts); validateTraftMsg reads them back
  encode: (msg) => (msg.type === 'client-req' || msg.type === 'client-reply' ? msg : (toWire(msg) as Message)),
  formatLog: formatInstanceLine,
  recoverLog: (lines, after) => {
    // The KEYs of logged positions: the key index a leader ships with snapshots (the records below the floor are gone).
    const earlier = after === undefined ? undefined : after.logged.keys;
    const keys = keyTableFromLines(
      lines,
      earlier === undefined
        ? undefined
        : { table: earlier instanceof KeyTable ? earlier : KeyTable.from(earlier), lines: after?.lines ?? 0 },
    );
    return { keys, upTo: keys.length - 1 };
  },
  storage: { open: openWal },
  pollMs: (r) => r.H,
  role: (r) => roleOf(r.s),
  round: (r) => r.s.vote.term,
  summary: (r) => ({
    commits: r.counts.commits,
    outOfOrderCommits: r.counts.outOfOrderCommits,
    heldBackCommits: r.counts.heldBackCommits,
    generates: r.counts.generates,
    proposed: r.load.made,
    snapshots: r.counts.snapshots,
    snapshotsInstalled: r.counts.snapshotsInstalled,
    floor: r.s.floor,
    role: roleOf(r.s),
    clientRequests: r.clients.counts.requests,
    clientReplies: r.clients.counts.answered,
    indexReads: r.clients.counts.indexReads,
    leaseReads: r.clients.counts.leaseReads,
  }),
  replay: (batches) => replayWal(entriesToReplay(batches)),
  supersedes: (batch) => batch.checkpoint !== undefined,
  describe: describeTraft,
  clients: clientPort,
  invariants: traftInvariants,
  recovered: (durable, logged, incarnation) =>
    `incarnation ${incarnation} recovered a snapshot up to seq ${(durable.snapshot?.snapshot.floor ?? 0) - 1} and ${durable.log.size} records from its WAL, instance log up to seq ${logged?.upTo ?? -1}`,
};

/** traftWith: TRaft whose wire validation admits `machine`'s commands and snapshot images. */
export function traftWith(machine: NonNullable<TraftConfig['machine']>): typeof traft {
  return { ...traft, validate: (x) => validateTraftMsg(x, MACHINES[machine]) };
}

/** traftOf: TRaft (the lab's machine) around another core: a lab student's, as `csplab grade` runs it. */
export function traftOf(core: TraftCore): typeof traft {
  return { ...traft, init: (o) => init(o, core) };
}
