// Proves the report reads what `csplab sim` writes (docs/trace.md): on a seeded TRaft run with a
// leader kill and restart, each rank's plotted commits equal its instance log's commit lines
// (the traces' `commit` events and the logs agree), every traced send becomes one message, no
// arrow points back in time, the kill is a window on the rank run.json names, and some rank led.
// Replay a failure: node dist/cmd/csplab.js sim --protocol traft --seed 7 -t 4 --kill leader@2 --restart killed@3 --log-dir sim && node dist/cmd/csplab.js report sim
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from './load.js';
import { CLI } from '../../scripts/repo.js';

t.test('a simulated run’s traces and logs tell the page the same story', async (t) => {
  const cwd = t.testdir();
  const args = [
    'sim',
    '--protocol',
    'traft',
    '--seed',
    '7',
    '-t',
    '4',
    '--kill',
    'leader@2',
    '--restart',
    'killed@3',
    '--log-dir',
    'sim',
    '--quiet',
  ];
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd, encoding: 'utf8' });
  t.equal(r.status, 0, `the seed passes: ${r.stderr}`);
  const dir = join(cwd, 'sim');
  const report = await buildReport(dir);
  const read = (f: string): string[] => readFileSync(join(dir, f), 'utf8').split('\n');
  t.equal(report.ranks, 5);
  t.same(
    report.totalCommits,
    report.totalCommits.map((_, rank) => read(`instancelog${rank}.log`).filter((l) => l.startsWith('commit ')).length),
    'each rank’s commits in the plot are its commit lines',
  );
  const sends = report.totalCommits.map((_, rank) => read(`trace${rank}.ndjson`).filter((l) => l.includes('"ev":"send"')).length);
  t.equal(
    report.messageCount,
    sends.reduce((a, b) => a + b, 0),
    'every send is a message',
  );
  t.ok(report.messages.filter((m) => m.recvMs !== null).length > report.messageCount / 2, 'most were received');
  t.same(
    report.messages.filter((m) => m.recvMs !== null && m.recvMs < m.sendMs),
    [],
    'no arrow points back in time',
  );
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { resolved: { action: string; rank: number }[] };
  const killed = run.resolved.find((f) => f.action === 'kill')?.rank;
  t.same(
    report.faults.map((f) => [f.kind, f.rank, f.fromMs, f.toMs]),
    [['kill', killed, 2000, 3000]],
    'the kill lasts until the restart',
  );
  t.ok(
    report.roles.some((s) => s.role === 'leader' && s.rank === killed && s.toMs === 2000),
    'the killed rank led until the kill',
  );
  t.equal(report.verdict, 'pass');
});
