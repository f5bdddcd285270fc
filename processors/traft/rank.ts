// rank: one TRaft rank on the rank driver's four processors (runtime/driver/rank.ts), for
// tests and simulations that bring their own clock, network, WAL and instance log; a process
// is runtime/driver/node.ts with the same protocol (processors/traft/entry.ts).
import type { Clock } from '../../runtime/clock.js';
import type { LogSink } from '../../runtime/driver/logsink.js';
import { startRank, type Rank } from '../../runtime/driver/rank.js';
import type { Random } from '../../runtime/random.js';
import type { Transport } from '../../runtime/transport.js';
import type { DurableState, WalBatch } from './durable.js';
import type { Message } from './messages.js';
import { traft, type TraftConfig } from './protocol.js';
import type { ReplicaState, Role } from './state.js';

export interface TraftRankOptions extends TraftConfig {
  rank: number;
  ranks: number;
  clusterId: string;
  /** loadUntilMs: stop proposing (start + t); then drain and stop. */
  loadUntilMs: number;
  clock: Clock;
  random: Random;
  transport: Transport<Message>;
  sink: LogSink;
  /** storage writes WAL batches in order and reports durability through persisted(). */
  storage: { write(batches: readonly WalBatch[]): void };
  durable?: DurableState;
  loggedUpTo?: number;
  /** loggedKeys: the instance log's KEYs by seq (keysFromLines), with durable. */
  loggedKeys?: readonly string[];
  onRole?: (role: Role) => void;
}

export interface TraftRankStats {
  rank: number;
  commits: number;
  outOfOrderCommits: number;
  /** heldBackCommits: positions this rank, as leader, found quorum-accepted (C1) but held back by interference (C2). */
  heldBackCommits: number;
  generates: number;
  proposed: number;
  /** snapshots taken here, and installed from a leader or a voter. */
  snapshots: number;
  snapshotsInstalled: number;
  /** floor: positions below it are compacted into the latest snapshot. */
  floor: number;
  role: Role;
  drops: number;
}

export interface TraftRank extends Omit<Rank<unknown>, 'stats' | 'state'> {
  stats(): TraftRankStats;
  state(): ReplicaState;
}

export function startTraftRank(o: TraftRankOptions): TraftRank {
  const { electionMs, window, keys, snapshotEvery, durable, loggedKeys, onRole } = o;
  const { rank: self, ranks, clusterId, loadUntilMs, clock, random, transport, sink, storage } = o;
  const rank = startRank({
    rank: self,
    ranks,
    clusterId,
    loadUntilMs,
    clock,
    random,
    transport,
    sink,
    storage,
    protocol: traft,
    config: { electionMs, window, keys, snapshotEvery },
    ...(durable ? { durable, logged: { keys: loggedKeys ?? [], upTo: o.loggedUpTo ?? -1 } } : {}),
    ...(onRole ? { onRole: (role: string) => onRole(role as Role) } : {}),
  });
  return {
    done: rank.done,
    persisted: (batchId) => rank.persisted(batchId),
    stop: () => rank.stop(),
    stats: () => rank.stats() as unknown as TraftRankStats,
    state: () => rank.state().s,
  };
}
