// command: `csplab kv run --store traft`, a replicated key-value store under client load. It is
// `csplab run` (the same ranks, schedule and fault flags: cmd/run/command.ts) with the store's
// ranks told to run their kv machine behind a client port, N clients (runtime/client/runner.ts)
// doing the get/put/delete mix of runtime/client/load.ts until the load ends, the client history written to <log-dir>/history.jsonl
// and graded as `csplab check --lin` grades it (docs/history.md). Exit 0 only if every rank
// ended cleanly and the history is linearizable; 1 if not; 5 if the checker could not decide.
// Vectory's history is graded by `csplab check --sc` as well (its local reads are only
// sequentially consistent, and --lin leaves them out): exit 0 only if both pass.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { KvRunner, percentile, type RunnerReport } from '../../runtime/client/runner.js';
import type { LoadOptions } from '../../runtime/client/load.js';
import { SeededRandom } from '../../runtime/random.js';
import { cpuMs } from '../../runtime/driver/usage.js';
import { shardOf } from '../../runtime/client/shard.js';
import { EXIT, usageError } from '../exit.js';
import { numberFlag, numeric } from '../flags.js';
import { runLin } from '../lin.js';
import { runSc } from '../sc.js';
import { runClusterWith, runCommand, type RunArgs, type RunHooks } from '../run/command.js';
import { loadOptions, readLoad, type LoadArgs } from './load_flags.js';

interface KvArgs extends RunArgs, LoadArgs {
  action: string;
  store: string;
  clients: number | string;
  batchMs?: number | string;
  /** the store's own flags, set here (TRaft's --machine and --client-port, chain's --chain-client-port and --leave). */
  machine?: string;
  clientPort?: number;
  chainClientPort?: number;
  /** vectory's: its shards and its client port. */
  shards?: number | string;
  vectoryClientPort?: number;
  leave?: string[];
  minNodes?: number | string;
  /** chain's --craq: reads at every member of the key's chain (R3). */
  craq?: boolean;
  /** chain's --master: replicated (ranks 0–2, nodes from rank 3; kv run's default) or single (rank 0). */
  master?: string;
  /** chain: the nodes (after the master's ranks), nodes added late, nodes removed gracefully. */
  nodes: number | string;
  add?: string[];
  remove?: string[];
}

/** STORES: the stores `kv run` drives; each is a protocol of the registry that runs a kv machine behind a client port. */
const STORES = ['traft', 'chain', 'vectory'] as const;

export const kvCommand: CommandModule<object, KvArgs> = {
  command: 'kv <action>',
  describe: 'run a replicated key-value store under client load and grade the client history (linearizability)',
  builder: (y: Argv) =>
    loadOptions(
      (runCommand.builder as (y: Argv) => Argv<RunArgs>)(y)
        .positional('action', { choices: ['run'], describe: 'run: start the store, load it, grade the history' })
        .option('store', { choices: STORES, demandOption: true, describe: 'the replicated store (a protocol with a kv machine)' })
        .option('clients', numeric('concurrent clients, one op outstanding each', 20))
        .option(
          'batch-ms',
          numeric(
            'send batched client frames, the requests to one rank waiting this long to share one socket write (0: until the event loop’s turn ends); unset: one frame per request',
          ),
        )
        .option(
          'nodes',
          numeric(
            'chain: nodes N after the master’s ranks: ranks 3…N + 2 with --master replicated (ranks 0–2 the master group), 1…N with single; vectory: ranks 0…N − 1 (--ranks is ignored)',
            5,
          ),
        )
        // kv run's chain runs on the replicated master unless told otherwise (issue #18); `csplab
        // run/sim --protocol chain` keep single, where --ranks counts the master's ranks too. No
        // yargs default: a TRaft store must not see chain's flag set off chain's own default.
        .option('master', {
          requiresArg: true,
          default: undefined, // choices: chain's own (processors/chain/entry.ts)
          describe:
            'chain: the master: a TRaft group of three (replicated, ranks 0–2; kv run’s default) or one rank (single, rank 0), chain-master.md §12',
        })
        .option('add', {
          type: 'string',
          array: true,
          requiresArg: true,
          describe: 'chain: @<s>: a new node (the next rank after the others) starts and joins s seconds into the load',
        })
        .option('remove', {
          type: 'string',
          array: true,
          requiresArg: true,
          describe: 'chain: <node>@<s>: that node asks the master to leave gracefully s seconds into the load (§7.4)',
        }),
    )
      .example('$0 kv run --store traft -t 10 --key-dist zipf --delete-share 0.1', 'hot keys, a tenth of the ops deletes')
      .example('$0 kv run --store traft --clients 20 -t 10', '20 clients for 10 s, history in log/history.jsonl')
      .example('$0 kv run --store traft -t 10 --kill leader@3 --restart killed@5', 'the leader killed and restarted under load')
      .example(
        '$0 kv run --store chain --nodes 5 --clients 20 -t 10 --add @3 --kill 4@5 --kill master-leader@7',
        'chain replication: node 8 joins at 3 s, node 4 (a rank; 0–2 are the master group) is killed at 5 s, the master group’s leader at 7 s',
      )
      .example(
        '$0 kv run --store vectory --nodes 5 --shards 10 --clients 20 -t 10 --kill leader@4',
        'vectory: local and master reads half each, a node mastering shards killed at 4 s; graded by --lin and --sc',
      ) as unknown as Argv<KvArgs>,
  handler: async (argv: ArgumentsCamelCase<KvArgs>) => {
    argv.exitStatus = await kvRun(argv);
  },
};

