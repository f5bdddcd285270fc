// tail_bitmap.test: TailBitmap ops agree with Set<number> and stay in normal form (T1).
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import {
  addSeq,
  bitmapCount,
  bitmapEq,
  bitmapLen,
  bitmapOf,
  createBitmap,
  draftAdd,
  draftOf,
  draftUnion,
  EMPTY_BITMAP,
  firstFailing,
  firstMissing,
  hasSeq,
  intersect,
  isNormal,
  members,
  membersAre,
  minus,
  settle,
  settleExact,
  union,
  withSeqs,
  type TailBitmap,
  wordOf,
} from './tail_bitmap.js';

function toSet(b: TailBitmap, upTo: number): Set<number> {
  const s = new Set<number>();
  for (let x = 0; x < upTo; x++) if (hasSeq(b, x)) s.add(x);
  return s;
}

function randomBitmap(r: SeededRandom): { b: TailBitmap; s: Set<number> } {
  const n = r.int(3) === 0 ? 0 : r.int(100);
  const s = new Set<number>();
  for (let x = 0; x < n; x++) s.add(x);
  const extra: number[] = [];
  const k = r.int(20);
  for (let i = 0; i < k; i++) {
    const x = r.int(200);
    extra.push(x);
    s.add(x);
  }
  return { b: createBitmap(n, ...extra), s };
}

const LIMIT = 320;
const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);

t.test('property: ops equal Set semantics, results normal', async (t) => {
  const r = new SeededRandom('tail-bitmap-property');
  let failures = 0;
  for (let i = 0; i < 500; i++) {
    const A = randomBitmap(r);
    const B = randomBitmap(r);
    const u = union(A.b, B.b);
    const n = intersect(A.b, B.b);
    const uSet = new Set([...A.s, ...B.s]);
    const nSet = new Set([...A.s].filter((x) => B.s.has(x)));
    const lo = r.int(150);
    const hi = lo + r.int(200);
    const diff = sorted(new Set([...A.s].filter((x) => !B.s.has(x) && x >= lo && x < hi)));
    const ok =
      isNormal(A.b) &&
      isNormal(u) &&
      isNormal(n) &&
      JSON.stringify(sorted(toSet(u, LIMIT))) === JSON.stringify(sorted(uSet)) &&
      JSON.stringify(sorted(toSet(n, LIMIT))) === JSON.stringify(sorted(nSet)) &&
      JSON.stringify(minus(A.b, B.b, lo, hi)) === JSON.stringify(diff) &&
      bitmapCount(A.b) === A.s.size &&
      bitmapLen(A.b) === (A.s.size ? Math.max(...A.s) + 1 : 0) &&
      JSON.stringify(members(A.b, lo, hi)) === JSON.stringify(sorted(A.s).filter((x) => x >= lo && x < hi)) &&
      firstMissing(A.b) === [...Array(LIMIT).keys()].find((x) => !A.s.has(x)) &&
      bitmapEq(union(A.b, B.b), union(B.b, A.b));
    if (!ok) failures++;
  }
  t.equal(failures, 0, 'no case disagreed with Set<number>');
});

t.test('property: withSeqs, a limited minus, drafts and firstFailing equal Set semantics', async (t) => {
  const r = new SeededRandom('tail-bitmap-batch-property');
  let failures = 0;
  for (let i = 0; i < 500; i++) {
    const A = randomBitmap(r);
    const B = randomBitmap(r);
    const lists = Array.from({ length: r.int(4) }, () => Array.from({ length: r.int(6) }, () => r.int(300)));
    const all = new Set([...A.s, ...lists.flat()]);
    const w = withSeqs(A.b, lists);
    const draft = draftOf(A.b);
    for (const xs of lists) for (const x of xs) draftAdd(draft, x);
    const settled = settle(draft);
    const lo = r.int(150);
    const hi = lo + r.int(200);
    const limit = r.int(5);
    const diff = sorted(new Set([...A.s].filter((x) => !B.s.has(x) && x >= lo && x < hi)));
    const odd = diff.find((x) => x % 2 === 1) ?? -1;
    const ok =
      isNormal(w) &&
      isNormal(settled) &&
      JSON.stringify(sorted(toSet(w, LIMIT))) === JSON.stringify(sorted(all)) &&
      bitmapEq(w, settled) &&
      JSON.stringify(minus(A.b, B.b, lo, hi, limit)) === JSON.stringify(diff.slice(0, limit)) &&
      firstFailing(A.b, B.b, lo, hi, (x) => x % 2 === 0) === odd;
    if (!ok) failures++;
  }
  t.equal(failures, 0, 'no case disagreed with Set<number>');
});

t.test('withSeqs far from 0 spans only the tail past the full prefix', async (t) => {
  const base = createBitmap(1_000_000);
  const b = withSeqs(base, [[1_000_040, 1_000_001], [999_999]]);
  t.ok(b.words.length <= 2, `words: ${b.words.length}`);
  t.same(members(b, 999_990, 1_000_050), [...Array.from({ length: 10 }, (_, i) => 999_990 + i), 1_000_001, 1_000_040]);
  t.equal(withSeqs(base, [[5], []]), base, 'nothing new: the same bitmap');
});

