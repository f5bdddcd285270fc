// entry: TRaft's registry line (processors/registry.ts): its flags and how a rank starts. Kept
// free of the protocol's code, which `start` loads: every command of the CLI reads the flags,
// and `csplab check` must load no protocol.
import { numericOption, type CommonFlags, type FlagReader, type ProtocolEntry } from '../../runtime/protocol.js';
import { MAX_LAB_KEYS } from './chunk.js';
import type { traft, TraftConfig, TraftCore } from './protocol.js';

type TraftProtocol = typeof traft;

export const traftEntry: ProtocolEntry = {
  name: 'traft',
  // -o sets the election timeout E = 1000·o ms (heartbeats every E/5); -l is the leader's window
  // of uncommitted records.
  defaults: { o: 1, l: 100, t: 50 },
  options: {
    keys: numericOption('traft: keys the lab load writes (set k=v / incr k)', 8),
    // 10,000: one snapshot per -l 10000 window; each rewrites the records above the floor into a
    // new WAL segment, so a lower threshold costs CPU and disk, a higher one memory (docs/protocols/traft.md §15).
    'snapshot-every': numericOption(
      'traft: snapshot and compact the log once this many positions are committed, applied and logged (0: never)',
      10000,
    ),
    machine: {
      requiresArg: true,
      choices: ['lab', 'kv'],
      default: 'lab',
      describe: 'traft: the replicated state machine: the lab load (lab) or a client key-value store (kv)',
    },
    'client-port': numericOption(
      'traft: the TCP port clients dial on loopback (0: any free port, reported to csplab kv run); needs --machine kv',
    ),
    'lease-reads': {
      type: 'boolean',
      default: false,
      describe: 'traft: answer gets from a leader lease (needs --machine kv and --clock-drift)',
    },
    'clock-drift': numericOption(
      'traft: the most any two ranks’ clocks drift apart, as a rate (0.01 = 1%); lease reads are sound only under it',
    ),
    // hidden: a measurement baseline (docs/benchmarks.md), not a way to run the lab
    'in-order-commit': {
      type: 'boolean',
      default: false,
      hidden: true,
      describe: 'traft: commit only in position order, as Raft does: the baseline that out-of-order commit is measured against',
    },
    // hidden: a measurement baseline (docs/protocols/traft.md §11 D28, D29), not a way to run the lab
    'seed-elections': {
      type: 'boolean',
      default: false,
      hidden: true,
      describe: 'traft: elections without pre-vote and backoff, as the seed design has them: the baseline they are measured against',
    },
    core: {
      type: 'string',
      requiresArg: true,
      describe: 'a compiled TRaft core (its step.js and state.js) to run in place of ours: a lab student’s, as csplab grade runs it',
    },
  },
  // what the graded commit count hides: commits logged out of seq order, and held back for a gap
  columns: [
    { header: 'out-of-order', key: 'outOfOrderCommits' },
    { header: 'held back', key: 'heldBackCommits' },
  ],
  flags(a, read, usage) {
    const keys = read('--keys', a.keys, 1, MAX_LAB_KEYS, true); // a snapshot's kv must fit one TRaft message
    const snapshotEvery = read('--snapshot-every', a.snapshotEvery, 0, 1e9, true);
    const c = clientFlags(a, read, usage);
    const core = typeof a.core === 'string' && a.core !== '' ? a.core : undefined;
    if (core !== undefined && c.machine !== 'lab') throw usage('--core runs a lab student’s core on the lab load: not with --machine kv');
    const inOrder = {
      ...(a.inOrderCommit === true ? { inOrderCommit: true } : {}),
      ...(a.seedElections === true ? { seedElections: true } : {}),
    };
    const traftWith = async (machine: 'lab' | 'kv'): Promise<TraftProtocol> => loadTraft(core, machine);
    const warms = c.machine === 'lab' && core === undefined;
    const warmUpMs = warms ? warmUpBudgetMs(process.env.CSPLAB_WARMUP_MS, usage) : 0;
    // A real rank's config (start, and its warm-up: the same config, so the same code paths).
    // Four more appends in flight per follower, full ones only (§9.3): a real follower's round trip holds a
    // WAL fsync and two socket hops, and 4 × 256 records left its pipe empty between acks under a full
    // window. Not in the simulator, where a round trip costs neither and the extra appends only cost
    // (docs/benchmarks.md, "After every session-15 merge"). A fresh cluster's ranks start together, their
    // peers listening: the first election deadlines fall in [H/4, H/4 + E/4), not [H, H + E) (§9.3, D32).
    const rankConfig = (o: number, l: number): TraftConfig => {
      const tuning = { fullInflight: 4, freshStartSpreadMs: (o * 1000) / 4 };
      return { electionMs: o * 1000, window: l, keys, snapshotEvery, machine: c.machine, reads: c.reads, tuning, ...inOrder };
    };
    return {
      passOn: [
        ...['--keys', String(keys), '--snapshot-every', String(snapshotEvery), ...c.passOn],
        ...(core !== undefined ? ['--core', core] : []),
        ...(a.inOrderCommit === true ? ['--in-order-commit'] : []),
        ...(a.seedElections === true ? ['--seed-elections'] : []),
      ],
      start: async (node, { o, l }) => {
        const { startNode } = await import('../../runtime/driver/node.js');
        const { clientPortHooks } = await import('../../runtime/client/hooks.js');
        const { clientPort } = await import('./clients.js');
        const { heapGrowthForRole } = await import('./heap_growth.js');
        heapGrowthForRole('follower'); // a rank starts as a follower; onRole hears only changes
        (await import('./commit.js')).unshareFolds(); // one replica per process: no folded form shared between replicas
        // The KEY table's old blocks go to a file: a KEY per committed position, kept in memory,
        // would grow the rank for as long as it runs (docs/protocols/traft.md §7.3). Not in the
        // warm-up, which touches no disk.
        const { KeySpillFile } = await import('./key_spill.js');
        const keyArchive = KeySpillFile.forRank(node.logDir, node.rank, node.incarnation);
        const config = { ...rankConfig(o, l), keyArchive };
        return startNode(await traftWith(c.machine), c.clientPort !== undefined ? { ...config, clientPort: c.clientPort } : config, node, {
          ...clientPortHooks(node, c.clientPort, clientPort),
          onRole: heapGrowthForRole,
        });
      },
      // The lab load only (a kv rank proposes what its clients send), and our core only (a student's may not be pure).
      ...(warms
        ? {
            warm: async ({ o, l }: CommonFlags, debug: (line: string) => void) =>
              warmRank(await traftWith('lab'), rankConfig(o, l), warmUpMs, debug),
          }
        : {}),
      simulate: async ({ o, l }) => {
        const { simProgram } = await import('../../runtime/sim/bind.js');
        // --machine kv: simulated clients (csplab sim --clients) reach the kv store as real ones do.
        return simProgram(await traftWith(c.machine), {
          electionMs: o * 1000,
          window: l,
          keys,
          snapshotEvery,
          machine: c.machine,
          reads: c.reads,
          ...inOrder,
        });
      },
    };
  },
  // TurboFan without inlining: a 5 s lab run's rank spent ~28 % of its CPU compiling (110–120
  // optimisations and 40–50 deopts per follower: the record path is polymorphic), and a 60 s run
  // keeps recompiling it; without inlining there is less to compile and to throw away
  // (docs/benchmarks.md, "TRaft followers, session 12").
  // Memory (issue #20, docs/benchmarks.md "TRaft memory, session 13", "Rank memory, session 16"):
  // 2 MiB semi-spaces, as Paxos's, shrink the young generation (32 MiB by default here): a rank's
  // garbage is per message or per append and dies young in a small one too; one V8 worker thread,
  // not four, as Paxos: five ranks share two cores, and each thread's jobs keep their scratch in
  // malloc arenas. Measured together with the followers' growing factor (heap_growth.ts). An
  // old-space limit was measured too and left out: at 1 GiB it cut every rank's RSS by a third or
  // more but cost a third of the commits over 60 s (V8 collects the old generation more often).
  rankNodeFlags: ['--no-turbo-inlining', '--max-semi-space-size=2', '--v8-pool-size=1'],
  lab: async () => (await import('./lab/index.js')).traftLab,
};

