// sim.test: a 5-rank Paxos cluster on the simulator (runtime/sim/, through testkit.ts) keeps the
// lab's three rules under message loss, duplication, delay, a paused rank and a restarted rank.
import t, { type Test } from 'tap';
import { BASE_MS } from '../../runtime/sim/sim.js';
import type { SimOutcome } from '../../runtime/sim/types.js';
import type { PaxosMsg } from './messages.js';
import { paxosSim, rank, type PaxosSim } from './testkit.js';

/** commitTable parses a rank's commit lines (seq → key), failing on a repeated seq. */
function commitTable(lines: readonly string[]): Map<number, string> {
  const table = new Map<number, string>();
  for (const l of lines) {
    const m = /^commit Instance\[([a-z]{32})\] in seq (\d+) at [\d.]+$/.exec(l);
    if (!m) continue;
    const seq = Number(m[2]);
    if (table.has(seq)) throw new Error(`seq ${seq} committed twice`);
    table.set(seq, m[1]!);
  }
  return table;
}

/** rule3 returns the first difference between two ranks below the smaller max seq. */
function rule3(a: Map<number, string>, b: Map<number, string>): string | undefined {
  const max = (m: Map<number, string>) => Math.max(0, ...m.keys());
  const lim = Math.min(max(a), max(b));
  for (const [seq, key] of a) if (seq < lim && b.get(seq) !== key) return `seq ${seq}: ${key} vs ${b.get(seq)}`;
  for (const [seq, key] of b) if (seq < lim && a.get(seq) !== key) return `seq ${seq}: ${a.get(seq)} vs ${key}`;
  return undefined;
}

function assertRules(t: Test, out: SimOutcome, label: string): Map<number, string>[] {
  const tables = out.ranks.map((r) => commitTable(r.lines));
  const generated = new Set<string>();
  for (const r of out.ranks)
    for (const l of r.lines) {
      const m = /^generate Instance\[([a-z]{32})\]/.exec(l);
      if (m) generated.add(m[1]!);
    }
  for (const [i, tab] of tables.entries()) {
    for (const key of tab.values()) if (!generated.has(key)) t.fail(`${label}: rank ${i} committed ungenerated ${key}`);
  }
  for (let i = 0; i < tables.length; i++)
    for (let j = i + 1; j < tables.length; j++) t.equal(rule3(tables[i]!, tables[j]!), undefined, `${label}: rule 3 ranks ${i},${j}`);
  return tables;
}

t.test('fault-free: every rank commits every instance of every round', async (t) => {
  const out = paxosSim({ seed: 1, interval: 100, rounds: 5 }).run();
  const tables = assertRules(t, out, 'fault-free');
  for (const tab of tables) t.equal(tab.size, 500, 'all 5 rounds × 100 committed');
  for (const r of out.ranks) t.equal(r.end, 'stopped');
});

t.test('loss, duplication and delay: the rules hold and work still gets done', async (t) => {
  for (const seed of [2, 3, 4]) {
    const link = { dropRate: 0.05, dupRate: 0.05, delayMs: 10, jitterMs: 10 };
    const out = paxosSim({ seed, interval: 200, rounds: 8, link }).run();
    const tables = assertRules(t, out, `seed ${seed}`);
    t.ok(Math.max(...tables.map((x) => x.size)) > 200, `seed ${seed}: progress`);
  }
});

t.test('a paused rank catches up and commits again after it resumes', async (t) => {
  const sim = paxosSim({ seed: 5, interval: 100, rounds: 8, faults: [{ action: 'pause', target: rank(2), atMs: 1500, durationMs: 2000 }] });
  sim.runUntil(3499);
  const before = commitTable(sim.lines(2)).size;
  const tables = assertRules(t, sim.run(), 'pause');
  t.ok(tables[2]!.size > before, `rank 2 committed after resuming (${before} → ${tables[2]!.size})`);
  t.ok(tables[2]!.size >= 700, 'the resumed rank caught up on what it missed');
});

t.test('a restarted rank recovers from its log and rejoins', async (t) => {
  const faults = [
    { action: 'kill', target: rank(3), atMs: 2500 },
    { action: 'restart', target: rank(3), atMs: 2500 },
  ] as const;
  const out = paxosSim({ seed: 6, interval: 100, rounds: 8, faults }).run();
  const tables = assertRules(t, out, 'restart');
  t.equal(out.ranks[3]!.incarnations, 2, 'rank 3 ran a second incarnation');
  t.ok(tables[3]!.size >= 700, `restarted rank commits again (${tables[3]!.size})`);
});

