// chain-cluster.test: `csplab kv run --store chain --master single` as real rank processes (the
// master and five nodes; kv run's default, the replicated master, is chain-master-cluster.test.ts's)
// and 20 clients on loopback: node 6 joins at 2 s, node 3 — the tail of one range, the middle and head of others — is SIGKILLed at 3.5 s, node 5 leaves gracefully at 5 s (of 18: the kill's
// extensions and the removal run one reconfiguration at a time, and a loaded machine slows each). The
// history is linearizable (graded by the command and again here with check/lin's library), the
// master declared only rank 3 failed, let rank 5 go only once it was in no chain, and ends with
// chains of three without either. Heavy: run it under `flock /tmp/csplab-heavy.lock`.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { cliRun, HANG_BOUND_MS } from '../testing/cli.js';
import { freeBasePort } from '../testing/ports.js';

type RankSummary = { incarnation: number; exitCode: number | null; summary: Record<string, unknown> | null };

t.test('kv run --store chain: 5 nodes, one added, a tail killed and one removed under load; the history is linearizable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-chain-kv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['kv', 'run', '--store', 'chain', '--master', 'single', '--nodes', '5', '--clients', '20', '-t', '18'];
  args.push('--base-port', String(await freeBasePort(7)), '--log-dir', dir, '--clean', '--quiet');
  args.push('--add', '@2', '--kill', '3@3.5', '--remove', '5@5');
  const r = await cliRun(t, args, { timeoutMs: HANG_BOUND_MS });
  t.equal(
    r.status,
    0,
    r.status === 0 ? 'kv run exits 0' : `csplab ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr.slice(-2000)}`,
  );
  t.match(r.stdout, /verdict: linearizable/, 'the command graded the history linearizable');
  t.match(
    r.stdout,
    /chain: master rank 0 \(single\); \d+ epochs installed/,
    'the table names the master, the epochs and the chains at the end',
  );
  const history = parseHistoryText(readFileSync(join(dir, 'history.jsonl'), 'utf8'), 'kv');
  t.equal(checkLinearizable(history, 'kv').verdict, 'linearizable', 'check/lin agrees');
  const kv = JSON.parse(readFileSync(join(dir, 'kv.json'), 'utf8')) as { ok: number; runnerCpuMs: number };
  t.ok(kv.ok > 0, `${kv.ok} ops ok`);
  t.ok(kv.runnerCpuMs > 0, `the clients' CPU while they ran: ${kv.runnerCpuMs} ms`);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ranks: RankSummary[] };
  t.equal(summary.ranks.length, 7, 'the master, five nodes and the added one');
  t.match(summary.ranks[6], { exitCode: 0 }, 'the added node ran and ended cleanly');
  t.match(summary.ranks[5], { exitCode: 0 }, 'the removed node stopped cleanly');
  const master = summary.ranks[0]?.summary ?? {};
  // what the benchmark's CPU per op subtracts: every rank's start-up, less than all it used
  const cpu = summary.ranks
    .flatMap((r) => (r.summary === null ? [] : [r.summary])) // the killed rank reported none
    .map((x) => [Number(x.cpuAtStartMs), Number(x.cpuUserMs) + Number(x.cpuSystemMs)]);
  t.ok(
    cpu.length >= 6 && cpu.every(([atStart = NaN, all = NaN]) => atStart > 0 && atStart <= all),
    `each rank's CPU at the run's start, and in all: ${cpu.map(([a, b]) => `${a}/${b}`).join(' ')} ms`,
  );
  t.match(master, { failures: 1, leaves: 1, lostRanges: 0 }, 'one failure (rank 3), one leave (rank 5), no range lost');
  const chains = [...String(master.chains).matchAll(/\[([^\]]*)\]/g)].map((m) => (m[1] ?? '').split(' ').map(Number));
  t.ok(
    chains.length > 0 && chains.every((c) => c.length === 3 && !c.includes(3) && !c.includes(5)),
    `chains of 3 without ranks 3 and 5 at the end: ${String(master.chains)}`,
  );
  const log = readFileSync(join(dir, 'instancelog0.log'), 'latin1');
  t.match(log, /rank 5 is in no chain any more: told to stop/, 'rank 5 was let go only once in no chain (G1)');
  t.notMatch(log, /rank 5 .*failed \(M3\)/, 'the leaving node was never declared failed');
});