/**
 * loadTraft: our TRaft, or the protocol around the core compiled into dir (a lab student's,
 * loaded by path: its step.js exports step and its state.js restartReplica, as ours do).
 */
async function loadTraft(dir: string | undefined, machine: 'lab' | 'kv'): Promise<TraftProtocol> {
  const { traftWith, traftOf } = await import('./protocol.js');
  if (dir === undefined) return traftWith(machine);
  const { pathToFileURL } = await import('node:url');
  const path = await import('node:path');
  const url = (f: string): string => pathToFileURL(path.resolve(dir, f)).href;
  const stepJs = (await import(url('step.js'))) as Partial<TraftCore>;
  const stateJs = (await import(url('state.js'))) as Partial<TraftCore>;
  if (typeof stepJs.step !== 'function' || typeof stateJs.restartReplica !== 'function')
    throw new Error(`--core ${dir}: step.js exports no step function, or state.js no restartReplica`);
  return traftOf({ step: stepJs.step, restartReplica: stateJs.restartReplica });
}

/**
 * warmRank runs the protocol on a throwaway in-memory cluster before the rank listens
 * (runtime/driver/warmup.ts), so the run's first second is not spent in cold code.
 */
async function warmRank(protocol: TraftProtocol, config: TraftConfig, budgetMs: number, debug: (line: string) => void): Promise<void> {
  if (budgetMs === 0) return;
  // Warm the path the rank will run: one replica per process, no folded form kept on the record.
  (await import('./commit.js')).unshareFolds();
  const { warmUp } = await import('../../runtime/driver/warmup.js');
  const { cpuMs } = await import('../../runtime/driver/usage.js');
  const { walEncoder, warmConfig } = await import('./warm.js');
  const wal = walEncoder();
  const r = warmUp(protocol, { config: warmConfig(config), ranks: 3, budgetMs, cpuMs, persisted: wal.encode });
  debug(
    `debug: warm-up ${r.steps} steps, ${r.messages} messages, ${r.logLines} log lines, ${wal.bytes()} WAL bytes, ${r.virtualMs} virtual ms`,
  );
}

