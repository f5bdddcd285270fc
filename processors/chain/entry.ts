// entry: chain replication's registry line (processors/registry.ts): its flags and how a rank
// starts. Kept free of the protocol's code, which `start` loads: every command of the CLI reads
// the flags, and `csplab check` must load no protocol. Rank 0 is the master; `--ranks N` runs
// N − 1 nodes.
import { numericOption, type FlagReader, type ProtocolEntry, type SimProgram } from '../../runtime/protocol.js';
import { checkChainOptions, DEFAULT_CHAIN_OPTIONS, type ChainOptions } from './options.js';

const D = DEFAULT_CHAIN_OPTIONS;

export const chainEntry: ProtocolEntry = {
  name: 'chain',
  // -o is unused; -l is the head's window of unacked writes (maxInFlight, W2)
  defaults: { o: 1, l: D.maxInFlight, t: 10 },
  options: {
    replication: numericOption('chain: copies of each range, the chain length k (K1)', D.k),
    'min-nodes': numericOption('chain: nodes needed to start (K4)', D.minNodes),
    'heartbeat-ms': numericOption('chain: a node’s heartbeat interval to the master (M1)', D.heartbeatMs),
    'fail-timeout-ms': numericOption('chain: silence after which the master declares a node failed (M3)', D.failTimeoutMs),
    'lease-ms': numericOption('chain: how long an answered heartbeat lets a node serve (L1); below fail-timeout − max-drift', D.leaseMs),
    'max-drift-ms': numericOption('chain: the most two clocks drift apart over one lease (L1)', D.maxDriftMs),
    craq: {
      type: 'boolean',
      describe: "chain: CRAQ reads (R3): every member of a key's chain answers gets, asking the tail only for a dirty key",
    },
    'stop-below-min': {
      type: 'boolean',
      describe: 'chain: with fewer live nodes than --min-nodes, stop serving (no leases) instead of serving on shorter chains (K4)',
    },
    leave: {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'chain: <rank>@<s>: that node asks the master to leave gracefully s seconds into the load (§7.4)',
    },
    master: {
      requiresArg: true,
      choices: ['single', 'replicated'],
      default: 'single',
      describe:
        'chain: the master: one rank (single, rank 0) or a TRaft group of three (replicated, ranks 0–2; nodes from rank 3), chain-master.md §12',
    },
    'chain-client-port': numericOption('chain: the TCP port clients dial on loopback (0: any free port, reported to csplab kv run)'),
  },
  // the commits column counts `commit` lines, which chain does not write: its applies and epochs instead
  columns: [
    { header: 'applies', key: 'applies' },
    { header: 'epoch', key: 'epoch' },
  ],
  flags(a, read, usage) {
    const options = readChainOptions(a, read, usage);
    const ranks = typeof a.ranks === 'number' ? a.ranks : undefined;
    const master: ChainMaster = a.master === 'replicated' ? 'replicated' : 'single';
    const masters = master === 'replicated' ? 3 : 1;
    const clientPort = a.chainClientPort === undefined ? undefined : read('--chain-client-port', a.chainClientPort, 0, 65535, true);
    const passOn = [
      ['--replication', options.k],
      ['--min-nodes', options.minNodes],
      ['--heartbeat-ms', options.heartbeatMs],
      ['--fail-timeout-ms', options.failTimeoutMs],
      ['--lease-ms', options.leaseMs],
      ['--max-drift-ms', options.maxDriftMs],
    ].flatMap(([f, v]) => [String(f), String(v)]);
    if (options.stopBelowMin === true) passOn.push('--stop-below-min');
    if (options.craq === true) passOn.push('--craq');
    if (clientPort !== undefined) passOn.push('--chain-client-port', String(clientPort));
    if (master !== 'single') passOn.push('--master', master);
    for (const [rank, atS] of options.leaves ?? []) passOn.push('--leave', `${rank}@${atS}`);
    return {
      passOn,
      // only for chain itself: every protocol's flags are read whichever one runs
      check: ({ l }) => {
        if (ranks !== undefined && ranks - masters < options.minNodes)
          throw usage(
            `chain needs at least min-nodes ${options.minNodes} nodes besides the master (${masters === 1 ? 'rank 0' : `ranks 0–${masters - 1}`}): --ranks ${ranks} gives ${ranks - masters} (K4)`,
          );
        if (l < 1) throw usage('-l (the head’s window) must be at least 1');
      },
      start: async (node, { l }) => {
        const { startNode } = await import('../../runtime/driver/node.js');
        const { clientPortHooks } = await import('../../runtime/client/hooks.js');
        if (master === 'replicated') {
          const r = await import('./protocol_replicated.js');
          const config = { options: { ...options, maxInFlight: l }, electionMs: r.DEFAULT_ELECTION_MS, clockDrift: r.DEFAULT_CLOCK_DRIFT };
          return startNode(r.chainReplicated, config, node, clientPortHooks(node, clientPort, r.groupClientPort));
        }
        const { chain, chainClientPort } = await import('./protocol.js');
        return startNode(chain, { options: { ...options, maxInFlight: l } }, node, clientPortHooks(node, clientPort, chainClientPort));
      },
      simulate: ({ l }) => simulateChain(options, l, master),
    };
  },
};

