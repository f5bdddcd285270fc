// vector: the global applier must give every node one apply sequence sorted by vts (S7),
// whatever order and batching the shards' commits arrive in, skip a session's stale retries
// the same way everywhere (S10), and make local reads wait for the client's own write (V8).
import t from 'tap';
import { InvariantError } from '../../runtime/assert.js';
import { SeededRandom } from '../../runtime/random.js';
import { compareVts, ZERO_BALLOT, type Cmd, type Entry, type EntryKind, type Vts } from './types.js';
import {
  appliedIndex,
  applyReady,
  committedIndex,
  frontierOf,
  globalApplied,
  newVector,
  noteCommitted,
  observeVersion,
  readLocal,
  stampVersion,
  tickDue,
  type AppliedEntry,
  type VectorState,
} from './vector.js';

function entry(
  index: number,
  version: number,
  kind: EntryKind = 'noop',
  extra: { cmd?: Cmd; clientId?: string; reqNo?: number } = {},
): Entry {
  return { index, ballot: ZERO_BALLOT, kind, version, ...extra };
}

function put(key: string, value: string): Cmd {
  return { op: 'put', key, value };
}

const vtsKey = (a: AppliedEntry): string => `${a.vts.version}.${a.vts.shard}:${a.outcome}`;

t.test('start-up: nothing applies until every shard has committed an entry (V6)', async (t) => {
  const v = newVector(3);
  noteCommitted(v, 0, [entry(1, 1), entry(2, 6)]);
  noteCommitted(v, 1, [entry(1, 2), entry(2, 5, 'write', { cmd: put('a', 'x') })]);
  t.same(applyReady(v), [], 'shard 2 has no committed entry: its first may still carry version 1');
  t.same(globalApplied(v), { version: 0, shard: 0 });
  noteCommitted(v, 2, [entry(1, 3)]);
  t.same(
    applyReady(v).map((a) => [a.vts.version, a.vts.shard, a.outcome]),
    [
      [1, 0, 'noop'],
      [2, 1, 'noop'],
      [3, 2, 'noop'],
    ],
    'applies up to the smallest frontier, and no further',
  );
  t.equal(appliedIndex(v, 1), 1, "shard 1's write (version 5) waits for shard 2 to reach 5");
  t.equal(committedIndex(v, 1), 2);
  t.equal(frontierOf(v, 2), 3);
  t.equal(v.vclock, 6, 'committed versions raise vclock (V2)');
});

t.test('equal versions order by shard; an entry at the frontier applies (V1, V6)', async (t) => {
  const v = newVector(2);
  noteCommitted(v, 1, [entry(1, 4)]);
  noteCommitted(v, 0, [entry(1, 4)]);
  t.same(
    applyReady(v).map((a) => a.vts),
    [
      { version: 4, shard: 0 },
      { version: 4, shard: 1 },
    ],
  );
});

t.test('T12: an idle shard holds global apply back until its master ticks (V5)', async (t) => {
  const v = newVector(2);
  noteCommitted(v, 0, [entry(1, 1)]);
  noteCommitted(v, 1, [entry(1, 1)]);
  applyReady(v);
  noteCommitted(v, 0, [entry(2, 3, 'write', { cmd: put('k', '1') }), entry(3, 9, 'write', { cmd: put('k', '2') })]);
  t.same(applyReady(v), [], 'shard 1 idle at version 1: nothing above it applies');
  t.ok(tickDue(v, 1, 1, false), 'vclock 9 > shard 1 last version 1, no entry this period: tick');
  t.notOk(tickDue(v, 1, 1, true), 'the shard had an entry this period: no tick');
  t.notOk(tickDue(v, 1, 9, false), 'nothing seen past the shard: no tick');
  const tick = stampVersion(v, 1, 1);
  t.equal(tick, 10, 'the tick is stamped past everything seen');
  noteCommitted(v, 1, [entry(2, tick, 'tick')]);
  t.same(
    applyReady(v).map((a) => vtsKey(a)),
    ['3.0:applied', '9.0:applied'],
    'the tick lets shard 0 through; the tick itself waits for shard 0 to pass 10',
  );
  t.same(readLocal(v, 'k', undefined), { value: '2', at: { version: 9, shard: 0 } });
});

