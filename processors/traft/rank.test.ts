// rank.test: TRaft's four processors on the runtime (virtual clock, in-memory network and
// WAL): a 5-rank cluster elects a leader, runs the lab load with out-of-order commits, keeps
// all three rules when the leader crashes and restarts from its WAL, and drains to equal logs.
import t from 'tap';
import { VirtualClock } from '../../runtime/clock.js';
import { MemNet } from '../../runtime/net/memnet.js';
import { rankRandom, SeededRandom } from '../../runtime/random.js';
import { checkLogs } from '../../check/index.js';
import { MemorySink } from '../../runtime/driver/logsink.js';
import { entriesToReplay, replayWal, type WalBatch } from './durable.js';
import { keysFromLines } from './instance_log.js';
import type { Message } from './messages.js';
import { startTraftRank, type TraftRank } from './rank.js';

interface Cluster {
  clock: VirtualClock;
  net: MemNet<Message>;
  ranks: TraftRank[];
  sinks: MemorySink[];
  wals: WalBatch[][];
  loadUntilMs: number;
  launch(rank: number, incarnation: number): void;
}

function cluster(seed: number, loadMs: number, window = 20, snapshotEvery = 0): Cluster {
  const clock = new VirtualClock();
  const net = new MemNet<Message>({
    ranks: 5,
    clock,
    random: new SeededRandom(`traft-rank-test/${seed}`),
    faults: { delayMs: [0, 3] },
    traceLimit: 0,
  });
  const c: Cluster = {
    clock,
    net,
    ranks: [],
    sinks: [],
    wals: [],
    loadUntilMs: clock.nowMs() + loadMs,
    launch(rank, incarnation) {
      if (incarnation === 0) {
        c.sinks[rank] = new MemorySink();
        c.wals[rank] = [];
      }
      const wal = c.wals[rank]!;
      const durable = incarnation > 0 ? replayWal(entriesToReplay(wal)) : undefined;
      const loggedKeys = keysFromLines(c.sinks[rank]!.lines());
      const loggedUpTo = incarnation > 0 ? loggedKeys.length - 1 : -1;
      let r: TraftRank | undefined = undefined;
      r = startTraftRank({
        rank,
        ranks: 5,
        clusterId: 'test',
        electionMs: 1000,
        window,
        keys: 8,
        snapshotEvery,
        loadUntilMs: c.loadUntilMs,
        clock,
        random: rankRandom(seed, rank, incarnation),
        transport: net.endpoint(rank),
        sink: c.sinks[rank]!,
        // The in-memory WAL is durable 1 ms after a write (an fsync's worth of virtual time).
        storage: {
          write: (batches) => {
            for (const b of batches) wal.push(b);
            const last = batches[batches.length - 1]!.batchId;
            clock.schedule(1, () => r?.persisted(last));
          },
        },
        ...(durable ? { durable, loggedUpTo, loggedKeys } : {}),
      });
      c.ranks[rank] = r;
    },
  };
  for (let r = 0; r < 5; r++) c.launch(r, 0);
  return c;
}

function grade(c: Cluster) {
  return checkLogs(c.sinks.map((s, i) => ({ name: `instancelog${i}.log`, lines: s.lines() })));
}

