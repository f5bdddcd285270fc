// window.test: the CommitWindow ring answers every query exactly as the plain list of the
// entries it must hold, across growth, wrap-around and evictions in halves.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import type { Entry } from './messages.js';
import { CommitWindow } from './window.js';

function keyOf(e: number): string {
  let k = '';
  for (let i = 0; i < 32; i++) k += String.fromCharCode(97 + ((e * 31 + i * 7) % 26));
  return k;
}

t.test('window: since, keyAt, countAbove, reaches, floor and last match the plain list, any limit', async (t) => {
  for (const limit of [2, 3, 4, 200, 1500, 5000, 20_000]) {
    const seed = `window-${limit}`; // fixed: a failure replays with `npx tap processors/paxos/window.test.ts`
    const random = new SeededRandom(seed);
    const w = new CommitWindow(limit);
    let held: Entry[] = [];
    let floor = -1;
    let e = -1;
    for (let n = 0; n < 12_000; n++) {
      e += 1 + random.int(3); // gaps: rounds that ended early
      w.append(e, keyOf(e));
      held.push([e, keyOf(e)]);
      if (held.length > limit) {
        const cut = held.length >> 1;
        floor = held[cut - 1]![0];
        held = held.slice(cut);
      }
      if (n % 97 !== 0 && n < 11_990) continue;
      const where = `limit ${limit} after ${n + 1} appends (seed ${seed})`;
      t.equal(w.floor, floor, `floor, ${where}`);
      t.equal(w.last, e, `last, ${where}`);
      t.equal(w.size, held.length, `size, ${where}`);
      for (const after of [floor - 1, floor, held[0]![0], e - 5, e, held[held.length >> 1]![0] - 1]) {
        const want = held.filter(([x]) => x > after);
        t.same(w.since(after, 7), want.slice(0, 7), `since(${after}, 7), ${where}`);
        t.equal(w.countAbove(after), want.length, `countAbove(${after}), ${where}`);
        t.equal(w.reaches(after), after >= floor, `reaches(${after}), ${where}`);
      }
      t.same(w.since(floor), held, `since(floor) is everything held, ${where}`);
      const probe = held[random.int(held.length)]![0];
      t.equal(w.keyAt(probe), keyOf(probe), `keyAt(${probe}), ${where}`);
      t.equal(w.keyAt(e + 1), undefined, `keyAt above last, ${where}`);
    }
  }
});

t.test('window: any KEY of 32 lowercase letters reads back as it went in (5 bits a letter)', async (t) => {
  const random = new SeededRandom('window-pack'); // fixed: replays with `npx tap processors/paxos/window.test.ts`
  const keys = ['a'.repeat(32), 'z'.repeat(32), 'az'.repeat(16), 'abcdefghijklmnopqrstuvwxyzabcdef'];
  for (let n = 0; n < 500; n++) keys.push(Array.from({ length: 32 }, () => String.fromCharCode(97 + random.int(26))).join(''));
  const w = new CommitWindow(10_000);
  keys.forEach((k, e) => w.append(e, k));
  t.same(
    w.since(-1).map(([, k]) => k),
    keys,
    'since returns every key as appended',
  );
  t.equal(w.keyAt(1), 'z'.repeat(32), 'keyAt unpacks one key');
  for (const bad of ['A'.repeat(32), '{'.repeat(32), `${'a'.repeat(31)}\u00e9`, `${'a'.repeat(31)}\``])
    t.throws(() => w.append(w.last + 1, bad), /lowercase letters/, `refused: ${JSON.stringify(bad)}`);
  t.equal(w.size, keys.length, 'a refused key is not held');
});

t.test('window: appends must rise, keys must be 32 letters', async (t) => {
  const w = new CommitWindow(4);
  w.append(5, keyOf(5));
  t.throws(() => w.append(5, keyOf(5)), /not above 5/);
  t.throws(() => w.append(6, 'short'), /32 letters/);
  t.throws(() => new CommitWindow(1), RangeError);
  t.equal(new CommitWindow(4).last, -1, 'empty: last is -1');
});

t.test('window: estrounds spanning more than 32 bits are held exactly; those too far below the newest are evicted', async (t) => {
  const SPAN = 2 ** 32 - 1; // the widest span of estrounds held at once
  const w = new CommitWindow(1000);
  let held: Entry[] = [];
  let floor = -1;
  let e = 2 ** 40; // a base far above 32 bits
  const random = new SeededRandom('window-span'); // fixed: replays with `npx tap processors/paxos/window.test.ts`
  for (let n = 0; n < 400; n++) {
    e += n % 50 === 49 ? 2 ** 31 + random.int(2 ** 31) : 1 + random.int(1000);
    w.append(e, keyOf(n));
    held.push([e, keyOf(n)]);
    const keep = held.findIndex(([x]) => e - x <= SPAN);
    if (keep > 0) {
      floor = held[keep - 1]![0];
      held = held.slice(keep);
    }
    t.equal(w.floor, floor, `floor after ${n + 1} appends`);
    t.same(w.since(floor), held, `since(floor) after ${n + 1} appends`);
    t.equal(w.keyAt(held[0]![0]), held[0]![1], `keyAt the lowest held after ${n + 1} appends`);
  }
  t.ok(floor > 2 ** 40, 'some entries were evicted for span');
  t.throws(() => w.append(e + 0.5, keyOf(0)), /not an integer/);
});
