// memory.test: what a Paxos rank keeps stays bounded however long it runs (issue #20). Counted in
// entries on the deterministic simulator, not bytes, so no wall clock or heap size is involved:
// after every simulated second, each rank's committed window, its accepted-but-uncommitted
// entries, the CATCHUP chunks it holds early, the leader's outstanding instances, GATHERs and
// catch-up bookkeeping, and the core's parked, pending and local queues stay under bounds set by
// the window limit, the pipeline and the chunk size, while the commits go on to many times them.
// A rank paused past every window's reach on a lossy network is in the run, so the catch-up
// structures are exercised too (it catches up from the instance logs, docs/protocols/paxos.md §6.4).
// Replay: PAXOS_MEMORY_SEED=<seed> npx tap processors/paxos/memory.test.ts
import t from 'tap';
import { checkLogs, formatReport } from '../../check/index.js';
import type { PaxosState } from './core.js';
import { paxosSim, rank } from './testkit.js';

const SEED = process.env.PAXOS_MEMORY_SEED ?? 'memory';
const REPLAY = `replay: PAXOS_MEMORY_SEED=${SEED} npx tap processors/paxos/memory.test.ts`;
const RANKS = 5;
const SLOT_MS = 1000;
const INTERVAL = 2000;
const ROUNDS = 14;
const WINDOW_LIMIT = 1000;
const CHUNK = 250;
const PIPELINE = 64;

type Counts = {
  window: number;
  accepted: number;
  early: number;
  outstanding: number;
  gathers: number;
  lateAnswered: number;
  aheadChunks: number;
  parked: number;
  pending: number;
  local: number;
};

function counts(s: PaxosState): Counts {
  const l = s.leader.held;
  return {
    window: s.follower.window.size,
    accepted: s.follower.acceptedCount,
    early: s.follower.earlyEntries,
    outstanding: l.outstanding,
    gathers: l.gathers,
    lateAnswered: l.lateAnswered,
    aheadChunks: l.aheadChunks,
    parked: s.parked.length,
    pending: s.pending.length,
    local: s.local.length,
  };
}

/** BOUNDS: what a leak would cross within the run (each rank commits ~28,000); the steady values stay well below. */
const BOUNDS: Counts = {
  window: WINDOW_LIMIT, // evicted in halves past the limit
  // accepted but uncommitted: all above its frontier, so bounded by how far behind it is (checked
  // per sample below, against the furthest rank's frontier); this bound is for a rank that is not behind
  accepted: INTERVAL,
  early: 16 * CHUNK, // EARLY_LIMIT chunks
  outstanding: PIPELINE, // --window
  gathers: RANKS, // one per rank, per round
  lateAnswered: RANKS,
  aheadChunks: RANKS * 8, // CATCHUP_AHEAD chunks in flight per rank
  parked: 4 * RANKS * PIPELINE, // a round's sends waiting for its bound to be durable
  pending: 4,
  local: 0, // stepped before the step returns
};

t.test('a Paxos rank keeps bounded state over 14 rounds of 2,000 instances, a paused rank and 3% drops', async (t) => {
  const paused = 2;
  const sim = paxosSim({
    seed: SEED,
    ranks: RANKS,
    slotMs: SLOT_MS,
    interval: INTERVAL,
    rounds: ROUNDS,
    link: { dropRate: 0.03 },
    tune: { windowLimit: WINDOW_LIMIT, catchupChunk: CHUNK, pipelineWindow: PIPELINE },
    faults: [{ action: 'pause', target: rank(paused), atMs: 3500, durationMs: 4000 }],
  });
  const peak: Counts[] = Array.from({ length: RANKS }, zero);
  let behindOverrun = '';
  for (let ms = 250; ms < ROUNDS * SLOT_MS; ms += 250) {
    sim.runUntil(ms);
    const states = Array.from({ length: RANKS }, (_, r) => sim.state(r));
    const furthest = Math.max(...states.map((s) => s?.follower.frontier ?? -1));
    states.forEach((s, r) => {
      if (s === undefined) return;
      const c = counts(s);
      // A rank behind (a hole below a round, or paused) accepts rounds it cannot commit yet; what it
      // holds must still lie above its own frontier and below the furthest rank's next round.
      const behind = furthest - s.follower.frontier;
      if (c.accepted > behind + INTERVAL && behindOverrun === '')
        behindOverrun = `rank ${r} at ${ms} ms: ${c.accepted} accepted, ${behind} behind`;
      if (behind <= INTERVAL) peak[r]!.accepted = Math.max(peak[r]!.accepted, c.accepted);
      for (const k of Object.keys(c) as (keyof Counts)[]) if (k !== 'accepted') peak[r]![k] = Math.max(peak[r]![k], c[k]);
    });
  }
  t.equal(behindOverrun, '', `accepted entries never outnumber how far behind a rank is, plus a round (${REPLAY})`);
  const out = sim.run();
  const result = checkLogs(out.ranks.map((r) => ({ name: `instancelog${r.rank}.log`, lines: r.lines })));
  t.equal(result.verdict, 'pass', `all three rules hold${result.verdict === 'pass' ? '' : `\n${formatReport(result)}`} (${REPLAY})`);
  const commits = result.ranks.map((r) => r.commits);
  for (let r = 0; r < RANKS; r++) {
    // The run must go far past every bound, or a leak could hide under them.
    t.ok(commits[r]! >= 10 * WINDOW_LIMIT, `rank ${r} committed ${commits[r]}, ≥ 10 × the window limit (${REPLAY})`);
    for (const k of Object.keys(BOUNDS) as (keyof Counts)[])
      t.ok(peak[r]![k] <= BOUNDS[k], `rank ${r}: ${k} peaked at ${peak[r]![k]} ≤ ${BOUNDS[k]} (${REPLAY})`);
  }
  t.ok(commits[paused]! >= 0.9 * Math.max(...commits), `the paused rank caught up: ${commits.join(' ')} (${REPLAY})`);
});

function zero(): Counts {
  return { window: 0, accepted: 0, early: 0, outstanding: 0, gathers: 0, lateAnswered: 0, aheadChunks: 0, parked: 0, pending: 0, local: 0 };
}
