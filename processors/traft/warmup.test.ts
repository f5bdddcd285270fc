// warmup.test: a rank's warm-up (entry.ts warmRank, runtime/driver/warmup.ts) runs our TRaft as
// a rank does: an election, then the lab load replicated through the wire's encoding and
// committed, snapshotting and encoding its WAL batches as a rank does. A warm-up that never elected,
// committed or snapshotted would leave the run's code cold.
import t from 'tap';
import { warmUp } from '../../runtime/driver/warmup.js';
import type { InstanceEvent } from './io.js';
import type { WalBatch } from './durable.js';
import { traft } from './protocol.js';
import { walEncoder, WARM_SNAPSHOT_EVERY, warmConfig } from './warm.js';
import { warmUpBudgetMs } from './entry.js';

t.test('the throwaway cluster elects a leader and commits the lab load', (t) => {
  const counts = { generate: 0, commit: 0 };
  const counted = {
    ...traft,
    writeLog: undefined,
    formatLog: (ev: InstanceEvent, atUs: number) => {
      counts[ev.event]++;
      return traft.formatLog(ev, atUs);
    },
  };
  const config = { electionMs: 1000, window: 10000, keys: 8, snapshotEvery: 10000, tuning: { fullInflight: 4 } };
  const r = warmUp(counted, { config, ranks: 3, budgetMs: Infinity, cpuMs: () => 0, maxSteps: 600 });
  t.ok(counts.generate > 0, `${counts.generate} generate lines`);
  // every rank logs a generate line for each record it stores and a commit line once it commits it
  t.ok(counts.commit > counts.generate / 2, `${counts.commit} commit lines`);
  t.equal(r.logLines, counts.generate + counts.commit);
  t.end();
});

t.test("the warm-up snapshots and encodes its WAL batches as a rank's WAL does (warm.ts)", (t) => {
  const rank = { electionMs: 1000, window: 10000, keys: 8, snapshotEvery: 10000, tuning: { fullInflight: 4 } };
  const config = warmConfig(rank);
  t.equal(config.snapshotEvery, WARM_SNAPSHOT_EVERY, 'snapshots within the warm-up');
  t.same({ ...config, snapshotEvery: rank.snapshotEvery }, rank, 'nothing else changed');
  t.equal(warmConfig({ ...rank, snapshotEvery: 0 }).snapshotEvery, 0, 'a rank that takes no snapshot warms up without');
  t.equal(warmConfig({ ...rank, snapshotEvery: 100 }).snapshotEvery, 100, 'a lower threshold is kept');
  const wal = walEncoder();
  let checkpoints = 0;
  const persisted = (batches: readonly WalBatch[]): void => {
    checkpoints += batches.filter((b) => b.checkpoint !== undefined).length;
    wal.encode(batches);
  };
  warmUp(traft, { config, ranks: 3, budgetMs: Infinity, cpuMs: () => 0, maxSteps: 600, persisted });
  t.ok(checkpoints >= 3, `${checkpoints} checkpoints`);
  t.ok(wal.bytes() > 0, `${wal.bytes()} WAL bytes encoded`);
  t.end();
});

t.test('CSPLAB_WARMUP_MS: whole ms of CPU, 0 turns the warm-up off, anything else is refused by name', (t) => {
  const usage = (m: string): Error => new Error(`usage: ${m}`);
  t.equal(warmUpBudgetMs(undefined, usage), 1000, 'unset: the default');
  t.equal(warmUpBudgetMs('0', usage), 0);
  t.equal(warmUpBudgetMs(' 250 ', usage), 250);
  for (const bad of ['abc', '-1', '1.5', '', '1e3', '10000000000'])
    t.throws(() => warmUpBudgetMs(bad, usage), /^usage: CSPLAB_WARMUP_MS must be a whole number of ms/, JSON.stringify(bad));
  t.end();
});
