// vectory-cluster.test: `csplab kv run --store vectory` as 5 real node processes, 10 shards and
// 20 clients doing local and master reads half each (mix, the default). A node mastering shards
// is SIGKILLed 1.5 s into the load: the others take its shards over (failover, vectory.md §7) and
// clients still complete writes after it. The command grades the history with --lin (writes and
// master reads, per key) and --sc (the whole history, local reads included) and exits 0 only if
// both pass; check/sc's library agrees. Small on purpose (-t 5: 3 s of load). Heavy: run it under
// `flock /tmp/csplab-heavy.lock`.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHistory } from '../../check/lin/index.js';
import { checkSequential } from '../../check/sc/index.js';
import { cliRun, HANG_BOUND_MS } from '../testing/cli.js';
import { freeBasePort } from '../testing/ports.js';

type Fault = { action: string; rank: number | null; appliedAtMs: number };
type Point = { atMs: number; perRank: number[]; none: number };
type Event = { type: string; f: string; time: number; read?: string };

t.test('kv run --store vectory: a master killed under load; --lin and --sc both pass', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-vectory-kv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['kv', 'run', '--store', 'vectory', '--nodes', '5', '--shards', '10', '--clients', '20', '-t', '5'];
  args.push('--base-port', String(await freeBasePort(5)), '--log-dir', dir, '--clean', '--quiet', '--kill', 'leader@1.5');
  const r = await cliRun(t, args, { timeoutMs: HANG_BOUND_MS });
  const why = `csplab ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr.slice(-2000)}`;
  t.equal(r.status, 0, r.status === 0 ? 'kv run exits 0' : why);
  t.match(r.stdout, /verdict: linearizable/, 'the command graded writes and master reads linearizable');
  t.match(r.stdout, /verdict: sequentially consistent/, 'and the whole history sequentially consistent');
  const path = join(dir, 'history.jsonl');
  t.equal(checkSequential(await readHistory(path, 'kv')).verdict, 'sequentially consistent', 'check/sc agrees');

  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { faults: Fault[]; overTime?: { points: Point[] } };
  const kill = summary.faults.find((f) => f.action === 'kill');
  t.type(kill?.rank, 'number', 'the kill hit a node mastering shards');
  t.match(
    r.stdout,
    new RegExp(`vectory: shards mastered per node at the end .*: (\\d+:[\\d-]+ ){${kill?.rank ?? 0}}${kill?.rank ?? 0}:- `),
  );
  // balance over time, from the logs: the killed node masters nothing from the kill on, and its shards find other masters
  const points = summary.overTime?.points ?? [];
  const after = points.filter((p) => p.atMs >= (kill?.appliedAtMs ?? Infinity));
  t.ok(
    after.length > 0 && after.every((p) => p.perRank[kill?.rank ?? 0] === 0),
    `summary.json: no shard for the killed node after the kill (${JSON.stringify(after)})`,
  );
  t.ok(
    after.some((p) => p.none === 0),
    'and a moment after it with every shard mastered again (failover, §7)',
  );
  t.match(r.stdout, /mastered shards per node over time/, 'the end table shows it');
  const events = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Event);
  const invokes = events.filter((e) => e.type === 'invoke' && e.f === 'get');
  t.ok(invokes.some((e) => e.read === 'local') && invokes.some((e) => e.read === 'master'), 'the gets are a mix of local and master reads');
  const writesAfter = events.filter((e) => e.type === 'ok' && e.f !== 'get' && e.time > (kill?.appliedAtMs ?? Infinity)).length;
  // how many depends on the machine's load: that the killed master's writes did not stop the store is the point
  t.ok(writesAfter > 0, `clients completed ${writesAfter} writes after the kill`);
});

// T7 as real processes (vectory.md §12, issue 21): every shard starts on node 0 and the balance
// moves them one token at a time until the spread is ≤ 1 (L2). A move needs a requester out of
// its cooldown (10E), so E = 100 ms keeps the run short: L2's bound (S + 1)·10E is 11 s.
t.test('run --protocol vectory --start-on 0: 5 real nodes, 10 shards, balanced (T7, L2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-vectory-t7-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['run', '--protocol', 'vectory', '-n', '5', '--shards', '10', '--start-on', '0', '--vectory-e-ms', '100', '-t', '12'];
  args.push('--base-port', String(await freeBasePort(5)), '--log-dir', dir, '--clean', '--quiet');
  const r = await cliRun(t, args, { timeoutMs: HANG_BOUND_MS });
  t.equal(r.status, 0, r.status === 0 ? 'run exits 0' : `csplab ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr.slice(-2000)}`);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { overTime?: { points: Point[] } };
  const points = summary.overTime?.points ?? [];
  const first = points.find((p) => p.none === 0);
  t.ok((first?.perRank[0] ?? 0) >= 8, `node 0 masters (nearly) every shard once all are mastered: ${JSON.stringify(first)}`);
  const last = points.at(-1);
  const spread = last === undefined ? Infinity : Math.max(...last.perRank) - Math.min(...last.perRank);
  t.ok(last !== undefined && last.none === 0 && spread <= 1, `at the end every shard is mastered with spread ≤ 1: ${JSON.stringify(last)}`);
  t.ok(points.length >= 6, `the shards moved one token at a time (${points.length} changes)`);
});
