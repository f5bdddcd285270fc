// Proves BigMap answers like a Map across shard boundaries (V8 Maps stop at 2^24 entries).
import t from 'tap';
import { BigMap } from './big-map.js';

t.test('entries spread over shards are all found', async (t) => {
  const m = new BigMap<string, number>(4);
  for (let i = 0; i < 11; i++) m.set(`k${i}`, i);
  t.equal(m.size, 11);
  for (let i = 0; i < 11; i++) t.equal(m.get(`k${i}`), i);
  t.equal(m.get('absent'), undefined);
  t.throws(() => new BigMap(0), RangeError);
});
