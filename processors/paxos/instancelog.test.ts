// instancelog.test: formatLines writes the lab's two line formats exactly, and a rank's own
// log reads back as its commits.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLines, recoverCommitted } from './instancelog.js';

const A = 'a'.repeat(32);
const Z = 'abcdefghijklmnopqrstuvwxyzabcdef';

t.test('formatLines: one line per event, estrounds and times of any width', async (t) => {
  const bytes = formatLines(
    [
      { kind: 'generate', estround: 0, key: A },
      { kind: 'commit', estround: 0, key: A },
      { kind: 'commit', estround: Number.MAX_SAFE_INTEGER, key: Z },
    ],
    1_733_437_000_123_456,
  );
  t.equal(
    bytes,
    `generate Instance[${A}] in seq 0 at 1733437000123456\n` +
      `commit Instance[${A}] in seq 0 at 1733437000123456\n` +
      `commit Instance[${Z}] in seq 9007199254740991 at 1733437000123456\n`,
  );
  t.equal(formatLines([], 5).length, 0, 'no events: no bytes');
});

t.test('recoverCommitted reads formatLines output back as the commits, in order', async (t) => {
  const p = join(t.testdir(), 'instancelog0.log');
  const events = Array.from({ length: 1000 }, (_, i) => [
    { kind: 'generate' as const, estround: i * 7, key: i % 2 ? A : Z },
    { kind: 'commit' as const, estround: i * 7, key: i % 2 ? A : Z },
  ]).flat();
  writeFileSync(p, formatLines(events, 42));
  const got = recoverCommitted(readFileSync(p, 'latin1').split('\n'));
  t.equal(got.length, 1000);
  t.same(got[999], [6993, A]);
});
