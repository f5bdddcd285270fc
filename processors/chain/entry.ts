// entry: chain replication's registry line (processors/registry.ts): its flags and how a rank
// starts. Kept free of the protocol's code, which `start` loads: every command of the CLI reads
// the flags, and `csplab check` must load no protocol. Rank 0 is the master; `--ranks N` runs
// N − 1 nodes.
import { numericOption, type FlagReader, type ProtocolEntry, type SimProgram } from '../../runtime/protocol.js';
import { checkChainOptions, checkReplicatedBounds, DEFAULT_CHAIN_OPTIONS, type ChainOptions } from './options.js';

const D = DEFAULT_CHAIN_OPTIONS;

/** The replicated master group's TRaft timing (chain-master.md §12.3), defaults of its flags. */
const DEFAULT_MASTER_ELECTION_MS = 1000;
const DEFAULT_MASTER_CLOCK_DRIFT = 0.05;

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
    'master-election-ms': numericOption(
      'chain --master replicated: the master group’s TRaft election timeout E (a dead leader is replaced within about 2E)',
      DEFAULT_MASTER_ELECTION_MS,
    ),
    'master-clock-drift': numericOption(
      'chain --master replicated: the clock drift rate the group’s leader lease assumes; lease-ms + max-drift-ms must stay below fail-timeout-ms · (1 − it)',
      DEFAULT_MASTER_CLOCK_DRIFT,
    ),
    'chain-client-port': numericOption('chain: the TCP port clients dial on loopback (0: any free port, reported to csplab kv run)'),
  },
  // the commits column counts `commit` lines, which chain does not write: its applies and epochs instead
  columns: [
    { header: 'applies', key: 'applies' },
    { header: 'epoch', key: 'epoch' },
  ],
  flags(a, read, usage) {
    const m = readMaster(a, read, usage);
    const options = readChainOptions(a, read, usage, m);
    const ranks = typeof a.ranks === 'number' ? a.ranks : undefined;
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
    if (m.master !== 'single')
      passOn.push('--master', m.master, '--master-election-ms', String(m.electionMs), '--master-clock-drift', String(m.clockDrift));
    for (const [rank, atS] of options.leaves ?? []) passOn.push('--leave', `${rank}@${atS}`);
    return {
      passOn,
      // only for chain itself: every protocol's flags are read whichever one runs
      check: ({ l }) => {
        if (ranks !== undefined && ranks - m.masters < options.minNodes)
          throw usage(
            `chain needs at least min-nodes ${options.minNodes} nodes besides the master (${m.masters === 1 ? 'rank 0' : `ranks 0–${m.masters - 1}`}): --ranks ${ranks} gives ${ranks - m.masters} (K4)`,
          );
        if (l < 1) throw usage('-l (the head’s window) must be at least 1');
      },
      start: async (node, { l }) => {
        const { startNode } = await import('../../runtime/driver/node.js');
        const { clientPortHooks } = await import('../../runtime/client/hooks.js');
        if (m.master === 'replicated') {
          const r = await import('./protocol_replicated.js');
          const config = { options: { ...options, maxInFlight: l }, electionMs: m.electionMs, clockDrift: m.clockDrift };
          return startNode(r.chainReplicated, config, node, clientPortHooks(node, clientPort, r.groupClientPort));
        }
        const { chain, chainClientPort } = await import('./protocol.js');
        return startNode(chain, { options: { ...options, maxInFlight: l } }, node, clientPortHooks(node, clientPort, chainClientPort));
      },
      simulate: ({ l }) => simulateChain(options, l, m),
    };
  },
};

/**
 * simulateChain binds chain to the simulator (runtime/sim/). Simulated clients route per key
 * (decision 7: a key's writes go to its head, its reads to its tail or, with CRAQ, to a member),
 * whatever the caller asked.
 */