/** KvLoad: the validated load flags. */
type KvLoad = { clients: number; load: LoadOptions; deadlineMs: number; batchMs?: number };

function loadFlags(a: KvArgs): KvLoad {
  const t = numberFlag('-t', a.t ?? 10, 0.001, 1e7);
  const { load, deadlineMs } = readLoad(a, a.store === 'vectory');
  if (deadlineMs * 2 > t * 1000)
    throw usageError(`-t ${t} leaves no time for a load with --deadline ${deadlineMs / 1000}: give -t at least twice the deadline`);
  const batchMs = a.batchMs === undefined ? {} : { batchMs: numberFlag('--batch-ms', a.batchMs, 0, 1000) };
  return { clients: numberFlag('--clients', a.clients, 1, 1000, true), load, deadlineMs, ...batchMs };
}

async function kvRun(a: ArgumentsCamelCase<KvArgs>): Promise<number> {
  if (a.action !== 'run') throw usageError(`unknown kv action ${a.action}`);
  const load = loadFlags(a);
  if (load.load.read === 'lease' && a.leaseReads !== true) throw usageError('--read lease needs --lease-reads (and --clock-drift)');
  a.protocol = a.store;
  if (a.store === 'chain') chainFlags(a);
  else if (a.store === 'vectory') {
    a.ranks = numberFlag('--nodes', a.nodes, 1, 1000, true);
    a.vectoryClientPort = 0;
  } else {
    a.machine = 'kv';
    a.clientPort = 0;
  }
  let runner: KvRunner | undefined;
  const ports = new Map<number, number>();
  let started = 0;
  let runnerCpuMs = 0;
  const hooks: RunHooks = {
    onEvent: (rank, ev) => {
      if (ev.type !== 'clients' || typeof ev.port !== 'number') return;
      ports.set(rank, ev.port);
      runner?.setPort(rank, ev.port);
    },
    load: async ({ schedule, clock, runId, seed }) => {
      const ranks = numberFlag('--ranks', a.ranks, 1, 1000, true);
      // chain: a key's writes go to its head and its reads to its tail, or with --craq to a member
      // picked per client (per-key routes, moved by hints; CRAQ's read routes each client's own)
      const routing = a.store === 'chain' ? ({ routing: a.craq === true ? 'spread-reads' : 'per-key' } as const) : vectoryRouting(a);
      const random = new SeededRandom(`csplab-kv/${seed}`);
      runner = new KvRunner({ ...load, ...routing, ranks, clusterId: runId, clock, random });
      for (const [rank, port] of ports) runner.setPort(rank, port);
      await new Promise<void>((resolve) => clock.schedule(Math.max(0, schedule.startAtMs - clock.nowMs()), resolve));
      started = clock.nowMs();
      const cpuAtStartMs = cpuMs();
      await runner.run(schedule.startAtMs, schedule.endAtMs - load.deadlineMs);
      runnerCpuMs = cpuMs() - cpuAtStartMs;
      runner.close();
    },
    finish: async (status, logDir) => {
      if (runner === undefined) return status;
      const path = join(logDir, 'history.jsonl');
      writeFileSync(path, runner.history.toJsonl());
      const report = runner.report();
      writeFileSync(join(logDir, 'kv.json'), `${JSON.stringify(kvSummary(report, load, a.t, runnerCpuMs), null, 2)}\n`);
      process.stdout.write(formatReport(report, started > 0, (Number(a.t) * 1000 - load.deadlineMs) / 1000));
      if (a.store === 'chain') process.stdout.write(chainLine(logDir, a.master === 'replicated'));
      if (a.store === 'vectory') process.stdout.write(vectoryLine(logDir));
      if (report.ok === 0) {
        process.stderr.write('csplab: no client op completed\n');
        return EXIT.checkFailed;
      }
      const out = (s: string): void => void process.stdout.write(s);
      const err = (s: string): void => void process.stderr.write(s);
      const lin = await runLin({ files: [path], model: 'kv', json: false }, out, err);
      const sc = a.store === 'vectory' ? await runSc({ files: [path], json: false }, out, err) : EXIT.ok;
      return status !== EXIT.ok ? status : lin !== EXIT.ok ? lin : sc;
    },
  };
  return runClusterWith(a, hooks);
}

