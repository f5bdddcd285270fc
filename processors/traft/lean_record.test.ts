// lean_record.test: a leader's lean record is the record it was built from: same deps, overrides
// and bytes, for deps of every bin width, ranged and listed overrides, and commands whose bytes
// mimic the deps' header; short deps are left as they are.
import t, { type Test } from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { packedRecord, unpackRecord, wordCount } from './bitmap_codec.js';
import { leaderId } from './leader_id.js';
import { leanRecord } from './lean_record.js';
import { rangeOf, withRangedOverrides, type LogRecord } from './record.js';
import type { SmCommand } from './state_machine.js';
import { bitmapEq, bitmapOf, createBitmap, members, type TailBitmap } from './tail_bitmap.js';

function someDeps(r: SeededRandom, f: number, seq: number): TailBitmap {
  const xs: number[] = [];
  for (let q = f; q < seq; q++) if (r.int(8) === 0) xs.push(q);
  return bitmapOf([...members(createBitmap(f), 0, f), ...xs, seq - 1]);
}

/** check builds the record twice: once to pack it as it was packed before, once to make it lean. */
function check(t: Test, make: () => LogRecord, what: string): void {
  const want = packedRecord(make());
  const rec = make();
  const lean = leanRecord(rec);
  t.not(lean, rec, `${what}: a lean copy`);
  t.equal(wordCount(lean.deps), rec.deps.words.length, `${what}: its word count without decoding`);
  t.ok(bitmapEq(lean.deps, rec.deps), `${what}: same deps`);
  t.same(lean.overrides, rec.overrides, `${what}: same overrides`);
  t.equal(rangeOf(lean), rangeOf(rec), `${what}: same range`);
  t.same(Buffer.from(packedRecord(lean)), Buffer.from(want), `${what}: same bytes`);
  t.same(unpackRecord(packedRecord(lean)), unpackRecord(want), `${what}: decodes alike`);
}

t.test('a lean record equals the record, at every bin width', (t) => {
  const r = new SeededRandom('lean');
  const author = leaderId(3, 1);
  // 20 words: bin8; 400: bin16; 20,000: bin32
  for (const span of [640, 12_800, 640_000]) {
    const f = 32 * 1000 + 5;
    const seq = f + span;
    const deps = someDeps(r, f, seq);
    const fields = {
      seq,
      author,
      kind: 'cmd' as const,
      cmd: { op: 'set', key: 'k1', value: 7 },
      deps,
      logKey: 'abcdefghabcdefghabcdefghabcdefgh',
    };
    check(t, () => ({ ...fields, overrides: [seq] }), `${span} listed`);
    check(t, () => withRangedOverrides(fields, f + 3), `${span} ranged`);
  }
  t.end();
});

t.test('a command holding the deps header is not taken for them', (t) => {
  const seq = 1000;
  const deps = someDeps(new SeededRandom('decoy'), 0, seq);
  // a command (before deps in the packing) with its own "bin" of the same length, other bytes
  const cmd = { op: 'set', key: 'k', bin: Buffer.alloc(deps.words.length * 4, 0xee) } as unknown as SmCommand;
  check(t, () => ({ seq, author: leaderId(1, 0), kind: 'cmd', cmd, deps, overrides: [seq], logKey: '' }), 'decoy');
  t.end();
});

t.test('short deps are kept as built', (t) => {
  const rec: LogRecord = {
    seq: 40,
    author: leaderId(1, 0),
    kind: 'cmd',
    cmd: { op: 'incr', key: 'k0' },
    deps: createBitmap(33),
    overrides: [40],
    logKey: 'k',
  };
  t.equal(leanRecord(rec), rec);
  t.end();
});
