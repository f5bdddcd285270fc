// early_logs.test: chunks written while a run goes on, then each log's rest at the end, make the
// file a log's own bytes say it is (a torn last line without its newline); a log that took back
// a line it had handed over is left for the caller to write whole.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineLog } from '../../runtime/sim/line_log.js';
import { EarlyLogs } from './early_logs.js';

const line = (i: number): string => `commit Instance[k${i}] in seq ${i} at ${1e15 + i}`;

t.test('chunks, then the rest: each file is its log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-early-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const early = new EarlyLogs(dir, 3);
  const logs = [0, 1, 2].map((rank) => new LineLog({ chunkBytes: 300, filled: (bytes) => early.chunk(rank, bytes) }));
  logs.forEach((log, rank) => {
    for (let i = 0; i < 40 + 17 * rank; i++) log.push(line(i));
  });
  logs[1]?.cutLast(7); // a torn last line: no newline in the file
  logs[2]?.push('café'); // not ASCII from here on: written whole by the caller
  const whole = await early.finish(logs.map((log, rank) => ({ rank, log, unterminated: rank === 1 })));
  t.same(
    whole.map((r) => r.rank),
    [2],
    'the log that stopped handing over is left to the caller',
  );
  for (const rank of [0, 1]) {
    const log = logs[rank] as LineLog;
    const expected = Buffer.concat(log.fileBytes(rank !== 1) ?? []).toString('latin1');
    t.equal(readFileSync(join(dir, `instancelog${rank}.log`), 'latin1'), expected, `rank ${rank}'s file is its log`);
  }
  t.notOk(readFileSync(join(dir, 'instancelog1.log'), 'latin1').endsWith('\n'), 'the torn line has no newline');
});

t.test('a log that took back a line it had handed over is written whole by the caller', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-early-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const early = new EarlyLogs(dir, 1);
  const log = new LineLog({ chunkBytes: 300, filled: (bytes) => early.chunk(0, bytes) });
  for (let i = 0; log.unhanded()?.lines !== 1 || i < 10; i++) log.push(line(i));
  log.pop(); // the line that opened the last chunk: the chunk before would take lines again
  t.ok(log.retracted);
  const whole = await early.finish([{ rank: 0, log, unterminated: false }]);
  t.equal(whole.length, 1);
});