/** WARM_UP_MS: the CPU time a rank spends warming up before it listens. */
const WARM_UP_MS = 1000;

/**
 * warmUpBudgetMs reads CSPLAB_WARMUP_MS (a tuning knob: whole ms of CPU, 0 turns the warm-up
 * off; unset: WARM_UP_MS). Anything else is refused by name rather than read as "off".
 */
export function warmUpBudgetMs(raw: string | undefined, usage: (message: string) => Error): number {
  if (raw === undefined) return WARM_UP_MS;
  if (!/^\s*\d{1,9}\s*$/.test(raw))
    throw usage(`CSPLAB_WARMUP_MS must be a whole number of ms of CPU (0: no warm-up), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** ClientFlags: the state machine, the client port, and how gets may be answered. */
type ClientFlags = {
  readonly machine: 'lab' | 'kv';
  readonly clientPort: number | undefined;
  readonly reads: { readonly leaseReads: boolean; readonly clockDrift: number };
  readonly passOn: readonly string[];
};

/**
 * clientFlags validates --machine, --client-port, --lease-reads and --clock-drift. A lease is
 * sound only if V2 holds on every voter (on in every rank: config.ts defaultTiming) and clocks
 * drift apart by at most the stated rate, so lease reads without --clock-drift are refused (§9.4).
 */
function clientFlags(a: Readonly<Record<string, unknown>>, read: FlagReader, usage: (message: string) => Error): ClientFlags {
  const machine = a.machine === 'kv' ? 'kv' : 'lab';
  const clientPort = a.clientPort === undefined ? undefined : read('--client-port', a.clientPort, 0, 65535, true);
  const leaseReads = a.leaseReads === true;
  const clockDrift = a.clockDrift === undefined ? undefined : read('--clock-drift', a.clockDrift, 0, 0.1);
  if (clientPort !== undefined && machine !== 'kv') throw usage('--client-port needs --machine kv: the lab load takes no clients');
  if (leaseReads && machine !== 'kv') throw usage('--lease-reads needs --machine kv');
  if (leaseReads && clockDrift === undefined)
    throw usage('--lease-reads needs --clock-drift <rate>: a lease is sound only under a stated bound on clock drift');
  const passOn = ['--machine', machine];
  if (clientPort !== undefined) passOn.push('--client-port', String(clientPort));
  if (leaseReads) passOn.push('--lease-reads');
  if (clockDrift !== undefined) passOn.push('--clock-drift', String(clockDrift));
  return { machine, clientPort, reads: { leaseReads, clockDrift: clockDrift ?? 0 }, passOn };
}