t.test('bitmapOf equals adding one by one (any order, far from 0)', async (t) => {
  const r = new SeededRandom('bitmap-of');
  for (let i = 0; i < 200; i++) {
    const xs = Array.from({ length: r.int(40) }, () => 1000 + r.int(300));
    let one = EMPTY_BITMAP;
    for (const x of xs) one = addSeq(one, x);
    if (!bitmapEq(bitmapOf(xs), one) || !isNormal(bitmapOf(xs))) t.fail(`bitmapOf(${xs.join(',')})`);
  }
  t.same(bitmapOf([5, 3, 4, 0, 1, 2]), createBitmap(6), 'a full run folds into the offset');
});

t.test('unaligned create and compaction across words', async (t) => {
  const b = createBitmap(33);
  t.same(b, { offset: 32, words: [1] });
  t.equal(firstMissing(b), 33);
  let c = createBitmap(0);
  for (let x = 95; x >= 0; x--) c = addSeq(c, x);
  t.same(c, { offset: 96, words: [] }, 'three full words fold into offset');
  t.equal(bitmapLen(c), 96);
});

t.test('createBitmap(n) is [0, n) in normal form; bitmaps of one n mod 32 share their words, which stay unchanged', async (t) => {
  for (const n of [0, 1, 31, 32, 33, 63, 64, 95, 1000, 1023, 1024, 123_457]) {
    const b = createBitmap(n);
    t.ok(isNormal(b) && bitmapEq(b, bitmapOf(Array.from({ length: n }, (_, i) => i))), `[0, ${n})`);
    t.same(b, { offset: n - (n % 32), words: n % 32 === 0 ? [] : [2 ** (n % 32) - 1] }, 'its offset and words');
  }
  t.equal(createBitmap(33).words, createBitmap(1025).words, 'one words list per n mod 32');
  const grown = createBitmap(33, 40, 100);
  t.ok(hasSeq(grown, 40) && hasSeq(grown, 100), 'the extra positions are in');
  t.same(createBitmap(33).words, [1], 'adding to a created bitmap left the shared words alone');
});

t.test('prototype 6.9: {off 64,[1]} minus {off 192,[2]} is empty', async (t) => {
  const a: TailBitmap = { offset: 64, words: [1] };
  const b: TailBitmap = { offset: 192, words: [2] };
  t.same(minus(a, b, 0, 1000), []);
  const expected: number[] = [];
  for (let x = 65; x < 192; x++) expected.push(x);
  expected.push(193);
  t.same(minus(b, a, 60, 200), expected, 'b = [0,192)+{193} minus a = [0,65)');
});

t.test('intersect with null is empty', async (t) => {
  t.same(intersect(null, createBitmap(5)), EMPTY_BITMAP);
  t.same(intersect(createBitmap(70), createBitmap(40, 50)), createBitmap(40, 50));
});

t.test('draftUnion adds a bitmap into a draft as union does; membersAre agrees with members', async (t) => {
  const random = new SeededRandom('draft-union');
  const some = (): TailBitmap => {
    const xs: number[] = [];
    for (let i = random.int(20); i > 0; i--) xs.push(random.int(300));
    return union(createBitmap(random.int(4) * 40), bitmapOf(xs));
  };
  let bad = 0;
  for (let round = 0; round < 300; round++) {
    const a = some();
    const b = some();
    const d = draftOf(a);
    draftUnion(d, b);
    const twin = draftOf(a);
    draftUnion(twin, b);
    const got = settle(d);
    if (!bitmapEq(got, union(a, b)) || !isNormal(got)) bad++;
    const exact = settleExact(twin);
    if (!bitmapEq(exact, got) || exact.words === twin.words) bad++; // the same set, in an array of its own
    const lo = random.int(200);
    const hi = lo + random.int(200);
    const m = members(a, lo, hi);
    if (!membersAre(a, lo, hi, m, m.length)) bad++;
    if (m.length > 0 && membersAre(a, lo, hi, m, m.length - 1)) bad++; // one short
    if (membersAre(a, lo, hi, [...m, hi + 1], m.length + 1)) bad++; // one too many
  }
  t.equal(bad, 0, 'seeded draft-union: 300 random pairs agree');
});

t.test('wordOf gives the 32 bits of a word as a signed integer, whole words below the offset as -1', (t) => {
  const b = createBitmap(40, 63, 64, 95); // [0, 40) ∪ {63, 64, 95}
  t.equal(wordOf(b, 0), -1, 'below the offset: all ones');
  t.equal(wordOf(b, 32) >>> 0, (0xff | (1 << 31)) >>> 0, '32-39 and 63');
  t.ok(wordOf(b, 32) < 0, 'bit 31 set: negative, not a double above 2^31');
  t.equal(wordOf(b, 64) >>> 0, (1 | (1 << 31)) >>> 0, '64 and 95');
  t.equal(wordOf(b, 96), 0, 'past the end');
  t.equal(wordOf(createBitmap(0, ...Array.from({ length: 32 }, (_, i) => 32 + i)), 32), -1, 'a full word above the offset');
  t.end();
});
