// types: how the chain core's parts meet (docs/protocols/chain.md §10). One pure step per rank:
// rank 0 runs the master (master.ts), every other rank a node (node.ts); both write what they
// decide into a ChainOut that the core (core.ts) turns into the protocol's output, so neither
// part touches I/O, time or randomness except through what it is handed.
import type { ProtocolInput } from '../../runtime/protocol.js';
import type { Config } from './config.js';
import type { ChainMsg } from './messages.js';

/** MASTER_RANK: the single master (the seed's ECS) is rank 0; nodes are ranks 1, 2, … */
export const MASTER_RANK = 0;

/** ChainInput: one event for a part's step (a message's `from` is the connection's rank or client address). */
export type ChainInput = ProtocolInput<ChainMsg>;

/** MasterRecord: what the master persists so a restarted master resumes (its only durable state). */
export interface MasterRecord {
  readonly batchId: number;
  readonly config: Config;
  /** failed: ranks declared failed; a restarted incarnation of one rejoins as a new node. */
  readonly failed: readonly number[];
  /** leaving: ranks being removed gracefully (§7.4). */
  readonly leaving: readonly number[];
  /** incarnations: the live nodes' incarnations, so a restarted master tells a node's restart from its heartbeat (optional: additive). */
  readonly incarnations?: readonly (readonly [rank: number, incarnation: number])[];
}

/** ChainOut collects one step's effects; the core drains it into the ProtocolOutput. */
export interface ChainOut {
  send(to: number, msg: ChainMsg): void;
  /** log: one instance-log event (log.ts formats it). */
  log(ev: ChainLogEvent): void;
  /** persist: the master's record (nodes keep their data in memory only, C6). */
  persist(r: Omit<MasterRecord, 'batchId'>): void;
  /** wakeAt: step again (a tick) no later than atMs. */
  wakeAt(atMs: number): void;
  /** stop: this rank is done (a node told to Stop after leaving, or the run drained). */
  stop(): void;
}

/**
 * ChainLogEvent: the instance log's events (log.ts renders them; docs/protocols/chain.md §11).
 * `apply` is H8's line, one per update applied, the input of the log invariants I1–I8.
 */
export type ChainLogEvent =
  | {
      readonly type: 'apply';
      readonly rangeId: string;
      readonly seq: number;
      readonly key: string;
      readonly op: 'put' | 'delete';
      readonly clientId: string;
      readonly reqNo: number;
      readonly epoch: number;
    }
  | { readonly type: 'config'; readonly epoch: number; readonly summary: string }
  | { readonly type: 'role'; readonly rangeId: string; readonly epoch: number; readonly role: string }
  | { readonly type: 'master'; readonly epoch: number; readonly what: string }
  | { readonly type: 'summary'; readonly fields: Readonly<Record<string, number | string>> };