t.test('a tick makes no other shard due: quiet shards stop ticking (V5)', async (t) => {
  const v = newVector(3);
  noteCommitted(v, 0, [entry(1, 5, 'write', { cmd: put('k', '1') })]);
  t.ok(tickDue(v, 1, 1, false), 'a write at 5 past shard 1: tick');
  const tick1 = stampVersion(v, 1, 1, undefined, 'tick');
  noteCommitted(v, 1, [entry(1, tick1, 'tick')]);
  t.equal(v.vclock, 6, 'the tick raised vclock (V2)');
  t.notOk(tickDue(v, 0, 5, false), "shard 0's write is the last write: shard 1's tick asks nothing of it");
  t.ok(tickDue(v, 2, 0, false), 'shard 2 is still behind the write');
  const tick2 = stampVersion(v, 2, 0, undefined, 'tick');
  noteCommitted(v, 2, [entry(1, tick2, 'tick')]);
  t.notOk(tickDue(v, 1, tick1, false), 'nor does a tick past a tick');
  t.same(
    applyReady(v).map((a) => vtsKey(a)),
    ['5.0:applied'],
    'the write applies; the ticks past it wait, and nothing waits on them',
  );
});

t.test('T11: a write after a write on a far-ahead shard is stamped above it (V3, V7)', async (t) => {
  const masterA = newVector(2);
  const masterB = newVector(2);
  observeVersion(masterA, 40);
  const a = stampVersion(masterA, 0, 12);
  t.equal(a, 41);
  const after: Vts = { version: a, shard: 0 };
  const b = stampVersion(masterB, 1, 3, after);
  t.ok(compareVts({ version: b, shard: 1 }, after) > 0, `B's vts (${b}, 1) sorts after A's (${a}, 0)`);
  t.equal(masterB.vclock, b, 'stamping raises vclock');
  t.equal(stampVersion(masterB, 1, 100), 101, 'above the shard log (S6)');
});

t.test('T19/T13: a local read waits until the applied prefix covers the whole after vts (V8, D17)', async (t) => {
  const lagging = newVector(6);
  for (let s = 0; s < 6; s++) noteCommitted(lagging, s, [entry(1, s === 5 ? 1 : 10)]);
  applyReady(lagging);
  t.same(globalApplied(lagging), { version: 1, shard: 5 }, 'shard 5 holds back the home node');
  t.equal(readLocal(lagging, 'mine', { version: 10, shard: 5 }), 'wait', 'the own write (10, 5) is not applied yet');
  noteCommitted(lagging, 5, [entry(2, 10, 'write', { cmd: put('mine', 'v1'), clientId: 'c', reqNo: 1 })]);
  applyReady(lagging);
  t.same(readLocal(lagging, 'mine', { version: 10, shard: 5 }), { value: 'v1', at: { version: 10, shard: 5 } });
  t.same(readLocal(lagging, 'other', undefined), { value: null, at: { version: 10, shard: 5 } });
  // The applied prefix sits at (10, 2) only between a commit and its apply; the comparison is
  // on the whole vts all the same.
  lagging.globalApplied = { version: 10, shard: 2 };
  t.equal(
    readLocal(lagging, 'mine', { version: 10, shard: 5 }),
    'wait',
    'at (10, 2), version 10 ≥ 10 is not enough: the own write is (10, 5)',
  );
  t.not(readLocal(lagging, 'mine', { version: 10, shard: 1 }), 'wait');
});