/** kvSummary: kv.json, what the benchmark reads; runnerCpuMs: this process's CPU while the clients ran (theirs, and its own). */
function kvSummary(r: RunnerReport, load: KvLoad, t: unknown, runnerCpuMs: number): Record<string, unknown> {
  const tS = Number(t);
  const loadS = tS - load.deadlineMs / 1000;
  const q = (xs: readonly number[]): Record<string, number> => ({
    count: xs.length,
    opsPerS: xs.length / loadS,
    p50Ms: percentile(xs, 50),
    p99Ms: percentile(xs, 99),
  });
  return {
    clients: load.clients,
    ...load.load,
    deadlineMs: load.deadlineMs,
    ok: r.ok,
    fail: r.fail,
    info: r.info,
    retries: r.retries,
    badReplies: r.badReplies,
    batchMs: load.batchMs ?? null,
    requests: r.requests,
    loadSeconds: loadS,
    runnerCpuMs,
    put: q(r.latencyMs.put),
    get: q(r.latencyMs.get),
    delete: q(r.latencyMs.delete),
  };
}

function formatReport(r: RunnerReport, ran: boolean, loadS: number): string {
  if (!ran) return 'kv: the load never started\n';
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  const line = (f: string, xs: readonly number[]): string =>
    `  ${f.padEnd(6)} ${String(xs.length).padStart(8)} ok ${(xs.length / loadS).toFixed(0).padStart(8)} ops/s  p50 ${ms(percentile(xs, 50))}  p99 ${ms(percentile(xs, 99))}  max ${ms(xs.reduce((m, x) => Math.max(m, x), 0))}\n`;
  const deletes = r.latencyMs.delete.length > 0 ? line('delete', r.latencyMs.delete) : '';
  return `kv: ${r.ok} ok, ${r.fail} fail, ${r.info} info (unknown), ${r.retries} retries over ${loadS} s of load\n${line('put', r.latencyMs.put)}${line('get', r.latencyMs.get)}${deletes}`;
}

/**
 * chainFlags turns kv run's chain flags into `csplab run`'s: N nodes and the master are N + 1
 * ranks, each --add a rank started late (--start), each --remove a node's --leave. Below the
 * chain's minimum of nodes is a usage error naming it (K4).
 */
