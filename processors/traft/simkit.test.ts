// simkit.test: the scripted inputs TRaft's tests feed a rank on the one simulator. A forced
// election at a set time is the one that wins (every other rank's deadline is later), and a
// proposal handed to the leader is committed on every rank under its own KEY.
import t from 'tap';
import { EMPTY_BITMAP, firstMissing } from './tail_bitmap.js';
import { campaignAt, established, leaders, propose, replica, traftSim, type CoreTrace } from './simkit.js';

const E = 1000;
const config = { electionMs: E, window: 20, keys: 3, snapshotEvery: 0, setShare: 0.5 };

t.test('campaignAt: the forced candidates race in term 1 and the highest id leads', async (t) => {
  // Lease protection off: with it a voter refuses every candidate for E after it starts. The
  // design's first deadlines ([E, 2E), not a fresh start's [H, H + E), D31) leave the race to the script.
  const traces: CoreTrace[] = [];
  const sim = traftSim({
    traces,
    seed: 'simkit-campaign',
    ranks: 5,
    config: { ...config, tuning: { leaseProtection: false, freshStart: false } },
    loadMs: 5 * E,
    ratePerSec: 10,
  });
  sim.runUntil(100);
  for (const c of [4, 3]) t.ok(campaignAt(sim, c, 500), `rank ${c} takes the scripted deadline`);
  sim.runUntil(E);
  t.same(
    leaders(sim, 5).map((r) => replica(sim, r)?.vote),
    [{ term: 1, id: 4 }],
    'one leader, (1, 4), elected before any rank’s own deadline (≥ E)',
  );
  const first = established(traces)[0];
  t.same([first?.rank, first?.leader], [4, { term: 1, id: 4 }], 'the first leader established is rank 4 in term 1');
  t.ok(first !== undefined && first.atMs >= 500 && first.atMs < E, `established between the scripted deadline and E (${first?.atMs} ms)`);
  t.same(sim.problemsSoFar(), [], 'no invariant violated');
});

t.test('D31: a fresh lab cluster elects its first leader before E, lease protection on', async (t) => {
  for (const seed of ['fresh-1', 'fresh-2', 'fresh-3']) {
    const traces: CoreTrace[] = [];
    const sim = traftSim({ traces, seed, ranks: 5, config, loadMs: 5 * E, ratePerSec: 10 });
    sim.runUntil(3 * E);
    const first = established(traces)[0];
    t.ok(first !== undefined && first.atMs < E, `${seed}: established at ${first?.atMs} ms, before E`);
    t.same(sim.problemsSoFar(), [], `${seed}: no invariant violated`);
  }
});

t.test('propose: a command handed to the leader commits on every rank under its KEY', async (t) => {
  const sim = traftSim({ seed: 'simkit-propose', ranks: 3, config, loadMs: 6 * E, ratePerSec: 10 });
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0];
  if (l === undefined) return t.fail('a leader by 3 s');
  t.ok(propose(sim, l, { op: 'set', key: 'k0', value: 7 }, 'scriptedkeyscriptedk'), 'the leader steps on it');
  sim.runUntil(4 * E);
  for (let r = 0; r < 3; r++)
    t.ok(
      sim.lines(r).some((line) => line.startsWith('commit') && line.includes('scriptedkeyscriptedk')),
      `rank ${r} committed it`,
    );
  t.same(sim.problemsSoFar(), [], 'no invariant violated');
});

t.test('setLink: with every message lost no follower commits more; with the links clean again they catch up', async (t) => {
  const sim = traftSim({ seed: 'simkit-link', ranks: 3, config, loadMs: 6 * E, ratePerSec: 100 });
  sim.runUntil(3 * E);
  const l = leaders(sim, 3)[0];
  if (l === undefined) return t.fail('a leader by 3 s');
  const f = (l + 1) % 3;
  const frontier = (r: number): number => firstMissing(replica(sim, r)?.committed ?? EMPTY_BITMAP);
  sim.setLink({ dropRate: 1 });
  sim.runUntil(3 * E + 50); // what was on the wire lands
  const cut = frontier(f);
  sim.runUntil(3 * E + E / 2);
  t.equal(frontier(f), cut, 'the follower commits nothing while every message is lost');
  sim.setLink({ dropRate: 0 });
  sim.runUntil(5 * E);
  t.ok(frontier(f) > cut, `it commits again once the links are clean (${cut} -> ${frontier(f)})`);
  t.same(sim.problemsSoFar(), [], 'no invariant violated');
});
