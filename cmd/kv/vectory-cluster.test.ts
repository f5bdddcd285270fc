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
  // the killed node's entry is '-' (it left no summary); the last node's entry ends the line
  t.match(
    r.stdout,
    new RegExp(`vectory: shards mastered per node at the end .*: (\\d+:[\\d-]+ ){${kill?.rank ?? 0}}${kill?.rank ?? 0}:-\\s`),
    'the killed node left no summary',
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
