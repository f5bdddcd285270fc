// node: one rank of any protocol as an operating-system process: listens on TCP, claims its log
// directory, recovers the protocol's WAL and instance log (a restart), waits for the shared
// start, runs the rank's processors (rank.ts) until the protocol stops, and reports progress
// each second and a summary at the end. cmd/rank.ts maps failures to exit statuses: a refused
// WAL or log is ForeignStateError (4), a crash or failed WAL write a crashed outcome (70).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { every } from '../every.js';
import { crashMessage } from '../processor.js';
import type { OpenedStorage, Protocol, RankNode, RankOutcome } from '../protocol.js';
import { rankRandom } from '../random.js';
import type { Transport } from '../transport.js';
import { joinCluster, rankClock, type NodeBaseConfig } from './cluster.js';
import { claimLogDir, type RankFiles } from './logdir.js';
import { FileSink } from './logsink.js';
import { startRank } from './rank.js';
import { TraceFile } from './tracefile.js';
import { cpuMs, resourceSummary, rssKiB } from './usage.js';

/** NodeHooks: what a protocol adds around the rank's transport (TRaft's client port, runtime/client/gateway.ts). */
export interface NodeHooks<M> {
  /** wrapTransport decorates the transport the rank runs on, once the run starts; it rejects to fail the start. */
  wrapTransport?(t: Transport<M>): Promise<Transport<M>>;
  /** onRole hears each role change of the rank, as `csplab run` does (TRaft's leader heap, processors/traft/heap_growth.ts). */
  onRole?(role: string): void;
}

/** startNode starts one rank of `protocol` with its validated flags; setup failures reject. */
export async function startNode<C, S, M, P, L, D, R>(
  protocol: Protocol<C, S, M, P, L, D, R>,
  config: C,
  c: NodeBaseConfig,
  hooks: NodeHooks<M> = {},
): Promise<RankNode & { finished: Promise<RankOutcome> }> {
  // Listen first, recover after: a restarted rank is reachable at once while it replays its
  // WAL (its peers stop redialing; what they send waits in the inbox, and is retried anyway).
  const clock = rankClock(c);
  const keep = protocol.keepWhenStalled?.bind(protocol);
  const { transport, schedule } = await joinCluster(c, clock, (x) => protocol.validate(x), keep, protocol.transientPayloads === true);
  const { files, opened } = await openStorage(protocol, c, transport);
  for (const note of opened.notes) c.debug(`rank ${c.rank}: ${note}`);
  const before = c.incarnation > 0 ? readLines(files.instanceLog) : undefined;
  const logged = before !== undefined ? protocol.recoverLog(before) : undefined;
  await clock.sleepMs(schedule.startAtMs - clock.nowMs());
  const cpuAtStartMs = cpuMs();
  const wire = encoded(protocol, transport);
  const rankTransport = hooks.wrapTransport ? await hooks.wrapTransport(wire) : wire;
  const sink = new FileSink(files.instanceLog, c.incarnation === 0);
  const trace = c.trace ? openTrace(c, schedule.startAtMs, before?.length ?? 0) : undefined;
  trace?.note(clock.nowMs(), { ev: 'start', incarnation: c.incarnation });
  let walError: unknown;
  const store = opened.start(
    (batchId) => rank.persisted(batchId),
    (e) => {
      walError = e;
      rank.stop();
    },
  );
  const rank = startRank({
    protocol,
    rank: c.rank,
    ranks: c.ranks,
    clusterId: c.clusterId,
    config,
    startAtMs: schedule.startAtMs,
    loadUntilMs: schedule.endAtMs,
    clock,
    random: rankRandom(c.seed, c.rank, c.incarnation),
    transport: rankTransport,
    sink,
    storage: store,
    ...(opened.durable !== undefined ? { durable: opened.durable } : {}),
    ...(logged !== undefined ? { logged } : {}),
    onRole: (role, round) => {
      reportRole(c, role, round);
      hooks.onRole?.(role);
    },
    ...(trace ? { trace } : {}),
  });
  if (opened.durable !== undefined && protocol.recovered)
    c.debug(`rank ${c.rank}: ${protocol.recovered(opened.durable, logged, c.incarnation)}`);
  const stopProgress = every(clock, 1000, () => c.event({ type: 'progress', ...rank.stats(), rssKiB: rssKiB() }));
  const finished = rank.done.then(async (outcome): Promise<RankOutcome> => {
    stopProgress();
    trace?.close();
    await store.close();
    const stats = rank.stats();
    c.event({ type: 'summary', ...stats, ...resourceSummary(), cpuAtStartMs });
    if (walError !== undefined)
      return { type: 'crashed', message: `rank ${c.rank}: WAL write failed: ${(walError as Error).message}`, stats };
    if (outcome.type === 'crashed') return { type: 'crashed', message: crashMessage(`rank ${c.rank}`, outcome.crash), stats };
    return { type: 'finished', stats };
  });
  return { finished, stop: () => rank.stop() };
}

/**
 * openStorage claims the rank's log directory and opens the protocol's WAL. On failure it
 * closes the listener, which would keep the process alive.
 */
async function openStorage<C, S, M, P, L, D, R>(
  protocol: Protocol<C, S, M, P, L, D, R>,
  c: NodeBaseConfig,
  transport: Transport<M>,
): Promise<{ files: RankFiles; opened: OpenedStorage<P, D> }> {
  try {
    const { logDir, rank, clusterId, incarnation, clean } = c;
    const files = claimLogDir({ logDir, rank, clusterId, incarnation, clean, protocol: protocol.name });
    return { files, opened: await protocol.storage.open({ logDir, rank, clusterId, incarnation }) };
  } catch (e) {
    await transport.close();
    throw e;
  }
}

/** encoded: the transport sending each message in the protocol's wire form (validate reads it back). */
function encoded<C, S, M, P, L, D, R>(protocol: Protocol<C, S, M, P, L, D, R>, transport: Transport<M>): Transport<M> {
  const encode = protocol.encode?.bind(protocol);
  if (encode === undefined) return transport;
  return {
    rank: transport.rank,
    inbox: transport.inbox,
    send: (to, msg) => transport.send(to, encode(msg)),
    close: () => transport.close(),
    stats: () => transport.stats(),
  };
}

/** openTrace opens trace<rank>.ndjson beside the instance log: fresh for incarnation 0, appended to by a restart. */
function openTrace(c: NodeBaseConfig, startAtMs: number, linesBefore: number): TraceFile {
  const sink = new FileSink(join(c.logDir, `trace${c.rank}.ndjson`), c.incarnation === 0);
  return new TraceFile(sink, startAtMs, { linesBefore });
}

/** readLines: the complete lines of an earlier incarnation's instance log (none if it wrote none). */
function readLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : [];
}

/** reportRole tells `csplab run` of a leadership won or lost: what a `leader` fault target resolves from. */
function reportRole(c: NodeBaseConfig, role: string, round: number): void {
  if (role === 'leader') c.event({ type: 'round', rank: c.rank, round, leader: c.rank });
  c.event({ type: 'lead', rank: c.rank, round, leading: role === 'leader' });
}
