// deps.test: depsFor, built in one draft, gives every proposal of a lab load the same deps and
// overrides as R4/R5 computed the plain way (a union per key, an added seq per commuting record,
// a sorted override list), while the frontier advances under it.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { depsFor, indexRecord, type KeyIndex } from './deps.js';
import { LabLoad } from './lab_load.js';
import { labMachine } from './lab_machine.js';
import type { LogRecord, Seq } from './record.js';
import type { SmCommand } from './state_machine.js';
import { addSeq, bitmapEq, createBitmap, union, type TailBitmap } from './tail_bitmap.js';

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
    for (let seq = 0; seq < 2000; seq++) {
      const { cmd, logKey } = load.next();
      const f = Math.max(0, seq - window + (seq % 37)); // the frontier moves unevenly, as commits do
      const plain = plainDeps(ix, cmd, seq, f);
      const got = depsFor(ix, cmd, seq, f);
      if (!bitmapEq(got.deps, plain.deps) || got.overrides.join() !== plain.overrides.join()) mismatches++;
      longest = Math.max(longest, got.overrides.length);
      const rec: LogRecord = { seq, author: { term: 1, id: 0 }, kind: 'cmd', cmd, deps: got.deps, overrides: got.overrides, logKey };
      indexRecord(ix, rec);
    }
    t.equal(mismatches, 0, `seed ${seed}: every proposal's deps and overrides match`);
    t.ok(longest > 20, `seed ${seed}: sets overrode long runs of their key (${longest})`);
  }
});
