// line_log.test: a LineLog gives back every line exactly as pushed (one-byte, Latin-1 and
// UTF-16 lines, across chunks), cuts and pops the last one as a torn write and a restart do,
// and its file bytes are what writing the lines one by one makes.
import t from 'tap';
import { LineLog } from './line_log.js';

function fileOf(lines: readonly string[], terminated: boolean): string {
  return lines.join('\n') + (terminated && lines.length > 0 ? '\n' : '');
}

function bytesOf(log: LineLog, terminated: boolean): string | undefined {
  const pieces = log.fileBytes(terminated);
  return pieces === undefined ? undefined : Buffer.concat(pieces).toString('utf8');
}

t.test('lines come back as pushed, in order, by index and by iteration', (t) => {
  const log = new LineLog();
  const lines = [
    'generate Instance[abc] in seq 1 at 1700000000000001',
    '',
    'café ÿ',
    'wide ☃ line',
    'surrogate \ud83d\ude00 and lone \ud800',
  ];
  for (const l of lines) log.push(l);
  t.equal(log.length, lines.length);
  t.same([...log], lines, 'iteration');
  t.same(log.toArray(), lines, 'toArray');
  t.same([...log.sliced()], lines, 'sliced');
  t.equal(log.at(3), 'wide ☃ line', 'at reads a two-byte line');
  t.equal(log.at(-1), undefined, 'no negative index');
  t.equal(log.at(lines.length), undefined, 'nothing past the end');
  t.equal(bytesOf(log, true), undefined, 'not ASCII: the caller writes line by line');
  t.end();
});

t.test('an ASCII log is its file: chunks filled in turn, a line too long for one gets its own', (t) => {
  const log = new LineLog();
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) lines.push(`commit Instance[${'k'.repeat(i % 50)}] in seq ${i} at ${1e15 + i}`);
  lines.splice(20_000, 0, 'x'.repeat((1 << 20) + 10)); // longer than a chunk
  for (const l of lines) log.push(l);
  t.equal(log.length, lines.length);
  t.same(log.toArray(), lines, 'every line back');
  t.same([...log.sliced()], lines, 'and as slices of each chunk’s text');
  t.same([...log.sliced(19_999)], lines.slice(19_999), 'from a line on, across the long one');
  t.same([...log.sliced(lines.length)], [], 'from the end: none');
  t.equal(bytesOf(log, true), fileOf(lines, true), 'terminated file');
  t.equal(bytesOf(log, false), fileOf(lines, false), 'unterminated file: no newline after the last line');
  t.end();
});

t.test('cutLast keeps a prefix of the last line, and the next push follows it', (t) => {
  const log = new LineLog();
  log.push('first line');
  log.push('second line');
  log.cutLast(3);
  t.same(log.toArray(), ['first line', 'sec'], 'cut to three units');
  t.equal(bytesOf(log, false), 'first line\nsec', 'the torn file ends in the prefix');
  log.pop();
  t.same(log.toArray(), ['first line'], 'a restart cuts the torn line');
  const reader = log.sliced();
  t.equal(reader.next().value, 'first line', 'a reader of the log so far');
  log.push('third');
  t.same(log.toArray(), ['first line', 'third'], 'the next line takes its place');
  t.equal(reader.next().value, 'third', 'and the reader reads on into it');
  t.equal(bytesOf(log, true), 'first line\nthird\n');
  log.push('wide ☃☃');
  log.cutLast(6);
  t.equal(log.at(2), 'wide ☃', 'a two-byte line is cut in code units');
  log.cutLast(0);
  t.equal(log.at(2), '', 'down to nothing');
  t.throws(() => log.cutLast(1), 'not past its length');
  t.end();
});

t.test('pop of a line that opened a chunk leaves the earlier chunks whole', (t) => {
  const log = new LineLog();
  // a push reserves 3 bytes a unit (UTF-8's most), so the second long line opens a second chunk
  const long = 'y'.repeat(300_000);
  log.push(long);
  log.push('z'.repeat(300_000));
  t.equal(log.fileBytes(true)?.length, 2, 'two chunks');
  log.pop();
  t.equal(log.fileBytes(true)?.length, 1, 'the emptied chunk is dropped');
  t.equal(bytesOf(log, false), long, 'unterminated: only the first line, without its newline');
  t.equal(bytesOf(log, true), `${long}\n`);
  log.cutLast(3);
  t.equal(bytesOf(log, true), 'yyy\n', 'a crash right after that restart tears the line in the earlier chunk');
  log.push('again');
  t.same(log.toArray(), ['yyy', 'again']);
  t.equal(bytesOf(log, true), 'yyy\nagain\n', 'the next line follows the cut one');
  t.equal(new LineLog().fileBytes(false)?.length, 0, 'an empty log is no bytes');
  t.throws(() => new LineLog().pop(), 'nothing to pop');
  t.end();
});

