// node: one Paxos rank as an operating-system process: claims its log directory, opens its
// instance log, listens on TCP, runs the four processors until --end-at, and reports. The
// CLI (cmd/rank.ts) validates flags and maps failures to exit statuses; this module decides
// nothing about how the process ends.
import { join } from 'node:path';
import { every } from '../../runtime/every.js';
import { rankRandom } from '../../runtime/random.js';
import { crashMessage } from '../../runtime/processor.js';
import { claimLogDir } from '../logdir.js';
import { joinCluster, rankClock, type NodeBaseConfig } from '../cluster_node.js';
import { FileSink } from '../logsink.js';
import { CommitArchive, fileReader, fileSize } from './archive.js';
import { resourceSummary } from '../usage.js';
import { recoverCommitted } from './instancelog.js';
import { FileRoundStore } from './roundstore.js';
import { validatePaxosMsg } from './wire.js';
import { startPaxosRank, type PaxosRankStats } from './rank.js';

export interface PaxosNodeConfig extends NodeBaseConfig {
  slotSeconds: number; // -o
  interval: number; // -l
  dataSize: number;
  eager: boolean;
  pipelineWindow: number;
  proposeBatch: number;
}

export type NodeOutcome = { type: 'finished'; stats: PaxosRankStats } | { type: 'crashed'; message: string; stats: PaxosRankStats };

export interface PaxosNode {
  /** finished resolves when the rank has stopped (at --end-at, or stop()). */
  finished: Promise<NodeOutcome>;
  stop(): void;
}

/** startPaxosNode sets everything up; setup failures reject (ForeignStateError, Node errors). */
export async function startPaxosNode(c: PaxosNodeConfig): Promise<PaxosNode> {
  // Listen first, recover after: a restarted rank is reachable at once while it reads its log
  // back (its peers stop redialing; what they send waits in the inbox, and is retried anyway).
  const clock = rankClock(c);
  const { transport, schedule } = await joinCluster(c, clock, validatePaxosMsg);
  let files;
  let restored;
  let rounds;
  try {
    files = claimLogDir({
      logDir: c.logDir,
      rank: c.rank,
      clusterId: c.clusterId,
      incarnation: c.incarnation,
      clean: c.clean,
      protocol: 'paxos',
    });
    restored = c.incarnation > 0 ? recoverCommitted(files.instanceLog) : undefined;
    rounds = new FileRoundStore(join(c.logDir, `.paxos-round${c.rank}`), c.incarnation === 0);
  } catch (e) {
    await transport.close(); // an open listener would keep the process alive
    throw e;
  }
  const { startAtMs, endAtMs } = schedule;
  const sink = new FileSink(files.instanceLog, c.incarnation === 0);
  // After FileSink cut a torn tail: the archive's offsets count from the log's clean end.
  const archive = new CommitArchive(fileReader(files.instanceLog), fileSize(files.instanceLog));
  const slotMs = c.slotSeconds * 1000;
  const rank = startPaxosRank({
    rank: c.rank,
    ranks: c.ranks,
    slotMs,
    interval: c.interval,
    startAtMs,
    endAtMs,
    dataSize: c.dataSize,
    eager: c.eager,
    pipelineWindow: c.pipelineWindow,
    proposeBatch: c.proposeBatch,
    gatherGraceMs: Math.min(20, slotMs / 50),
    retryMs: Math.max(5, Math.min(100, slotMs / 10)),
    clock,
    random: rankRandom(c.seed, c.rank, c.incarnation),
    transport,
    sink,
    archive,
    rounds,
    ...(restored ? { restored, amnesiac: true } : {}),
    onRound: (round, leader) => c.event({ type: 'round', rank: c.rank, round, leader }),
    // what `csplab run` resolves a `leader` fault target from: a claim, not the slot's owner
    onLead: (round) => c.event({ type: 'lead', rank: c.rank, round, leading: true }),
  });
  if (restored)
    c.debug(
      `rank ${c.rank}: incarnation ${c.incarnation} recovered ${restored.length} commits from ${files.instanceLog}; sits out rounds ≤ ${rounds.votedThrough}`,
    );
  const stopProgress = every(clock, 1000, () => c.event({ type: 'progress', ...rank.stats() }));
  const finished = rank.done.then(async (outcome): Promise<NodeOutcome> => {
    stopProgress();
    await transport.close();
    const stats = rank.stats();
    c.event({ type: 'summary', ...stats, ...resourceSummary() });
    if (outcome.type === 'crashed') return { type: 'crashed', message: crashMessage(`rank ${c.rank}`, outcome.crash), stats };
    return { type: 'finished', stats };
  });
  return { finished, stop: () => rank.stop() };
}