t.test(
  'fault-free: a leader is elected, the load commits (some out of order, some held back by interference), logs end equal',
  async (t) => {
    const c = cluster(1, 2500);
    await c.clock.advance(2500 + 3000);
    const result = grade(c);
    t.equal(result.verdict, 'pass', 'all three rules');
    const commits = c.ranks.map((r) => r.stats().commits);
    t.ok(Math.min(...commits) > 100, `every rank committed (${commits.join(' ')})`);
    t.equal(new Set(commits).size, 1, 'drained to the same count everywhere');
    t.ok(
      c.ranks.some((r) => r.stats().outOfOrderCommits > 0),
      'some commits happened out of position order',
    );
    const held = c.ranks.reduce((n, r) => n + r.stats().heldBackCommits, 0);
    t.ok(held > 0, `some quorum-accepted commits were held back by interference (${held})`);
    // a turn's proposals reach the WAL as one batch (protocol.ts mergeBatch), under increasing batchIds
    const wal = c.wals[c.ranks.findIndex((r) => r.stats().role === 'leader')]!;
    const records = (b: WalBatch): number => b.entries.filter((e) => e.type === 'record').length;
    t.ok(
      wal.some((b) => records(b) > 1),
      `the leader logged several proposals per WAL batch (most ${Math.max(...wal.map(records))})`,
    );
    t.ok(
      wal.every((b, i) => i === 0 || b.batchId > wal[i - 1]!.batchId),
      'batchIds increase',
    );
    for (const r of c.ranks) t.same(await r.done, { type: 'stopped' }, 'stopped after draining');
  },
);

t.test('the leader crashes and restarts from its WAL: the rules hold and it catches up', async (t) => {
  const c = cluster(2, 4000);
  await c.clock.advance(2000);
  const leader = c.ranks.findIndex((r) => r.stats().role === 'leader');
  t.ok(leader >= 0, 'a leader was established by 2 s');
  c.ranks[leader]!.stop();
  await c.clock.advance(1000);
  c.launch(leader, 1);
  await c.clock.advance(1000 + 3000);
  const result = grade(c);
  t.equal(result.verdict, 'pass', 'all three rules');
  const commits = c.ranks.map((r) => r.stats().commits);
  t.ok(c.ranks[leader]!.stats().commits > 0, `the restarted rank commits again (${commits.join(' ')})`);
  const lines = c.sinks.map((s) => s.lines().filter((l) => l.startsWith('commit')).length);
  t.equal(new Set(lines).size, 1, `every rank's log holds the same commits (${lines.join(' ')})`);
});

t.test(
  'snapshots: a rank down while the others compact catches up by InstallSnapshot; memory holds only the records above the floor',
  async (t) => {
    const c = cluster(3, 4000, 20, 50);
    await c.clock.advance(1500);
    const victim = c.ranks.findIndex((r) => r.stats().role !== 'leader');
    c.ranks[victim]!.stop();
    await c.clock.advance(1500);
    c.launch(victim, 1);
    await c.clock.advance(1000 + 3000);
    t.equal(grade(c).verdict, 'pass', 'all three rules');
    const stats = c.ranks.map((r) => r.stats());
    t.ok(
      stats.every((s) => s.snapshots + s.snapshotsInstalled > 0),
      `every rank compacted (${stats.map((s) => `${s.snapshots}+${s.snapshotsInstalled}`).join(' ')})`,
    );
    t.ok(stats[victim]!.snapshotsInstalled > 0, "the restarted rank installed a leader's snapshot");
    const others = stats.filter((_, i) => i !== victim);
    t.ok(
      others.every((s) => s.snapshotsInstalled === 0),
      'ranks that kept up never needed one (the leader keeps what live followers lack)',
    );
    const states = c.ranks.map((r) => r.state());
    // above the floor: the window, up to 50 not yet compacted, up to 50 kept for a lagging follower, the tail no-op
    t.ok(
      states.every((s) => s.floor > 0 && s.log.size <= 20 + 2 * 50 + 1),
      `the log holds only records above the floor (${states.map((s) => `${s.floor}/${s.log.size}`).join(' ')})`,
    );
    t.equal(new Set(states.map((s) => s.applier.sm.describe())).size, 1, 'state machines equal');
    const lines = c.sinks.map((s) => s.lines().filter((l) => l.startsWith('commit')).length);
    t.equal(new Set(lines).size, 1, `every rank's log holds the same commits (${lines.join(' ')})`);
    const wal = c.wals[victim]!;
    t.ok(
      wal.some((b) => b.checkpoint !== undefined),
      'snapshots reached the WAL as checkpoints',
    );
  },
);