t.test('sliced reads a chunk in windows: lines across a window edge, and lines longer than a window, come back whole', (t) => {
  const log = new LineLog();
  const lines: string[] = [];
  for (let i = 0; i < 3_000; i++) lines.push(`${i} ${'w'.repeat((i * 7919) % 900)}`);
  lines.splice(1_500, 0, 'v'.repeat(40_000), 'u'.repeat(70_000)); // longer than a window (32 KiB)
  for (const l of lines) log.push(l);
  t.same([...log.sliced()], lines, 'every line');
  t.end();
});

/** tapped: a log with a small chunk whose tap keeps what it is handed. */
function tapped(chunkBytes: number): { log: LineLog; handed: { text: string; lines: number; shared: boolean }[] } {
  const handed: { text: string; lines: number; shared: boolean }[] = [];
  const log = new LineLog({
    chunkBytes,
    filled: (bytes, lines) =>
      handed.push({ text: Buffer.from(bytes).toString('latin1'), lines, shared: bytes.buffer instanceof SharedArrayBuffer }),
  });
  return { log, handed };
}

t.test('a tap is handed each full chunk: every line in it, once; the rest stays for the end', (t) => {
  const { log, handed } = tapped(256);
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    const line = `commit Instance[k${i}] in seq ${i} at ${1e15 + i}`;
    lines.push(line);
    log.push(line);
  }
  t.ok(handed.length > 5, `${handed.length} chunks handed over`);
  t.ok(
    handed.every((h) => h.shared),
    'a tap is handed shared memory',
  );
  const rest = log.unhanded();
  if (rest === undefined) return t.fail('nothing retracted');
  const text = handed.map((h) => h.text).join('') + Buffer.from(rest.bytes).toString('latin1');
  t.equal(text, fileOf(lines, true), 'handed chunks then the rest are the file');
  t.equal(handed.reduce((n, h) => n + h.lines, 0) + rest.lines, lines.length, 'line counts add up');
  t.notOk(log.retracted);
  t.end();
});

t.test('a log takes back what it handed over: a pop into a handed chunk, a line not ASCII', (t) => {
  /** justHanded pushes lines until one opens a chunk: the lines before it were just handed over. */
  const justHanded = (log: LineLog, handed: readonly unknown[]): void => {
    for (let i = 0; handed.length === 0 || log.unhanded()?.lines !== 1; i++) log.push(`commit Instance[k${i}] in seq ${i} at ${1e15 + i}`);
  };
  const cut = tapped(512);
  justHanded(cut.log, cut.handed);
  t.equal(cut.handed.length, 1);
  cut.log.cutLast(5);
  t.notOk(cut.log.retracted, 'cutting a line not handed over takes nothing back');
  cut.log.pop();
  t.ok(cut.log.retracted, 'a pop that empties the last chunk: the handed chunk would take lines again');
  t.equal(cut.log.unhanded(), undefined);
  const wide = tapped(512);
  justHanded(wide.log, wide.handed);
  wide.log.push('café');
  t.ok(wide.log.retracted, 'a Latin-1 line is not one UTF-8 byte per unit');
  const handedBefore = wide.handed.length;
  for (let i = 0; i < 50; i++) wide.log.push(`commit Instance[k${i}] in seq ${i} at ${1e15 + i}`);
  t.equal(wide.handed.length, handedBefore, 'nothing more is handed over');
  t.equal(wide.log.at(wide.log.length - 51), 'café', 'the log itself is whole');
  t.end();
});

t.test("a tap's spare chunk is the next chunk", (t) => {
  const spare = new Uint8Array(new SharedArrayBuffer(512));
  let offered = 0;
  const handed: Uint8Array[] = [];
  const log = new LineLog({
    chunkBytes: 512,
    filled: (bytes) => handed.push(bytes),
    spare: () => (offered++ === 1 ? spare : undefined),
  });
  for (let i = 0; handed.length < 3; i++) log.push(`commit Instance[k${i}] in seq ${i} at ${1e15 + i}`);
  t.ok(offered >= 3, 'asked at each chunk');
  t.equal(handed[1]?.buffer, spare.buffer, 'the second chunk is the spare');
  t.not(handed[0]?.buffer, spare.buffer);
  t.end();
});
