// master_replicated: one rank of the `replicated` chain master (chain.md §8.1,
// docs/protocols/chain-master.md §10). Each master rank is a TRaft replica of masterMachine
// (master_machine.ts); the single master's pure step (master.ts) runs on the group leader only.
// Its record writes become TRaft proposals and its `persisted` is their apply, so a configuration
// is sent only once a quorum of master ranks holds it. A new leader first gets its own
// `MasterLeader` applied (every committed decision of its predecessors is then in the machine),
// and then starts the master from that record exactly as a restarted single master does (§5):
// nobody is declared failed for failTimeoutMs, paused heads are resumed, a retired member is
// found by its heartbeat. Heartbeats are answered only while the rank holds TRaft's leader lease
// (V2, traft.md §9.4): a deposed leader cut off with a tail stops renewing it before any new
// leader can exist, and the new leader waits failTimeoutMs more before it replaces that tail.
import { restartReplica, step, newClients, afterStep, leaseValid, leaderIdEq } from '../traft/index.js';
import type { Clients, Config as GroupConfig, Envelope, Input, LeaderId, ReplicaState, Timing, WalBatch } from '../traft/index.js';
import type { Random } from '../../runtime/random.js';
import { initMaster, stepMaster, type MasterState } from './master.js';
import { decisionOf, MasterMachine, masterMachine, type RecordFields } from './master_machine.js';
import type { ChainMsg } from './messages.js';
import { checkReplicatedBounds, type ChainOptions } from './options.js';
import type { ChainInput, ChainLogEvent, ChainOut, MasterRecord } from './types.js';

export interface MasterRankSetup {
  readonly self: number;
  /** members: the master group's ranks (3 for `replicated`). */
  readonly members: readonly number[];
  /** nodes: how many chain nodes the first configuration waits for (decision 6). */
  readonly nodes: number;
  readonly startAtMs: number;
  readonly nowMs: number;
  readonly options: ChainOptions;
  readonly timing: Timing;
  /** clockDrift: the drift bound TRaft's leader lease assumes (traft.md §9.4). */
  readonly clockDrift: number;
  readonly random: Random;
  readonly clusterId: string;
}

/** MasterRank: the TRaft replica, its lease bookkeeping, and the master while this rank leads. */
export interface MasterRank {
  readonly setup: MasterRankSetup;
  replica: ReplicaState;
  readonly lease: Clients;
  /** leadership: the TRaft leadership the master below belongs to (null: not leading). */
  leadership: LeaderId | null;
  /** barrier: the logKey of this leadership's MasterLeader, until it is applied. */
  barrier: string | undefined;
  master: MasterState | undefined;
  /** proposed: the record as of this leadership's last proposal (decisions are diffs of it). */
  proposed: RecordFields | undefined;
  /** pending: logKey → the master's persist batch it carries (applied → `persisted`). */
  readonly pending: Map<string, number>;
  batches: number;
  readonly counts: { leaderships: number; decisions: number; unleasedHeartbeats: number };
}

/** MasterRankOut: what one step asks of the driver: group messages and WAL, chain sends, log lines. */
export interface MasterRankOut {
  readonly group: Envelope[];
  readonly wal: WalBatch[];
  readonly chain: { to: number; msg: ChainMsg }[];
  readonly logs: ChainLogEvent[];
  wakeAtMs: number;
}

export function newMasterRankOut(): MasterRankOut {
  return { group: [], wal: [], chain: [], logs: [], wakeAtMs: Infinity };
}

export function initMasterRank(setup: MasterRankSetup, durable?: Parameters<typeof restartReplica>[0]['durable']): MasterRank {
  checkReplicatedBounds(setup.options, setup.clockDrift);
  const config: GroupConfig = { clusterId: setup.clusterId, members: [...setup.members] };
  const replica = restartReplica({
    self: setup.self,
    config,
    timing: setup.timing,
    nowMs: setup.nowMs,
    random: setup.random,
    machine: masterMachine,
    ...(durable === undefined ? {} : { durable }),
  });
  return {
    setup,
    replica,
    lease: newClients({ leaseReads: true, clockDrift: setup.clockDrift }),
    leadership: null,
    barrier: undefined,
    master: undefined,
    proposed: undefined,
    pending: new Map(),
    batches: 0,
    counts: { leaderships: 0, decisions: 0, unleasedHeartbeats: 0 },
  };
}

/** machineOf: the rank's copy of the master's record. */
export function machineOf(r: MasterRank): MasterMachine {
  return r.replica.applier.sm as MasterMachine;
}

/** holdsLease: this rank leads and no other leader can be established before now (V2). */
export function holdsLease(r: MasterRank, nowMs: number): boolean {
  return r.replica.leader !== null && leaseValid(r.lease, r.replica, nowMs);
}

/** stepGroup: one TRaft input (a group message, a tick, a persisted WAL batch). */
export function stepGroup(r: MasterRank, input: Input, nowMs: number, out: MasterRankOut): void {
  const res = step(r.replica, input, nowMs, r.setup.random);
  r.replica = res.state;
  out.group.push(...res.out.send);
  out.wal.push(...res.out.persist);
  out.wakeAtMs = Math.min(out.wakeAtMs, res.out.wakeAtMs);
  afterStep(r.lease, r.replica, res.out.applied, nowMs); // lease marks only: no client waits here
  syncLeadership(r, nowMs, out);
  for (const a of res.out.applied) onApplied(r, a.rec.logKey, nowMs, out);
}

