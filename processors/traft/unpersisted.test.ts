import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import type { Seq } from './record.js';
import { Unpersisted } from './unpersisted.js';

/** held: the positions `u` holds, ascending. */
function held(u: Unpersisted): Seq[] {
  const out: Seq[] = [];
  u.forEach((seq) => out.push(seq));
  return out.sort((a, b) => a - b);
}

t.test('Unpersisted agrees with a Map of seq → batch under stores, replacements, drops and releases', (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = new SeededRandom(`unpersisted/${seed}`);
    const u = new Unpersisted();
    const want = new Map<Seq, number>();
    let batch = 1;
    let persisted = 0;
    let sizeMismatches = 0;
    for (let i = 0; i < 5000; i++) {
      const op = r.int(10);
      if (op < 6) {
        // a step stores a few positions in its batch; a held one is replaced as store.ts does it
        for (let k = 1 + r.int(4); k > 0; k--) {
          const seq = r.int(300);
          if (want.has(seq)) u.drop(seq, seq + 1);
          u.add(seq, batch);
          want.set(seq, batch);
        }
        batch++;
      } else if (op < 9) {
        persisted = Math.min(batch - 1, persisted + r.int(4));
        u.release(persisted);
        for (const [seq, b] of want) if (b <= persisted) want.delete(seq);
      } else {
        const from = r.int(300);
        const to = from + r.int(50);
        u.drop(from, to);
        for (const seq of want.keys()) if (seq >= from && seq < to) want.delete(seq);
      }
      if (u.size !== want.size) sizeMismatches++;
    }
    t.equal(sizeMismatches, 0, `seed ${seed}: the same size after every operation`);
    t.same(
      held(u),
      [...want.keys()].sort((a, b) => a - b),
      `seed ${seed}: the same positions`,
    );
    for (let seq = 0; seq < 300; seq++) if (u.has(seq) !== want.has(seq)) t.fail(`seed ${seed}: has(${seq})`);
  }
  t.end();
});

t.test('a queue that never empties keeps its positions across compactions, and forgets what its batches made durable', (t) => {
  const u = new Unpersisted();
  for (let b = 1; b <= 100_000; b++) {
    u.add(b, b);
    u.release(b - 2); // two batches always in flight
  }
  t.same(held(u), [99_999, 100_000]);
  t.equal(u.size, 2);
  u.release(100_000);
  t.equal(u.size, 0);
  t.same(held(u), []);
  t.end();
});

t.test('batches are stored in id order', (t) => {
  const u = new Unpersisted();
  u.add(5, 3);
  t.throws(() => u.add(6, 2), /id order/);
  t.end();
});
