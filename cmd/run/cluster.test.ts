// cluster.test: real 5-process clusters on loopback (`csplab run`, faults included) pass all three rules and do what each fault promises.
import t, { type Test } from 'tap';
import { applied, assertRulesPass, startedInRun, describe, keepOnFailure, runCluster, type ClusterRun } from '../testing/cluster.js';
import { commitsOf, countBetween } from '../testing/timeline.js';

const RANKS = 5;
const FAULT_AT_S = 1.5;

/** leaderAt is the rank leading the slot that holds second s of a run (round r is led by r mod N). */
const leaderAt = (s: number, o: number): number => Math.floor(s / o) % RANKS;

/** others lists every rank but r. */
const others = (r: number): number[] => Array.from({ length: RANKS }, (_, i) => i).filter((i) => i !== r);

/** seqsBetween lists the seqs the ranks in `from` committed in [fromMs, toMs) of the machine's clock. */
function seqsBetween(c: ClusterRun, from: readonly number[], fromMs: number, toMs: number): Set<number> {
  return new Set(
    from.flatMap((r) =>
      commitsOf(c.dir, r)
        .filter((x) => x.atMs >= fromMs && x.atMs < toMs)
        .map((x) => x.seq),
    ),
  );
}

/**
 * learnt asserts that rank logged, after afterMs, some of the instances in `missed` (what the
 * others decided while it could not take part): it caught up on history, not only on rounds
 * it took part in. How close its count comes to the others' is a matter of speed (a 5% margin
 * broke on a busy machine); that is asserted on the virtual clock (processors/paxos/catchup-sim.test.ts).
 */
function learnt(t: Test, c: ClusterRun, rank: number, missed: Set<number>, afterMs: number, what: string): void {
  const caught = commitsOf(c.dir, rank).filter((x) => x.atMs >= afterMs && missed.has(x.seq)).length;
  t.ok(missed.size > 0 && caught > 0, `${what}: rank ${rank} logged ${caught} of the ${missed.size} instances it missed (${describe(c)})`);
}

t.test('fault-free, low pressure: every rank commits, never more than was generated, and every rank exits 0', async (t) => {
  const o = 1;
  const l = 100;
  const seconds = 3;
  const c = await runCluster(t, { o, l, t: seconds });
  assertRulesPass(t, c);
  // That every round commits all L instances needs each round to finish within its slot of wall
  // time, which a busy machine may not give it: the exact count is asserted on the virtual clock
  // (processors/paxos/catchup-sim.test.ts, the same -o, -l and -t).
  const rounds = Math.round(seconds / o);
  for (let r = 0; r < RANKS; r++)
    t.ok(c.commits[r]! > 0 && c.commits[r]! <= rounds * l, `rank ${r} commits, at most ${rounds} rounds × ${l} (${describe(c)})`);
  t.same(
    c.summary.ranks.map((r) => r.exitCode),
    Array(RANKS).fill(0),
    'every rank exits 0',
  );
  t.equal(c.summary.failed, false, 'the run does not fail');
  // RSS over time (issue 20): each rank reports its resident set with each second's progress
  // (a timer re-armed as it fires: a starved rank reports less often, so only one is required).
  for (const r of c.summary.ranks)
    t.ok(
      r.rssKiB.length >= 1 && r.rssKiB.every((k) => k > 10_000 && k < 4_000_000),
      `rank ${r.rank} reported its RSS each second (KiB: ${r.rssKiB.join(' ')})`,
    );
  keepOnFailure(t, c, 'fault-free');
});

t.test('SIGKILL a follower mid-run: the others keep committing', async (t) => {
  const o = 1;
  const seconds = 4;
  // Not the leader at the kill, nor of any later round: a pure follower from then on.
  const later = Array.from({ length: Math.ceil(seconds / o) }, (_, r) => r).filter((r) => r >= Math.floor(FAULT_AT_S / o));
  const victim = others(leaderAt(FAULT_AT_S, o)).find((r) => !later.some((round) => round % RANKS === r))!;
  const c = await runCluster(t, { o, l: 2000, t: seconds, extra: ['--kill', `${victim}@${FAULT_AT_S}`] });
  assertRulesPass(t, c);
  const kill = applied(t, c, 'kill');
  t.equal(kill.rank, victim, `the kill hit rank ${victim}`);
  t.match(c.summary.ranks[victim], { state: 'killed', planned: true }, `rank ${victim} was killed, as planned`);
  const killAtMs = c.run.startAtMs + kill.appliedAtMs;
  for (const r of others(victim)) {
    t.ok(countBetween(commitsOf(c.dir, r), killAtMs) > 0, `rank ${r} commits after the kill (${describe(c)})`);
    t.ok(
      c.commits[r]! > c.commits[victim]!,
      `rank ${r} (${c.commits[r]}) commits more than the killed rank ${victim} (${c.commits[victim]})`,
    );
    t.equal(c.summary.ranks[r]!.exitCode, 0, `rank ${r} exits 0`);
  }
  keepOnFailure(t, c, 'kill-follower');
});

