// sim.test: the simulator's fault model, on the toy log (toy.ts), read back from the traces
// (docs/trace.md): partitions and one-way cuts drop at send, damaged frames are refused by
// validate and counted, a paused rank steps on nothing until it resumes, a crash keeps only a
// prefix of the unsynced WAL batches, and a skewed rank's clock reads off by its skew.
import t from 'tap';
import { simProgram } from './bind.js';
import { Disk } from './disk.js';
import { Links } from './links.js';
import { SeededRandom } from '../random.js';
import { toy } from './toy.js';
import { DEFAULT_DISK, type SimFault, type SimLink, type SimOptions } from './types.js';
import type { LogReading } from '../protocol.js';

const LINK: SimLink = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0, damageRate: 0 };
const program = simProgram(toy, { sendEarly: false });

function run(faults: SimFault[], link: Partial<SimLink> = {}, seed = 's'): ReturnType<typeof program.run> {
  const o: SimOptions = { seed, ranks: 3, clusterId: 'toy', loadMs: 1000, faults, link: { ...LINK, ...link }, trace: true };
  return program.run(o);
}

type Line = { t: number; ev: string; from?: number; to?: number; reason?: string; fault?: string };
const parse = (lines: readonly string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

t.test('a partition drops what crosses it while it holds, and only then', (t) => {
  const out = run([
    {
      action: 'partition',
      groups: [
        [{ type: 'rank', rank: 0 }],
        [
          { type: 'rank', rank: 1 },
          { type: 'rank', rank: 2 },
        ],
      ],
      atMs: 200,
      durationMs: 300,
    },
  ]);
  const leader = parse(defined(out.ranks[0]).trace);
  const dropped = leader.filter((l) => l.ev === 'drop' && l.reason === 'partition');
  t.ok(dropped.length > 0, 'the leader’s sends to the other side are dropped');
  t.ok(
    dropped.every((l) => l.t >= 200 && l.t < 500),
    'only while the partition holds',
  );
  const recv = parse(defined(out.ranks[1]).trace).filter((l) => l.ev === 'recv');
  t.notOk(
    recv.some((l) => l.t > 202 && l.t < 500),
    'rank 1 receives nothing from the leader meanwhile (what was on the wire arrives by 202)',
  );
  t.same(out.resolved[0]?.groups, [[0], [1, 2]], 'the resolved groups are recorded');
  t.end();
});

t.test('a one-way cut drops one direction only', (t) => {
  const out = run([{ action: 'cut', from: [{ type: 'rank', rank: 0 }], to: [{ type: 'rank', rank: 2 }], atMs: 100, durationMs: 400 }]);
  const leader = parse(defined(out.ranks[0]).trace);
  t.ok(
    leader.some((l) => l.ev === 'drop' && l.to === 2),
    '0→2 is cut',
  );
  t.notOk(
    leader.some((l) => l.ev === 'drop' && l.to === 1),
    '0→1 is not',
  );
  t.end();
});

t.test('damaged frames fail validate and are counted as drops', (t) => {
  const out = run([], { damageRate: 0.2 });
  const damaged = out.ranks.flatMap((r) => parse(r.trace)).filter((l) => l.ev === 'drop' && l.reason === 'damaged');
  t.ok(damaged.length > 10, `frames arrived damaged (${damaged.length})`);
  t.ok(out.drops >= damaged.length, 'and were counted');
  t.same(out.problems, [], 'validate refused every one');
  t.end();
});

t.test('a paused rank steps on nothing until it resumes, then gets what waited', (t) => {
  const out = run([{ action: 'pause', target: { type: 'rank', rank: 1 }, atMs: 300, durationMs: 200 }]);
  const lines = parse(defined(out.ranks[1]).trace);
  t.notOk(
    lines.some((l) => l.ev === 'recv' && l.t > 300 && l.t < 500),
    'no receive while paused',
  );
  t.ok(
    lines.some((l) => l.ev === 'recv' && l.t === 500),
    'the messages that waited arrive at the resume',
  );
  t.end();
});

t.test('a long pause holds, per link, what a real peer holds: after 1 s, the newest 32 and the oldest 32 marked', (t) => {
  // The leader sends rank 1 an entry every 10 ms; links take exactly 1 ms. Paused 300..3300 ms,
  // rank 1 counts as stalled from 1300 ms (runtime/net/peer.ts STALLED_AFTER_MS).
  const o: SimOptions = {
    seed: 'stall',
    ranks: 3,
    clusterId: 'toy',
    loadMs: 4000,
    faults: [{ action: 'pause', target: { type: 'rank', rank: 1 }, atMs: 300, durationMs: 3000 }],
    link: LINK,
    trace: true,
  };
  const count = (out: ReturnType<typeof program.run>, test: (l: Line) => boolean): number =>
    parse(defined(out.ranks[1]).trace).filter(test).length;
  const arrivals = (out: ReturnType<typeof program.run>, lo: number, hi: number): number =>
    parse(defined(out.ranks[0]).trace).filter((l) => l.ev === 'send' && l.to === 1 && l.t + 1 >= lo && l.t + 1 < hi).length;
  const plain = program.run(o);
  const early = arrivals(plain, 300, 1300);
  const late = arrivals(plain, 1300, 3300);
  t.ok(late > 100, `the leader sent on while rank 1 was stalled (${late})`);
  t.equal(
    count(plain, (l) => l.ev === 'recv' && l.t === 3300),
    early + 32,
    'at the resume: all of the first second, and the newest 32',
  );
  t.equal(
    count(plain, (l) => l.ev === 'drop' && l.reason === 'stale'),
    late - 32,
    'the rest was dropped as stale, in the trace',
  );
  t.ok(
    plain.ranks.every((r) => r.end === 'stopped'),
    'the toy caught up by resends and stopped',
  );
  // A protocol that marks every entry with an even seq to keep: the oldest 32 of those are held too.
  const marking = simProgram({ ...toy, keepWhenStalled: (m) => m.type === 'entry' && m.seq % 2 === 0 }, { sendEarly: false });
  const marked = marking.run(o);
  t.equal(
    count(marked, (l) => l.ev === 'recv' && l.t === 3300),
    early + 64,
    'marked: the oldest 32 marked besides the newest 32',
  );
  t.equal(
    count(marked, (l) => l.ev === 'drop' && l.reason === 'stale'),
    late - 64,
    'and the rest dropped',
  );
  t.same(
    program.run(o).ranks.map((r) => r.trace),
    plain.ranks.map((r) => r.trace),
    'the same run twice gives the same traces',
  );
  t.end();
});

t.test('a crash keeps a prefix of the unsynced batches; a checkpoint replaces what came before', (t) => {
  const disk = (keep: number): Disk<{ batchId: number; cp?: true }> =>
    new Disk({ minFsyncMs: 1, maxFsyncMs: 1, keepUnsyncedRate: keep, tornLineRate: 0 }, new SeededRandom('d'), (b) => b.cp === true);
  const lose = disk(0);
  lose.write([{ batchId: 1 }], 0);
  lose.synced(1);
  lose.write([{ batchId: 2 }, { batchId: 3 }], 5);
  t.equal(lose.crash(), 2, 'both unsynced batches are lost');
  t.same(
    lose.durable.map((b) => b.batchId),
    [1],
    'the synced one survives',
  );
  const keep = disk(1);
  keep.write([{ batchId: 1 }, { batchId: 2, cp: true }, { batchId: 3 }], 0);
  t.equal(keep.crash(), 0, 'with keepUnsyncedRate 1 nothing is lost');
  t.same(
    keep.durable.map((b) => b.batchId),
    [2, 3],
    'the checkpoint replaced batch 1',
  );
  t.end();
});

t.test('a killed leader restarts from its simulated disk and the ranks still agree', (t) => {
  const out = run([
    { action: 'kill', target: { type: 'leader' }, atMs: 400 },
    { action: 'restart', target: { type: 'killed' }, atMs: 600 },
  ]);
  t.same(
    out.resolved.map((f) => [f.action, f.rank]),
    [
      ['kill', 0],
      ['restart', 0],
    ],
    'leader and killed resolved to rank 0',
  );
  t.equal(defined(out.ranks[0]).incarnations, 2, 'rank 0 ran twice');
  const commits = (r: number): string[] =>
    defined(out.ranks[r])
      .lines.filter((l) => l.startsWith('commit'))
      .map((l) => l.replace(/ at \d+$/, ''));
  t.same(commits(1), commits(2), 'the followers logged the same commits');
  t.ok(commits(1).length > 50, 'and kept committing after the restart');
  t.end();
});

t.test('a skewed rank’s clock reads off by its skew', (t) => {
  const at = (lines: readonly string[]): number => Number(/ at (\d+)$/.exec(defined(lines[0]))?.[1]);
  const plain = run([]);
  const skewed = run([], { skew: { rank: 0, offsetMs: 250 } });
  t.equal(at(defined(skewed.ranks[0]).lines) - at(defined(plain.ranks[0]).lines), 250_000, 'its first line is 250 ms (in µs) later');
  t.end();
});

t.test('checkEveryStep: the planted bug stops the run at the step that breaks T1, naming rank, step and rule', (t) => {
  // Every write stays unsynced for 5 ms and a crash keeps none: a leader that sends early and is
  // killed at 205 ms has shipped seq 20 and lost it, so its restart commits another KEY there.
  const disk = { minFsyncMs: 5, maxFsyncMs: 5, keepUnsyncedRate: 0, tornLineRate: 0 };
  const faults: SimFault[] = [
    { action: 'kill', target: { type: 'rank', rank: 0 }, atMs: 205 },
    { action: 'restart', target: { type: 'rank', rank: 0 }, atMs: 300 },
  ];
  const o: SimOptions = { seed: 'inv', ranks: 3, clusterId: 'toy', loadMs: 1000, faults, link: LINK, disk, trace: true };
  const buggy = simProgram(toy, { sendEarly: true });
  const unchecked = buggy.run(o);
  t.equal(unchecked.violation, undefined, 'off by default: nothing is checked');
  const checked = buggy.run({ ...o, checkEveryStep: true });
  const v = checked.violation;
  t.ok(v !== undefined, 'the violation is reported');
  if (v === undefined) return t.end();
  t.equal(v.rank, 0, 'on the restarted leader');
  t.match(v.rule, /^T1: seq \d+ committed as \w+, earlier as \w+ on rank [12]$/, 'by the rule it broke');
  t.ok(v.atMs >= 300 && v.atMs < 320, `right after the restart (t=${v.atMs})`);
  t.equal(checked.events, v.step, 'the run stopped at that step');
  t.ok(checked.events < unchecked.events, `before the end (${checked.events} of ${unchecked.events} steps)`);
  t.ok(
    checked.problems.some((p) => p.startsWith(`step ${v.step} `) && p.includes('rank 0: invariant broken: T1')),
    'and it is one of the problems',
  );
  const correct = simProgram(toy, { sendEarly: false });
  const plain = correct.run(o);
  const watched = correct.run({ ...o, checkEveryStep: true });
  t.equal(watched.violation, undefined, 'without the bug every step keeps T1 and T2');
  t.same(
    watched.ranks.map((r) => r.trace),
    plain.ranks.map((r) => r.trace),
    'checking changes nothing in the run (traces identical)',
  );
  t.end();
});

t.test('a restart reads its instance log on from the last restart’s reading, unless a crash cut a line it read', (t) => {
  const calls: { lines: number; after: LogReading<number> | undefined; logged: number; whole: number }[] = [];
  const watched = {
    ...toy,
    recoverLog: (lines: readonly string[], after?: LogReading<number>): number => {
      const logged = toy.recoverLog(lines, after);
      calls.push({ lines: lines.length, after, logged, whole: toy.recoverLog(lines) });
      return logged;
    },
  };
  const rank1 = { type: 'rank', rank: 1 } as const;
  const faults: SimFault[] = [
    { action: 'kill', target: rank1, atMs: 200 },
    { action: 'restart', target: rank1, atMs: 250 },
    { action: 'kill', target: rank1, atMs: 400 },
    { action: 'restart', target: rank1, atMs: 450 },
    // killed again at once: nothing written since, so the line a crash tears is one the last restart read
    { action: 'kill', target: rank1, atMs: 450 },
    { action: 'restart', target: rank1, atMs: 500 },
  ];
  const o: SimOptions = {
    seed: 'readings',
    ranks: 3,
    clusterId: 'toy',
    loadMs: 1000,
    faults,
    link: LINK,
    trace: false,
    disk: { ...DEFAULT_DISK, tornLineRate: 1 },
  };
  simProgram(watched, { sendEarly: false }).run(o);
  const [first, second, third] = calls;
  t.equal(calls.length, 3, 'three restarts');
  t.equal(first?.after, undefined, 'the first restart reads the whole log');
  t.same(second?.after, { logged: first?.logged, lines: first?.lines }, 'the second is handed the first’s reading');
  t.ok((second?.lines ?? 0) > (first?.lines ?? 0), 'of a log that grew since');
  t.equal(third?.lines, (second?.lines ?? 0) - 1, 'the third finds the last line it read cut');
  t.equal(third?.after, undefined, 'so it reads the whole log again');
  t.same(
    calls.map((c) => c.logged),
    calls.map((c) => c.whole),
    'every reading is the whole log’s',
  );
  t.end();
});

function defined<T>(x: T | undefined): T {
  if (x === undefined) throw new Error('expected a value');
  return x;
}

t.test('scripted disk and network changes: a kill after setDisk keeps no unsynced batch; heal ends a partition at once', (t) => {
  const disk = new Disk<{ batchId: number }>(
    { minFsyncMs: 5, maxFsyncMs: 5, keepUnsyncedRate: 1, tornLineRate: 0 },
    new SeededRandom('d'),
    undefined,
  );
  disk.write([{ batchId: 1 }, { batchId: 2 }], 0);
  disk.retune({ keepUnsyncedRate: 0 });
  t.equal(disk.crash(), 2, 'both unsynced batches lost, though the disk was made to keep them all');
  t.same(disk.durable, [], 'nothing durable');
  const links = new Links(3, LINK, new SeededRandom('l'));
  links.partition([[0], [1, 2]], Infinity);
  t.equal(links.copies(0, 1, 10), 'partition', 'cut off while the partition holds');
  links.heal();
  t.same(links.copies(0, 1, 11), [{ atMs: 12, damaged: false }], 'healed: the next message crosses');
  t.end();
});

t.test('onProgress is told where a long run is, and the run is the same run', (t) => {
  const o: SimOptions = { seed: 'p', ranks: 3, clusterId: 'toy', loadMs: 300_000, faults: [], link: LINK, trace: true };
  const seen: { simMs: number; events: number }[] = [];
  const told = program.run({ ...o, onProgress: (simMs, events) => seen.push({ simMs, events }) });
  const plain = program.run(o);
  t.ok(seen.length >= 2, `${seen.length} progress calls over ${told.events} events`);
  t.ok(
    seen.every((p, i) => i === 0 || (p.simMs >= (seen[i - 1]?.simMs ?? 0) && p.events > (seen[i - 1]?.events ?? 0))),
    'simulated time and events only go forward',
  );
  t.ok((seen.at(-1)?.events ?? Infinity) <= told.events);
  t.same(
    told.ranks.map((r) => r.trace),
    plain.ranks.map((r) => r.trace),
    'the same traces with and without it',
  );
  t.end();
});
