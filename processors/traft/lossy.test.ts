// lossy.test: `csplab run --protocol traft --drop 0.1` on the virtual clock. The five ranks run
// the same processors as `csplab rank` (startTraftRank), each behind the same seeded loss
// decorator its TCP transport gets (runtime/net/lossy.ts), on the in-memory network. How many
// appends a real run loses before it ends depends on how fast the machine is; here a seed
// fixes every drop, so the statistical property of a lossy network holds exactly: holes open,
// commits come out of position order and quorum-accepted positions are held back by
// interference, while all three rules hold and the ranks drain to one log.
// Replay one seed: TRAFT_LOSSY_SEED=<seed> node_modules/.bin/tap processors/traft/lossy.test.ts
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import { VirtualClock } from '../../runtime/clock.js';
import { withLoss } from '../../runtime/net/lossy.js';
import { MemNet } from '../../runtime/net/memnet.js';
import { rankRandom, SeededRandom } from '../../runtime/random.js';
import { MemorySink } from '../../runtime/driver/logsink.js';
import type { Message } from './messages.js';
import { startTraftRank, type TraftRank } from './rank.js';

const RANKS = 5;
const DROP = 0.1;
const ELECTION_MS = 1000; // -o 1
const LOAD_MS = 3000; // -t 3
const SEEDS = process.env.TRAFT_LOSSY_SEED !== undefined ? [process.env.TRAFT_LOSSY_SEED] : ['lossy-1', 'lossy-2', 'lossy-3'];

/** lossyCluster starts RANKS ranks whose every outbound message is lost with probability DROP. */
function lossyCluster(seed: string): { clock: VirtualClock; ranks: TraftRank[]; sinks: MemorySink[] } {
  const clock = new VirtualClock();
  const net = new MemNet<Message>({
    ranks: RANKS,
    clock,
    random: new SeededRandom(`traft-lossy/${seed}`),
    faults: { delayMs: [0, 3] },
    traceLimit: 0,
  });
  const loadUntilMs = clock.nowMs() + LOAD_MS;
  const sinks = Array.from({ length: RANKS }, () => new MemorySink());
  const ranks: TraftRank[] = [];
  for (let rank = 0; rank < RANKS; rank++) {
    const random = rankRandom(seed, rank, 0);
    let self: TraftRank | undefined = undefined;
    self = startTraftRank({
      rank,
      ranks: RANKS,
      clusterId: 'lossy',
      electionMs: ELECTION_MS,
      window: 20,
      keys: 8,
      snapshotEvery: 0,
      loadUntilMs,
      clock,
      random,
      transport: withLoss(net.endpoint(rank), random.fork('loss'), DROP),
      sink: sinks[rank]!,
      // durable 1 ms after the write: an fsync's worth of virtual time
      storage: { write: (batches) => void clock.schedule(1, () => self?.persisted(batches[batches.length - 1]!.batchId)) },
    });
    ranks.push(self);
  }
  return { clock, ranks, sinks };
}

t.test(`--drop ${DROP}: commits come out of position order and are held back by interference; the rules hold`, async (t) => {
  for (const seed of SEEDS) {
    const replay = `replay: TRAFT_LOSSY_SEED=${seed} node_modules/.bin/tap processors/traft/lossy.test.ts`;
    const c = lossyCluster(seed);
    await c.clock.advance(LOAD_MS + 3 * ELECTION_MS); // the load, then the drain (it stops by 2E after the load)
    const stats = c.ranks.map((r) => r.stats());
    const result = checkLogs(c.sinks.map((s, i) => ({ name: `instancelog${i}.log`, lines: s.lines() })));
    t.equal(
      result.verdict,
      'pass',
      `seed ${seed}: all three rules hold${result.verdict === 'pass' ? '' : `\n${formatReport(result)}\n${replay}`}`,
    );
    const sum = (f: 'drops' | 'outOfOrderCommits' | 'heldBackCommits'): number => stats.reduce((n, s) => n + s[f], 0);
    t.ok(sum('drops') > 0, `seed ${seed}: the links lost messages (${sum('drops')}; ${replay})`);
    t.ok(sum('outOfOrderCommits') > 0, `seed ${seed}: some commits came out of position order (${sum('outOfOrderCommits')}; ${replay})`);
    t.ok(
      sum('heldBackCommits') > 0,
      `seed ${seed}: some quorum-accepted commits were held back by interference (${sum('heldBackCommits')}; ${replay})`,
    );
    const commits = stats.map((s) => s.commits);
    t.ok(Math.min(...commits) > 100, `seed ${seed}: every rank committed (${commits.join(' ')}; ${replay})`);
    t.equal(new Set(commits).size, 1, `seed ${seed}: the ranks drained to one log (${commits.join(' ')}; ${replay})`);
    for (const r of c.ranks) t.same(await r.done, { type: 'stopped' }, `seed ${seed}: rank ${r.stats().rank} stopped after the drain`);
  }
});
