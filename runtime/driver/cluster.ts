// cluster: what every protocol's rank process does the same way before its protocol
// starts: listen on TCP (a seeded lossy network if asked), report `ready`, and wait for the
// shared schedule. A failure on the way closes what was opened.
import { RealClock, SkewedClock } from '../clock.js';
import { withLoss } from '../net/lossy.js';
import { withNetFaults, type LinkFaults, type NetFault } from '../net/netfaults.js';
import { startTcp, type PeerAddress } from '../net/tcp.js';
import { rankRandom } from '../random.js';
import type { Transport } from '../transport.js';
import { defined } from '../assert.js';

/** NodeBaseConfig: the settings every protocol's node takes from `csplab rank`. */
export interface NodeBaseConfig {
  rank: number;
  ranks: number;
  peers: PeerAddress[]; // peers[r]: where rank r listens (peers[rank] is ours)
  logDir: string;
  seed: string;
  clusterId: string;
  /** timing resolves to the shared schedule; asked for once this rank is listening (csplab run). */
  timing: () => Promise<Schedule>;
  incarnation: number;
  clean: boolean;
  /** trace: write trace<rank>.ndjson beside the instance log (docs/trace.md). */
  trace?: boolean;
  /** dropRate: the seeded fraction of outbound messages lost (a lossy network; 0 = none). */
  dropRate: number;
  /** net: faults of the network on this rank's links, and its clock's skew (docs/faults.md). */
  net: NetConfig;
  /** event receives machine-readable progress (ready, round changes, per-second counts, summary). */
  event: (ev: Record<string, unknown>) => void;
  /** debug receives human-readable diagnostics (stderr; never the instance log). */
  debug: (line: string) => void;
}

export interface NetConfig {
  link: LinkFaults;
  /** skewMs: the constant offset of this rank's clock (`csplab run --skew`). */
  skewMs: number;
  /** listen is called once with the function that applies a partition or cut as it arrives. */
  listen(apply: (fault: NetFault) => void): void;
}

/** rankClock is the rank's clock: the machine's, off by --skew if this rank is the skewed one. */
export function rankClock(c: NodeBaseConfig): RealClock {
  return c.net.skewMs !== 0 ? new SkewedClock(c.net.skewMs) : new RealClock();
}

export interface Schedule {
  startAtMs: number;
  endAtMs: number;
}

/** joinCluster listens, says ready, and resolves with the transport and the shared schedule. */
export async function joinCluster<M>(
  c: NodeBaseConfig,
  clock: RealClock,
  validate: (x: unknown) => M,
  keepWhenStalled?: (msg: M) => boolean,
  transientPayloads = false,
): Promise<{ transport: Transport<M>; schedule: Schedule }> {
  const me = defined(c.peers[c.rank], 'the config has one peer address per rank');
  const tcp = await startTcp<M>({
    rank: c.rank,
    ranks: c.ranks,
    peers: c.peers,
    listen: { host: me.host, port: me.port },
    clusterId: c.clusterId,
    clock,
    validate,
    ...(keepWhenStalled !== undefined ? { keepWhenStalled } : {}),
    transientPayloads,
    log: (line) => c.debug(line),
    onEvent: (e) => c.debug(`debug rank ${c.rank}: tcp ${e.type}${'peer' in e ? ` peer ${e.peer}` : ` ${e.reason}: ${e.detail}`}`),
  });
  const random = rankRandom(c.seed, c.rank, c.incarnation);
  // A partition's end is in the launcher's time: the machine's clock, not this rank's skewed one.
  const netClock = clock instanceof SkewedClock ? clock.base : clock;
  const transport = withNetFaults(withLoss(tcp, random.fork('loss'), c.dropRate), netClock, random.fork('net'), c.net.link);
  c.net.listen((f) => {
    c.debug(`debug rank ${c.rank}: network fault ${JSON.stringify(f)} arrived at ${Math.round(netClock.nowMs())}`);
    transport.apply(f);
  });
  c.event({ type: 'ready', rank: c.rank, port: tcp.port });
  try {
    return { transport, schedule: await c.timing() };
  } catch (e) {
    await transport.close();
    throw e;
  }
}
