// config: Vectory's knobs with the spec's defaults (docs/protocols/vectory.md), validated once at
// construction so a bad combination is a usage error, never a stalled cluster.

/** LoadMetric: what a node's load is (B-3); `cpu` is a probe's reading, fed in as an input (probe.ts). */
export type LoadMetric = 'mastered' | 'rate' | 'cpu';

export interface VectoryConfig {
  readonly shards: number;
  /** electionMs: E (A3). */
  readonly electionMs: number;
  /** aliveMs: H (A1); also the tick period (V5) and the resend period. */
  readonly aliveMs: number;
  readonly maxBatch: number;
  readonly maxCollectEntries: number;
  readonly metric: LoadMetric;
  /** theta: the load gap that starts a balance move (L1, D10); CPU percentage points for `cpu`. */
  readonly theta: number;
  /** cpuSmoothing: the weight of one CPU probe reading in the node's average (`cpu`; smaller is steadier). */
  readonly cpuSmoothing: number;
  /** tokenTtlMs: one token grant per master per this long, and the write fence (L3, D11). */
  readonly tokenTtlMs: number;
  /** cooldownMs: a requester's pause between balance attempts (L2). */
  readonly cooldownMs: number;
  /** readWaitMs: how long a local or master read waits before `electing` (V8, V10). */
  readonly readWaitMs: number;
  /** startOn: every shard's first master is this node (T7); absent: node s mod N masters s first (A3, D5). */
  readonly startOn?: number;
  /** balance: false turns balance off (tests of the shard agreement alone). */
  readonly balance?: boolean;
  /**
   * silenceOnTick: the rules that act on silence — a shard's election deadline (A4, E5) and a
   * master's CheckQuorum (A5) — act only on a tick, which the driver and the simulator step after
   * the messages waiting for a late node (docs/protocols/vectory.md, differences from the spec). Off: after every input.
   */
  readonly silenceOnTick: boolean;
}

export const DEFAULT_E = 500;

/** CPU_THETA: the default gap, in CPU percentage points, that starts a balance move under `cpu`. */
export const CPU_THETA = 10;

/** vectoryConfig: the spec's defaults (A1 H = 50, A3 E = 500, L2 10E, L3 4E, V8 2E), with overrides. */
export function vectoryConfig(over: Partial<VectoryConfig> = {}): VectoryConfig {
  const e = over.electionMs ?? DEFAULT_E;
  const c: VectoryConfig = {
    shards: 10,
    electionMs: e,
    aliveMs: e / 10,
    maxBatch: 64,
    maxCollectEntries: 256,
    metric: 'mastered',
    // a CPU share is in percent: a gap of 2 points is noise, 10 is a node doing more work
    theta: over.metric === 'cpu' ? CPU_THETA : 2,
    cpuSmoothing: 0.02,
    tokenTtlMs: 4 * e,
    cooldownMs: 10 * e,
    readWaitMs: 2 * e,
    silenceOnTick: true,
    ...over,
  };
  checkConfig(c);
  return c;
}

/** checkConfig throws a RangeError naming the first bad field. */
export function checkConfig(c: VectoryConfig): void {
  if (!(Number.isSafeInteger(c.shards) && c.shards >= 1 && c.shards <= 4096)) throw new RangeError('shards must be an integer in 1..4096');
  if (!(c.electionMs > 0)) throw new RangeError('election time E must be > 0');
  if (!(c.aliveMs > 0 && c.aliveMs <= c.electionMs / 5)) throw new RangeError('alive interval H must be in (0, E/5] (A3)');
  if (!(c.maxBatch >= 1 && c.maxCollectEntries >= 1)) throw new RangeError('maxBatch and maxCollectEntries must be ≥ 1');
  if (!(c.theta >= 1)) throw new RangeError('theta must be ≥ 1');
  if (!(c.cpuSmoothing > 0 && c.cpuSmoothing <= 1)) throw new RangeError('cpuSmoothing must be in (0, 1]');
}
