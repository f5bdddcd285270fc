// key_table.test: the KEY table reads back exactly what was pushed, across block boundaries,
// for empty, long and non-ASCII KEYs, against a plain array; and after its old blocks spilled to
// an archive (in memory here, a file in key_spill.test), with only a bounded number in memory.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { BLOCK_KEYS, KeyTable, type KeyArchive } from './key_table.js';

function randomKey(r: SeededRandom, i: number): string {
  const pick = r.int(100);
  if (pick < 5) return ''; // a no-op
  if (pick < 7) return `é∂${i}🙂`.repeat(1 + r.int(4)); // multi-byte UTF-8
  if (pick < 8) return 'x'.repeat(1000 + r.int(2000)); // around and over the packed limit
  let k = '';
  for (let j = 0; j < 32; j++) k += String.fromCharCode(97 + r.int(26));
  return k;
}

t.test('every KEY reads back, over several blocks', (t) => {
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

t.test('long KEYs that grow a block past its first size, across a block boundary', (t) => {
  const keys: string[] = [];
  for (let i = 0; i < 1048; i++) keys.push(String(i % 10).repeat(1000)); // 1,048,000 bytes
  keys.push('z'.repeat((1 << 20) - 1048 * 1000), 'next', ''); // the first chunk full to its last byte
  for (let i = 0; i < 1048; i++) keys.push(String(i % 7).repeat(1000)); // the second chunk's rest is 576 bytes short of one
  keys.push('y'.repeat(1000), 'last');
  while (keys.length < BLOCK_KEYS + 10) keys.push(keys.length % 3 === 0 ? '' : 'w'.repeat(keys.length % 50));
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

/** MemoryArchive keeps copies of what it is given, and counts reads, as a spill file would. */
class MemoryArchive implements KeyArchive {
  readonly kept: Buffer[] = [];
  gets = 0;
  put(index: number, data: Buffer): void {
    if (index !== this.kept.length) throw new Error(`put ${index} out of order`);
    this.kept.push(Buffer.from(data));
  }
  get(index: number): Buffer {
    this.gets++;
    const d = this.kept[index];
    if (d === undefined) throw new Error(`no block ${index}`);
    return Buffer.from(d);
  }
}

t.test('a spilling table keeps a bounded number of blocks in memory and reads the others back', (t) => {
  const r = new SeededRandom('key-table-spill');
  const want: string[] = [];
  const table = new KeyTable();
  const archive = new MemoryArchive();
  for (let i = 0; i < 3 * BLOCK_KEYS + 5; i++) {
    const k = randomKey(r, i);
    want.push(k);
    table.push(k);
  }
  table.spillTo(archive); // as a restarted rank's table, filled from its instance log first
  t.equal(archive.kept.length, 1, 'of 3 full blocks, the 2 behind the one being filled stay');
  for (let i = 0; i < 5 * BLOCK_KEYS; i++) {
    const k = randomKey(r, i);
    want.push(k);
    table.push(k);
  }
  t.equal(archive.kept.length, 6, 'of 8 full blocks, all but the 2 hot ones are spilled');
  t.equal(table.inMemoryBlocks(), 3, 'two hot blocks and the one being filled');
  let bad = -1;
  for (let p = 0; p < want.length && bad < 0; p++) if (table.at(p) !== want[p]) bad = p;
  t.equal(bad, -1, 'every KEY reads back, spilled or not');
  t.ok(table.inMemoryBlocks() <= 5, 'blocks read back are a bounded cache');
  const gets = archive.gets;
  t.same(table.slice(BLOCK_KEYS - 3, BLOCK_KEYS + 40), want.slice(BLOCK_KEYS - 3, BLOCK_KEYS + 40), 'a run across spilled blocks');
  t.same(table.slice(BLOCK_KEYS + 50, BLOCK_KEYS + 90), want.slice(BLOCK_KEYS + 50, BLOCK_KEYS + 90), 'and on in one of them');
  t.equal(archive.gets - gets, 2, 'a run in order reads each spilled block once');
  t.throws(() => table.copyOf(10), 'a spilling table is not copied');
  t.throws(() => table.spillTo(new MemoryArchive()), 'one archive per table');
  t.end();
});

t.test('copyOf at and around a block boundary', (t) => {
  const keys: string[] = [];
  for (let i = 0; i < 2 * BLOCK_KEYS + 3; i++) keys.push(`k${i}`);
  const table = KeyTable.from(keys);
  let bad = 0;
  for (const n of [BLOCK_KEYS - 1, BLOCK_KEYS, BLOCK_KEYS + 1, 2 * BLOCK_KEYS]) {
    const copy = table.copyOf(n);
    copy.push('next');
    if (copy.at(n) !== 'next' || copy.at(n - 1) !== keys[n - 1] || copy.length !== n + 1) bad++;
  }
  t.equal(bad, 0, 'each copy ends where asked and takes its own pushes');
  t.same(table.slice(0), keys, 'the source is unchanged');
  const copy = table.copyOf();
  table.release();
  t.equal(table.length, 0, 'released: empty');
  t.equal(table.at(0), undefined, 'released: nothing to read');
  t.same(copy.slice(0), keys, 'a copy keeps the KEYs its released source shared with it');
  t.end();
});