t.test('a rank started late joins, leads its rounds and commits the whole log', async (t) => {
  const out = paxosSim({ seed: 7, interval: 100, rounds: 8, faults: [{ action: 'start', target: rank(3), atMs: 2500 }] }).run();
  const tables = assertRules(t, out, 'late start');
  t.equal(tables[3]!.size, 800, 'the late rank holds every instance of every round');
  for (const tab of tables) t.equal(tab.size, 800, 'no round was lost to the late rank');
});

t.test('a message whose from differs from the sender the transport proved is dropped and counted (issue 11 hole 7)', async (t) => {
  const sim = paxosSim({ seed: 'forged-from', rounds: 4 });
  sim.runUntil(1500);
  const before = sim.summary(0)!.commits;
  // Rank 1's connection carries to rank 0 a READ claiming rank 7 (≥ ranks: its NACK would crash
  // the sender) and a GATHER claiming rank 3 (a vote counted for the wrong rank).
  const round = sim.state(0)!.router.round + 1;
  sim.inject(1, 0, { type: 'read', from: 7, round: 0, frontier: -1 });
  sim.inject(1, 0, { type: 'gather', from: 3, round, frontier: -1, syncRound: -1, held: [] });
  sim.inject(1, 0, { type: 'nack', from: 9, round: 1_000_000 });
  const out = sim.run();
  t.equal(sim.summary(0)!.forged, 3, 'all three forged messages dropped and counted');
  t.equal(sim.summary(1)!.forged, 0, 'honest traffic is never counted');
  t.ok(sim.summary(0)!.commits > before, 'rank 0 kept committing');
  t.ok(Number(sim.summary(0)!.round) < 1_000_000, 'the forged NACK moved no round');
  t.equal(out.ranks[0]!.end, 'stopped', 'rank 0 stopped at the end, not crashed');
});

/** historyTap taps a cluster's sync messages: the largest history each kind carried, and to whom CATCHUPs went. */
function historyTap(): {
  tap: (from: number, to: number, msg: PaxosMsg) => undefined;
  largest: Map<string, number>;
  catchupTo: Set<number>;
  partials: number[];
} {
  const largest = new Map<string, number>();
  const partials: number[] = [];
  const catchupTo = new Set<number>();
  const tap = (_from: number, to: number, m: PaxosMsg): undefined => {
    const n = m.type === 'gather' ? m.held.length : m.type === 'impose' || m.type === 'catchup' ? m.entries.length : -1;
    if (n < 0) return undefined;
    largest.set(m.type, Math.max(largest.get(m.type) ?? 0, n));
    if (m.type === 'catchup') catchupTo.add(to);
    if (m.type === 'gather' && m.partial === true) partials.push(to);
    return undefined;
  };
  return { tap, largest, catchupTo, partials };
}

// Issue 11, hole 3: a rank paused for 6 rounds (400 instances: its own round is lost; 8 chunks of 50) must catch up by
// chunks addressed to it alone, while every sync message to the others stays small: at most a
// chunk of catch-up plus one round's instances, whatever the lag.
const CHUNK = 50;
const BOUND = CHUNK + 100;

/** laggard: 12 rounds of 100 with rank 2 paused (as SIGSTOP pauses a process) from 1.5 s until resumeAtMs. */
function laggard(seed: string, resumeAtMs: number, tap: (from: number, to: number, msg: PaxosMsg) => undefined): PaxosSim {
  const faults = [{ action: 'pause', target: rank(2), atMs: 1500, durationMs: resumeAtMs - 1500 }] as const;
  return paxosSim({ seed, interval: 100, rounds: 12, tune: { catchupChunk: CHUNK }, tap, faults });
}

