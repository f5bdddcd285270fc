// shutdown.test: a rank stopped in the middle of a round logs every entry its core committed.
// The instance log is the graded record and a restart reads its commits back from it: a commit
// the core made but the log lost would be forgotten by the next incarnation, and the checker
// would see a rank that committed less than it told its peers. The rank driver closes the
// pipeline in order (consensus steps what is buffered, then the sink closes), where Paxos's own
// shell closed every channel at once and dropped the follower's last log batch.
import t from 'tap';
import { startSim, type SimCluster } from './sim.js';

/** lastCommit is the highest estround among a rank's commit lines (-1: none). */
function lastCommit(lines: readonly string[]): number {
  let last = -1;
  for (const l of lines) {
    const m = /^commit Instance\[[a-z]{32}\] in seq (\d+) at \d+$/.exec(l);
    if (m) last = Math.max(last, Number(m[1]));
  }
  return last;
}

t.test('stopped mid-round, every rank has logged every commit its core made', async (t) => {
  // Stop a rank as it sends its n-th message: its processors are mid-pipeline then, with
  // inputs buffered between them (a stop from outside would find them all idle).
  for (const n of [500, 1201, 2003, 3407, 4999, 6007, 7001, 8009]) {
    const seed = `shutdown-${n}`;
    const sent = [0, 0, 0, 0, 0];
    const box: { sim?: SimCluster } = {};
    const tap = (from: number): void => {
      sent[from] = (sent[from] ?? 0) + 1;
      if (sent[from] === n) box.sim?.ranks[from]?.stop();
    };
    const sim = startSim({ seed, interval: 400, rounds: 3, faults: { delayMs: [0, 5] }, tap });
    box.sim = sim;
    await sim.clock.advanceTo(sim.endAtMs + 10);
    for (const r of sim.ranks) await r?.done;
    for (const [rank, r] of sim.ranks.entries()) {
      const frontier = r?.follower.frontier ?? -1;
      t.equal(
        lastCommit(defined(sim.sinks[rank]).lines()),
        frontier,
        `n ${n} rank ${rank}: the log holds the core's last commit (replay: this test, n ${n})`,
      );
    }
  }
});

function defined<T>(x: T | undefined): T {
  if (x === undefined) throw new Error('undefined');
  return x;
}
