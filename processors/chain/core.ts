// core: chain replication's one pure step per rank (docs/protocols/chain.md §10): rank 0 runs
// the master (master.ts), every other rank a node (node.ts). Both write their effects into a
// ChainOut; the core drains it into the ProtocolOutput, numbers the master's persist batches
// (1, 2, … per incarnation, the count master.ts keeps too) and ends the rank after the load.
import type { ProtocolOutput } from '../../runtime/protocol.js';
import type { Envelope } from '../../runtime/protocol.js';
import { initMaster, masterPollMs, masterSummary, stepMaster, type MasterState } from './master.js';
import type { ClientRequest } from '../../runtime/client/wire.js';
import { headOf, rangeOfKey, readerOf } from './config.js';
import type { ChainMsg } from './messages.js';
import { initNode, stepNode, type NodeState } from './node.js';
import { toMasters } from './node_state.js';
import type { ChainOptions } from './options.js';
import { MASTER_RANK, type ChainInput, type ChainLogEvent, type ChainOut, type MasterRecord } from './types.js';

/** ChainBatch: one persist batch: the master's record with the batchId its `persisted` names. */
export type ChainBatch = MasterRecord;

/** CoreSetup: what init hands the core (the protocol's RankSetup, narrowed). */
export interface CoreSetup {
  readonly self: number;
  readonly ranks: number;
  readonly startAtMs: number;
  readonly loadUntilMs: number;
  readonly nowMs: number;
  readonly options: ChainOptions;
  readonly record?: MasterRecord;
  /** masters: a node's master ranks (default: the single master at MASTER_RANK). */
  readonly masters?: readonly number[];
}

/** ChainState: one rank's part, and when it stops. */
export type ChainState = {
  readonly stopAtMs: number;
  persisted: number;
  stopped: boolean;
  /** leaveAtMs: when this node asks to leave (options.leaves; Infinity: never); leaveSentMs: when it last asked. */
  readonly leaveAtMs: number;
  leaveSentMs: number;
} & ({ readonly kind: 'master'; readonly m: MasterState } | { readonly kind: 'node'; readonly n: NodeState });

/**
 * drainMs: how long after the load a rank keeps running, so the last writes commit and the
 * master sees no node go silent before it stops itself.
 */
export function drainMs(o: ChainOptions): number {
  return 2 * o.heartbeatMs;
}

/** initCore: the master at rank 0 (from its record, if any), else a new node (C6: nodes restart empty). */
export function initCore(s: CoreSetup): ChainState {
  const leave = s.options.leaves?.find(([rank]) => rank === s.self);
  const leaveAtMs = leave === undefined ? Infinity : s.startAtMs + leave[1] * 1000;
  const common = { stopAtMs: s.loadUntilMs + drainMs(s.options), persisted: 0, stopped: false, leaveAtMs, leaveSentMs: -Infinity };
  if (s.self === MASTER_RANK) {
    const setup = { ranks: s.ranks, startAtMs: s.startAtMs, nowMs: s.nowMs, options: s.options };
    return { ...common, kind: 'master', m: initMaster(s.record === undefined ? setup : { ...setup, record: s.record }) };
  }
  // a restarted rank is a new node: its incarnation must differ, and its start time does (decision 1)
  return {
    ...common,
    kind: 'node',
    n: initNode({
      rank: s.self,
      incarnation: Math.floor(s.nowMs),
      nowMs: s.nowMs,
      options: s.options,
      ...(s.masters === undefined ? {} : { masters: s.masters }),
    }),
  };
}

/** Collected: a ChainOut that keeps what one step asked for. */
interface Collected extends ChainOut {
  readonly sends: Envelope<ChainMsg>[];
  readonly batches: ChainBatch[];
  readonly logs: ChainLogEvent[];
  wakeAtMs: number;
  stopped: boolean;
}

function collect(c: ChainState, nowMs: number, pollMs: number): Collected {
  const o: Collected = {
    sends: [],
    batches: [],
    logs: [],
    wakeAtMs: nowMs + pollMs,
    stopped: false,
    send: (to, msg) => o.sends.push({ to, msg }),
    log: (ev) => o.logs.push(ev),
    persist: (r) => o.batches.push({ ...r, batchId: ++c.persisted }),
    wakeAt: (atMs) => {
      o.wakeAtMs = Math.min(o.wakeAtMs, atMs);
    },
    stop: () => {
      o.stopped = true;
    },
  };
  return o;
}

/** corePollMs: the longest a rank waits for input. */
export function corePollMs(c: ChainState): number {
  return c.kind === 'master' ? masterPollMs(c.m) : c.n.options.heartbeatMs;
}

/** stepCore: one input for this rank's part; a stopped rank does nothing. */
export function stepCore(c: ChainState, input: ChainInput, nowMs: number): ProtocolOutput<ChainMsg, ChainBatch, ChainLogEvent> {
  const o = collect(c, nowMs, corePollMs(c));
  if (!c.stopped) {
    if (c.kind === 'master') {
      if (input.type === 'message' && input.msg.type === 'client-req') redirectClient(c.m, input.from, input.msg, o);
      else stepMaster(c.m, input, nowMs, o);
    } else {
      stepNode(c.n, input, nowMs, o);
      askToLeave(c, nowMs, o);
    }
  }
  if (nowMs >= c.stopAtMs || o.stopped) {
    if (!c.stopped) o.logs.push({ type: 'summary', fields: coreSummary(c) });
    c.stopped = true;
  }
  const wakeAtMs = Math.min(o.wakeAtMs, c.stopAtMs);
  return { send: o.sends, persist: o.batches, log: o.logs, trace: [], wakeAtMs, ...(c.stopped ? { stop: true } : {}) };
}

/**
 * redirectClient: the master serves no keys, but it knows every chain: a client that tried it
 * (a new key's first guess, or the next rank after a timeout) is sent to the key's head (writes)
 * or tail (reads) of the announced configuration at once instead of waiting out its attempt.
 */
function redirectClient(m: MasterState, from: number, req: ClientRequest, o: Collected): void {
  const c = m.announced;
  const cr = c === undefined ? undefined : rangeOfKey(c, req.key);
  const hint = cr === undefined ? undefined : req.op === 'get' ? readerOf(cr, req.client, req.key, m.o.craq === true) : headOf(cr);
  o.send(from, { type: 'client-reply', client: req.client, reqNo: req.reqNo, status: 'not-leader', hint: hint ?? null });
}

/** askToLeave: from leaveAtMs on, a node asks the master to leave once a heartbeat until it is told to stop (a lost Leave is asked again). */
function askToLeave(c: ChainState, nowMs: number, o: Collected): void {
  if (c.kind !== 'node' || c.n.stopped) return;
  if (nowMs < c.leaveAtMs) {
    if (c.leaveAtMs !== Infinity) o.wakeAt(c.leaveAtMs);
    return;
  }
  if (nowMs - c.leaveSentMs < c.n.options.heartbeatMs) return;
  c.leaveSentMs = nowMs;
  toMasters(c.n, o, { type: 'leave' });
}

/** coreSummary: the master's counters, or a node's (its applies are the commits). */
export function coreSummary(c: ChainState): { commits: number; generates: number } & Record<string, number | string> {
  if (c.kind === 'master') return { commits: 0, generates: 0, role: 'master', ...masterSummary(c.m) };
  const n = c.n;
  return {
    commits: n.counts.applies,
    generates: n.counts.writesAccepted,
    role: 'node',
    epoch: n.epoch,
    ranges: n.ranges.size,
    ...n.counts,
  };
}