/**
 * LEASED: what a master rank sends only under the group lease. A heartbeat reply is a node's
 * lease (§8.1); a step's message (join-as-tail, retire, pause) or a `removed` acts on a decision
 * a deposed leader may not have committed. All of them are repeated, so one held back is only
 * late. Configurations are committed decisions, and resume ends a pause: both always go out.
 */
const LEASED: ReadonlySet<ChainMsg['type']> = new Set(['heartbeat-reply', 'join-as-tail', 'retire', 'pause', 'removed']);

/** stepChain: a chain message (from a node) or a tick for the master; only a leader's master acts. */
export function stepChain(r: MasterRank, input: ChainInput, nowMs: number, out: MasterRankOut): void {
  syncLeadership(r, nowMs, out);
  const m = r.master;
  if (m === undefined) return;
  const persists: RecordFields[] = [];
  const leased = holdsLease(r, nowMs);
  const chainOut: ChainOut = {
    send: (to, msg) => {
      if (leased || !LEASED.has(msg.type)) out.chain.push({ to, msg });
      else if (msg.type === 'heartbeat-reply') r.counts.unleasedHeartbeats++;
    },
    log: (ev) => out.logs.push(ev),
    persist: (rec) => persists.push(rec),
    wakeAt: (at) => (out.wakeAtMs = Math.min(out.wakeAtMs, at)),
    stop: () => undefined,
  };
  if (input.type === 'message' && input.msg.type === 'heartbeat' && m.config === undefined && !m.nodes.has(input.from))
    // Before the first configuration nothing is recorded, so a new leader knows no node; a node whose
    // join the old leader answered sends no join again, and its heartbeat stands for it.
    stepMaster(m, { type: 'message', from: input.from, msg: { type: 'join', incarnation: input.msg.incarnation } }, nowMs, chainOut);
  stepMaster(m, input, nowMs, chainOut);
  for (const rec of persists) propose(r, rec, nowMs, out);
}

/** propose: one write of the master's record becomes one decision in the group's log. */
function propose(r: MasterRank, rec: RecordFields, nowMs: number, out: MasterRankOut): void {
  const batch = ++r.batches;
  const cmd = decisionOf(r.proposed, rec) ?? { type: 'NodeJoined' }; // nothing changed: still a batch to release
  r.proposed = rec;
  const id = r.leadership;
  const logKey = `m${id?.term ?? 0}.${id?.id ?? 0}.${batch}`;
  r.pending.set(logKey, batch);
  r.counts.decisions++;
  stepGroup(r, { type: 'propose', cmd, logKey }, nowMs, out);
}

/** syncLeadership: a leadership that ended takes its master with it; a new one proposes its MasterLeader. */
function syncLeadership(r: MasterRank, nowMs: number, out: MasterRankOut): void {
  const id = r.replica.leader?.id ?? null;
  if (leaderIdEq(id, r.leadership)) return;
  if (r.master !== undefined)
    out.logs.push({
      type: 'master',
      epoch: r.master.config?.epoch ?? 0,
      what: `master rank ${r.setup.self} lost the group leadership: it stops deciding`,
    });
  r.leadership = id;
  r.master = undefined;
  r.pending.clear();
  r.barrier = undefined;
  if (id === null) return;
  r.barrier = `leader${id.term}.${id.id}`;
  stepGroup(r, { type: 'propose', cmd: { type: 'MasterLeader', term: id.term, rank: id.id }, logKey: r.barrier }, nowMs, out);
}

/** onApplied: this leadership's MasterLeader starts the master; a decision it proposed releases its batch. */
function onApplied(r: MasterRank, logKey: string, nowMs: number, out: MasterRankOut): void {
  if (logKey === r.barrier) return startMaster(r, nowMs, out);
  const batch = r.pending.get(logKey);
  if (batch === undefined || r.master === undefined) return;
  r.pending.delete(logKey);
  stepChain(r, { type: 'persisted', batchId: batch }, nowMs, out);
}

/** startMaster: the master resumes from the group's record, as a restarted single master does (chain-master.md §5). */
function startMaster(r: MasterRank, nowMs: number, out: MasterRankOut): void {
  r.barrier = undefined;
  r.counts.leaderships++;
  const rec = machineOf(r).record;
  r.proposed = rec;
  const s = r.setup;
  const setup = { ranks: s.nodes + 1, startAtMs: s.startAtMs, nowMs, options: s.options };
  const record: MasterRecord | undefined = rec === undefined ? undefined : { batchId: 0, ...rec };
  r.master = initMaster(record === undefined ? setup : { ...setup, record });
  out.logs.push({
    type: 'master',
    epoch: rec?.config.epoch ?? 0,
    what: `master rank ${s.self} leads the group (term ${r.leadership?.term ?? 0}): deciding from the record of epoch ${rec?.config.epoch ?? 0}`,
  });
  stepChain(r, { type: 'tick' }, nowMs, out);
}