t.test('a rank far behind catches up in bounded chunks addressed to it alone (issue 11 hole 3)', async (t) => {
  for (const resumeAt of [7500, 7000, 7020]) {
    const h = historyTap();
    const sim = laggard(`laggard-${resumeAt}`, resumeAt, h.tap);
    sim.runUntil(resumeAt - 1);
    const behind = commitTable(sim.lines(0)).size - commitTable(sim.lines(2)).size;
    t.ok(behind >= 6 * CHUNK, `resume at ${resumeAt}: rank 2 is ${behind} behind, many chunks`);
    const tables = assertRules(t, sim.run(), `resume at ${resumeAt}`);
    t.same([...h.catchupTo], [2], 'every CATCHUP went to the laggard');
    t.ok((h.largest.get('catchup') ?? 0) <= CHUNK, `CATCHUP ≤ a chunk (${h.largest.get('catchup')})`);
    t.ok((h.largest.get('impose') ?? 0) <= BOUND, `IMPOSE ≤ a chunk and a round (${h.largest.get('impose')})`);
    t.ok((h.largest.get('gather') ?? 0) <= BOUND, `GATHER ≤ a chunk and a round (${h.largest.get('gather')})`);
    t.equal(tables[2]!.size, tables[0]!.size, 'the laggard holds the whole log by the end');
  }
});

t.test(
  'a rank far behind that leads right after resuming hands its round on: the next round starts at once, and it catches up as a follower (issue 11 hole 3)',
  async (t) => {
    const h = historyTap();
    // round 7 is rank 2's: its READ from far behind goes out on resume
    const sim = laggard('laggard-leads', 7001, h.tap);
    const out = sim.run();
    const tables = assertRules(t, out, 'laggard leads');
    t.ok(h.partials.length > 0 && h.partials.every((to) => to === 2), `partial GATHERs went to the laggard leader (${h.partials.length})`);
    t.ok((h.largest.get('gather') ?? 0) <= BOUND, `GATHER ≤ a chunk and a round (${h.largest.get('gather')})`);
    t.ok((h.largest.get('impose') ?? 0) <= BOUND, `IMPOSE ≤ a chunk and a round (${h.largest.get('impose')})`);
    const round8At = /^commit Instance\[[a-z]{32}\] in seq 800 at ([\d.]+)$/;
    const at = out.ranks[0]!.lines.flatMap((l) => round8At.exec(l)?.[1] ?? []);
    t.equal(at.length, 1, 'rank 0 committed round 8’s first instance');
    t.ok(Number(at[0]) < (BASE_MS + 7500) * 1000, `round 8 began right after the resume, not at its slot (${at[0]} µs)`);
    for (const [r, tab] of tables.entries()) {
      t.equal([...tab.keys()].filter((e) => e >= 700 && e < 800).length, 0, `rank ${r}: nothing chosen in round 7, handed on`);
      t.equal([...tab.keys()].filter((e) => e >= 800 && e < 900).length, 100, `rank ${r} committed all of round 8`);
    }
    t.equal(tables[2]!.size, tables[0]!.size, 'the laggard holds the whole log by the end');
  },
);

// A rank paused so long that every other rank's in-memory window (shrunk to 200 entries here,
// 1,000,000 in a real rank) has dropped its frontier: only the instance logs still hold what it
// lacks. Without reading them back it never catches up.
t.test('a rank behind every in-memory window catches up from the leaders’ instance logs (issue 11 hole 3)', async (t) => {
  const run = (noArchive: boolean): Map<number, string>[] => {
    const h = historyTap();
    const sim = paxosSim({
      seed: 'beyond-window',
      interval: 100,
      rounds: 14,
      noArchive,
      tune: { catchupChunk: CHUNK, windowLimit: 200 },
      tap: h.tap,
      faults: [{ action: 'pause', target: rank(2), atMs: 1500, durationMs: 7000 }],
    });
    sim.runUntil(8499);
    const behind = commitTable(sim.lines(0)).size - commitTable(sim.lines(2)).size;
    t.ok(behind > 400, `rank 2 is ${behind} behind, more than any window holds`);
    const out = sim.run();
    t.ok((h.largest.get('catchup') ?? 0) <= CHUNK, `CATCHUP ≤ a chunk (${h.largest.get('catchup')})`);
    return assertRules(t, out, `noArchive ${noArchive}`);
  };
  const stuck = run(true);
  t.ok(stuck[2]!.size < stuck[0]!.size - 400, `without the logs rank 2 stays behind (${stuck[2]!.size} of ${stuck[0]!.size})`);
  const tables = run(false);
  t.equal(tables[2]!.size, tables[0]!.size, 'with them it holds the whole log by the end');
});
