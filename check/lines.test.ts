// Proves the streaming reader yields exactly the file's lines (CRLF, blank, unterminated, binary, across buffer refills), skips overlong lines in bounded memory, and reports file errors as Node errors.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKindError, readLines, readLinesSync, type LineSink } from './lines.js';

/** Collector records what a reader hands its sink. */
class Collector implements LineSink {
  readonly lines: [number, string][] = [];
  readonly skipped: number[] = [];
  line(text: string, lineNo: number): void {
    this.lines.push([lineNo, text]);
  }
  overlong(lineNo: number): void {
    this.skipped.push(lineNo);
  }
}

async function read(dir: string, content: string | Buffer, maxLineBytes?: number) {
  const file = join(dir, 'f.log');
  writeFileSync(file, content);
  const sink = new Collector();
  const summary = await readLines(file, sink, maxLineBytes);
  return { sink, summary };
}

t.test('LF and CRLF endings, blank lines, an unterminated last line', async (t) => {
  const { sink, summary } = await read(t.testdir(), 'a\r\n\nb\r\n  \nlast');
  t.same(sink.lines, [
    [1, 'a'],
    [2, ''],
    [3, 'b'],
    [4, '  '],
    [5, 'last'],
  ]);
  t.same(summary, { lines: 5, unterminated: true });
});

t.test('a file ending in a newline is terminated; an empty file has no lines', async (t) => {
  t.same((await read(t.testdir(), 'x\ny\n')).summary, { lines: 2, unterminated: false });
  const empty = await read(t.testdir(), '');
  t.same(empty.summary, { lines: 0, unterminated: false });
  t.same(empty.sink.lines, []);
});

t.test('a lone \\r stays in the line; only a CRLF pair ends one', async (t) => {
  const { sink } = await read(t.testdir(), 'a\rb\r\n');
  t.same(sink.lines, [[1, 'a\rb']]);
});

t.test('lines split across many buffer refills come out whole and in order', async (t) => {
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat((i * 7) % 23)}é`);
  for (const max of [40, 41, 64, 1000]) {
    const { sink, summary } = await read(t.testdir(), `${lines.join('\n')}\n`, max);
    t.same(
      sink.lines.map(([, s]) => s),
      lines,
      `maxLineBytes ${max}`,
    );
    t.equal(summary.lines, 500);
    t.same(sink.skipped, []);
  }
});

t.test('a line of exactly maxLineBytes is kept; one byte more is overlong and skipped', async (t) => {
  const { sink, summary } = await read(t.testdir(), `${'a'.repeat(16)}\n${'b'.repeat(17)}\nc\n${'d'.repeat(50)}`, 16);
  t.same(sink.lines, [
    [1, 'a'.repeat(16)],
    [3, 'c'],
  ]);
  t.same(sink.skipped, [2, 4]);
  t.same(summary, { lines: 4, unterminated: true }, 'an overlong last line still counts as unterminated');
});

t.test('a 3 MiB line under the default limit is skipped without a crash, and reading resumes after it', async (t) => {
  const { sink, summary } = await read(t.testdir(), `first\n${'z'.repeat(3 << 20)}\nafter\n`);
  t.same(sink.lines, [
    [1, 'first'],
    [3, 'after'],
  ]);
  t.same(sink.skipped, [2]);
  t.equal(summary.lines, 3);
});

t.test('binary garbage decodes (invalid UTF-8 becomes U+FFFD) and keeps line numbers right', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256));
  const newlines = bytes.filter((b) => b === 10).length;
  const { sink, summary } = await read(t.testdir(), Buffer.concat([bytes, Buffer.from('\ntail\n')]));
  t.equal(summary.lines, newlines + 2);
  t.same(sink.lines.at(-1), [newlines + 2, 'tail']);
});

t.test('file errors surface as Node errors with the path', async (t) => {
  const dir = t.testdir({ sub: {} });
  await t.rejects(readLines(join(dir, 'missing.log'), new Collector()), { code: 'ENOENT', path: join(dir, 'missing.log') });
  const isDir = readLines(join(dir, 'sub'), new Collector());
  await t.rejects(isDir, { code: 'EISDIR', path: join(dir, 'sub') });
  await t.rejects(readLines(join(dir, 'sub'), new Collector()), FileKindError);
  await t.rejects(readLines(join(dir, 'x'), new Collector(), 0), RangeError);
});

t.test('a pipe (size 0 when opened) widens the buffer for lines longer than its first 64 KiB, up to the limit', async (t) => {
  const fifo = join(t.testdir(), 'pipe');
  execFileSync('mkfifo', [fifo]);
  const long = 'x'.repeat(200_000);
  // The writer's open blocks until the reader opens the pipe; both run on the thread pool.
  const writing = writeFile(fifo, `a\n${long}\n${'y'.repeat(300_001)}\nb\n`);
  const sink = new Collector();
  const summary = await readLines(fifo, sink, 300_000);
  await writing;
  t.same(
    sink.lines.map(([n, s]) => [n, s.length]),
    [
      [1, 1],
      [2, long.length],
      [4, 1],
    ],
  );
  t.same(sink.skipped, [3], 'past the limit it is still overlong');
  t.same(summary, { lines: 4, unterminated: false });
});

t.test('readLinesSync reads exactly what readLines reads, and fails the same way', async (t) => {
  const dir = t.testdir({ sub: {} });
  const contents = ['a\r\n\nb\r\n  \nlast', 'x\ny\n', '', `short\n${'z'.repeat(100)}\nafter\n`, Buffer.from([0xff, 0x0a, 0xc3, 0x28])];
  for (const [i, c] of contents.entries()) {
    const file = join(dir, `f${i}`);
    writeFileSync(file, c);
    const async = new Collector(),
      sync = new Collector();
    const a = await readLines(file, async, 50);
    t.same(readLinesSync(file, sync, 50), a, `summary of content ${i}`);
    t.same([sync.lines, sync.skipped], [async.lines, async.skipped], `lines of content ${i}`);
  }
  t.throws(() => readLinesSync(join(dir, 'missing.log'), new Collector()), { code: 'ENOENT', path: join(dir, 'missing.log') });
  t.throws(() => readLinesSync(join(dir, 'sub'), new Collector()), FileKindError);
  t.throws(() => readLinesSync(join(dir, 'x'), new Collector(), 0), RangeError);
});
