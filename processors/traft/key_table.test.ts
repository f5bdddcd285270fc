// key_table.test: the KEY table reads back exactly what was pushed, across chunk boundaries,
// for empty, long and non-ASCII KEYs, against a plain array.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { KeyTable } from './key_table.js';

function randomKey(r: SeededRandom, i: number): string {
  const pick = r.int(100);
  if (pick < 5) return ''; // a no-op
  if (pick < 7) return `é∂${i}🙂`.repeat(1 + r.int(4)); // multi-byte UTF-8
  if (pick < 8) return 'x'.repeat(1000 + r.int(2000)); // around and over the packed limit
  let k = '';
  for (let j = 0; j < 32; j++) k += String.fromCharCode(97 + r.int(26));
  return k;
}

t.test('every KEY reads back, over several 1 MiB chunks', (t) => {
  const r = new SeededRandom('key-table');
  const want: string[] = [];
  const table = new KeyTable();
  for (let i = 0; i < 60_000; i++) {
    const k = randomKey(r, i);
    want.push(k);
    table.push(k);
  }
  t.equal(table.length, want.length);
  let bad = -1;
  for (let p = 0; p < want.length && bad < 0; p++) if (table.at(p) !== want[p]) bad = p;
  t.equal(bad, -1, 'at(p) is the pushed KEY at every position');
  t.same(table.slice(12_345, 12_400), want.slice(12_345, 12_400), 'slice is the array slice');
  t.same(table.slice(want.length - 3), want.slice(want.length - 3), 'slice to the end');
  t.equal(table.at(want.length), undefined, 'past the end');
  t.equal(table.at(-1), undefined, 'before the start');
  t.end();
});

t.test('a KEY that exactly fills a chunk, then one that does not fit the rest of one', (t) => {
  const keys: string[] = [];
  for (let i = 0; i < 1048; i++) keys.push(String(i % 10).repeat(1000)); // 1,048,000 bytes
  keys.push('z'.repeat((1 << 20) - 1048 * 1000), 'next', ''); // the first chunk full to its last byte
  for (let i = 0; i < 1048; i++) keys.push(String(i % 7).repeat(1000)); // the second chunk's rest is 576 bytes short of one
  keys.push('y'.repeat(1000), 'last');
  const table = KeyTable.from(keys);
  t.same(table.slice(0), keys, 'every KEY, across both boundaries');
  t.end();
});

t.test('copyOf holds the first n KEYs, is independent of its source, and grows like any table', (t) => {
  const r = new SeededRandom('key-table-copy');
  const want: string[] = [];
  const table = new KeyTable();
  for (let i = 0; i < 70_000; i++) {
    const k = randomKey(r, i);
    want.push(k);
    table.push(k);
  }
  let bad = 0;
  for (const n of [0, 1, 2, 1023, 1024, 1025, 33_333, 69_999, 70_000]) {
    const copy = n === 70_000 ? table.copyOf() : table.copyOf(n);
    if (copy.length !== n || JSON.stringify(copy.slice(0)) !== JSON.stringify(want.slice(0, n))) bad++;
    copy.push('appended-to-the-copy');
    copy.push('é'.repeat(700)); // past the rest of a chunk, at times
    if (copy.at(n) !== 'appended-to-the-copy' || copy.at(n + 1) !== 'é'.repeat(700) || copy.length !== n + 2) bad++;
  }
  t.equal(bad, 0, 'every prefix copies exactly and takes pushes after it');
  t.same(table.slice(0), want, 'the source is unchanged by its copies and their pushes');
  // the other way: a copy is unchanged by pushes to its source (they share the chunks before the last)
  const copy = table.copyOf(50_000);
  for (let i = 0; i < 30_000; i++) table.push(randomKey(r, i));
  t.same(copy.slice(0), want.slice(0, 50_000), "a copy is unchanged by its source's later pushes");
  t.throws(() => table.copyOf(table.length + 1), 'no copy longer than the table');
  t.end();
});

t.test('KEYs around the ASCII boundary take the same bytes as Buffer.write', (t) => {
  const keys = ['\u007f', 'a\u0080', '\u00ff', 'plain', '\u0000', 'x'.repeat(1024), 'x'.repeat(1025), '\ud83d\ude42', '\ud800'];
  const table = KeyTable.from(keys);
  t.same(
    table.slice(0),
    keys.map((k) => Buffer.from(k, 'utf8').toString('utf8')),
    'each reads back as its UTF-8 round trip',
  );
  t.end();
});