function chainFlags(a: KvArgs): void {
  const nodes = numberFlag('--nodes', a.nodes, 1, 999, true);
  const minNodes = numberFlag('--min-nodes', a.minNodes ?? 3, 1, 1000, true);
  if (nodes < minNodes)
    throw usageError(`--nodes ${nodes}: chain needs at least ${minNodes} nodes (--min-nodes, K4) to install its first configuration`);
  const adds = (a.add ?? []).map((spec) => {
    const m = /^@(\d+(?:\.\d+)?)$/.exec(spec);
    if (m === null) throw usageError(`--add: expected @<s>, got ${JSON.stringify(spec)}`);
    return m[1] as string;
  });
  a.master ??= 'replicated';
  const masters = a.master === 'replicated' ? 3 : 1; // the master's ranks come first
  a.ranks = nodes + masters + adds.length;
  a.start = [...(a.start ?? []), ...adds.map((s, i) => `${nodes + masters + i}@${s}`)];
  for (const spec of a.remove ?? []) {
    const m = /^(\d+)@(\d+(?:\.\d+)?)$/.exec(spec);
    if (m !== null && Number(m[1]) < masters)
      throw usageError(
        `--remove ${spec}: rank ${m[1]} is a master rank (${masters === 1 ? 'rank 0' : `ranks 0–${masters - 1}, --master replicated`}), not a node; only a node can leave its chains (§7.4)`,
      );
    if (m === null || Number(m[1]) >= a.ranks)
      throw usageError(`--remove: expected <node>@<s> with a node rank in ${masters}…${a.ranks - 1}, got ${JSON.stringify(spec)}`);
  }
  a.leave = [...(a.leave ?? []), ...(a.remove ?? [])];
  a.chainClientPort = 0;
}

/**
 * chainLine: who the master was, the epochs it installed and the chains at the end (its summary
 * in summary.json). Of a replicated master's ranks the last leader reports the master's counters.
 */
function chainLine(logDir: string, replicated: boolean): string {
  try {
    const s = JSON.parse(readFileSync(join(logDir, 'summary.json'), 'utf8')) as {
      ranks: { rank: number; summary: Record<string, string | number> | null }[];
    };
    const leader = s.ranks.find((r) => r.summary?.role === 'master leader');
    const m = (replicated ? leader?.summary : s.ranks[0]?.summary) ?? {};
    const who = replicated
      ? `master group ranks 0–2 (TRaft), ${leader === undefined ? 'no leader at the end' : `rank ${leader.rank} leading at the end`}`
      : 'master rank 0 (single)';
    return `chain: ${who}; ${String(m.epoch ?? '?')} epochs installed (${String(m.configs ?? '?')} configurations sent), chains at the end: ${String(m.chains ?? '?')}\n`;
  } catch {
    return 'chain: the master left no summary (summary.json)\n';
  }
}

/**
 * vectoryRouting: a key's writes and master reads go to its shard's master (one route per shard,
 * moved by not-leader hints), local reads to the session's home node; every request carries the
 * latest vts/at the client has seen as `after`, so its local reads never go back in time (§9).
 */
function vectoryRouting(a: KvArgs): { routing?: 'per-shard'; shardOf?: (key: string) => number; carryAfter?: boolean } {
  if (a.store !== 'vectory') return {};
  const shards = numberFlag('--shards', a.shards ?? 10, 1, 4096, true);
  return { routing: 'per-shard', shardOf: (key) => shardOf(key, shards), carryAfter: true };
}

/** vectoryLine: the shards each node masters at the end (its summary in summary.json), to watch balance. */
function vectoryLine(logDir: string): string {
  try {
    const s = JSON.parse(readFileSync(join(logDir, 'summary.json'), 'utf8')) as {
      ranks: { rank: number; summary: Record<string, string | number> | null }[];
    };
    const per = s.ranks.map((r) => `${r.rank}:${r.summary === null ? '-' : String(r.summary.mastered ?? '?')}`);
    return `vectory: shards mastered per node at the end (node:shards, - if it left no summary): ${per.join(' ')}\n`;
  } catch {
    return 'vectory: the nodes left no summary (summary.json)\n';
  }
}
