// Proves the report's data model: traces parse or are refused with file:line, commits bin
// without losing any, role spans follow role/kill/start events, sends pair with their receives,
// fault windows last as long as the fault, and a fixture directory becomes the numbers it was
// written with (commits per rank, messages, verdict, the jump to an offending commit).
import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  binCommits,
  binFor,
  capMessages,
  commitTimes,
  faultSpans,
  isRankMessage,
  kvView,
  pairMessages,
  parseTrace,
  roleSpans,
  TraceError,
  withKills,
} from './model.js';
import { buildReport } from './load.js';
import { renderHtml } from './html.js';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { copyKvRun, writeFixture, writeVectoryFixture } from '../testing/report-fixture.js';

t.test('parseTrace reads events and names the line it cannot read', async (t) => {
  const ok = parseTrace('{"t":0,"ev":"start","incarnation":0}\n{"t":1.5,"ev":"stop"}\n', 'trace0.ndjson');
  t.same(
    ok.map((e) => [e.t, e.ev]),
    [
      [0, 'start'],
      [1.5, 'stop'],
    ],
  );
  t.throws(
    () => parseTrace('{"t":0,"ev":"start"}\n{"t":1,"ev":"se', 'trace2.ndjson'),
    new TraceError('trace2.ndjson:2: not a trace event (want a JSON object with numeric "t" and string "ev", docs/trace.md)'),
  );
  t.throws(() => parseTrace('{"ev":"start"}\n', 'trace1.ndjson'), /trace1\.ndjson:1:/, 'a line without t');
  t.throws(() => parseTrace('[1,2]\n', 'trace1.ndjson'), /trace1\.ndjson:1:/, 'a line that is not an object');
});

t.test('binCommits keeps every commit, clamping stragglers into the end bins', async (t) => {
  const bins = binCommits(
    [
      { atMs: -3, n: 1 },
      { atMs: 0, n: 2 },
      { atMs: 99.9, n: 1 },
      { atMs: 100, n: 4 },
      { atMs: 250, n: 5 },
    ],
    200,
    100,
  );
  t.same(bins, [4, 9]);
  t.equal(binFor(2000), 10, '200 points over 2 s');
  t.equal(binFor(60_000), 500, '120 points over a minute');
  t.same(capMessages([1, 2, 3, 4, 5, 6], 3), [1, 3, 5], 'a cap samples evenly');
});

