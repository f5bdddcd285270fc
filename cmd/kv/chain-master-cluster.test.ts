// chain-master-cluster.test: `csplab kv run --store chain` on its default, replicated master
// (chain-master.md §12) as real processes: master ranks 0–2 (TRaft), nodes 3–5, 8 clients. The
// master group's leader is SIGKILLed 3 s into the load and node 4 at 4.5 s: another master rank
// must take over from the group's record and declare the node failed. The history is
// linearizable, the run exits 0 and the summary line names the master group and its leader at
// the end. At E = 1000 ms the group elects 1–2 s after its ranks start, so the kill waits 3 s (a
// loaded run had no leader yet at 1.5 s; E = 400 churned leaders under load, none known at
// 2.5 s). Small on purpose (three nodes, 9 s): the add-node under a leader kill is
// kv_master_replicated.test.ts's, in the simulator. Heavy: run it under `flock /tmp/csplab-heavy.lock`.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { cliRun, HANG_BOUND_MS } from '../testing/cli.js';
import { freeBasePort } from '../testing/ports.js';

type RankSummary = { rank: number; state: string; exitCode: number | null; summary: Record<string, unknown> | null };

t.test('kv run --store chain (replicated master): the master leader and a node killed under load', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-chain-master-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['kv', 'run', '--store', 'chain', '--nodes', '3', '--clients', '8', '-t', '9'];
  args.push('--base-port', String(await freeBasePort(6)), '--log-dir', dir, '--clean', '--quiet');
  args.push('--kill', 'master-leader@3', '--kill', '4@4.5');
  const r = await cliRun(t, args, { timeoutMs: HANG_BOUND_MS });
  const why = `csplab ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr.slice(-2000)}`;
  t.equal(r.status, 0, r.status === 0 ? 'kv run exits 0' : why);
  t.match(r.stdout, /verdict: linearizable/, 'the command graded the history linearizable');
  const history = parseHistoryText(readFileSync(join(dir, 'history.jsonl'), 'utf8'), 'kv');
  t.equal(checkLinearizable(history, 'kv').verdict, 'linearizable', 'check/lin agrees');

  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ranks: RankSummary[] };
  t.equal(summary.ranks.length, 6, 'three master ranks and three nodes: replicated is the default');
  const killed = Number(/fault -: 3\.0s kill rank (\d) \(leader = rank \1\)/.exec(r.stdout)?.[1] ?? -1);
  const faults = r.stdout.split('\n').filter((l) => l.startsWith('fault'));
  t.ok(killed >= 0 && killed <= 2, `master-leader named the group's leader then, rank ${killed}: ${faults.join('; ')}`);
  const leaders = summary.ranks.filter((x) => x.summary?.role === 'master leader');
  t.equal(leaders.length, 1, 'one master rank ends leading');
  const leader = leaders[0];
  t.ok(leader !== undefined && leader.rank <= 2 && leader.rank !== killed, `rank ${leader?.rank} took over from the killed rank ${killed}`);
  t.match(
    r.stdout,
    new RegExp(`chain: master group ranks 0–2 \\(TRaft\\), rank ${leader?.rank} leading at the end;`),
    'the summary names the group',
  );
  t.match(leader?.summary, { failures: 1, lostRanges: 0 }, 'the new leader declared node 4 failed and lost no range');
  t.ok(
    Number(leader?.summary?.epoch) >= 2,
    `the new leader installed the failure's configuration (epoch ${String(leader?.summary?.epoch)})`,
  );
  const chains = [...String(leader?.summary?.chains).matchAll(/\[([^\]]*)\]/g)].map((m) => (m[1] ?? '').split(' ').map(Number));
  t.ok(
    chains.length > 0 && chains.every((c) => c.length === 2 && !c.includes(4)),
    `chains of the two live nodes without rank 4 at the end: ${String(leader?.summary?.chains)}`,
  );
});
