// rank: `csplab rank -i <rank> …`, one rank of a cluster as one process (the seed's flags).
import { createInterface, type Interface } from 'node:readline';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { defined } from '../runtime/assert.js';
import { RealClock } from '../runtime/clock.js';
import { ForeignStateError } from '../runtime/errors.js';
import { EXIT, CliError, corruptError, fromSystemError, usageError } from './exit.js';
import { clusterIdFlag, hostFlag, hostPort, numberFlag, numeric, portOf, type HostPort } from './flags.js';
import { usableDir } from './dirs.js';
import { parseLinkFlags } from './run/faults.js';
import type { NetConfig } from '../runtime/driver/cluster.js';
import { netFaultOf, type NetFault } from '../runtime/net/netfaults.js';
import type { ProtocolEntry, RankNode } from '../runtime/protocol.js';
import { protocolNamed, protocols } from '../processors/registry.js';

/**
 * NumberText is a numeric flag as parsed (flags.ts numeric): a number, or the text typed when
 * it was not one, which numberFlag quotes in its usage error.
 */
export type NumberText = number | string;

export interface RankArgs {
  i?: NumberText;
  o?: NumberText;
  l?: NumberText;
  t?: NumberText;
  ranks: NumberText;
  basePort: NumberText;
  host: string;
  peers?: string;
  logDir: string;
  dataSize: NumberText;
  seed?: string;
  clusterId: string;
  startAt?: NumberText;
  endAt?: NumberText;
  incarnation: NumberText;
  clean: boolean;
  trace: boolean;
  drop: NumberText;
  delay?: string;
  dup: NumberText;
  skewMs: NumberText;
  protocol: string;
  verbose: boolean;
  events: boolean;
  awaitStart: boolean;
  hold: boolean;
  exitStatus?: number;
}

/**
 * rankOptions declares the flags of `rank` and `run`: the common ones, then each registered
 * protocol's own (processors/registry.ts), so a protocol adds flags without editing the CLI.
 */
