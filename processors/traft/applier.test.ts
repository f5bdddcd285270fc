// applier: the word-at-a-time apply loop must run exactly what the list-building one did (the
// reference below is that loop, kept as the spec), in the same order, with the same skips.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { applyCommitted, newApplier, type Applier } from './applier.js';
import { labMachine } from './lab_machine.js';
import { leaderId } from './leader_id.js';
import { overridesSeq, type LogRecord, type Seq } from './record.js';
import type { SmCommand } from './state_machine.js';
import { addSeq, bitmapEq, bitmapLen, bitmapOf, EMPTY_BITMAP, firstMissing, hasSeq, members, type TailBitmap } from './tail_bitmap.js';

function referenceApply(a: Applier, log: ReadonlyMap<Seq, LogRecord>, committed: TailBitmap, skips: string[]): Seq[] {
  const ran: Seq[] = [];
  const from = firstMissing(a.applied);
  for (const s of members(committed, from, bitmapLen(committed))) {
    if (hasSeq(a.applied, s)) continue;
    const rec = log.get(s);
    if (rec === undefined) continue;
    if (!members(rec.deps, from, s).every((q) => hasSeq(a.applied, q) || overridesSeq(rec, q))) continue;
    if (rec.kind === 'cmd' && rec.cmd !== undefined) a.sm.apply(rec.cmd);
    for (const q of rec.overrides) {
      if (q !== s && !hasSeq(a.applied, q) && log.has(q)) skips.push(`${s}>${q}`);
      a.applied = addSeq(a.applied, q);
    }
    ran.push(s);
  }
  return ran;
}

function randomLog(r: SeededRandom, n: number): Map<Seq, LogRecord> {
  const log = new Map<Seq, LogRecord>();
  for (let seq = 0; seq < n; seq++) {
    if (r.int(10) === 0) continue; // a position never stored here
    const lower = [...Array(seq).keys()];
    const deps = lower.filter(() => r.int(8) === 0);
    const overrides = [...lower.filter(() => r.int(20) === 0), seq];
    const cmd: SmCommand = r.int(2) === 0 ? { op: 'set', key: `k${r.int(3)}`, value: seq } : { op: 'incr', key: `k${r.int(3)}` };
    const kind = r.int(6) === 0 ? 'noop' : 'cmd';
    log.set(seq, { seq, author: leaderId(1, 0), kind, cmd, deps: deps.length > 0 ? bitmapOf(deps) : EMPTY_BITMAP, overrides, logKey: '' });
  }
  return log;
}

t.test('property: same runs, applied set, skips and machine as the reference loop', async (t) => {
  const seed = 'applier-property';
  const r = new SeededRandom(seed);
  let mismatches = 0;
  let ranTotal = 0;
  for (let i = 0; i < 200; i++) {
    const n = 20 + r.int(130);
    const log = randomLog(r, n);
    const fast = newApplier(labMachine);
    const ref = newApplier(labMachine);
    let committed = EMPTY_BITMAP;
    for (let round = 0; round < 12; round++) {
      for (let k = r.int(Math.ceil(n / 3)); k > 0; k--) committed = addSeq(committed, r.int(n));
      const fastSkips: string[] = [];
      const refSkips: string[] = [];
      const got = applyCommitted(fast, log, committed, (by, q) => fastSkips.push(`${by.seq}>${q.seq}`));
      const want = referenceApply(ref, log, committed, refSkips);
      ranTotal += want.length;
      const same =
        JSON.stringify(got) === JSON.stringify(want) &&
        JSON.stringify(fastSkips) === JSON.stringify(refSkips) &&
        bitmapEq(fast.applied, ref.applied) &&
        fast.sm.describe() === ref.sm.describe();
      if (!same) mismatches++;
    }
  }
  t.equal(mismatches, 0, `replay: npx tap processors/traft/applier.test.ts (seed '${seed}')`);
  t.ok(ranTotal > 1000, `the cases applied records (${ranTotal}), not only blocked ones`);
});
