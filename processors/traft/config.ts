// config: members, quorums and timing limits, validated once at construction. Quorums are
// majorities counted over the member list (docs/protocols/traft.md §3.7); explicit quorum masks and
// joint configs are not built (§13).
import { DEFAULT_MAX_MESSAGE_BYTES } from './chunk.js';

/** Config is the cluster's membership. */
export type Config = {
  /** clusterId rejects ElectReqs from other clusters (`other-cluster`). */
  readonly clusterId: string;
  readonly members: readonly number[];
};

/** Timing holds the deadlines and limits of §9.3, all in ms or counts. */
export type Timing = {
  /** electionTimeoutMs is E; election deadlines are uniform in [E, 2E). */
  readonly electionTimeoutMs: number;
  /** heartbeatIntervalMs is H < E/2; also the rpc timeout and the backoff cap. */
  readonly heartbeatIntervalMs: number;
  readonly maxBatch: number;
  readonly maxInflight: number;
  /**
   * fullInflight: appends a follower may have outstanding beyond maxInflight, each of a full
   * maxBatch records (absent: none). A leader whose window stays full keeps its followers' pipes
   * full without sending smaller appends more often under a light load (§9.3).
   */
  readonly fullInflight?: number;
  /**
   * rpcTimeoutMs: when an outstanding request's positions return to the pool (§6.3); H when
   * absent. The process driver uses E/2 (§11 D6): a follower's WAL write + fsync can outlast H
   * under load, and every expiry resends up to maxBatch records.
   */
  readonly rpcTimeoutMs?: number;
  /** leaseProtection turns on V2 (reject `leader-alive`). */
  readonly leaseProtection: boolean;
  /** snapshotEvery: take a snapshot once this many positions can be compacted (§7.2); 0 or absent: never. */
  readonly snapshotEvery?: number;
  /**
   * maxMessageBytes bounds the wire size of every message this replica sends (§4.7): catch-up
   * lists are cut into chunks under it. Absent: DEFAULT_MAX_MESSAGE_BYTES (a quarter of the TCP
   * frame). Tests lower it to exercise chunking with small logs.
   */
  readonly maxMessageBytes?: number;
  /**
   * inOrderCommit: commit only at the frontier, as Raft does (C1 on the lowest uncommitted
   * position; C2 then holds trivially). Off in every real run: it is the baseline against which
   * out-of-order commit is measured (docs/benchmarks.md), and is safe because it only commits less.
   */
  readonly inOrderCommit?: boolean;
  /**
   * preVote: a follower whose election deadline passes first asks, without raising its vote,
   * whether a quorum would grant it (§5.1, D28); only then does it campaign. Off when absent
   * (the seed's design, which scripted tests drive); every lab rank turns it on.
   */
  readonly preVote?: boolean;
  /**
   * electionBackoff: each election a rank starts that brings no leader before its next deadline
   * stretches that deadline, randomized and capped (§9.3, D29); hearing a leader ends the
   * backoff. Off when absent, on in every lab rank.
   */
  readonly electionBackoff?: boolean;
  /**
   * silenceOnTick: the timers that act on silence (a follower's election deadline, CheckQuorum)
   * act only on a tick, which the driver steps after the messages waiting for a late rank (§9.1,
   * D30). Off when absent (timers after every input, as scripted tests drive them), on in every lab rank.
   */
  readonly silenceOnTick?: boolean;
  /**
   * freshStart: a replica with nothing durable (it never voted, so it promised no lease) does not
   * count its start as leader contact, and draws its first election deadline from [H, H + E)
   * instead of [E, 2E) (§9.3, D31). Off when absent, on in every lab rank.
   */
  readonly freshStart?: boolean;
  /**
   * freshStartSpreadMs: with freshStart, a fresh replica's first deadline is drawn from
   * [H/4, H/4 + spread) instead of [H, H + E). Set on real ranks (entry.ts), which all start
   * at one shared time with their peers listening, so the first election need not wait out H
   * and E's spread: the larger ballot of rival candidates wins (§3.1), pre-vote still keeps a
   * late fresh rank from deposing a live leader, and no safety rule reads a timer (D31, D32).
   */
  readonly freshStartSpreadMs?: number;
};

/** defaultTiming derives H = E/5 and the limits of §9.3. */
export function defaultTiming(electionTimeoutMs = 1000): Timing {
  return { electionTimeoutMs, heartbeatIntervalMs: electionTimeoutMs / 5, maxBatch: 256, maxInflight: 4, leaseProtection: true };
}

/** validateConfig throws a RangeError naming the first bad field. */
export function validateConfig(config: Config, timing: Timing, self: number): void {
  if (config.members.length === 0) throw new RangeError('config: no members');
  if (new Set(config.members).size !== config.members.length) throw new RangeError('config: duplicate member');
  if (!config.members.includes(self)) throw new RangeError(`config: self ${self} is not a member`);
  if (!(timing.electionTimeoutMs > 0)) throw new RangeError('timing: electionTimeoutMs must be > 0');
  if (!(timing.heartbeatIntervalMs > 0 && timing.heartbeatIntervalMs < timing.electionTimeoutMs / 2)) {
    throw new RangeError('timing: heartbeatIntervalMs must be in (0, E/2)');
  }
  if (!(timing.maxBatch >= 1 && timing.maxInflight >= 1)) throw new RangeError('timing: maxBatch, maxInflight must be ≥ 1');
  const spread = timing.freshStartSpreadMs;
  if (spread !== undefined && !(spread > 0 && spread <= timing.electionTimeoutMs))
    throw new RangeError('timing: freshStartSpreadMs must be in (0, E]');
  if (timing.rpcTimeoutMs !== undefined && !(timing.rpcTimeoutMs > 0 && timing.rpcTimeoutMs < timing.electionTimeoutMs)) {
    throw new RangeError('timing: rpcTimeoutMs must be in (0, E)');
  }
  if (timing.snapshotEvery !== undefined && !(Number.isSafeInteger(timing.snapshotEvery) && timing.snapshotEvery >= 0)) {
    throw new RangeError('timing: snapshotEvery must be an integer ≥ 0');
  }
  if (timing.maxMessageBytes !== undefined && !(Number.isSafeInteger(timing.maxMessageBytes) && timing.maxMessageBytes >= 2048)) {
    throw new RangeError('timing: maxMessageBytes must be an integer ≥ 2048');
  }
}

/** maxMessageBytes is the bound every sent message stays under (§4.7). */
export function maxMessageBytes(timing: Timing): number {
  return timing.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
}

/** isQuorum: the set (the candidate/leader counts itself) covers a majority of members. */
export function isQuorum(config: Config, ids: Iterable<number>): boolean {
  let n = 0;
  const seen = new Set<number>();
  for (const id of ids) {
    if (!seen.has(id) && config.members.includes(id)) n++;
    seen.add(id);
  }
  return n >= Math.floor(config.members.length / 2) + 1;
}
