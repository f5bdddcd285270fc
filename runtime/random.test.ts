// Proves seeded randomness replays exactly per (seed, rank, incarnation, fork label), differs across them, and keeps int/between/bytes/id in range.
import t from 'tap';
import { SeededRandom, rankRandom, type Random } from './random.js';

function draw(r: Random, n = 8): number[] {
  return Array.from({ length: n }, () => r.next());
}

t.test('same (seed, rank, incarnation) replays identical values', async (t) => {
  t.same(draw(rankRandom(42, 1, 0), 100), draw(rankRandom(42, 1, 0), 100));
  t.same(draw(rankRandom('42', 1, 0)), draw(rankRandom(42, 1, 0)), 'numeric seed and its string agree');
  const a = rankRandom('s', 3, 2);
  const b = rankRandom('s', 3, 2);
  t.same([a.int(1000), a.between(5, 6), [...a.bytes(7)], a.id()], [b.int(1000), b.between(5, 6), [...b.bytes(7)], b.id()]);
});

t.test('a seed replays the same words in every version (recorded runs and docs name seeds)', async (t) => {
  // pinned from the build before nextI32: words at or above 2^31 and the signed bytes path included
  const r = rankRandom(7, 2, 1);
  t.equal(r.next(), 0.6216115646529943);
  t.equal(r.int(26), 6);
  t.same(
    [0, 1, 2, 3].map(() => r.int(4294967296)),
    [1131012214, 3334535529, 2725563828, 722899372],
  );
  t.equal(r.int(1000000), 954310);
  t.equal(Buffer.from(r.bytes(6)).toString('hex'), '5559056c4341');
});

t.test('different seed, rank, incarnation or fork label give different streams', async (t) => {
  const base = draw(rankRandom(42, 1, 0));
  const variants: [string, Random][] = [
    ['seed', rankRandom(43, 1, 0)],
    ['rank', rankRandom(42, 2, 0)],
    ['incarnation', rankRandom(42, 1, 1)],
    ['fork', rankRandom(42, 1, 0).fork('net')],
  ];
  const seen = new Set([base.join()]);
  for (const [what, r] of variants) {
    const d = draw(r);
    t.notSame(d, base, what);
    seen.add(d.join());
  }
  t.equal(seen.size, 5, 'all pairwise different');
  const root = rankRandom(42, 1, 0);
  t.notSame(draw(root.fork('net')), draw(root.fork('ids')), 'labels differ');
  t.notSame(draw(rankRandom(1, 12, 0)), draw(rankRandom(11, 2, 0)), 'seed/rank boundary is unambiguous');
  t.notSame(draw(root.fork('a/b')), draw(root.fork('a').fork('b')), 'a label cannot spell a path');
});

t.test('fork depends on the label, not on how much the parent drew', async (t) => {
  const a = rankRandom(7, 0, 0);
  const b = rankRandom(7, 0, 0);
  draw(b, 50);
  t.same(draw(a.fork('net')), draw(b.fork('net')));
  t.same(draw(a.fork('net').fork('delay')), draw(b.fork('net').fork('delay')));
});

t.test('next is in [0, 1) and roughly uniform', async (t) => {
  const r = rankRandom(1, 0, 0);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const x = r.next();
    if (!(x >= 0 && x < 1)) t.fail(`next out of range: ${x}`);
    buckets[Math.floor(x * 10)]!++;
  }
  t.ok(
    buckets.every((b) => b > 1700 && b < 2300),
    `buckets ${buckets.join(',')}`,
  );
});

t.test('int stays in [0, n), hits every value, and validates n', async (t) => {
  const r = rankRandom(1, 0, 0);
  for (const n of [1, 2, 3, 7, 1000]) {
    const hit = new Set<number>();
    for (let i = 0; i < 20 * n; i++) {
      const x = r.int(n);
      if (!(Number.isInteger(x) && x >= 0 && x < n)) t.fail(`int(${n}) gave ${x}`);
      hit.add(x);
    }
    t.equal(hit.size, n, `int(${n}) covers 0…${n - 1}`);
  }
  const big = r.int(2 ** 32);
  t.ok(big >= 0 && big < 2 ** 32);
  for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 32 + 1]) t.throws(() => r.int(bad), RangeError, `int(${bad})`);
});

t.test('between stays in [lo, hi) and validates', async (t) => {
  const r = rankRandom(1, 0, 0);
  for (let i = 0; i < 5000; i++) {
    const x = r.between(-3, 4.5);
    if (!(x >= -3 && x < 4.5)) t.fail(`between gave ${x}`);
  }
  t.equal(r.between(2, 2), 2);
  const far = r.between(-Number.MAX_VALUE / 2, Number.MAX_VALUE / 2);
  t.ok(far < Number.MAX_VALUE / 2);
  for (const [lo, hi] of [
    [1, 0],
    [NaN, 1],
    [0, Infinity],
  ] as const)
    t.throws(() => r.between(lo, hi), RangeError);
});

t.test('bytes has the asked length and validates', async (t) => {
  const r = rankRandom(1, 0, 0);
  for (const n of [0, 1, 3, 4, 5, 64]) t.equal(r.bytes(n).length, n);
  const many = r.bytes(4096);
  t.ok(new Set(many).size > 200, 'bytes vary');
  t.throws(() => r.bytes(-1), RangeError);
  t.throws(() => r.bytes(1.5), RangeError);
});

t.test('nanoid ids are reproducible, url-safe, sized, and distinct', async (t) => {
  const a = rankRandom('ids', 0, 0).fork('ids');
  const b = rankRandom('ids', 0, 0).fork('ids');
  const idsA = Array.from({ length: 100 }, () => a.id());
  const idsB = Array.from({ length: 100 }, () => b.id());
  t.same(idsA, idsB, 'same stream, same ids');
  t.equal(idsA[0], 'KOEaQoQI0LGYiC_Mey7t-', 'a seed names the same ids as before (nanoid urlAlphabet fed by our stream)');
  t.equal(new Set(idsA).size, 100, 'no repeats');
  t.ok(
    idsA.every((id) => /^[A-Za-z0-9_-]{21}$/.test(id)),
    'url-safe, 21 chars',
  );
  t.equal(a.id(8).length, 8);
  t.equal(a.id(1).length, 1);
  t.notSame(rankRandom('ids', 0, 1).fork('ids').id(), idsA[0], 'another incarnation, another id');
  for (const bad of [0, -1, 2.5, 1025, NaN]) t.throws(() => a.id(bad), RangeError, `id(${bad})`);
});

t.test('rankRandom validates its arguments', async (t) => {
  t.throws(() => rankRandom(NaN, 0, 0), RangeError);
  t.throws(() => rankRandom(1, -1, 0), RangeError);
  t.throws(() => rankRandom(1, 0, 1.5), RangeError);
  t.ok(new SeededRandom('anything').next() < 1);
});