t.test('T20: a late retry stamped after the client gave up on it is skipped (V6, S10)', async (t) => {
  const v = newVector(2);
  noteCommitted(v, 0, [entry(1, 1)]);
  noteCommitted(v, 1, [entry(1, 1)]);
  // reqNo 1 to shard 0 went unknown; reqNo 2 to shard 1 committed at 5; the retry of 1 lands at 7.
  noteCommitted(v, 1, [entry(2, 5, 'write', { cmd: put('b', '2'), clientId: 'c', reqNo: 2 })]);
  noteCommitted(v, 0, [entry(2, 7, 'write', { cmd: put('a', '1'), clientId: 'c', reqNo: 1 })]);
  noteCommitted(v, 1, [entry(3, 8)]);
  const out = applyReady(v);
  t.same(
    out.filter((a) => a.clientId === 'c').map((a) => [a.reqNo, a.outcome]),
    [
      [2, 'applied'],
      [1, 'skipped'],
    ],
  );
  t.same(readLocal(v, 'a', undefined), { value: null, at: { version: 7, shard: 0 } }, 'the skipped write changed nothing');
});

t.test('write results: created, updated, deleted, notFound', async (t) => {
  const v = newVector(1);
  const cmds: Cmd[] = [put('k', '1'), put('k', '2'), { op: 'delete', key: 'k' }, { op: 'delete', key: 'k' }];
  noteCommitted(
    v,
    0,
    cmds.map((cmd, i) => entry(i + 1, i + 1, 'write', { cmd })),
  );
  t.same(
    applyReady(v).map((a) => a.result),
    ['created', 'updated', 'deleted', 'notFound'],
  );
});

t.test('bad input is a bug: gaps, repeats, falling versions, unknown shards', async (t) => {
  const v = newVector(2);
  noteCommitted(v, 0, [entry(1, 3)]);
  t.throws(() => noteCommitted(v, 0, [entry(3, 4)]), InvariantError, 'a gap in the committed prefix');
  t.throws(() => noteCommitted(v, 0, [entry(1, 3)]), InvariantError, 'an entry handed in twice');
  t.throws(() => noteCommitted(v, 0, [entry(2, 3)]), InvariantError, 'a version not above the last (S6)');
  t.throws(() => stampVersion(v, 2, 0), InvariantError, 'shard out of range');
  t.throws(() => newVector(0), InvariantError);
  noteCommitted(v, 1, [entry(1, 2, 'write')]);
  t.throws(() => applyReady(v), InvariantError, 'a write without a command');
});

type Shard = { log: Entry[]; lastVersion: number };

/**
 * model: S shards written by a few masters with their own vclocks, which hear of each other's
 * versions only now and then; clients carry `after`, sometimes give up and retry later.
 */
function model(r: SeededRandom, shards: number, steps: number): Shard[] {
  const masters = [newVector(shards), newVector(shards), newVector(shards)];
  const logs: Shard[] = Array.from({ length: shards }, () => ({ log: [], lastVersion: 0 }));
  const sessions = Array.from({ length: 4 }, (_, i) => ({
    id: `c${i}`,
    reqNo: 0,
    after: undefined as Vts | undefined,
    stale: [] as number[],
  }));
  const append = (s: number, kind: EntryKind, extra: Parameters<typeof entry>[3] = {}, after?: Vts): Vts => {
    const m = masters[s % masters.length] ?? masters[0]!;
    const sh = logs[s]!;
    const version = stampVersion(m, s, sh.lastVersion, after);
    sh.lastVersion = version;
    sh.log.push(entry(sh.log.length + 1, version, kind, extra));
    return { version, shard: s };
  };
  for (let s = 0; s < shards; s++) append(s, 'noop');
  for (let i = 0; i < steps; i++) {
    const s = r.int(shards);
    const c = sessions[r.int(sessions.length)]!;
    const roll = r.int(10);
    if (roll === 0) append(s, 'tick');
    else if (roll === 1) observeVersion(masters[r.int(masters.length)]!, masters[r.int(masters.length)]!.vclock);
    else if (roll === 2 && c.stale.length > 0)
      append(s, 'write', { cmd: put(`k${r.int(3)}`, `late${i}`), clientId: c.id, reqNo: c.stale.pop()! }, c.after);
    else {
      c.reqNo++;
      if (r.int(6) === 0)
        c.stale.push(c.reqNo); // given up on: committed later, if ever
      else c.after = append(s, 'write', { cmd: put(`k${r.int(3)}`, `v${i}`), clientId: c.id, reqNo: c.reqNo }, c.after);
    }
  }
  return logs;
}

