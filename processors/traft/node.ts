// node: one TRaft rank as an operating-system process: claims its log directory, recovers its
// WAL (<log-dir>/wal<rank>/seg-*.wal; a torn tail is truncated; a missing or empty WAL on a
// restart, a damaged tail, corruption, an inconsistent replay or another cluster's WAL is
// refused: docs/protocols/traft.md §8.5) and its instance log, listens on TCP, waits for the shared start, runs the
// lab load for -t seconds, drains and stops. cmd/rank.ts maps failures to exit statuses.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { every } from '../../runtime/every.js';
import { ForeignStateError } from '../../runtime/errors.js';
import { crashMessage } from '../../runtime/processor.js';
import { rankRandom } from '../../runtime/random.js';
import type { Transport } from '../../runtime/transport.js';
import { claimLogDir } from '../logdir.js';
import { joinCluster, rankClock, type NodeBaseConfig } from '../cluster_node.js';
import { FileSink } from '../logsink.js';
import { resourceSummary } from '../usage.js';
import { toWire } from './bitmap_codec.js';
import { replayWal, type DurableState } from './durable.js';
import { keysFromLines } from './instance_log.js';
import type { Message } from './messages.js';
import { startTraftRank, type TraftRankStats } from './rank.js';
import { WalCorruptError } from './wal/format.js';
import { WalDir, type OpenedDir } from './wal/segments.js';
import { WalWriter } from './wal_writer.js';
import { validateTraftMsg } from './wire.js';

export interface TraftNodeConfig extends NodeBaseConfig {
  electionSeconds: number; // -o
  window: number; // -l
  testSeconds: number; // -t
  keys: number;
  /** snapshotEvery: the snapshot threshold in positions (§7.2); 0 never snapshots. */
  snapshotEvery: number;
}

export type TraftNodeOutcome = { type: 'finished'; stats: TraftRankStats } | { type: 'crashed'; message: string; stats: TraftRankStats };

export async function startTraftNode(c: TraftNodeConfig): Promise<{ finished: Promise<TraftNodeOutcome>; stop(): void }> {
  // Listen first, recover after: a restarted rank is reachable at once while it replays its
  // WAL (its peers stop redialing; what they send waits in the inbox, and is retried anyway).
  const clock = rankClock(c);
  const { transport, schedule: timing } = await joinCluster(c, clock, validateTraftMsg);
  const { files, opened, durable } = await openStorage(c, transport);
  if (opened.truncatedBytes > 0) c.debug(`rank ${c.rank}: WAL had a torn tail of ${opened.truncatedBytes} bytes; truncated`);
  // The instance log gives loggedUpTo and the KEYs of logged positions (the key index a leader
  // ships with snapshots; the records below the floor are gone).
  const logged = c.incarnation > 0 && existsSync(files.instanceLog) ? readFileSync(files.instanceLog, 'utf8').split('\n').slice(0, -1) : [];
  const loggedKeys = keysFromLines(logged);
  const loggedUpTo = loggedKeys.length - 1;
  // The protocol has no slots: ranks begin together at the shared start.
  await clock.sleepMs(timing.startAtMs - clock.nowMs());
  const sink = new FileSink(files.instanceLog, c.incarnation === 0);
  let failWal: (e: unknown) => void = () => {};
  const writer = new WalWriter(
    opened.wal,
    (batchId) => rank.persisted(batchId),
    (e) => failWal(e),
  );
  const electionMs = c.electionSeconds * 1000;
  const rank = startTraftRank({
    rank: c.rank,
    ranks: c.ranks,
    clusterId: c.clusterId,
    electionMs,
    window: c.window,
    keys: c.keys,
    loadUntilMs: timing.endAtMs,
    clock,
    random: rankRandom(c.seed, c.rank, c.incarnation),
    sink,
    // bitmaps travel as binary words (bitmap_codec.ts); validateTraftMsg reads them back
    transport: {
      rank: transport.rank,
      inbox: transport.inbox,
      send: (to, msg) => transport.send(to, toWire(msg) as Message),
      close: () => transport.close(),
      stats: () => transport.stats(),
    },
    snapshotEvery: c.snapshotEvery,
    storage: writer,
    ...(durable ? { durable, loggedUpTo, loggedKeys } : {}),
    onRole: (role) => reportRole(c, role, rank.state().vote.term),
  });
  let walError: unknown;
  failWal = (e) => {
    walError = e;
    rank.stop();
  };
  if (durable) {
    const floor = durable.snapshot?.snapshot.floor ?? 0;
    c.debug(
      `rank ${c.rank}: incarnation ${c.incarnation} recovered a snapshot up to seq ${floor - 1} and ${durable.log.size} records from its WAL, instance log up to seq ${loggedUpTo}`,
    );
  }
  const stopProgress = every(clock, 1000, () => c.event({ type: 'progress', ...rank.stats() }));
  const finished = rank.done.then(async (outcome): Promise<TraftNodeOutcome> => {
    stopProgress();
    await writer.close();
    const stats = rank.stats();
    c.event({ type: 'summary', ...stats, ...resourceSummary() });
    if (walError !== undefined)
      return { type: 'crashed', message: `rank ${c.rank}: WAL write failed: ${(walError as Error).message}`, stats };
    if (outcome.type === 'crashed') return { type: 'crashed', message: crashMessage(`rank ${c.rank}`, outcome.crash), stats };
    return { type: 'finished', stats };
  });
  return { finished, stop: () => rank.stop() };
}

/**
 * openStorage claims the rank's log directory and opens its WAL: a fresh one for incarnation 0,
 * else recovered and replayed (§8.5). On failure it closes the listener, which would keep the
 * process alive; WAL corruption becomes ForeignStateError (exit 4) with the path and byte.
 */
async function openStorage(
  c: TraftNodeConfig,
  transport: Transport<Message>,
): Promise<{ files: ReturnType<typeof claimLogDir>; opened: OpenedDir; durable: DurableState | undefined }> {
  try {
    const files = claimLogDir({
      logDir: c.logDir,
      rank: c.rank,
      clusterId: c.clusterId,
      incarnation: c.incarnation,
      clean: c.clean,
      protocol: 'traft',
    });
    const walDir = join(c.logDir, `wal${c.rank}`);
    try {
      if (c.incarnation === 0) {
        const wal = await WalDir.create(walDir, c.clusterId);
        return { files, opened: { wal, batches: [], positions: [], truncatedBytes: 0 }, durable: undefined };
      }
      const opened = await WalDir.open(walDir, c.clusterId);
      try {
        return {
          files,
          opened,
          durable: replayWal(
            opened.batches.map((b) => b.entries),
            opened.positions,
          ),
        };
      } catch (e) {
        await opened.wal.close();
        throw e;
      }
    } catch (e) {
      if (e instanceof WalCorruptError) throw new ForeignStateError(e.message);
      throw e;
    }
  } catch (e) {
    await transport.close();
    throw e;
  }
}

/** reportRole tells `csplab run` of a leadership won or lost: what a `leader` fault target resolves from. */
function reportRole(c: TraftNodeConfig, role: string, term: number): void {
  if (role === 'leader') c.event({ type: 'round', rank: c.rank, round: term, leader: c.rank });
  c.event({ type: 'lead', rank: c.rank, round: term, leading: role === 'leader' });
}