/**
 * simulateChain binds chain to the simulator (runtime/sim/). Simulated clients route per key
 * (decision 7: a key's writes go to its head, its reads to its tail or, with CRAQ, to a member),
 * whatever the caller asked.
 */
export async function simulateChain(options: ChainOptions, l: number, master: ChainMaster = 'single'): Promise<SimProgram> {
  const { simProgram } = await import('../../runtime/sim/bind.js');
  const { auditChainLogs } = await import('./audit.js');
  const chainOptions = { ...options, maxInFlight: l };
  // CRAQ: each client keeps its own read routes, so the nodes' hints spread one key's readers over its chain
  const routing = options.craq === true ? 'spread-reads' : 'per-key';
  let p: SimProgram;
  let masters: readonly number[] = [0];
  if (master === 'replicated') {
    const r = await import('./protocol_replicated.js');
    p = simProgram(r.chainReplicated, { options: chainOptions, electionMs: r.DEFAULT_ELECTION_MS, clockDrift: r.DEFAULT_CLOCK_DRIFT });
    masters = r.MASTER_GROUP;
  } else p = simProgram((await import('./protocol.js')).chain, { options: chainOptions });
  return {
    ...p,
    run: (o) => p.run(o.clients === undefined ? o : { ...o, clients: { ...o.clients, routing } }),
    audit: (o) => {
      const killed = new Set(o.resolved.flatMap((f) => (f.action === 'kill' && f.ignored !== true && f.rank !== null ? [f.rank] : [])));
      return auditChainLogs(o.ranks, killed, masters);
    },
  };
}

/** ChainMaster: `single` (rank 0, chain-master.md §1–§9) or `replicated` (ranks 0–2 on TRaft, §12). */
export type ChainMaster = 'single' | 'replicated';

/** chainOptions validates the timing flags; a lease that could outlive the failure timeout is a usage error naming L1's bound. */
export function readChainOptions(a: Readonly<Record<string, unknown>>, read: FlagReader, usage: (message: string) => Error): ChainOptions {
  const o: ChainOptions = {
    ...D,
    k: read('--replication', a.replication ?? D.k, 1, 16, true),
    minNodes: read('--min-nodes', a.minNodes ?? D.minNodes, 1, 1000, true),
    heartbeatMs: read('--heartbeat-ms', a.heartbeatMs ?? D.heartbeatMs, 1, 3_600_000),
    failTimeoutMs: read('--fail-timeout-ms', a.failTimeoutMs ?? D.failTimeoutMs, 1, 3_600_000),
    leaseMs: read('--lease-ms', a.leaseMs ?? D.leaseMs, 1, 3_600_000),
    maxDriftMs: read('--max-drift-ms', a.maxDriftMs ?? D.maxDriftMs, 0, 3_600_000),
    leaves: readLeaves(a.leave, usage),
    ...(a.stopBelowMin === true ? { stopBelowMin: true } : {}),
    ...(a.craq === true ? { craq: true } : {}),
  };
  try {
    return checkChainOptions(o);
  } catch (e) {
    if (e instanceof RangeError) throw usage(`chain: ${e.message}`);
    throw e;
  }
}

/** readLeaves reads --leave <rank>@<s>…: a node rank (the master, rank 0, cannot leave) and a time in seconds. */
function readLeaves(v: unknown, usage: (message: string) => Error): [number, number][] {
  const specs = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return specs.map((spec) => {
    const m = /^(\d+)@(\d+(?:\.\d+)?)$/.exec(String(spec));
    if (m === null || Number(m[1]) < 1)
      throw usage(`--leave: expected <rank>@<s> with a node rank ≥ 1 (rank 0 is the master), got ${JSON.stringify(spec)}`);
    return [Number(m[1]), Number(m[2])];
  });
}