t.test('SIGSTOP the leader, SIGCONT it later: the others move on, it catches up', async (t) => {
  const o = 1;
  const pauseS = 1.5;
  // Resumed at 3 s, it learns what it missed in the sync of a later round. -t 5 left two, and
  // under a load average near 10 it was once seen to log none of what it missed by the end; -t 7
  // leaves four, as the late-start test below does.
  const c = await runCluster(t, { o, l: 1000, t: 7, extra: ['--pause', `leader@${FAULT_AT_S}:${pauseS}`] });
  assertRulesPass(t, c);
  const pause = applied(t, c, 'pause');
  const paused = pause.rank;
  t.equal(paused, leaderAt(pause.appliedAtMs / 1000, o), `"leader" meant the leader of the slot at ${pause.appliedAtMs} ms`);
  t.type(pause.resumedAtMs, 'number', 'it was resumed');
  const stopMs = c.run.startAtMs + pause.appliedAtMs;
  const contMs = c.run.startAtMs + (pause.resumedAtMs ?? Infinity);
  // A stopped process writes nothing (the signal takes a moment to land).
  t.equal(countBetween(commitsOf(c.dir, paused), stopMs + 100, contMs), 0, `rank ${paused} commits nothing while stopped`);
  for (const r of others(paused))
    t.ok(countBetween(commitsOf(c.dir, r), stopMs, contMs) > 0, `rank ${r} commits while rank ${paused} is stopped (${describe(c)})`);
  t.ok(countBetween(commitsOf(c.dir, paused), contMs) > 0, `rank ${paused} commits again after SIGCONT (${describe(c)})`);
  learnt(t, c, paused, seqsBetween(c, others(paused), stopMs, contMs), contMs, 'resumed');
  keepOnFailure(t, c, 'pause-leader');
});

t.test('a rank started late joins and catches up', async (t) => {
  const late = 3;
  const o = 1;
  // A late rank learns the log in the sync of a round. Under two CPU-bound processes it was seen
  // listening 1.6 s after its start: in a 4 s run only its own round 3 was left, which it could
  // not finish, and it ended with nothing (rule 2). -t 7 leaves it rounds 4–6, led by others.
  const c = await runCluster(t, { o, l: 1000, t: 7, extra: ['--start', `${late}@${FAULT_AT_S}`] });
  assertRulesPass(t, c);
  const start = applied(t, c, 'start');
  t.equal(start.rank, late);
  startedInRun(t, c, late, start.appliedAtMs);
  const commits = commitsOf(c.dir, late);
  t.equal(countBetween(commits, 0, c.run.startAtMs + start.appliedAtMs), 0, `rank ${late} commits nothing before it starts`);
  t.ok(commits.length > 0, `rank ${late} commits after joining (${describe(c)})`);
  const startMs = c.run.startAtMs + start.appliedAtMs;
  learnt(t, c, late, seqsBetween(c, others(late), 0, startMs), startMs, 'late');
  keepOnFailure(t, c, 'start-late');
});

t.test('kill the leader, restart it: incarnation 1 recovers from its log and exits 0, the rules hold', async (t) => {
  const o = 1;
  const c = await runCluster(t, { o, l: 1000, t: 5, extra: ['--kill', `leader@${FAULT_AT_S}`, '--restart', 'killed@2.5'] });
  assertRulesPass(t, c);
  const kill = applied(t, c, 'kill');
  const restart = applied(t, c, 'restart');
  t.equal(kill.rank, leaderAt(kill.appliedAtMs / 1000, o), 'the kill hit the leader');
  t.equal(restart.rank, kill.rank, '"killed" meant the rank just killed');
  const victim = kill.rank;
  startedInRun(t, c, victim, restart.appliedAtMs);
  t.match(c.summary.ranks[victim], { incarnation: 1, exitCode: 0 }, `rank ${victim} ran again as incarnation 1 and exited 0`);
  // Paxos has no drain after -t: on a busy machine incarnation 1 was seen listening only after
  // the run's end, so whether it commits again is a matter of speed; that it does, and catches
  // up, is asserted on the virtual clock (processors/paxos/catchup-sim.test.ts). At any speed,
  // recovering from its log re-logs nothing incarnation 0 committed.
  const seqs = commitsOf(c.dir, victim).map((x) => x.seq);
  t.equal(new Set(seqs).size, seqs.length, `no seq has two commit lines in the restarted rank's log (${describe(c)})`);
  t.equal(c.summary.failed, false, 'no rank died unplanned');
  keepOnFailure(t, c, 'restart-leader');
});
