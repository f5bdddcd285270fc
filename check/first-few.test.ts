// Proves FirstFew keeps the first `limit` items under its order whatever the offering order, and counts every item.
import t from 'tap';
import { FirstFew } from './first-few.js';

const ascending = (a: number, b: number): boolean => a < b;

t.test('keeps the smallest few, sorted, and counts all', async (t) => {
  const few = new FirstFew(3, ascending);
  for (const x of [9, 4, 7, 1, 8, 4, 2, 6]) few.offer(x);
  t.same(few.items(), [1, 2, 4]);
  t.equal(few.count, 8);
});

t.test('offered in order, it keeps the first ones', async (t) => {
  const few = new FirstFew(2, ascending);
  for (let x = 0; x < 100; x++) few.offer(x);
  t.same(few.items(), [0, 1]);
  t.equal(few.count, 100);
});

t.test('ties keep the earlier item; a limit of 0 only counts', async (t) => {
  const few = new FirstFew<[number, string]>(2, (a, b) => a[0] < b[0]);
  few.offer([1, 'first']);
  few.offer([1, 'second']);
  few.offer([1, 'third']);
  t.same(few.items(), [
    [1, 'first'],
    [1, 'second'],
  ]);
  const none = new FirstFew(0, ascending);
  none.offer(1);
  t.same(none.items(), []);
  t.equal(none.count, 1);
  t.throws(() => new FirstFew(-1, ascending), RangeError);
});
