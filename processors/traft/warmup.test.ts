// warmup.test: a rank's warm-up (entry.ts warmRank, runtime/driver/warmup.ts) runs our TRaft as
// a rank does: an election, then the lab load replicated through the wire's encoding and
// committed. A warm-up that never elected or committed would compile the wrong code.
import t from 'tap';
import { warmUp } from '../../runtime/driver/warmup.js';
import type { InstanceEvent } from './io.js';
import { traft } from './protocol.js';

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