export async function simulateChain(options: ChainOptions, l: number, m: MasterFlags = SINGLE): Promise<SimProgram> {
  const { simProgram } = await import('../../runtime/sim/bind.js');
  const { auditChainLogs } = await import('./audit.js');
  const chainOptions = { ...options, maxInFlight: l };
  // CRAQ: each client keeps its own read routes, so the nodes' hints spread one key's readers over its chain
  const routing = options.craq === true ? 'spread-reads' : 'per-key';
  let p: SimProgram;
  let masters: readonly number[] = [0];
  if (m.master === 'replicated') {
    const r = await import('./protocol_replicated.js');
    p = simProgram(r.chainReplicated, { options: chainOptions, electionMs: m.electionMs, clockDrift: m.clockDrift });
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

/** MasterFlags: which master, how many ranks it takes, and the replicated group's timing. */
export interface MasterFlags {
  readonly master: ChainMaster;
  readonly masters: number;
  readonly electionMs: number;
  readonly clockDrift: number;
}

/** SINGLE: the single master (rank 0). */
export const SINGLE: MasterFlags = {
  master: 'single',
  masters: 1,
  electionMs: DEFAULT_MASTER_ELECTION_MS,
  clockDrift: DEFAULT_MASTER_CLOCK_DRIFT,
};

/** REPLICATED: the replicated master at its default timing (ranks 0–2). */
export const REPLICATED: MasterFlags = { ...SINGLE, master: 'replicated', masters: 3 };

/** readMaster reads --master and the group's timing flags (their bound is checked with the chain's, readChainOptions). */
function readMaster(a: Readonly<Record<string, unknown>>, read: FlagReader, usage: (message: string) => Error): MasterFlags {
  if (a.master !== 'replicated') {
    for (const [flag, v, d] of [
      ['--master-election-ms', a.masterElectionMs, DEFAULT_MASTER_ELECTION_MS],
      ['--master-clock-drift', a.masterClockDrift, DEFAULT_MASTER_CLOCK_DRIFT],
    ] as const)
      if (v !== undefined && Number(v) !== d) throw usage(`${flag} sets the replicated master group's timing: not with --master single`);
    return SINGLE;
  }
  const electionMs = read('--master-election-ms', a.masterElectionMs ?? DEFAULT_MASTER_ELECTION_MS, 10, 3_600_000, true);
  const clockDrift = read('--master-clock-drift', a.masterClockDrift ?? DEFAULT_MASTER_CLOCK_DRIFT, 0, 0.99);
  return { master: 'replicated', masters: 3, electionMs, clockDrift };
}

/**
 * readChainOptions validates the timing flags: a lease that could outlive the failure timeout is a
 * usage error naming L1's bound, or with the replicated master §12.3's (which adds its leader's clock drift).
 */
export function readChainOptions(
  a: Readonly<Record<string, unknown>>,
  read: FlagReader,
  usage: (message: string) => Error,
  m: MasterFlags = SINGLE,
): ChainOptions {
  const o: ChainOptions = {
    ...D,
    k: read('--replication', a.replication ?? D.k, 1, 16, true),
    minNodes: read('--min-nodes', a.minNodes ?? D.minNodes, 1, 1000, true),
    heartbeatMs: read('--heartbeat-ms', a.heartbeatMs ?? D.heartbeatMs, 1, 3_600_000),
    failTimeoutMs: read('--fail-timeout-ms', a.failTimeoutMs ?? D.failTimeoutMs, 1, 3_600_000),
    leaseMs: read('--lease-ms', a.leaseMs ?? D.leaseMs, 1, 3_600_000),
    maxDriftMs: read('--max-drift-ms', a.maxDriftMs ?? D.maxDriftMs, 0, 3_600_000),
    leaves: readLeaves(a.leave, usage, m.masters),
    ...(a.stopBelowMin === true ? { stopBelowMin: true } : {}),
    ...(a.craq === true ? { craq: true } : {}),
  };
  try {
    checkChainOptions(o);
  } catch (e) {
    if (e instanceof RangeError) throw usage(`chain: ${e.message}`);
    throw e;
  }
  if (m.master === 'replicated')
    try {
      checkReplicatedBounds(o, m.clockDrift);
    } catch (e) {
      const flags = '--lease-ms + --max-drift-ms < --fail-timeout-ms · (1 − --master-clock-drift)';
      if (e instanceof RangeError) throw usage(`chain --master replicated: ${e.message}; the flags' bound: ${flags}`);
      throw e;
    }
  return o;
}

/**
 * readLeaves reads --leave <rank>@<s>…: a node rank and a time in seconds. A master rank cannot
 * leave: leaving is a node's request to the master to move it out of every chain (§7.4), and the
 * master's own ranks are in no chain (the replicated group changes no membership).
 */
function readLeaves(v: unknown, usage: (message: string) => Error, masters: number): [number, number][] {
  const specs = v === undefined ? [] : Array.isArray(v) ? v : [v];
  const ranks = masters === 1 ? 'rank 0 is the master' : `ranks 0–${masters - 1} are the master group`;
  return specs.map((spec) => {
    const m = /^(\d+)@(\d+(?:\.\d+)?)$/.exec(String(spec));
    if (m === null) throw usage(`--leave: expected <rank>@<s>, got ${JSON.stringify(spec)}`);
    if (Number(m[1]) < masters)
      throw usage(`--leave ${String(spec)}: rank ${m[1]} is a master rank, not a node (${ranks}); only a node can leave its chains (§7.4)`);
    return [Number(m[1]), Number(m[2])];
  });
}
