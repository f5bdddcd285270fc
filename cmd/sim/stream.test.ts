// stream.test: a simulated run graded on the second thread while it runs (small chunks, so
// every run hands many over) gets the verdict the checker gives its logs in process, and the
// run itself is the same run (byte-identical logs and traces), for every protocol the registry
// simulates, under the default nemesis (crashes, torn lines, restarts).
// A failing seed replays with: csplab sim --protocol <name> -o 0.5 -l 20 -t 4 --rate 200 --nemesis default --seed <seed>
import t from 'tap';
import { protocols } from '../../processors/registry.js';
import { hashOf, programFor } from '../testing/sim.js';
import { nemesis } from './nemesis.js';
import { simulate, type SimSpec } from './once.js';

const COMMON = { o: 0.5, l: 20, t: 4 };
const SEEDS = 6;
const CHUNK_BYTES = 2048;

for (const entry of protocols) {
  t.test(`${entry.name}: graded while it runs, the verdict is the in-process one`, async (t) => {
    const program = await programFor(entry, COMMON);
    if (program === undefined) return t.comment(`${entry.name} does not run on the simulator`);
    let streamed = 0;
    let longest = 0; // bytes of the longest log: a log shorter than a chunk hands none over
    for (let seed = 1; seed <= SEEDS; seed++) {
      const s = String(seed);
      const spec: SimSpec = { program, ranks: 5, t: COMMON.t, seed: s, ratePerSec: 200, schedule: nemesis(s, 5, COMMON.t), trace: true };
      const inProcess = simulate({ ...spec, streamChunkBytes: 0 });
      const thread = simulate({ ...spec, streamChunkBytes: CHUNK_BYTES });
      const replay = `replay: csplab sim --protocol ${entry.name} -o 0.5 -l 20 -t 4 --rate 200 --nemesis default --seed ${seed}`;
      t.notOk(inProcess.streamed, 'chunk size 0: graded in process');
      t.equal(hashOf(thread), hashOf(inProcess), `seed ${seed}: the same run; ${replay}`);
      t.same(thread.check, inProcess.check, `seed ${seed}: the same verdict; ${replay}`);
      t.same(thread.failures, inProcess.failures, `seed ${seed}: the same failures; ${replay}`);
      if (thread.streamed) streamed++;
      for (const r of thread.outcome.ranks)
        longest = Math.max(
          longest,
          r.lines.reduce((n, l) => n + l.length + 1, 0),
        );
    }
    if (longest < 2 * CHUNK_BYTES) return t.comment(`${entry.name}'s logs (${longest} bytes at most) fill no chunk`);
    t.ok(streamed > 0, `${streamed} of ${SEEDS} seeds graded on the thread (the rest took back a line they had handed over)`);
  });
}
