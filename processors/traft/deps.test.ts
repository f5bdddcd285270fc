// deps.test: depsFor, built in one draft, gives every proposal of a lab load the same deps and
// overrides as R4/R5 computed the plain way (a union per key, an added seq per commuting record,
// a sorted override list), while the frontier advances under it.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { depsFor, indexRecord, type KeyIndex } from './deps.js';
import { LabLoad } from './lab_load.js';
import { labMachine } from './lab_machine.js';
import {
  firstUnresolved,
  forEachOverride,
  overridesOnlyItself,
  overridesSeq,
  rangeOf,
  withListedOverrides,
  withRangedOverrides,
  type Seq,
} from './record.js';
import { packedRecord, unpackRecord } from './bitmap_codec.js';
import type { SmCommand } from './state_machine.js';
import { plainRecord } from './testkit.js';
import { addSeq, bitmapEq, bitmapOf, createBitmap, union, type TailBitmap } from './tail_bitmap.js';

/** plainDeps is R4/R5 as a union per key and an addSeq per commuting record. */
function plainDeps(ix: KeyIndex, cmd: SmCommand, seq: Seq, f: Seq): { deps: TailBitmap; overrides: Seq[] } {
  let deps = createBitmap(f);
  const over: Seq[] = [];
  const acc = ix.kind.access(cmd);
  for (const a of acc) {
    const k = ix.keys.get(a.key);
    if (k === undefined) continue;
    const overwrite = a.mode === 'overwrite' && acc.length === 1;
    if (k.last !== null) {
      deps = union(deps, addSeq(k.last.rec.deps, k.last.rec.seq));
      if (overwrite && k.last.subsumable) for (const q of k.last.rec.overrides) if (q >= f) over.push(q);
    }
    if (a.mode === 'commute') continue;
    for (const c of k.commuting) {
      if (c.rec.seq < f) continue; // what depsFor's dropBelow forgets
      deps = addSeq(deps, c.rec.seq);
      if (overwrite && c.subsumable) over.push(c.rec.seq);
    }
  }
  over.push(seq);
  return { deps, overrides: over.sort((a, b) => a - b) };
}

t.test('depsFor equals the plain R4/R5 on a lab load with an advancing frontier', async (t) => {
  for (const seed of ['deps-1', 'deps-2']) {
    const load = new LabLoad(new SeededRandom(seed), { keys: 4, setShare: 0.5 });
    const ix: KeyIndex = { kind: labMachine, keys: new Map() };
    const window = 300;
    let mismatches = 0;
    let longest = 0;
    let ranged = 0;
    for (let seq = 0; seq < 2000; seq++) {
      const { cmd, logKey } = load.next();
      const f = Math.max(0, seq - window + (seq % 37)); // the frontier moves unevenly, as commits do
      const plain = plainDeps(ix, cmd, seq, f);
      const got = depsFor(ix, cmd, seq, f);
      const fields = { seq, author: { term: 1, id: 0 }, kind: 'cmd' as const, cmd, deps: got.deps, logKey };
      const rec = got.ovFrom === undefined ? withListedOverrides(fields, got.overrides) : withRangedOverrides(fields, got.ovFrom);
      if (got.ovFrom !== undefined) ranged++;
      if (!bitmapEq(got.deps, plain.deps) || rec.overrides.join() !== plain.overrides.join()) mismatches++;
      longest = Math.max(longest, rec.overrides.length);
      indexRecord(ix, rec);
    }
    t.equal(mismatches, 0, `seed ${seed}: every proposal's deps and overrides match`);
    t.ok(longest > 20, `seed ${seed}: sets overrode long runs of their key (${longest})`);
    t.ok(ranged > 500, `seed ${seed}: sets kept their overrides as a range of their deps (${ranged} of 2000)`);
  }
});

t.test(
  'a record as proposed (ranged, or overriding only itself) answers the commit rule, the apply order and the encoder as its listed copy does',
  async (t) => {
    const load = new LabLoad(new SeededRandom('ranged-1'), { keys: 3, setShare: 0.6 });
    const ix: KeyIndex = { kind: labMachine, keys: new Map() };
    const compared = { ranged: 0, itself: 0 };
    let differ = 0;
    for (let seq = 0; seq < 1500; seq++) {
      const { cmd, logKey } = load.next();
      const f = Math.max(0, seq - 200 + (seq % 29));
      const got = depsFor(ix, cmd, seq, f);
      const fields = { seq, author: { term: 1, id: 0 }, kind: 'cmd' as const, cmd, deps: got.deps, logKey };
      const rec = got.ovFrom === undefined ? withListedOverrides(fields, got.overrides) : withRangedOverrides(fields, got.ovFrom);
      indexRecord(ix, rec);
      const listed = plainRecord(rec); // the same record, listing its overrides
      if (rangeOf(listed) !== -1) differ++;
      compared[rangeOf(rec) >= 0 ? 'ranged' : 'itself']++;
      // a done set that leaves some deps out: every third position from a point in the window
      const done = bitmapOf(Array.from({ length: seq }, (_, i) => i).filter((i) => i < f || i % 3 !== 0));
      if (firstUnresolved(rec, done, f) !== firstUnresolved(listed, done, f)) differ++;
      for (let q = Math.max(0, seq - 300); q <= seq; q++) if (overridesSeq(rec, q) !== overridesSeq(listed, q)) differ++;
      if (overridesOnlyItself(rec) !== (listed.overrides.length === 1)) differ++;
      const walked: Seq[] = [];
      forEachOverride(rec, (q) => walked.push(q));
      if (walked.join() !== listed.overrides.join()) differ++;
      const sent = unpackRecord(packedRecord(rec)) as { ovFrom?: number; overrides?: unknown };
      const sameBytes = Buffer.from(packedRecord(rec)).equals(Buffer.from(packedRecord(listed)));
      if (got.ovFrom !== undefined ? sent.ovFrom !== got.ovFrom || sent.overrides !== undefined : !sameBytes) differ++;
    }
    t.ok(compared.ranged > 300 && compared.itself > 300, `compared ${JSON.stringify(compared)}`);
    t.equal(differ, 0, 'same answers; a ranged one travels as ovFrom, the others in the bytes of their listed copy');
  },
);

t.test('a record built with a list of overrides keeps and answers it as listed', async (t) => {
  const deps = bitmapOf([3, 5, 8, 9]);
  const rec = withListedOverrides(
    { seq: 10, author: { term: 1, id: 0 }, kind: 'cmd', cmd: { op: 'set', key: 'k', value: 1 }, deps, logKey: 'x' },
    [5, 9, 10],
  );
  t.same(rec.overrides, [5, 9, 10]);
  t.same(
    Array.from({ length: 12 }, (_, q) => overridesSeq(rec, q)),
    Array.from({ length: 12 }, (_, q) => q === 5 || q === 9 || q === 10),
  );
  t.equal(firstUnresolved(rec, createBitmap(3), 0), 3, '3 is neither done nor overridden');
  t.equal(firstUnresolved(rec, bitmapOf([3, 8]), 0), -1, 'the rest are overridden');
  t.equal(rangeOf(rec), -1, 'written as a list');
  t.same((unpackRecord(packedRecord(rec)) as { overrides?: unknown }).overrides, [5, 9, 10]);
  t.notOk(overridesOnlyItself(rec));
  t.ok(overridesOnlyItself(withListedOverrides({ ...plainRecord(rec), seq: 10 }, [10])), 'a list of seq alone is only itself');
});
