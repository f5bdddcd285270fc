// protocol_replicated: chain replication with the `replicated` master (chain.md §8.1,
// docs/protocols/chain-master.md §12) as a runtime Protocol. Ranks 0–2 are master ranks
// (master_replicated.ts: a TRaft replica each, the master on the group's leader), every other
// rank a node (core.ts) that talks to all three. TRaft's messages travel beside the chain's on
// the same links (their types are disjoint), and a master rank persists TRaft's WAL batches;
// nodes persist nothing (C6).
import { assert } from '../../runtime/assert.js';
import type { ClientPort, Protocol, ProtocolInput, ProtocolOutput } from '../../runtime/protocol.js';
import { defaultTiming, traft, type DurableState, type Message, type WalBatch } from '../traft/index.js';
import { validateTraftMsg } from '../traft/wire.js';
import type { ClientRequest } from '../../runtime/client/wire.js';
import { headOf, rangeOfKey, readerOf } from './config.js';
import { coreSummary, corePollMs, drainMs, initCore, stepCore, type ChainState } from './core.js';
import { formatLog } from './log.js';
import { masterSummary } from './master.js';
import { masterMachine } from './master_machine.js';
import {
  initMasterRank,
  machineOf,
  newMasterRankOut,
  stepChain,
  stepGroup,
  type MasterRank,
  type MasterRankOut,
} from './master_replicated.js';
import type { ChainMsg } from './messages.js';
import { chain } from './protocol.js';
import type { ChainOptions } from './options.js';
import type { ChainLogEvent } from './types.js';
import { validateChainMsg } from './validate.js';

/** MASTER_GROUP: the master ranks of `replicated` (a TRaft group of three). */
export const MASTER_GROUP: readonly number[] = [0, 1, 2];

/** ReplicatedConfig: the chain's options and the master group's TRaft timing. */
export interface ReplicatedConfig {
  readonly options: ChainOptions;
  /** electionMs: the group's E (traft.md); a new leader is established within about 2E of a leader's death. */
  readonly electionMs: number;
  /** clockDrift: the drift bound TRaft's leader lease assumes (checkReplicatedBounds). */
  readonly clockDrift: number;
}

/** GroupWire: what travels between ranks: the chain's messages and the master group's. */
export type GroupWire = ChainMsg | Message;

/** MasterPart: one master rank and when it stops (as the single master does, core.ts). */
export interface MasterPart {
  readonly kind: 'group';
  readonly r: MasterRank;
  readonly stopAtMs: number;
  stopped: boolean;
  /** wakeAtMs: the earliest deadline the group or the master asked for since the last tick. */
  wakeAtMs: number;
}

export type ReplicatedState = MasterPart | ChainState;

const TRAFT_TYPES: ReadonlySet<string> = new Set(['ElectReq', 'ElectReply', 'ForwardReq', 'ForwardReply', 'InstallSnapshotReq']);

export function isGroupMsg(m: GroupWire): m is Message {
  return TRAFT_TYPES.has(m.type);
}

/** groupClientPort: chain's client port (decision 7) on the wire that also carries the group's messages. */
export const groupClientPort: ClientPort<GroupWire> = {
  toMsg: (req) => req,
  asReply: (m) => (m.type === 'client-reply' ? m : null),
};

type Out = ProtocolOutput<GroupWire, WalBatch, ChainLogEvent>;

/** stepMasterPart: a group message to TRaft, a node's message to the master (leader only), a tick to both. */
function stepMasterPart(p: MasterPart, input: ProtocolInput<GroupWire>, nowMs: number): Out {
  const out = newMasterRankOut();
  const client: { to: number; msg: ChainMsg }[] = [];
  if (!p.stopped) {
    if (input.type === 'message') {
      const msg = input.msg;
      if (isGroupMsg(msg)) stepGroup(p.r, { type: 'message', from: input.from, msg }, nowMs, out);
      else if (msg.type === 'client-req') client.push({ to: input.from, msg: redirect(p, msg) });
      else stepChain(p.r, { type: 'message', from: input.from, msg }, nowMs, out);
    } else if (input.type === 'persisted') stepGroup(p.r, input, nowMs, out);
    // A node's message steps only the master, whose output says nothing of TRaft's timers: the
    // earliest deadline asked for is kept here, and any input at or after it ticks both.
    const due = input.type === 'tick' || nowMs >= p.wakeAtMs;
    if (due) {
      stepGroup(p.r, { type: 'tick' }, nowMs, out);
      stepChain(p.r, { type: 'tick' }, nowMs, out);
    }
    p.wakeAtMs = due ? out.wakeAtMs : Math.min(p.wakeAtMs, out.wakeAtMs);
  }
  return finish(p, out, client, nowMs);
}

/**
 * redirect: the master serves no keys; a client that tried a master rank is sent to the key's
 * head (writes) or tail (reads): by the leader's newest configuration sent, or by any rank's
 * committed one (a stale hint only costs the client one more try: a node checks its epoch).
 */
