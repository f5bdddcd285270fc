// starve.test: TRaft on a starved machine (`--starve`, docs/faults.md): every rank descheduled
// again and again for 50–1200 ms, its timers late and its inputs arriving in a burst. With the
// seed design's elections (--seed-elections) a late follower campaigns before it reads the
// heartbeats queued for it, a late leader runs CheckQuorum before it reads the acks, and the
// cluster spends seconds with no leader; with pre-vote, backoff and tick-only silence timers
// (docs/protocols/traft.md §11 D28–D30) one leader holds through the whole starvation.
// Fixed seed: a failure names the `csplab sim` command that replays it.
import t from 'tap';
import { defined } from '../../runtime/assert.js';
import { protocolNamed } from '../../processors/registry.js';
import { usageError } from '../exit.js';
import { numberFlag } from '../flags.js';
import { simulate, type Graded } from './once.js';

const FLAGS = { o: 1, l: 100, t: 12 };
const E = FLAGS.o * 1000;
const RATE = 1000;
const SEED = '1';
const STARVE = '0,1,2,3,4@2:9';

async function run(seedElections: boolean): Promise<Graded> {
  const entry = defined(protocolNamed('traft'), 'traft is registered');
  const camel = (k: string): string => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const args = { ...Object.fromEntries(Object.entries(entry.options).map(([k, o]) => [camel(k), o.default])), seedElections };
  const program = defined(await entry.flags(args, numberFlag, usageError).simulate?.(FLAGS), 'traft simulates');
  return simulate({ program, ranks: 5, t: FLAGS.t, seed: SEED, ratePerSec: RATE, schedule: { starve: [STARVE] }, trace: true });
}

const replay = (extra: string): string =>
  `csplab sim --protocol traft -o ${FLAGS.o} -l ${FLAGS.l} -t ${FLAGS.t} --rate ${RATE} --starve ${STARVE} --seed ${SEED}${extra}`;

/** Elections: how many campaigns the ranks started, and the longest span (ms) from a leader's loss to the next establishment. */
type Elections = { campaigns: number; longestLeaderless: number; lastCommitMs: number };

/** elections reads every rank's trace (docs/trace.md): role changes and commits. */
function elections(g: Graded): Elections {
  const changes: { t: number; up: boolean }[] = [];
  let campaigns = 0;
  let lastCommitMs = 0;
  for (const r of g.outcome.ranks) {
    let role = '';
    for (const line of r.trace) {
      const e = JSON.parse(line) as { t: number; ev: string; role?: string; fault?: string };
      if (e.ev === 'commit') lastCommitMs = Math.max(lastCommitMs, e.t);
      if (e.ev !== 'role' || e.role === undefined) continue;
      if (e.role === 'candidate' && role !== 'candidate') campaigns++;
      if (e.role === 'leader') changes.push({ t: e.t, up: true });
      else if (role === 'leader') changes.push({ t: e.t, up: false });
      role = e.role;
    }
  }
  changes.sort((a, b) => a.t - b.t);
  let leaders = 0;
  let lostAt: number | undefined;
  let longestLeaderless = 0;
  for (const c of changes) {
    leaders += c.up ? 1 : -1;
    if (!c.up && leaders === 0) lostAt = c.t;
    if (c.up && leaders === 1 && lostAt !== undefined) longestLeaderless = Math.max(longestLeaderless, c.t - lostAt);
  }
  return { campaigns, longestLeaderless, lastCommitMs };
}

t.test('a starved machine: the seed design churns; pre-vote, backoff and tick-only silence timers hold one leader', async (t) => {
  const seed = await run(true);
  const ours = await run(false);
  t.same(seed.failures, [], `the seed design stays safe: ${replay(' --seed-elections')}`);
  t.same(ours.failures, [], `ours stays safe: ${replay('')}`);
  const before = elections(seed);
  const after = elections(ours);
  t.comment(`seed design: ${JSON.stringify(before)}; ours: ${JSON.stringify(after)}`);
  // The model reproduces what loaded CI saw: seconds with no leader, many elections.
  t.ok(before.longestLeaderless >= 2.5 * E, `the seed design is left with no leader for ≥ 2.5E: ${replay(' --seed-elections')}`);
  t.ok(before.campaigns >= 6, `the seed design campaigns again and again: ${replay(' --seed-elections')}`);
  // The bound: the first election only (nothing deposes a live leader), commits to the end of the load.
  t.ok(after.campaigns <= 2, `≤ 2 campaigns in 9 starved seconds: ${replay('')}`);
  t.equal(after.longestLeaderless, 0, `no leader lost while starved: ${replay('')}`);
  const commits = (g: Graded): number => g.outcome.ranks[0]?.summary?.commits ?? 0;
  t.ok(commits(ours) > commits(seed) * 1.2, `≥ 20% more commits (${commits(ours)} vs ${commits(seed)}): ${replay('')}`);
  t.ok(after.lastCommitMs >= FLAGS.t * 1000 - E, `commits go on to the end of the load: ${replay('')}`);
});
