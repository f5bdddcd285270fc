// memory.test: what a replica keeps stays bounded however long it runs (issue #20). Counted in
// entries on the deterministic simulator, not bytes, so no wall clock or heap size is involved:
// after every simulated second of a steady load, each replica's log, its records' deps, the
// leader's key index, held-back set, unacknowledged positions and parked sends stay under bounds
// set by the window and the snapshot threshold, while the commits go on to many times those bounds.
// (The per-position KEY table, s.keys, is not bounded: each committed position's KEY bytes and a 4-byte end, key_table.ts.)
import t from 'tap';
import { defaultTiming } from './config.js';
import { replica, traftSim } from './simkit.js';
import type { ReplicaState } from './state.js';
import { firstMissing } from './tail_bitmap.js';

const E = 1000;
const WINDOW = 50;
const SNAPSHOT_EVERY = 200;
const KEYS = 8;
const SECONDS = 10;

type Counts = { log: number; depsWords: number; keyIndex: number; heldBack: number; inflight: number; unpersisted: number; parked: number };

function counts(s: ReplicaState): Counts {
  let depsWords = 0;
  for (const r of s.log.values()) depsWords = Math.max(depsWords, r.deps.words.length);
  let keyIndex = 0;
  let inflight = 0;
  if (s.leader !== null) {
    for (const k of s.leader.keyIndex.keys.values()) keyIndex += k.commuting.length + (k.last === null ? 0 : 1);
    for (const p of s.leader.progress.values()) for (const f of p.inflight.values()) inflight += f.seqs.length;
  }
  const heldBack = s.leader?.heldBack.size ?? 0;
  return { log: s.log.size, depsWords, keyIndex, heldBack, inflight, unpersisted: s.unpersisted.size, parked: s.parked.length };
}

/** LOG_BOUND: positions held at or above the floor (see BOUNDS.log). */
const LOG_BOUND = 2 * SNAPSHOT_EVERY + 5 * WINDOW;

/** BOUNDS: what a leak would cross within the run (thousands of positions); the steady values stay well below. */
const BOUNDS: Counts = {
  // positions ≥ floor: a snapshot interval, the uncommitted window, and a follower's lag behind
  // the leader's commits (a dropped request leaves a gap it cannot commit past until resent), and
  // one more window for a follower that went through an election behind (pre-vote and backoff,
  // traft.md D28/D29, keep it leaderless a little longer: the 5%-drop seed peaks at 628 at 6 s
  // and stays there when the run is 40 s instead of 10 s)
  log: LOG_BOUND,
  // a record's deps span the frontier to itself (folded to ≤ 1 word once committed); behind an
  // election the frontier lags by up to the positions held (the 5%-drop seed: 15 words from 3 s on,
  // the same over 20 and 80 s runs)
  depsWords: LOG_BOUND / 32 + 2,
  keyIndex: 4 * WINDOW + KEYS, // a key's latest record and its commuting ones above the frontier
  heldBack: 4 * WINDOW,
  inflight: 4 * (defaultTiming(E).maxInflight * defaultTiming(E).maxBatch),
  unpersisted: 4 * WINDOW,
  parked: 4 * WINDOW,
};

const cases: Array<{ name: string; setRate: number; dropRate: number }> = [
  // incr only: every record commutes with the last on its key, the case whose key index grew with the run
  { name: 'incr only, clean network', setRate: 0, dropRate: 0 },
  { name: 'lab mix, 5% of messages dropped', setRate: 0.5, dropRate: 0.05 },
];

for (const c of cases) {
  t.test(`bounded replica state: ${c.name}`, async (t) => {
    const seed = `memory-${c.setRate}-${c.dropRate}`;
    const replay = `npx tap processors/traft/memory.test.ts (seed ${seed}, fixed)`;
    // The lab load at 1,000 commands a simulated second, for longer than the test looks (no drain).
    const sim = traftSim({
      seed,
      ranks: 5,
      config: { electionMs: E, window: WINDOW, keys: KEYS, snapshotEvery: SNAPSHOT_EVERY, setShare: c.setRate },
      loadMs: (SECONDS + 1) * 1000,
      ratePerSec: 1000,
      link: { dropRate: c.dropRate },
    });
    const peak: Counts = { log: 0, depsWords: 0, keyIndex: 0, heldBack: 0, inflight: 0, unpersisted: 0, parked: 0 };
    const over: string[] = [];
    for (let sec = 1; sec <= SECONDS; sec++) {
      sim.runUntil(sec * 1000);
      for (let rank = 0; rank < 5; rank++) {
        const s = replica(sim, rank);
        if (s === undefined) continue;
        const now = counts(s);
        for (const k of Object.keys(now) as Array<keyof Counts>) {
          peak[k] = Math.max(peak[k], now[k]);
          if (now[k] > BOUNDS[k] && over.length < 5) over.push(`rank ${rank} at ${sec} s: ${k} ${now[k]} > ${BOUNDS[k]}`);
        }
      }
    }
    const committed = Math.min(
      ...[0, 1, 2, 3, 4].map((rank) => replica(sim, rank)).map((s) => (s === undefined ? 0 : firstMissing(s.committed))),
    );
    t.same(over, [], `every count stays bounded; peaks ${JSON.stringify(peak)} (${replay})`);
    t.ok(
      committed >= 5 * BOUNDS.log,
      `the run committed ${committed} positions on every rank, ≥ 5× the largest bound, so a leak would cross it (${replay})`,
    );
    t.same(sim.problemsSoFar(), [], `no invariant violated, checked after every step (${replay})`);
  });
}

t.test('replicas of one process keep one folded record per position, not one each', async (t) => {
  const sim = traftSim({
    seed: 'memory-shared-folds',
    ranks: 5,
    // no snapshots: ranks snapshot at their own marks (snapshotDue), so their floors differ by up to
    // snapshotEvery, and the positions above every floor would be few
    config: { electionMs: E, window: WINDOW, keys: KEYS, snapshotEvery: 0, setShare: 0.5 },
    loadMs: 3000,
    ratePerSec: 1000,
  });
  sim.runUntil(3000);
  const states = [0, 1, 2, 3, 4].map((rank) => replica(sim, rank));
  const live = states.filter((s): s is ReplicaState => s !== undefined);
  t.equal(live.length, 5, 'every rank up (no faults)');
  const lo = Math.max(...live.map((s) => s.floor));
  const hi = Math.min(...live.map((s) => firstMissing(s.committed)));
  let positions = 0;
  let shared = 0;
  for (let seq = lo; seq < hi; seq++) {
    const recs = live.map((s) => s.log.get(seq));
    if (recs.some((r) => r === undefined || r.deps.words.length > 1)) continue;
    positions++;
    if (recs.every((r) => r === recs[0])) shared++;
  }
  t.ok(positions > WINDOW, `${positions} positions below every frontier, above every floor`);
  t.equal(shared, positions, 'each held as one object by all five replicas');
});