function deliverAll(r: SeededRandom, v: VectorState, logs: readonly Shard[]): AppliedEntry[] {
  const seq: AppliedEntry[] = [];
  for (;;) {
    const open = logs.map((_, s) => s).filter((s) => committedIndex(v, s) < logs[s]!.log.length);
    if (open.length === 0) break;
    const s = open[r.int(open.length)]!;
    const from = committedIndex(v, s);
    noteCommitted(v, s, logs[s]!.log.slice(from, from + 1 + r.int(4)));
    if (r.int(3) === 0) seq.push(...applyReady(v));
  }
  seq.push(...applyReady(v));
  return seq;
}

t.test('property: every node applies one sequence sorted by vts, with the same skips (S7, S10)', async (t) => {
  const seed = 'vector-property';
  const r = new SeededRandom(seed);
  const replay = `replay: npx tap processors/vectory/vector.test.ts (seed '${seed}')`;
  let bad = 0;
  let applied = 0;
  let skipped = 0;
  for (let run = 0; run < 150; run++) {
    const shards = 1 + r.int(6);
    const logs = model(r, shards, 20 + r.int(120));
    const bound = Math.min(...logs.map((l) => l.lastVersion));
    const expected = logs
      .flatMap((l, s) => l.log.map((e) => ({ version: e.version, shard: s })))
      .filter((x) => x.version <= bound)
      .sort(compareVts)
      .map((x) => `${x.version}.${x.shard}`);
    const seqs = [0, 1, 2].map(() => deliverAll(r, newVector(shards), logs));
    const first = seqs[0]!.map(vtsKey);
    for (const seq of seqs) {
      if (JSON.stringify(seq.map((a) => `${a.vts.version}.${a.vts.shard}`)) !== JSON.stringify(expected)) bad++;
      if (JSON.stringify(seq.map(vtsKey)) !== JSON.stringify(first)) bad++;
      const last = new Map<string, number>();
      for (const a of seq) {
        if (a.outcome !== 'applied' || a.clientId === undefined) continue;
        if ((last.get(a.clientId) ?? 0) >= (a.reqNo ?? 0)) bad++;
        last.set(a.clientId, a.reqNo ?? 0);
      }
    }
    applied += seqs[0]!.filter((a) => a.outcome === 'applied').length;
    skipped += seqs[0]!.filter((a) => a.outcome === 'skipped').length;
  }
  t.equal(bad, 0, replay);
  t.ok(applied > 2000 && skipped > 20, `the runs applied ${applied} writes and skipped ${skipped} late retries`);
});

t.test('a long-running shard: the applied prefix is dropped from memory, order kept', async (t) => {
  const v = newVector(1);
  const seen: number[] = [];
  for (let i = 1; i <= 1000; i++) {
    noteCommitted(v, 0, [entry(i, i)]);
    if (i % 7 === 0) seen.push(...applyReady(v).map((a) => a.index));
  }
  seen.push(...applyReady(v).map((a) => a.index));
  t.same(
    seen,
    Array.from({ length: 1000 }, (_, i) => i + 1),
  );
  t.ok(v.queues[0]!.pending.length < 300, `pending holds ${v.queues[0]!.pending.length} entries, not 1000`);
});
