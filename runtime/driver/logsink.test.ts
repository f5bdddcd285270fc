// logsink.test: a fresh rank truncates its log; a restarted one appends after cutting a torn last line.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSink, MemorySink } from './logsink.js';

t.test('fresh: truncates what was there', async (t) => {
  const p = join(t.testdir(), 'instancelog0.log');
  writeFileSync(p, 'commit Instance[a] in seq 0 at 1\n');
  const s = new FileSink(p, true);
  s.write('generate Instance[b] in seq 1 at 2\n');
  s.close();
  t.equal(readFileSync(p, 'utf8'), 'generate Instance[b] in seq 1 at 2\n');
});

t.test('restart: appends, after cutting a torn last line left by a kill mid-write', async (t) => {
  const p = join(t.testdir(), 'instancelog0.log');
  writeFileSync(p, 'commit Instance[a] in seq 0 at 1\ncommit Instance[b] in se');
  const s = new FileSink(p, false);
  s.write('commit Instance[c] in seq 2 at 3\n');
  s.close();
  t.equal(readFileSync(p, 'utf8'), 'commit Instance[a] in seq 0 at 1\ncommit Instance[c] in seq 2 at 3\n');
});

t.test('restart over a whole-lines log keeps every line', async (t) => {
  const p = join(t.testdir(), 'instancelog0.log');
  writeFileSync(p, 'commit Instance[a] in seq 0 at 1\n');
  const s = new FileSink(p, false);
  s.write('commit Instance[c] in seq 2 at 3\n');
  s.close();
  t.equal(readFileSync(p, 'utf8').split('\n').length, 3);
});

t.test('memory sink: lines without blanks', async (t) => {
  const m = new MemorySink();
  m.write('a\nb\n');
  m.write('c\n');
  t.same(m.lines(), ['a', 'b', 'c']);
});

t.test('restart: a torn line longer than the scan chunk, and a log that is one torn line', async (t) => {
  const dir = t.testdir();
  const p = join(dir, 'long.log');
  writeFileSync(p, `commit Instance[a] in seq 0 at 1\n${'x'.repeat(200_000)}`);
  new FileSink(p, false).close();
  t.equal(readFileSync(p, 'utf8'), 'commit Instance[a] in seq 0 at 1\n');
  const q = join(dir, 'torn.log');
  writeFileSync(q, 'commit Instance[a] in se');
  new FileSink(q, false).close();
  t.equal(readFileSync(q, 'utf8'), '', 'nothing whole survives');
});

t.test('sinks take latin1 bytes as well as text (the Paxos lines come as bytes)', async (t) => {
  const p = join(t.testdir(), 'instancelog0.log');
  const s = new FileSink(p, true);
  s.write('commit Instance[a] in seq 0 at 1\n');
  s.write(Buffer.from('xxcommit Instance[b] in seq 1 at 2\nyy', 'latin1').subarray(2, 35));
  s.close();
  t.equal(readFileSync(p, 'utf8'), 'commit Instance[a] in seq 0 at 1\ncommit Instance[b] in seq 1 at 2\n');
  const m = new MemorySink();
  m.write(Buffer.from('xxa\nb\nyy').subarray(2, 6));
  m.write('c\n');
  t.same(m.lines(), ['a', 'b', 'c'], 'a view of a larger buffer: only its own bytes');
});