function redirect(p: MasterPart, req: ClientRequest): ChainMsg {
  const c = p.r.master?.announced ?? machineOf(p.r).record?.config;
  const cr = c === undefined ? undefined : rangeOfKey(c, req.key);
  const craq = p.r.setup.options.craq === true;
  const hint = cr === undefined ? undefined : req.op === 'get' ? readerOf(cr, req.client, req.key, craq) : headOf(cr);
  return { type: 'client-reply', client: req.client, reqNo: req.reqNo, status: 'not-leader', hint: hint ?? null };
}

function finish(p: MasterPart, out: MasterRankOut, client: { to: number; msg: ChainMsg }[], nowMs: number): Out {
  const logs = [...out.logs];
  if (nowMs >= p.stopAtMs && !p.stopped) {
    logs.push({ type: 'summary', fields: groupSummary(p) });
    p.stopped = true;
  }
  const wakeAtMs = Math.min(p.wakeAtMs, nowMs + groupPollMs(p), p.stopAtMs);
  return {
    send: [...out.group, ...out.chain, ...client],
    persist: out.wal,
    log: logs,
    trace: [],
    wakeAtMs,
    ...(p.stopped ? { stop: true } : {}),
  };
}

function groupPollMs(p: MasterPart): number {
  return Math.min(p.r.setup.timing.heartbeatIntervalMs, p.r.setup.options.heartbeatMs);
}

/** groupSummary: the rank's group counters, and the master's while it leads. */
function groupSummary(p: MasterPart): { commits: number; generates: number } & Record<string, number | string> {
  const m = p.r.master;
  return {
    commits: 0,
    generates: 0,
    role: m === undefined ? 'master rank' : 'master leader',
    ...p.r.counts,
    ...(m === undefined ? {} : masterSummary(m)),
  };
}

/** stepNodePart: a node's step (core.ts); it persists nothing (C6), and a group message is never meant for it. */
function stepNodePart(s: ChainState, input: ProtocolInput<GroupWire>, nowMs: number): Out {
  const chainInput: ProtocolInput<ChainMsg> =
    input.type === 'message' && isGroupMsg(input.msg) ? { type: 'tick' } : (input as ProtocolInput<ChainMsg>);
  const out = stepCore(s, chainInput, nowMs);
  assert(out.persist.length === 0, 'a chain node persists nothing (C6)');
  return { ...out, persist: [] };
}

/** chainReplicated: chain replication with its master on a TRaft group of ranks 0–2. */
export const chainReplicated: Protocol<
  ReplicatedConfig,
  ReplicatedState,
  GroupWire,
  WalBatch,
  ChainLogEvent,
  DurableState | undefined,
  undefined
> = {
  name: 'chain',
  init: (o) => {
    const c = o.config;
    if (MASTER_GROUP.includes(o.self)) {
      const setup = {
        self: o.self,
        members: MASTER_GROUP,
        nodes: o.ranks - MASTER_GROUP.length,
        startAtMs: o.startAtMs,
        nowMs: o.nowMs,
        options: c.options,
        timing: defaultTiming(c.electionMs),
        clockDrift: c.clockDrift,
        random: o.rankRandom.fork('group'),
        clusterId: o.clusterId,
      };
      const r = initMasterRank(setup, o.durable);
      return { kind: 'group', r, stopAtMs: o.loadUntilMs + drainMs(c.options), stopped: false, wakeAtMs: o.nowMs };
    }
    const base = { self: o.self, ranks: o.ranks, startAtMs: o.startAtMs, loadUntilMs: o.loadUntilMs, nowMs: o.nowMs };
    return initCore({ ...base, options: c.options, masters: MASTER_GROUP });
  },
  step: (s, input, nowMs) => ({ state: s, out: s.kind === 'group' ? stepMasterPart(s, input, nowMs) : stepNodePart(s, input, nowMs) }),
  validate: (x) => {
    const type = typeof x === 'object' && x !== null ? (x as { type?: unknown }).type : undefined;
    return typeof type === 'string' && TRAFT_TYPES.has(type) ? validateTraftMsg(x, masterMachine) : validateChainMsg(x);
  },
  encode: (msg) => (isGroupMsg(msg) ? (traft.encode?.(msg) as Message) : msg),
  formatLog,
  recoverLog: () => undefined,
  storage: traft.storage,
  pollMs: (s) => (s.kind === 'group' ? groupPollMs(s) : corePollMs(s)),
  // the master leader is the cluster's leader (a `leader` fault target names it)
  role: (s) => (s.kind === 'group' ? (s.r.master !== undefined ? 'leader' : 'master') : 'node'),
  round: (s) => (s.kind === 'group' ? (s.r.replica.leader?.id.term ?? 0) : s.kind === 'node' ? s.n.epoch : 0),
  summary: (s) => (s.kind === 'group' ? groupSummary(s) : coreSummary(s)),
  replay: (batches) => traft.replay?.(batches),
  supersedes: (batch) => batch.checkpoint !== undefined,
  clients: groupClientPort,
  describe: (msg) => (isGroupMsg(msg) ? { type: msg.type } : (chain.describe?.(msg) ?? { type: msg.type })),
};