t.test('roleSpans follows roles, kills and restarts', async (t) => {
  const events = parseTrace(
    [
      { t: 0, ev: 'start', incarnation: 0 },
      { t: 0, ev: 'role', role: 'follower', round: 0 },
      { t: 10, ev: 'role', role: 'leader', round: 1 },
      { t: 30, ev: 'fault', fault: 'kill' },
      { t: 50, ev: 'start', incarnation: 1 },
      { t: 50, ev: 'role', role: 'follower', round: 1 },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n'),
    'x',
  );
  t.same(
    roleSpans(4, events, 80).map((s) => [s.fromMs, s.toMs, s.role, s.round, s.rank]),
    [
      [0, 10, 'follower', 0, 4],
      [10, 30, 'leader', 1, 4],
      [30, 50, 'down', null, 4],
      [50, 80, 'follower', 1, 4],
    ],
  );
});

t.test('pairMessages pairs each send with the next receive of the same key', async (t) => {
  const tr = (lines: object[]) => parseTrace(lines.map((e) => JSON.stringify(e)).join('\n'), 'x');
  const r0 = tr([
    { t: 1, ev: 'send', from: 0, to: 1, type: 'A', round: 1, seq: [3, 4], size: 9 },
    { t: 2, ev: 'send', from: 0, to: 1, type: 'A', round: 1, seq: [3, 4] },
    { t: 3, ev: 'send', from: 0, to: 1, type: 'B' },
    { t: 4, ev: 'drop', from: 0, to: 1, reason: 'partition' },
  ]);
  const r1 = tr([
    { t: 5, ev: 'recv', from: 0, to: 1, type: 'A', round: 1, seq: [3, 4] },
    { t: 6, ev: 'recv', from: 0, to: 1, type: 'A', round: 1, seq: [3, 4] },
    { t: 7, ev: 'recv', from: 0, to: 1, type: 'A', round: 1, seq: [3, 4] },
    { t: 8, ev: 'recv', from: 0, to: 1, type: 'A', round: 2 },
  ]);
  const p = pairMessages([r0, r1]);
  t.same(
    p.messages.map((m) => [m.type, m.sendMs, m.recvMs]),
    [
      ['A', 1, 5],
      ['A', 2, 6],
      ['B', 3, null],
    ],
    'in send order; B was never received',
  );
  t.same(p.messages[0], { from: 0, to: 1, type: 'A', sendMs: 1, recvMs: 5, round: 1, seq: [3, 4], size: 9 }, 'the fields hover shows');
  t.equal(p.unpaired, 2, 'a duplicate and a receive of another round have no send');
  t.same(p.drops, [{ from: 0, to: 1, atMs: 4, reason: 'partition' }]);
});

t.test(
  'faultSpans (a real run’s appliedAtMs or the simulator’s atMs): a kill lasts until its restart, a pause until its resume, a partition until its end',
  async (t) => {
    const spans = faultSpans(
      [
        { action: 'kill', rank: 2, atMs: 100, appliedAtMs: 110 },
        { action: 'restart', rank: 2, atMs: 300, appliedAtMs: 320 },
        { action: 'pause', rank: 1, atMs: 400, appliedAtMs: 401, resumedAtMs: 900 },
        { action: 'partition', rank: null, atMs: 500, untilMs: 700, groups: [[0, 1], [2]] },
        { action: 'kill', rank: 0, atMs: 600, appliedAtMs: 600, ignored: true },
        { action: 'kill', rank: 1, atMs: 950 },
        { action: 'kill', rank: 3, atMs: 10 },
        { action: 'restart', rank: 3, atMs: 20 },
      ],
      1000,
    );
    t.same(
      spans.map((s) => [s.kind, s.rank, s.fromMs, s.toMs, s.note]),
      [
        ['kill', 2, 110, 320, 'rank 2'],
        ['pause', 1, 401, 900, 'rank 1'],
        ['partition', null, 500, 700, '0,1 | 2'],
        ['kill', 1, 950, 1000, 'rank 1'],
        ['kill', 3, 10, 20, 'rank 3'],
      ],
    );
  },
);

t.test('commitTimes reads µs commit times, ours and the Go reference’s, and skips other lines', async (t) => {
  const lines = [
    'generate Instance[a] in seq 1 at 5',
    'commit Instance[a] in seq 1 at 1700000000000123',
    'noise',
    'commit Instance[b] in seq 2 at 2024-01-01',
  ];
  t.same(commitTimes(lines), [{ lineNo: 2, atUs: 1700000000000123 }]);
  const go = `[Consensus log] 2026/11/23 00:15:39.612345 logger.go:86: commit Instance[k] in seq 2 at 2026-11-23 00:15:39.612345678 +0100 UTC m=+1.2`;
  t.same(
    commitTimes([go]),
    [{ lineNo: 1, atUs: Date.UTC(2026, 10, 22, 23, 15, 39, 612) * 1000 + 345 }],
    'the Go reference’s date, zone applied, to the µs',
  );
});

t.test('a fixture run becomes the numbers it was written with', async (t) => {
  const dir = t.testdir();
  const f = writeFixture(dir);
  const r = await buildReport(dir);
  t.equal(r.ranks, 3);
  t.same(r.totalCommits, f.commits, 'commits per rank, from the traces');
  t.same(
    r.commits.map((bins) => bins.reduce((a, b) => a + b, 0)),
    f.commits,
    'and the bins hold them all',
  );
  t.equal(r.messageCount, f.messages);
  t.equal(r.messages.filter((m) => m.recvMs === null).length, 1, 'the dropped Accept has no receive');
  t.equal(r.drops.length, 1);
  t.same(r.types, f.types);
  t.equal(r.durationMs, f.durationMs);
  t.equal(r.verdict, 'pass');
  t.ok(
    r.roles.some((s) => s.rank === 1 && s.role === 'leader' && s.round === 2 && s.fromMs === 1200),
    'rank 1 leads round 2 from the kill',
  );
  t.ok(
    r.roles.some((s) => s.rank === 0 && s.role === 'down' && s.fromMs === 1200 && s.toMs === 1600),
    'rank 0 is down while killed',
  );
  t.same(
    r.faults.map((x) => [x.kind, x.rank, x.fromMs, x.toMs]),
    [['kill', 0, 1200, 1600]],
  );
});

t.test('a failing fixture names the offending lines and when they were committed', async (t) => {
  const dir = t.testdir();
  writeFixture(dir, true);
  const r = await buildReport(dir);
  t.equal(r.verdict, 'fail');
  const rule3 = r.rules.find((x) => x.rule === 3);
  t.equal(rule3?.verdict, 'fail');
  const finding = rule3?.findings[0];
  t.match(finding?.where, /instancelog\d\.log:\d+/, 'file:line');
  t.equal(finding?.jumpMs, 805, 'seq 7 was committed 805 ms after round 0');
});

t.test('a log directory without traces still reports commits and the verdict', async (t) => {
  const dir = t.testdir({
    'instancelog0.log': 'generate Instance[a] in seq 0 at 1700000000000000\ncommit Instance[a] in seq 0 at 1700000000500000\n',
    'run.json': JSON.stringify({ ranks: 1, t: 1, startAtMs: 1_700_000_000_000 }),
  });
  const r = await buildReport(dir);
  t.same(r.totalCommits, [1]);
  t.equal(r.commits[0]?.indexOf(1), 50, 'the commit at 500 ms lands in bin 500/10');
  t.equal(r.hasTraces, false);
  t.match(r.notes.join('\n'), /no trace<rank>\.ndjson/);
});

t.test('a trace cut at its size budget is named in the notes (docs/trace.md)', async (t) => {
  const dir = t.testdir();
  writeFixture(dir);
  appendFileSync(join(dir, 'trace1.ndjson'), '{"t":1900.4,"ev":"truncated","dropping":["send","recv","persist"],"bytes":8388608}\n');
  appendFileSync(join(dir, 'trace2.ndjson'), '{"t":1950,"ev":"truncated","dropping":"all","bytes":10485760}\n');
  const r = await buildReport(dir);
  t.ok(r.notes.includes("rank 1's trace has no messages or persists after 1900 ms: its size budget (docs/trace.md)"), r.notes.join('; '));
  t.ok(r.notes.includes("rank 2's trace ends at 1950 ms: its hard size limit (docs/trace.md)"), r.notes.join('; '));
  t.notOk(
    r.notes.some((n) => n.startsWith('rank 0')),
    'a whole trace gets no note',
  );
});

/** HISTORY: three clients on two keys; client 0's get of k2 returns a value no put wrote, client 2's put of k2 ends :info. */
const HISTORY = [
  { process: 0, type: 'invoke', f: 'put', key: 'k1', value: 'a', time: 1 },
  { process: 1, type: 'invoke', f: 'put', key: 'k2', value: 'b', time: 2 },
  { process: 0, type: 'ok', f: 'put', key: 'k1', value: 'a', time: 10 },
  { process: 1, type: 'fail', f: 'put', key: 'k2', value: 'b', time: 11 },
  { process: 2, type: 'invoke', f: 'put', key: 'k2', value: 'c', time: 12 },
  { process: 1, type: 'invoke', f: 'get', key: 'k1', value: null, time: 13 },
  { process: 1, type: 'ok', f: 'get', key: 'k1', value: 'a', time: 15 },
  { process: 2, type: 'info', f: 'put', key: 'k2', value: 'c', time: 30 },
  { process: 0, type: 'invoke', f: 'get', key: 'k2', value: null, time: 40 },
  { process: 0, type: 'ok', f: 'get', key: 'k2', value: 'zzz', time: 45 },
  { process: 10, type: 'invoke', f: 'get', key: 'k1', value: null, time: 50 },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

t.test('kvView: client lanes on the run’s clock, outcomes, and the failing key’s window', async (t) => {
  const h = parseHistoryText(HISTORY, 'kv');
  const r = checkLinearizable(h, 'kv');
  const v = kvView('history.jsonl', h.ops, r, new Map([['k2', 'lin-t0']]), 100);
  t.equal(v.verdict, 'not linearizable');
  t.same(v.processes, ['0', '1', '2', '10'], 'one lane per client, numerically ordered');
  t.same(v.outcomes, { ok: 2 + 1, fail: 1, info: 1, open: 1 });
  t.equal(v.opCount, 6);
  const get = v.ops.find((o) => o.f === 'get' && o.key === 'k2');
  t.same(get, { process: '0', f: 'get', key: 'k2', value: 'zzz', outcome: 'ok', invokeMs: 40, completeMs: 45, failing: true });
  t.same(
    v.ops.filter((o) => o.failing).map((o) => o.invokeMs),
    [40],
    'only the checker’s failing set is marked',
  );
  t.same(
    v.ops.find((o) => o.outcome === 'info'),
    { process: '2', f: 'put', key: 'k2', value: 'c', outcome: 'info', invokeMs: 12, completeMs: 30, failing: false },
    'an :info op ends when its client gave up',
  );
  t.equal(v.ops.find((o) => o.outcome === 'open')?.completeMs, null, 'an op never completed has no end');
  t.same(v.badKeys, [{ key: 'k2', verdict: 'not linearizable', ops: 2, failing: 1, fromMs: 40, toMs: 45, tab: 'lin-t0' }]);
  t.equal(v.keyCount, 2, 'k2 counts 2 ops: its failed put took no effect');

  const capped = kvView('history.jsonl', h.ops, r, new Map(), 100, 2);
  t.equal(capped.ops.length, 3, 'a cap of 2 keeps 2 ops, evenly sampled, and the failing get besides');
  t.ok(
    capped.ops.some((o) => o.failing),
    'the failing op survives the cap',
  );
});

t.test('a real KV run: its history lanes and check --lin’s result, embedded as the checker draws it', async (t) => {
  const dir = t.testdir();
  const f = copyKvRun(dir);
  const r = await buildReport(dir);
  const kv = r.kv;
  if (kv === null) throw new Error('no kv part');
  t.equal(kv.verdict, 'linearizable');
  t.equal(kv.opCount, f.ops, 'every op of history.jsonl');
  t.equal(kv.ops.length, f.ops, 'all on the page');
  t.equal(kv.processes.length, f.processes, 'a lane per client process');
  t.equal(kv.outcomes.info, f.info);
  t.same(kv.badKeys, []);
  t.equal(r.verdict, 'pass');
  t.ok(r.durationMs >= f.lastMs, `the time axis reaches the history’s last op (${r.durationMs} ≥ ${f.lastMs})`);
  t.ok(r.hasTraces && r.messageCount > 0, 'and the messages share it');
  t.ok(
    r.messages.every((m) => m.from < 5 && m.to < 5),
    'the diagram holds messages between ranks only',
  );
  t.match(r.notes.join('\n'), /\d+ sends and receives between ranks and clients are not drawn/);
  const kill = r.faults.find((x) => x.kind === 'kill') ?? { rank: -1, fromMs: NaN };
  t.ok(
    r.roles.some((x) => x.rank === kill.rank && x.role === 'down' && x.fromMs === kill.fromMs),
    `the killed rank ${kill.rank} is down from its kill at ${kill.fromMs} ms, though it could not trace it`,
  );
  const page = renderHtml(r);
  t.match(page, '<div class="lin">', 'the checker’s view is in the page');
  t.equal((page.match(/<section class="lin-t\d+">/g) ?? []).length, 8, 'a tab per key');
  const json = /<script id="report-data" type="application\/json">(.*)<\/script>/.exec(page)?.[1] ?? '';
  t.notMatch(json, 'linView', 'the view is HTML in the page, not data for the script');
});

t.test('a real KV run with one read broken: the failing key, its window, its tab', async (t) => {
  const dir = t.testdir();
  const f = copyKvRun(dir, true);
  const r = await buildReport(dir);
  const broken = f.broken;
  if (r.kv === null || broken === undefined) throw new Error('no kv part');
  t.equal(r.kv.verdict, 'not linearizable');
  t.equal(r.verdict, 'fail', 'the page’s verdict fails with the history');
  t.same(
    r.kv.badKeys.map((k) => [k.key, k.failing, k.fromMs, k.toMs]),
    [[broken.key, 1, broken.invokeMs, broken.completeMs]],
    'the window is the broken get',
  );
  const tab = r.kv.badKeys[0]?.tab ?? '';
  t.match(
    r.linView?.tabs.find((x) => x.id === tab),
    { key: broken.key, bad: true },
    'its tab in the checker’s view',
  );
  t.equal(r.linView?.tabs[0]?.id, tab, 'which comes first');
});

t.test('a history that is not JSONL is refused naming its line (exit 4)', async (t) => {
  const dir = t.testdir();
  copyKvRun(dir);
  appendFileSync(join(dir, 'history.jsonl'), '{"process":0,"type":"ok"\n');
  await t.rejects(buildReport(dir), { status: 4, message: /history\.jsonl: line \d+/ });
});

t.test('withKills: a real rank’s kill comes from the schedule, a traced one is left alone', async (t) => {
  const traced = parseTrace('{"t":0,"ev":"start"}\n{"t":5,"ev":"role","role":"leader","round":1}\n{"t":40,"ev":"start"}\n', 'x');
  const resolved = [
    { action: 'kill', rank: 1, atMs: 20, appliedAtMs: 21 },
    { action: 'kill', rank: 2, atMs: 30, appliedAtMs: 30 },
    { action: 'kill', rank: 1, atMs: 50, ignored: true },
  ];
  t.same(
    withKills(1, traced, resolved).map((e) => [e.t, e.ev]),
    [
      [0, 'start'],
      [5, 'role'],
      [21, 'fault'],
      [40, 'start'],
    ],
    'the applied kill of this rank, in time order; not another rank’s, not an ignored one',
  );
  t.same(
    roleSpans(1, withKills(1, traced, resolved), 50).map((x) => [x.role, x.fromMs, x.toMs]),
    [
      ['up', 0, 5],
      ['leader', 5, 21],
      ['down', 21, 40],
      ['up', 40, 50],
    ],
  );
  const sim = parseTrace('{"t":0,"ev":"start"}\n{"t":22,"ev":"fault","fault":"kill"}\n', 'y');
  t.equal(withKills(1, sim, resolved).length, 2, 'a trace with its own kill gets no second one');
  t.ok(isRankMessage({ t: 1, ev: 'send', from: 0, to: 4 }, 5));
  t.notOk(isRankMessage({ t: 1, ev: 'recv', from: 1048576, to: 0 }, 5), 'a client is not a rank');
  t.notOk(isRankMessage({ t: 1, ev: 'send', from: 0, to: 5 }, 5));
  t.ok(isRankMessage({ t: 1, ev: 'commit', n: 1 }, 5), 'other events pass');
});

t.test('a Vectory run: mastered shards per node over time from its logs and run.json’s kill, in ms after round 0', async (t) => {
  const dir = t.testdir();
  const f = writeVectoryFixture(dir);
  const r = await buildReport(dir);
  const points = r.overTime?.points ?? [];
  t.equal(r.overTime?.title, 'mastered shards per node');
  t.same(
    points.find((p) => p.atMs === 2000),
    { atMs: 2000, perRank: [2, 2, 2, 0, 2], none: 2 },
    'the kill ends node 3’s shards',
  );
  t.same(points.at(-1), { atMs: f.balancedAtMs, perRank: f.last, none: 0 }, 'the restarted node’s win is the last change');
  const traft = t.testdir();
  writeFixture(traft);
  t.equal((await buildReport(traft)).overTime, null, 'a protocol without a series has none');
});

/** vectoryHistory: client 0 puts k1 at vts (3, 0); client 1 reads k1 at (3, 0), seeing `seen`. */
function vectoryHistory(seen: string | null): string {
  const line = (o: object): string => JSON.stringify(o);
  return [
    line({ process: 0, type: 'invoke', f: 'put', key: 'k1', value: 'a', time: 1 }),
    line({ process: 0, type: 'ok', f: 'put', key: 'k1', value: 'a', time: 5, vts: { version: 3, shard: 0 } }),
    line({ process: 1, type: 'invoke', f: 'get', key: 'k1', value: null, time: 6 }),
    line({ process: 1, type: 'ok', f: 'get', key: 'k1', value: seen, time: 8, at: { version: 3, shard: 0 } }),
  ].join('\n');
}

t.test('a Vectory run is graded by its client history (--lin and --sc), not the instance-log rules', async (t) => {
  const dir = t.testdir();
  writeVectoryFixture(dir);
  writeFileSync(join(dir, 'history.jsonl'), `${vectoryHistory('a')}\n`);
  const r = await buildReport(dir);
  t.equal(r.verdict, 'pass', 'its commit lines are no generic instance lines: no rule 2 "committed nothing"');
  t.same(
    r.rules.map((x) => [x.rule, x.verdict]),
    [
      ['check --lin', 'pass'],
      ['check --sc', 'pass'],
    ],
  );
  t.ok(
    r.notes.includes(
      'vectory: graded by its client history (check --lin and check --sc); the instance-log rules do not read its log lines',
    ),
    r.notes.join('; '),
  );

  const stale = t.testdir();
  writeVectoryFixture(stale);
  writeFileSync(join(stale, 'history.jsonl'), `${vectoryHistory(null)}\n`);
  const bad = await buildReport(stale);
  t.equal(bad.verdict, 'fail', 'a read at (3, 0) that misses the write there');
  const scRow = bad.rules.find((x) => x.rule === 'check --sc');
  t.equal(scRow?.verdict, 'fail');
  t.match(scRow?.findings[0]?.text, /k1/, 'the violation is named');

  const none = t.testdir();
  writeVectoryFixture(none);
  const bare = await buildReport(none);
  t.same(bare.rules, [], 'no history: no check ran');
  t.match(bare.notes.join('\n'), /left none \(no history\.jsonl\): no check ran/);
});
