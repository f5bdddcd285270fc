// instancelog.test: formatLines writes the lab's two line formats exactly, and a rank's own
// log reads back as its commits.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLines, linesRoom, recoverCommitted, writeLines } from './instancelog.js';
import { LogText } from '../../runtime/driver/logtext.js';
import type { LogEvent } from './events.js';

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

t.test('writeLines writes formatLines’s bytes, within linesRoom, at any offset', async (t) => {
  const events: LogEvent[] = [];
  for (const estround of [0, 7, 9, 10, 99, 100, 123_456_789, 2 ** 31, Number.MAX_SAFE_INTEGER])
    for (const kind of ['generate', 'commit'] as const) events.push({ kind, estround, key: estround % 2 ? A : Z });
  // Not what a rank logs, but what formatLine would write for it: the byte writer agrees.
  events.push({ kind: 'commit', estround: 2 ** 60, key: Z }, { kind: 'generate', estround: -1, key: 'short' });
  for (const atUs of [0, 5, 1_733_437_000_123_456]) {
    const text = new LogText();
    text.add('before');
    text.fill(linesRoom(events), (buf, at) => writeLines(events, atUs, buf, at));
    text.fill(linesRoom([]), (buf, at) => writeLines([], atUs, buf, at));
    t.equal(Buffer.from(text.take()).toString('latin1'), 'before\n' + formatLines(events, atUs), `at ${atUs}`);
  }
  const text = new LogText();
  t.throws(() => text.fill(4, (_buf, at) => at + 5), /LogText.fill: wrote to 5, room was \[0, 4\]/, 'a writer past its room is refused');
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

t.test('recoverCommitted from an earlier reading reads only the lines since, to the same result', async (t) => {
  // a repeated seq (a later commit line of an earlier seq) and a gap, as a restarted rank's log may hold
  const seqs = [0, 7, 7, 14, 3, 21, 28, 28, 35];
  const lines = formatLines(
    seqs.map((estround, i) => ({ kind: 'commit' as const, estround, key: i % 2 ? A : Z })),
    42,
  )
    .split('\n')
    .filter((l) => l !== '');
  const whole = recoverCommitted(lines);
  t.same(
    whole.map(([e]) => e),
    [0, 7, 14, 21, 28, 35],
  );
  for (let n = 0; n <= lines.length; n++) {
    const earlier = recoverCommitted(lines.slice(0, n));
    t.same(recoverCommitted(lines, { logged: earlier, lines: n }), whole, `read after ${n} lines`);
    t.same(recoverCommitted(lines.slice(0, n)), earlier, 'the earlier reading is not changed');
  }
});
