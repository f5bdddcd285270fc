// logcount.test: commit lines are counted exactly, also across chunk boundaries and without a trailing newline.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countCommitLines } from './logcount.js';

t.test('counts commit lines, not generate lines or mentions mid-line', async (t) => {
  const dir = t.testdir();
  const p = join(dir, 'a.log');
  writeFileSync(p, 'commit Instance[a] in seq 0 at 1\ngenerate Instance[b] in seq 1 at 2\nx commit y\ncommit Instance[c] in seq 2 at 3');
  t.equal(countCommitLines(p), 2);
  t.equal(countCommitLines(join(dir, 'missing.log')), 0, 'a missing log has no commits');
});

t.test('a line straddling the 1 MiB chunk boundary is counted once', async (t) => {
  const dir = t.testdir();
  const p = join(dir, 'big.log');
  const line = 'commit Instance[abcdefghijklmnopqrstuvwxyzabcdef] in seq 123456 at 1795415315382451\n';
  const lines = Math.ceil((3 << 20) / line.length);
  writeFileSync(p, line.repeat(lines));
  t.equal(countCommitLines(p), lines);
});