export function rankOptions<T>(y: Argv<T>): Argv<T> {
  let all = y
    .option('o', numeric('seconds: round length and every read timeout (paxos default 10)'))
    .option('l', numeric('most instances a leader imposes per round (default 100)'))
    .option('t', numeric('seconds of test after the start (default 50)'))
    .option('ranks', { alias: 'n', ...numeric('cluster size', 5) })
    .option('base-port', numeric('rank i listens on base-port + 10·i', 10000))
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on and reach local peers at' })
    .option('log-dir', { type: 'string', default: 'log', describe: 'where instancelog<rank>.log is written' });
  for (const p of protocols) for (const [name, option] of Object.entries(p.options)) all = all.option(name, option);
  return all
    .option('seed', { type: 'string', describe: 'seed for every random choice (default: random)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'debug output on stderr' })
    .option('trace', { type: 'boolean', default: false, describe: 'each rank writes trace<rank>.ndjson beside its log (docs/trace.md)' })
    .option('drop', numeric('fraction of outbound messages each rank loses, seeded (a lossy network)', 0))
    .option('delay', {
      type: 'string',
      requiresArg: true,
      describe: 'delay every message to another rank: <ms>[±<jitter ms>] (jitter may reorder; docs/faults.md)',
    })
    .option('dup', numeric('probability each message to another rank is sent twice, seeded', 0))
    .option('protocol', {
      type: 'string',
      default: defined(protocols[0], 'the registry lists a protocol').name,
      choices: protocols.map((p) => p.name),
      describe: 'the protocol to run',
    });
}

export const rankCommand: CommandModule<object, RankArgs> = {
  command: 'rank',
  describe: 'run one rank of a cluster (the lab’s per-rank program)',
  builder: (y: Argv) =>
    rankOptions(y)
      .option('i', numeric('this rank’s id, 0 … ranks-1 (required)'))
      .option('peers', {
        type: 'string',
        describe: 'host:port of every rank, comma-separated, in rank order (ranks on different machines)',
      })
      .option('cluster-id', { type: 'string', default: 'local', describe: 'names the run; peers and logs of another run are refused' })
      .option('start-at', numeric('epoch ms when round 0 starts (all ranks of a run share it; default now + 1 s)'))
      .option('end-at', numeric('epoch ms when the rank stops (default start + t)'))
      .option(
        'incarnation',
        numeric(
          '0: fresh start (truncates its log; refused over its own earlier incarnation unless --clean); k > 0: restart, recover from its log and append',
          0,
        ),
      )
      .option('clean', { type: 'boolean', default: false, describe: 'overwrite logs left by another run' })
      .option('skew-ms', numeric('this rank’s clock runs this many ms ahead (negative: behind) of the machine’s', 0))
      .option('events', { type: 'boolean', default: false, hidden: true, describe: 'JSON progress events on stdout (used by csplab run)' })
      .option('await-start', {
        type: 'boolean',
        default: false,
        hidden: true,
        describe: 'once listening, read {"startAtMs","endAtMs"} from stdin (used by csplab run)',
      })
      .option('hold', {
        type: 'boolean',
        default: false,
        hidden: true,
        describe:
          'load, then wait for {"go":true} on stdin before touching the log dir or listening (csplab run: late starts and restarts on time)',
      })
      .example('$0 rank -i 0 -o 1 -l 100 -t 5', 'rank 0 of 5 on 127.0.0.1:10000, logs in log/')
      .example(
        '$0 rank -i 2 --peers 10.0.0.1:10000,10.0.0.2:10000,10.0.0.3:10000 -n 3 --host 0.0.0.0',
        'rank 2 of 3 across machines',
      ) as unknown as Argv<RankArgs>,
  handler: async (argv: ArgumentsCamelCase<RankArgs>) => {
    argv.exitStatus = await runRank(argv);
  },
};

/**
 * protocolFlags validates the options rankOptions declares, once, for `rank` and for `run`
 * (which checks them up front: a bad one would otherwise fail every rank at boot).
 * maxRanks: `run` starts every rank on this machine, so it allows fewer.
 */
export function protocolFlags(a: RankArgs, maxRanks: number) {
  const entry = defined(protocolNamed(a.protocol), "--protocol's choices are the registry's protocols (yargs refuses any other)");
  const { defaults } = entry;
  const ranks = numberFlag('--ranks', a.ranks, 1, maxRanks, true);
  const o = numberFlag('-o', a.o ?? defaults.o, 0.001, 3600);
  const l = numberFlag('-l', a.l ?? defaults.l, 1, 1e9, true);
  const t = numberFlag('-t', a.t ?? defaults.t, 0.001, 1e7);
  const basePort = numberFlag('--base-port', a.basePort, 1, 65535, true);
  refuseForeignFlags(entry, a as unknown as Record<string, unknown>);
  // Every protocol's flags are checked, whichever runs: a bad one is an error either way.
  const valid = protocols.map((p) => ({ name: p.name, flags: p.flags(a as unknown as Record<string, unknown>, numberFlag, usageError) }));
  const flags = {
    ranks,
    o,
    l,
    t,
    basePort,
    entry,
    chosen: defined(
      valid.find((v) => v.name === entry.name),
      'entry is one of the registry’s protocols',
    ).flags,
    /** passOn: every protocol's flags as `csplab run` hands them to each rank. */
    passOn: protocolsFlagArgs(a as unknown as Record<string, unknown>),
    dropRate: numberFlag('--drop', a.drop, 0, 0.5),
    link: parseLinkFlags({ ...(a.delay !== undefined ? { delay: a.delay } : {}), dup: numberFlag('--dup', a.dup, 0, 0.5) }, 1),
    host: hostFlag(a.host),
  };
  // Checks across the common flags and the chosen protocol's own (Paxos: a PROPOSE fits a frame).
  flags.chosen.check?.({ o, l, t });
  return flags;
}

/**
 * protocolsFlagArgs: every registered protocol's flags as given (or defaulted), as arguments for
 * a rank: each flag name once, from the union of the protocols' options. A name two protocols
 * declare (--core) is one flag with one value, which both read; yargs refuses a flag given twice.
 * The values are the ones validated above (protocolFlags reads every protocol's), so the rank
 * reads what `run` checked.
 */
export function protocolsFlagArgs(a: Readonly<Record<string, unknown>>): string[] {
  const options = new Map(protocols.flatMap((p) => Object.entries(p.options)));
  return [...options].flatMap(([name, option]) => {
    const value = a[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (value === undefined || value === '') return [];
    if (typeof value === 'boolean') return value === (option.default ?? false) ? [] : [value ? `--${name}` : `--no-${name}`];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    return values.flatMap((v) => [`--${name}`, String(v)]);
  });
}

/**
 * refuseForeignFlags: a flag only another protocol reads, set off its default, would be ignored
 * without a word (`--protocol traft --eager`); name it instead. At its default it is harmless:
 * `csplab run` hands every protocol's flags to each rank.
 */
function refuseForeignFlags(entry: ProtocolEntry, a: Record<string, unknown>): void {
  for (const p of protocols) {
    if (p === entry) continue;
    for (const [name, option] of Object.entries(p.options)) {
      const value = a[name];
      if (
        name in entry.options ||
        value === undefined ||
        `${value as string | number | boolean}` === `${option.default as string | number | boolean}`
      )
        continue;
      throw usageError(`--${name} is a ${p.name} flag; --protocol ${entry.name} does not use it`);
    }
  }
}

async function runRank(a: RankArgs): Promise<number> {
  if (a.i === undefined) throw usageError('missing required flag -i <rank>');
  const flags = protocolFlags(a, 1000);
  const { ranks, t, basePort, link, host } = flags;
  const rank = numberFlag('-i', a.i, 0, ranks - 1, true);
  const incarnation = numberFlag('--incarnation', a.incarnation, 0, 1e9, true);
  if (!a.logDir) throw usageError('--log-dir must not be empty');
  a.clusterId = clusterIdFlag(a.clusterId);
  const peers = peersOf(a, ranks, basePort, host);
  const clock = new RealClock();
  const debug = (line: string): void => void (a.verbose || !line.startsWith('debug') ? process.stderr.write(`${line}\n`) : 0);
  // csplab run sends each partition or cut on stdin as it fires, after the start time.
  let applyFault: (f: NetFault) => void = () => {};
  const net: NetConfig = { link, skewMs: numberFlag('--skew-ms', a.skewMs, -1e7, 1e7), listen: (apply) => (applyFault = apply) };
  const timing = timingOf(a, t, clock, async () => {
    const schedule = await readTiming(lines());
    void readFaults(lines(), (f) => applyFault(f), debug);
    return schedule;
  });
  const event = a.events ? (ev: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(ev)}\n`) : () => {};
  // Read only when needed, and closed on every way out: an open stdin would keep the process alive.
  let stdin: StdinLines | undefined;
  const lines = (): StdinLines => (stdin ??= new StdinLines());
  // Before the hold: a late start or restart is warm by the time it is let go. The price: a
  // spare prepared mid-run spends its warm-up's CPU beside the live ranks, and a restart with no
  // spare prepared listens that much later (docs/protocols/interface.md, `warm`).
  await flags.chosen.warm?.(flags, debug);
  if (a.hold && !(await awaitGo(lines(), () => event({ type: 'held', rank })))) return EXIT.ok; // never started: nothing was touched
  const seed = a.seed ?? String(Math.round(clock.nowMs()));
  let node: RankNode;
  try {
    usableDir(a.logDir, `log dir ${a.logDir}`); // after --hold: a held rank touches nothing
    node = await startNode(a, { ...flags, rank, peers, net, seed, incarnation, timing, event, debug });
  } catch (e) {
    stdin?.close();
    if (e instanceof ForeignStateError) throw corruptError(e.message);
    if (e instanceof CliError) throw e;
    const sys = fromSystemError(e, sysWhat(e, a.logDir, defined(peers[rank], 'peersOf lists every rank')));
    if (sys) throw sys;
    throw e;
  }
  const stop = (): void => node.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const outcome = await node.finished;
  stdin?.close(); // csplab run's fault lines: none matter any more
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  const s = outcome.stats;
  process.stderr.write(`rank ${rank}: ${s.commits} commits, ${s.generates} generates, ${s.drops} drops\n`);
  if (outcome.type === 'crashed') throw new CliError(EXIT.internal, outcome.message ?? 'crashed');
  return EXIT.ok;
}

/**
 * awaitGo holds a booted rank (modules loaded: the slow part on a busy machine) until the
 * launcher says go (true) or closes stdin (false: never started).
 */
async function awaitGo(lines: StdinLines, held: () => void): Promise<boolean> {
  held();
  const go = await lines.next();
  if (go === undefined || parseLine(go)?.go !== true) lines.close();
  if (go === undefined) return false;
  if (parseLine(go)?.go !== true) throw usageError('--hold: expected {"go":true} on stdin');
  return true;
}

/** timingOf: the run's schedule, from csplab run on stdin (fromLauncher) or from --start-at/--end-at. */
function timingOf(
  a: RankArgs,
  t: number,
  clock: RealClock,
  fromLauncher: () => Promise<{ startAtMs: number; endAtMs: number }>,
): () => Promise<{ startAtMs: number; endAtMs: number }> {
  const { startAt, endAt } = timeFlags(a, clock);
  return async () => {
    if (a.awaitStart) return fromLauncher();
    const startAtMs = startAt ?? Math.round(clock.nowMs()) + 1000;
    return { startAtMs, endAtMs: endAt ?? startAtMs + t * 1000 };
  };
}

/**
 * timeFlags reads --start-at and --end-at (epoch ms); the end must come after the start, given
 * or by default (now + 1 s). Under --await-start the launcher's times replace both.
 */
function timeFlags(a: RankArgs, clock: RealClock): { startAt?: number; endAt?: number } {
  const startAt = a.startAt !== undefined ? numberFlag('--start-at', a.startAt, 0, 1e14) : undefined;
  const endAt = a.endAt !== undefined ? numberFlag('--end-at', a.endAt, 0, 1e14) : undefined;
  if (endAt !== undefined && !a.awaitStart) {
    const start = startAt ?? Math.round(clock.nowMs()) + 1000;
    if (endAt <= start)
      throw usageError(
        `--end-at ${endAt} is not after the start (${startAt !== undefined ? '--start-at' : 'now + 1 s:'} ${start}): the rank would stop before round 0`,
      );
  }
  return { startAt, endAt };
}

/** peersOf is every rank's address: --peers, or --host with consecutive ports from --base-port. */
function peersOf(a: RankArgs, ranks: number, basePort: number, host: string): HostPort[] {
  if (a.peers !== undefined) {
    const peers = a.peers.split(',').map((p) => hostPort('--peers', p));
    if (peers.length !== ranks) throw usageError(`--peers lists ${peers.length} addresses but --ranks is ${ranks}`);
    return peers;
  }
  if (portOf(basePort, ranks - 1) > 65535) throw usageError(`--base-port ${basePort} leaves no port for rank ${ranks - 1}`);
  return Array.from({ length: ranks }, (_, r) => ({ host, port: portOf(basePort, r) }));
}

/** NodeParams are runRank's validated flags and hooks, handed to the protocol's node. */
interface NodeParams extends Omit<ReturnType<typeof protocolFlags>, 'basePort' | 'host'> {
  rank: number;
  net: NetConfig;
  peers: HostPort[];
  seed: string;
  incarnation: number;
  timing: () => Promise<{ startAtMs: number; endAtMs: number }>;
  event: (ev: Record<string, unknown>) => void;
  debug: (line: string) => void;
}

/** startNode starts this rank's node of the chosen protocol (its code loads only now: `csplab check` shares this CLI). */
async function startNode(a: RankArgs, n: NodeParams): Promise<RankNode> {
  const { rank, ranks, peers, seed, timing, incarnation, dropRate, net, event, debug, o, l, t } = n;
  const node = {
    rank,
    ranks,
    peers,
    logDir: a.logDir,
    seed,
    clusterId: a.clusterId,
    timing,
    incarnation,
    clean: a.clean,
    trace: a.trace,
    dropRate,
    net,
    event,
    debug,
  };
  return n.chosen.start(node, { o, l, t });
}

/** sysWhat names what a system error was about (this rank's address, or the log directory). */
function sysWhat(e: unknown, logDir: string, self: HostPort): string {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  // getaddrinfo: the host did not resolve (its error carries no port, so name ours).
  if (err?.code === 'EADDRINUSE' || err?.code === 'EADDRNOTAVAIL' || err?.syscall === 'listen' || err?.syscall === 'getaddrinfo')
    return `cannot listen on ${err.address ?? self.host}:${err.port ?? self.port}`;
  return `log dir ${logDir}${err?.path && err.path !== logDir ? ` (${err.path})` : ''}`;
}

/** readTiming reads the launcher's one-line schedule from stdin (see csplab run). */
async function readTiming(stdin: StdinLines): Promise<{ startAtMs: number; endAtMs: number }> {
  const line = await stdin.next();
  if (line === undefined) throw usageError('--await-start: stdin closed before the start time arrived');
  const v = parseLine(line);
  if (typeof v?.startAtMs === 'number' && typeof v.endAtMs === 'number') return { startAtMs: v.startAtMs, endAtMs: v.endAtMs };
  throw usageError('--await-start: expected {"startAtMs":…,"endAtMs":…} on stdin');
}

/**
 * readFaults applies each `{"fault":{…}}` line csplab run sends until stdin closes. A line it
 * cannot read is said on stderr and skipped: the launcher wrote it, so it is a bug, not input.
 */
async function readFaults(stdin: StdinLines, apply: (f: NetFault) => void, debug: (line: string) => void): Promise<void> {
  for (let line = await stdin.next(); line !== undefined; line = await stdin.next()) {
    const f = netFaultOf(parseLine(line)?.fault);
    if (f) apply(f);
    else debug(`csplab rank: ignored a line on stdin that is not a network fault: ${line.slice(0, 200)}`);
  }
}

/** parseLine reads one JSON object line from the launcher (undefined if it is not one). */
function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** StdinLines reads stdin a line at a time through one reader (two would race for buffered input). */
class StdinLines {
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;

  constructor() {
    this.rl = createInterface({ input: process.stdin });
    this.rl.on('line', (line) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(line);
      else this.queue.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(undefined);
    });
  }

  /** next resolves to the next line, or undefined once stdin has closed. */
  next(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.rl.close();
  }
}
