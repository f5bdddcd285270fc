// values.test: a leader's values are a pure function of the seed (a replayed run proposes the
// same bytes), count × size of them, each its own stretch of the AES-CTR stream.
import t from 'tap';
import { createCipheriv } from 'node:crypto';
import { SeededRandom } from '../../runtime/random.js';
import { randomValues } from './values.js';

t.test('randomValues: the seeded AES-CTR stream, cut into count values of size bytes', async (t) => {
  const a = randomValues(new SeededRandom('values'), 5, 1000);
  const b = randomValues(new SeededRandom('values'), 5, 1000);
  t.equal(a.length, 5, 'count values');
  t.ok(
    a.every((v) => v.length === 1000),
    'each of size bytes',
  );
  t.same(
    a.map((v) => Buffer.from(v).toString('hex')),
    b.map((v) => Buffer.from(v).toString('hex')),
    'the same seed, the same values',
  );
  const key = new SeededRandom('values').bytes(16);
  const stream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(5000));
  t.same(Buffer.concat(a), stream, 'the values are the key stream of the seed’s first 16 bytes, in order');
  t.notSame(Buffer.from(a[0]!), Buffer.from(a[1]!), 'two values differ');
});
