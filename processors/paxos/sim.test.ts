// sim.test: a 5-rank Paxos cluster on the virtual clock and in-memory network keeps the lab's
// three rules under message loss, duplication, delay, a paused rank and a restarted rank.
import t, { type Test } from 'tap';
import { startSim } from './sim.js';
import type { PaxosMsg } from './messages.js';

/** commitTable parses a rank's commit lines (seq → key), failing on a repeated seq. */
function commitTable(lines: string[]): Map<number, string> {
  const table = new Map<number, string>();
  for (const l of lines) {
    const m = /^commit Instance\[([a-z]{32})\] in seq (\d+) at \d+$/.exec(l);
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

function assertRules(t: Test, sinks: { lines(): string[] }[], label: string): Map<number, string>[] {
  const tables = sinks.map((s) => commitTable(s.lines()));
  const generated = new Set<string>();
  for (const s of sinks)
    for (const l of s.lines()) {
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
  const sim = startSim({ seed: 1, interval: 100, rounds: 5 });
  await sim.clock.advanceTo(sim.endAtMs + 10);
  const tables = assertRules(t, sim.sinks, 'fault-free');
  for (const tab of tables) t.equal(tab.size, 500, 'all 5 rounds × 100 committed');
  for (const r of sim.ranks) t.same(await r.done, { type: 'stopped' });
});

t.test('loss, duplication and delay: the rules hold and work still gets done', async (t) => {
  for (const seed of [2, 3, 4]) {
    const sim = startSim({ seed, interval: 200, rounds: 8, faults: { dropRate: 0.05, dupRate: 0.05, delayMs: [0, 20] } });
    await sim.clock.advanceTo(sim.endAtMs + 10);
    const tables = assertRules(t, sim.sinks, `seed ${seed}`);
    t.ok(Math.max(...tables.map((x) => x.size)) > 200, `seed ${seed}: progress`);
  }
});

t.test('a paused rank catches up and commits again after it resumes', async (t) => {
  const sim = startSim({ seed: 5, interval: 100, rounds: 8 });
  await sim.clock.advanceTo(sim.startAtMs + 1500);
  sim.net.pause(2);
  await sim.clock.advance(2000);
  const before = commitTable(sim.sinks[2]!.lines()).size;
  sim.net.resume(2);
  await sim.clock.advanceTo(sim.endAtMs + 10);
  const tables = assertRules(t, sim.sinks, 'pause');
  t.ok(tables[2]!.size > before, `rank 2 committed after resuming (${before} → ${tables[2]!.size})`);
  t.ok(tables[2]!.size >= 700, 'the resumed rank caught up on what it missed');
});

t.test('a restarted rank recovers from its log and rejoins', async (t) => {
  const sim = startSim({ seed: 6, interval: 100, rounds: 8 });
  await sim.clock.advanceTo(sim.startAtMs + 2500);
  sim.restart(3, 1);
  await sim.clock.advanceTo(sim.endAtMs + 10);
  const tables = assertRules(t, sim.sinks, 'restart');
  t.ok(tables[3]!.size >= 700, `restarted rank commits again (${tables[3]!.size})`);
});

t.test('a rank started late joins, leads its rounds and commits the whole log', async (t) => {
  const sim = startSim({ seed: 7, interval: 100, rounds: 8, late: [3] });
  await sim.clock.advanceTo(sim.startAtMs + 2500);
  sim.start(3);
  await sim.clock.advanceTo(sim.endAtMs + 10);
  const tables = assertRules(t, sim.sinks, 'late start');
  t.equal(tables[3]!.size, 800, 'the late rank holds every instance of every round');
  for (const tab of tables) t.equal(tab.size, 800, 'no round was lost to the late rank');
});

t.test('a message whose from differs from the sender the transport proved is dropped and counted (issue 11 hole 7)', async (t) => {
  const sim = startSim({ seed: 'forged-from', rounds: 4 });
  const { clock, startAtMs } = sim;
  await clock.advanceTo(startAtMs + 1500);
  const before = sim.ranks[0]!.stats().commits;
  // Rank 1's own endpoint sends rank 0 a READ claiming rank 7 (≥ ranks: its NACK would crash
  // the sender) and a GATHER claiming rank 3 (a vote counted for the wrong rank).
  const ep = sim.net.endpoint(1);
  const round = sim.ranks[0]!.stats().round + 1;
  ep.send(0, { type: 'read', from: 7, round: 0, frontier: -1 });
  ep.send(0, { type: 'gather', from: 3, round, frontier: -1, syncRound: -1, held: [] });
  ep.send(0, { type: 'nack', from: 9, round: 1_000_000 });
  await clock.advanceTo(sim.endAtMs + 10);
  t.equal(sim.ranks[0]!.stats().forged, 3, 'all three forged messages dropped and counted');
  t.equal(sim.ranks[1]!.stats().forged, 0, 'honest traffic is never counted');
  t.ok(sim.ranks[0]!.stats().commits > before, 'rank 0 kept committing');
  t.ok(sim.ranks[0]!.stats().round < 1_000_000, 'the forged NACK moved no round');
  t.equal((await sim.ranks[0]!.done).type, 'stopped', 'rank 0 stopped at the end, not crashed');
});

/** historyTap taps a cluster's sync messages: the largest history each kind carried, and to whom CATCHUPs went. */
function historyTap(): {
  tap: (from: number, to: number, msg: PaxosMsg) => void;
  largest: Map<string, number>;
  catchupTo: Set<number>;
  partials: number[];
} {
  const largest = new Map<string, number>();
  const partials: number[] = [];
  const catchupTo = new Set<number>();
  const tap = (_from: number, to: number, m: PaxosMsg): void => {
    const n = m.type === 'gather' ? m.held.length : m.type === 'impose' || m.type === 'catchup' ? m.entries.length : -1;
    if (n < 0) return;
    largest.set(m.type, Math.max(largest.get(m.type) ?? 0, n));
    if (m.type === 'catchup') catchupTo.add(to);
    if (m.type === 'gather' && m.partial === true) partials.push(to);
  };
  return { tap, largest, catchupTo, partials };
}

// Issue 11, hole 3: a rank paused for 6 rounds (400 instances: its own round is lost; 8 chunks of 50) must catch up by
// chunks addressed to it alone, while every sync message to the others stays small: at most a
// chunk of catch-up plus one round's instances, whatever the lag.
const CHUNK = 50;
const BOUND = CHUNK + 100;

t.test('a rank far behind catches up in bounded chunks addressed to it alone (issue 11 hole 3)', async (t) => {
  for (const resumeAt of [7500, 7000, 7020]) {
    const h = historyTap();
    const sim = startSim({ seed: `laggard-${resumeAt}`, interval: 100, rounds: 12, tune: { catchupChunk: CHUNK }, tap: h.tap });
    await sim.clock.advanceTo(sim.startAtMs + 1500);
    sim.net.pause(2);
    await sim.clock.advanceTo(sim.startAtMs + resumeAt);
    const behind = commitTable(sim.sinks[0]!.lines()).size - commitTable(sim.sinks[2]!.lines()).size;
    t.ok(behind >= 6 * CHUNK, `resume at ${resumeAt}: rank 2 is ${behind} behind, many chunks`);
    sim.net.resume(2);
    await sim.clock.advanceTo(sim.endAtMs + 10);
    const tables = assertRules(t, sim.sinks, `resume at ${resumeAt}`);
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
    const sim = startSim({ seed: 'laggard-leads', interval: 100, rounds: 12, tune: { catchupChunk: CHUNK }, tap: h.tap });
    await sim.clock.advanceTo(sim.startAtMs + 1500);
    sim.net.pause(2);
    await sim.clock.advanceTo(sim.startAtMs + 7001); // round 7 is rank 2's: its READ from far behind went out on resume
    sim.net.resume(2);
    await sim.clock.advanceTo(sim.endAtMs + 10);
    const tables = assertRules(t, sim.sinks, 'laggard leads');
    t.ok(h.partials.length > 0 && h.partials.every((to) => to === 2), `partial GATHERs went to the laggard leader (${h.partials.length})`);
    t.ok((h.largest.get('gather') ?? 0) <= BOUND, `GATHER ≤ a chunk and a round (${h.largest.get('gather')})`);
    t.ok((h.largest.get('impose') ?? 0) <= BOUND, `IMPOSE ≤ a chunk and a round (${h.largest.get('impose')})`);
    const round8At = /^commit Instance\[[a-z]{32}\] in seq 800 at (\d+)$/;
    const at = sim.sinks[0]!.lines().flatMap((l) => round8At.exec(l)?.[1] ?? []);
    t.equal(at.length, 1, 'rank 0 committed round 8’s first instance');
    t.ok(Number(at[0]) < (sim.startAtMs + 7500) * 1000, `round 8 began right after the resume, not at its slot (${at[0]} µs)`);
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
  const run = async (noArchive: boolean): Promise<Map<number, string>[]> => {
    const h = historyTap();
    const sim = startSim({
      seed: 'beyond-window',
      interval: 100,
      rounds: 14,
      noArchive,
      tune: { catchupChunk: CHUNK, windowLimit: 200 },
      tap: h.tap,
    });
    await sim.clock.advanceTo(sim.startAtMs + 1500);
    sim.net.pause(2);
    await sim.clock.advanceTo(sim.startAtMs + 8500);
    const behind = commitTable(sim.sinks[0]!.lines()).size - commitTable(sim.sinks[2]!.lines()).size;
    t.ok(behind > 400, `rank 2 is ${behind} behind, more than any window holds`);
    sim.net.resume(2);
    await sim.clock.advanceTo(sim.endAtMs + 10);
    t.ok((h.largest.get('catchup') ?? 0) <= CHUNK, `CATCHUP ≤ a chunk (${h.largest.get('catchup')})`);
    return assertRules(t, sim.sinks, `noArchive ${noArchive}`);
  };
  const stuck = await run(true);
  t.ok(stuck[2]!.size < stuck[0]!.size - 400, `without the logs rank 2 stays behind (${stuck[2]!.size} of ${stuck[0]!.size})`);
  const tables = await run(false);
  t.equal(tables[2]!.size, tables[0]!.size, 'with them it holds the whole log by the end');
});
