// options: chain replication's timing and size parameters (docs/protocols/chain.md §5–§9),
// validated once so that a lease can never outlive the master's failure timeout (L1, L3).

export interface ChainOptions {
  /** k: the replication factor (K1), default 3. */
  readonly k: number;
  /** minNodes: nodes needed to start (K4), default 3. */
  readonly minNodes: number;
  readonly heartbeatMs: number;
  readonly failTimeoutMs: number;
  readonly leaseMs: number;
  /** maxDriftMs: how far two clocks may drift over one lease (L1's validation). */
  readonly maxDriftMs: number;
  readonly resendAfterMs: number;
  readonly ackBatchMs: number;
  /** maxInFlight: the head's `sent` bound; above it new writes are `busy` (W2). */
  readonly maxInFlight: number;
  readonly pauseMaxMs: number;
  readonly stuckMs: number;
  readonly maxTransferLog: number;
  /** transferChunk: snapshot entries per Transfer message (a frame stays small). */
  readonly transferChunk: number;
  readonly clientTtlMs: number;
  /**
   * stopBelowMin: the seed's "stop all below 3" (K4): with fewer live nodes than minNodes the
   * master answers no heartbeat, so leases lapse and the store serves nothing until enough nodes
   * are live again. Default off: below minNodes it keeps serving on shorter chains (C4).
   */
  readonly stopBelowMin?: boolean;
  /**
   * craq: CRAQ's apportioned reads (R3, docs/protocols/chain.md §3a): every member of a key's
   * chain answers gets, a clean key locally, a dirty one at the version the tail has committed.
   * Default off: gets go to the tail only (R1).
   */
  readonly craq?: boolean;
  /** leaves: [rank, s]: that node asks the master to leave (§7.4) s seconds into the load (`csplab kv run --remove`). */
  readonly leaves?: readonly (readonly [number, number])[];
}

export const DEFAULT_CHAIN_OPTIONS: ChainOptions = {
  k: 3,
  minNodes: 3,
  heartbeatMs: 250,
  failTimeoutMs: 2000,
  leaseMs: 1500,
  maxDriftMs: 200,
  resendAfterMs: 200,
  ackBatchMs: 1,
  maxInFlight: 1024,
  pauseMaxMs: 2000,
  stuckMs: 1000,
  maxTransferLog: 100_000,
  transferChunk: 2048,
  clientTtlMs: 600_000,
};

/** checkChainOptions throws a RangeError naming the broken bound (the CLI turns it into exit 2). */
export function checkChainOptions(o: ChainOptions): ChainOptions {
  if (!(o.k >= 1 && Number.isInteger(o.k))) throw new RangeError(`replication factor k must be an integer ≥ 1, got ${o.k}`);
  if (!(o.minNodes >= 1 && Number.isInteger(o.minNodes))) throw new RangeError(`minNodes must be an integer ≥ 1, got ${o.minNodes}`);
  if (!(o.leaseMs < o.failTimeoutMs - o.maxDriftMs))
    throw new RangeError(
      `leaseMs ${o.leaseMs} must be below failTimeoutMs ${o.failTimeoutMs} − maxDriftMs ${o.maxDriftMs}: else an old tail could serve after a new one does (L1)`,
    );
  if (!(o.heartbeatMs > 0 && o.heartbeatMs < o.leaseMs)) throw new RangeError(`heartbeatMs ${o.heartbeatMs} must be in (0, leaseMs)`);
  return o;
}

/**
 * checkReplicatedBounds (chain-master.md §12.3): a node's lease, stretched by its drift, ends
 * before a new master leader, counting failTimeoutMs on a clock up to clockDrift fast, replaces it.
 */
export function checkReplicatedBounds(o: ChainOptions, clockDrift: number): void {
  if (!(clockDrift >= 0 && clockDrift < 1)) throw new RangeError(`clockDrift must be in [0, 1), got ${clockDrift}`);
  const wait = o.failTimeoutMs * (1 - clockDrift);
  if (!(o.leaseMs + o.maxDriftMs < wait))
    throw new RangeError(
      `leaseMs ${o.leaseMs} + maxDriftMs ${o.maxDriftMs} must be below failTimeoutMs ${o.failTimeoutMs} · (1 − clockDrift ${clockDrift}) = ${wait}: else a tail could serve after a new master leader replaced it (§8.1)`,
    );
}
