// entry: Vectory's registry line (processors/registry.ts): its flags and how a node starts. Kept
// free of the protocol's code, which `start` and `simulate` load (`csplab check` loads none).
import { shardOf } from '../../runtime/client/shard.js';
import { numericOption, type ProtocolEntry } from '../../runtime/protocol.js';
import { checkConfig, DEFAULT_E, vectoryConfig, type LoadMetric, type VectoryConfig } from './config.js';
import { masteryOverTime } from './mastery.js';

export const vectoryEntry: ProtocolEntry = {
  name: 'vectory',
  // -o and -l are unused; -t the seconds of load
  defaults: { o: 1, l: 1, t: 10 },
  options: {
    shards: numericOption('vectory: shards S, each with its own master (§2)', 10),
    metric: {
      requiresArg: true,
      choices: ['mastered', 'rate', 'cpu'],
      default: 'mastered',
      describe: 'vectory: the load that balance evens out (B-3)',
    },
    'vectory-e-ms': numericOption('vectory: election time E in ms (A3); H defaults to E/10', DEFAULT_E),
    'vectory-h-ms': numericOption('vectory: Alive interval H in ms (A1), at most E/5'),
    'start-on': numericOption('vectory: every shard first mastered by this node (T7); default node s mod N (A3)'),
    'vectory-client-port': numericOption('vectory: the TCP port clients dial on loopback (0: any free port)'),
  },
  columns: [
    { header: 'mastered', key: 'mastered' },
    { header: 'won', key: 'won' },
    { header: 'tokens', key: 'tokens' },
  ],
  // the balance you can watch: mastered shards per node, from the master/stepdown/start lines (mastery.ts)
  overTime: masteryOverTime,
  // its commit lines are per shard, not the generic instance lines; kv run grades it by --lin and --sc
  gradedBy: { sc: true },
  flags(a, read, usage) {
    const e = read('--vectory-e-ms', a.vectoryEMs ?? DEFAULT_E, 10, 3_600_000);
    const metric: LoadMetric = a.metric === 'rate' || a.metric === 'cpu' ? a.metric : 'mastered';
    const over: Partial<VectoryConfig> = {
      shards: read('--shards', a.shards ?? 10, 1, 4096, true),
      electionMs: e,
      metric,
      ...(a.vectoryHMs !== undefined ? { aliveMs: read('--vectory-h-ms', a.vectoryHMs, 1, e / 5) } : {}),
      ...(a.startOn !== undefined ? { startOn: read('--start-on', a.startOn, 0, 1000, true) } : {}),
    };
    let config: VectoryConfig;
    try {
      config = vectoryConfig(over);
      checkConfig(config);
    } catch (err) {
      throw err instanceof RangeError ? usage(`vectory: ${err.message}`) : err;
    }
    const clientPort = a.vectoryClientPort === undefined ? undefined : read('--vectory-client-port', a.vectoryClientPort, 0, 65535, true);
    const passOn = [
      '--shards',
      String(config.shards),
      '--metric',
      metric,
      '--vectory-e-ms',
      String(e),
      '--vectory-h-ms',
      String(config.aliveMs),
    ];
    if (config.startOn !== undefined) passOn.push('--start-on', String(config.startOn));
    if (clientPort !== undefined) passOn.push('--vectory-client-port', String(clientPort));
    return {
      passOn,
      start: async (node) => {
        const { startNode } = await import('../../runtime/driver/node.js');
        const { clientPortHooks } = await import('../../runtime/client/hooks.js');
        const { vectory, vectoryClientPort } = await import('./protocol.js');
        const hooks = clientPortHooks(node, clientPort, vectoryClientPort);
        if (metric !== 'cpu') return startNode(vectory, config, node, hooks);
        const { withCpuProbe } = await import('./cpu_hooks.js');
        const { rankClock } = await import('../../runtime/driver/cluster.js');
        return startNode(vectory, config, node, withCpuProbe(rankClock(node), hooks));
      },
      simulate: () => simulateVectory(config),
    };
  },
};

/**
 * simulateVectory binds Vectory to the simulator; clients route per shard (a key's shard has one
 * master, §2) and carry `after` (§9: a local read must see the client's own writes), and the
 * logs are audited (invariants.ts). Under the `cpu` metric each node is handed a seeded, noisy
 * CPU reading (probe.ts).
 */
export async function simulateVectory(config: VectoryConfig): Promise<import('../../runtime/protocol.js').SimProgram> {
  const { simProgram } = await import('../../runtime/sim/bind.js');
  const { vectory } = await import('./protocol.js');
  const { auditLogs } = await import('./invariants.js');
  const { withSimulatedCpu } = await import('./probe.js');
  const p = simProgram(config.metric === 'cpu' ? withSimulatedCpu(vectory) : vectory, config);
  const session = { routing: 'per-shard', shardOf: (key: string) => shardOf(key, config.shards), carryAfter: true } as const;
  return {
    ...p,
    run: (o) => p.run(o.clients === undefined ? o : { ...o, clients: { ...o.clients, ...session } }),
    audit: (o) =>
      auditLogs(
        o.ranks.map((r) => r.lines),
        config.tokenTtlMs,
      ),
  };
}
