// heap.test: items pop in time order, equal times in insertion order, also after retain.
import t from 'tap';
import { TimedHeap } from './heap.js';
import { SeededRandom } from './random.js';

t.test('pops by time, FIFO among equal times', async (t) => {
  const h = new TimedHeap<{ atMs: number; id: number }>();
  const r = new SeededRandom('heap');
  const items = Array.from({ length: 500 }, (_, id) => ({ atMs: r.int(20), id }));
  for (const i of items) h.push(i);
  const out: { atMs: number; id: number }[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  const expected = [...items].sort((a, b) => a.atMs - b.atMs || a.id - b.id);
  t.same(out, expected);
  t.equal(h.size, 0);
  t.equal(h.peekAtMs(), Infinity);
});

t.test('retain drops items and keeps the order of the rest', async (t) => {
  const h = new TimedHeap<{ atMs: number; id: number }>();
  for (let id = 0; id < 100; id++) h.push({ atMs: id % 7, id });
  h.retain((i) => i.id % 3 !== 0);
  t.equal(h.size, 66);
  const out: number[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x.id);
  const expected = Array.from({ length: 100 }, (_, id) => ({ atMs: id % 7, id }))
    .filter((i) => i.id % 3 !== 0)
    .sort((a, b) => a.atMs - b.atMs || a.id - b.id)
    .map((i) => i.id);
  t.same(out, expected);
});

t.test('interleaved pushes and pops agree with a sorted list', async (t) => {
  const h = new TimedHeap<{ atMs: number; id: number }>();
  const r = new SeededRandom('heap-interleaved');
  const model: { atMs: number; id: number }[] = [];
  let now = 0;
  let mismatches = 0;
  for (let id = 0; id < 5000; id++) {
    if (model.length > 0 && r.next() < 0.45) {
      model.sort((a, b) => a.atMs - b.atMs || a.id - b.id);
      const want = model.shift();
      const got = h.pop();
      if (got !== want) mismatches++;
      now = got?.atMs ?? now;
    } else {
      const item = { atMs: now + r.int(5), id };
      model.push(item);
      h.push(item);
    }
    if (h.size !== model.length) mismatches++;
  }
  t.equal(mismatches, 0, 'every pop is the earliest item, ties in push order; sizes agree');
});
