// log_bytes.test: the byte writer gives formatInstanceLine's lines exactly, within its room.
import t from 'tap';
import { LogText } from '../../runtime/driver/logtext.js';
import type { InstanceEvent } from './io.js';
import { formatInstanceLine } from './instance_log.js';
import { instanceLinesRoom, writeInstanceLines, writeInstanceLog } from './log_bytes.js';

function viaStrings(events: readonly InstanceEvent[], atUs: number): string {
  return events.map((e) => formatInstanceLine(e, atUs) + '\n').join('');
}

t.test('writeInstanceLines writes formatInstanceLine’s lines, within instanceLinesRoom, at any offset', async (t) => {
  const events: InstanceEvent[] = [];
  const keys = ['', 'k', 'key-0000000042', 'x'.repeat(40)];
  for (const [i, seq] of [0, 7, 9, 10, 99, 100, 123_456_789, 2 ** 31, Number.MAX_SAFE_INTEGER].entries())
    for (const event of ['generate', 'commit'] as const) events.push({ event, seq, key: keys[i % keys.length] as string });
  // not what a rank logs, but what formatInstanceLine would write for it: the writer agrees
  events.push({ event: 'commit', seq: 2 ** 60, key: 'big' }, { event: 'generate', seq: -1, key: 'neg' });
  for (const atUs of [0, 5, 999_999_999, 1_000_000_000, 1_733_437_000_123_456.5, 2 ** 60]) {
    for (const list of [events, events.slice(0, 1), []]) {
      const text = new LogText();
      text.add('before');
      text.fill(instanceLinesRoom(list), (buf, at) => writeInstanceLines(list, atUs, buf, at));
      text.add('after');
      t.equal(Buffer.from(text.take()).toString('latin1'), `before\n${viaStrings(list, atUs)}after\n`, `at ${atUs}, ${list.length} events`);
    }
  }
});

t.test('a step after another at a different time writes its own time', async (t) => {
  const text = new LogText();
  const e: InstanceEvent[] = [{ event: 'commit', seq: 3, key: 'a' }];
  for (const atUs of [1_733_437_000_999_999, 17, 1_733_437_001_000_000])
    text.fill(instanceLinesRoom(e), (buf, at) => writeInstanceLines(e, atUs, buf, at));
  t.equal(
    Buffer.from(text.take()).toString('latin1'),
    viaStrings(e, 1_733_437_000_999_999) + viaStrings(e, 17) + viaStrings(e, 1_733_437_001_000_000),
  );
});

t.test('writeInstanceLog writes what a core emitted, also events the byte writer does not know', async (t) => {
  const odd = [
    { event: 'Commit', seq: 1, key: 'k' },
    { event: 'commit', seq: 2, key: 7 },
    { event: 'generate', seq: '3', key: 'k' },
  ] as unknown as InstanceEvent[];
  const good: InstanceEvent[] = [{ event: 'commit', seq: 4, key: 'k' }];
  for (const list of [odd, [...good, ...odd], good]) {
    const text = new LogText();
    writeInstanceLog(list, 1_733_437_000_000_001, text, (e) => formatInstanceLine(e, 1_733_437_000_000_001));
    t.equal(Buffer.from(text.take()).toString('latin1'), viaStrings(list, 1_733_437_000_000_001), `${list.length} events`);
  }
});

t.test('the room holds the longest number String writes (25 chars)', async (t) => {
  const atUs = -1.7976931348623157e308;
  const e: InstanceEvent[] = [{ event: 'generate', seq: -0.0000012345678901234567, key: 'k' }];
  t.equal(String(e[0]?.seq).length, 25);
  const text = new LogText();
  text.fill(instanceLinesRoom(e), (buf, at) => writeInstanceLines(e, atUs, buf, at));
  t.equal(Buffer.from(text.take()).toString('latin1'), viaStrings(e, atUs));
});
