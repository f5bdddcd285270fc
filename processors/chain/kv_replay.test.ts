// kv_replay.test: a chain scenario (kv_simkit.ts Scenario) and the `csplab sim` command it prints
// as its replay are the same run: the built CLI, given replayArgs, writes the very history and
// instance logs the in-process run produced — under a kill and restart, a one-way cut, a
// partition, a graceful leave, a small head window and a lossy, duplicating, reordering link; and
// a CRAQ run (--craq, Zipf keys) under a kill, so both flags reach the simulator as the test sets them.
// Needs the build (npx tsc -p tsconfig.json). Replay: the command in the failure message.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../../scripts/repo.js';
import { replayArgs, replayCommand, runScenario, type KvRun, type Scenario } from './kv_simkit.js';
import { rankTarget } from '../../runtime/sim/types.js';

const S: Scenario = {
  seed: process.env.CHAIN_REPLAY_SEED ?? '11',
  ranks: 6,
  tSec: 5,
  clients: 6,
  keys: 12,
  getShare: 0.4,
  deleteShare: 0.1,
  deadlineSec: 1,
  l: 64,
  leaves: [[4, 3.2]],
  link: { dropRate: 0.02, dupRate: 0.02, delayMs: 2, jitterMs: 1 },
  faults: [
    { action: 'kill', target: rankTarget(2), atMs: 1300 },
    { action: 'restart', target: rankTarget(2), atMs: 2100 },
    { action: 'cut', from: [rankTarget(1)], to: [rankTarget(3), rankTarget(5)], atMs: 900, durationMs: 400 },
    {
      action: 'partition',
      groups: [
        [rankTarget(0), rankTarget(1), rankTarget(3)],
        [rankTarget(2), rankTarget(4), rankTarget(5)],
      ],
      atMs: 2600,
      durationMs: 300,
    },
  ],
};

/** sameRun: the CLI, given the scenario's replay arguments, writes the history and instance logs the in-process run did. */
async function sameRun(t: Test, s: Scenario): Promise<KvRun> {
  const r = await runScenario(s);
  const cwd = t.testdir();
  const cmd = `${replayCommand(s)} --log-dir log`;
  const p = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...replayArgs(s), '--log-dir', 'log', '--quiet', '--no-trace'], {
    cwd,
    encoding: 'utf8',
  });
  t.equal(p.status, r.failures.length === 0 ? 0 : 1, `the CLI grades it as the test did (${r.failures.join('; ') || 'pass'}): ${p.stderr}`);
  t.ok(r.ok > 50, `${r.ok} ops ok`);
  t.equal(readFileSync(join(cwd, 'log', 'history.jsonl'), 'utf8'), r.o.history?.toJsonl(), `the same history; replay: ${cmd}`);
  for (const x of r.o.ranks) {
    const file = readFileSync(join(cwd, 'log', `instancelog${x.rank}.log`), 'utf8');
    t.equal(file.replace(/\n$/, ''), x.lines.join('\n'), `rank ${x.rank}: the same instance log`);
  }
  return r;
}

t.test('a scenario’s replay command reruns it exactly: the same history and instance logs', async (t) => {
  const r = await sameRun(t, S);
  t.ok(
    r.masterLines.some((l) => l.includes('rank 4 asked to leave')),
    'the leave took effect',
  );
});

t.test('a CRAQ scenario’s replay command (--craq, --key-dist zipf) reruns it exactly', async (t) => {
  const craq: Scenario = {
    ...S,
    ranks: 4,
    tSec: 3,
    l: 1024,
    leaves: [],
    craq: true,
    zipf: 1.1,
    faults: [{ action: 'kill', target: rankTarget(3), atMs: 1000 }],
  };
  const r = await sameRun(t, craq);
  const queries = r.o.ranks.reduce((n, x) => n + Number(x.summary?.versionQueries ?? 0), 0);
  t.ok(queries > 0, `${queries} CRAQ version queries: the flag reached the nodes`);
});
