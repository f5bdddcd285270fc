// logcount.test: commit lines are counted exactly, also across chunk boundaries and without a trailing newline.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countCommitLines, countCommitsIn } from './logcount.js';

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

t.test('countCommitsIn counts commit lines per [from, until) window of their at (µs)', async (t) => {
  const dir = t.testdir();
  const p = join(dir, 'w.log');
  writeFileSync(
    p,
    'commit Instance[a] in seq 0 at 100\ngenerate Instance[b] in seq 1 at 150\ncommit Instance[c] in seq 2 at 200\ncommit Instance[d] in seq 3 at 300',
  );
  t.same(
    countCommitsIn(p, [
      { fromUs: 100, untilUs: 300 },
      { fromUs: 300, untilUs: 400 },
      { fromUs: 0, untilUs: 100 },
    ]),
    [2, 1, 0],
    'from is inside, until is not; generate lines never count',
  );
  t.same(countCommitsIn(join(dir, 'missing.log'), [{ fromUs: 0, untilUs: 1 }]), [0]);
});
