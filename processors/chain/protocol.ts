// protocol: chain replication as a runtime Protocol (runtime/protocol.ts), run by the rank
// driver and the simulator. Rank 0 is the master, every other rank a node (core.ts). Nodes
// persist nothing (C6: a restart is a new node); the master persists its record (types.ts
// MasterRecord) in storage.ts's record file, each batch the whole record, so the last durable
// one is all a restart needs.
import type { ClientPort, Protocol } from '../../runtime/protocol.js';
import { coreSummary, corePollMs, initCore, stepCore, type ChainBatch, type ChainState } from './core.js';
import { formatLog } from './log.js';
import type { ChainMsg } from './messages.js';
import type { ChainOptions } from './options.js';
import { chainStorage, replayMasterRecords } from './storage.js';
import type { ChainLogEvent, MasterRecord } from './types.js';
import { validateChainMsg } from './validate.js';

/** ChainConfig: chain's validated flags (entry.ts). */
export interface ChainConfig {
  readonly options: ChainOptions;
}

/** chain is chain replication for the rank driver and the simulator. */
/**
 * chainClientPort: clients speak the shared client wire as chain messages (decision 7). The
 * master (rank 0) serves no keys but answers every request not-leader with the key's head or
 * tail (core.ts), so no client waits on it.
 */
export const chainClientPort: ClientPort<ChainMsg> = { toMsg: (req) => req, asReply: (m) => (m.type === 'client-reply' ? m : null) };

export const chain: Protocol<ChainConfig, ChainState, ChainMsg, ChainBatch, ChainLogEvent, MasterRecord | undefined, undefined> = {
  name: 'chain',
  init: (o) =>
    initCore({
      self: o.self,
      ranks: o.ranks,
      startAtMs: o.startAtMs,
      loadUntilMs: o.loadUntilMs,
      nowMs: o.nowMs,
      options: o.config.options,
      ...(o.durable !== undefined ? { record: o.durable } : {}),
    }),
  step: (s, input, nowMs) => ({ state: s, out: stepCore(s, input, nowMs) }),
  validate: validateChainMsg,
  formatLog,
  recoverLog: () => undefined,
  storage: chainStorage,
  pollMs: corePollMs,
  // The master is the cluster's one leader once it has installed a configuration (a `leader`
  // fault target names it; the driver reports role changes only, so it starts as 'master').
  role: (s) => (s.kind === 'node' ? 'node' : masterEpoch(s) > 0 ? 'leader' : 'master'),
  round: (s) => (s.kind === 'master' ? masterEpoch(s) : s.n.epoch),
  summary: coreSummary,
  // each batch is the whole record: the last one that reached the disk is the master's state (none: a fresh master)
  replay: replayMasterRecords,
  supersedes: () => true,
  // clients speak the shared client wire as chain messages (decision 7): the gateway on the
  // rank driver, runtime/sim/clients.ts on the simulator
  clients: chainClientPort,
  describe: (msg) => ({
    type: msg.type,
    ...('epoch' in msg ? { round: msg.epoch } : {}),
    ...(msg.type === 'forward' && msg.updates.length > 0
      ? { seq: [msg.updates[0]?.seq ?? 0, msg.updates[msg.updates.length - 1]?.seq ?? 0] as const, size: msg.updates.length * 64 }
      : {}),
  }),
};

/** masterEpoch: the epoch of the master's configuration (0 before the first). */
function masterEpoch(s: ChainState): number {
  return s.kind === 'master' ? (s.m.config?.epoch ?? 0) : 0;
}
