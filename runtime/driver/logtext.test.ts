// logtext.test: lines come out byte for byte with their newlines, across growth and reuse.
import t from 'tap';
import { LogText } from './logtext.js';

t.test('lines round-trip through take, across growth past the first buffer and reuse', async (t) => {
  const text = new LogText();
  t.ok(text.empty);
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `commit Instance[${'k'.repeat(32)}] in seq ${i * 997} at ${1_733_437_000_000_000 + i}`,
  );
  for (const l of lines) text.add(l);
  t.notOk(text.empty);
  const first = Buffer.from(text.take()).toString('latin1');
  t.equal(first, lines.join('\n') + '\n', 'every line, in order, each ended by a newline');
  t.ok(text.empty, 'take empties it');
  text.add('x'.repeat(300_000));
  text.add('');
  t.equal(Buffer.from(text.take()).toString('latin1'), 'x'.repeat(300_000) + '\n\n', 'one line longer than the buffer, then an empty one');
});
