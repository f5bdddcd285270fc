// tracefile.test: a real rank's trace is docs/trace.md's lines, times after round 0, and its
// byte budget drops messages (announced once) while state lines go on, up to the hard limit.
import t from 'tap';
import { MemorySink } from './logsink.js';
import { TraceFile } from './tracefile.js';

const parse = (sink: MemorySink): Record<string, unknown>[] => sink.lines().map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('lines carry t after the start and the described message fields; nothing is written before a flush or close', async (t) => {
  const sink = new MemorySink();
  const trace = new TraceFile(sink, 1000);
  trace.note(1000, { ev: 'start', incarnation: 0 });
  trace.message(1012.3456789, 'send', 0, 2, { type: 'Accept', round: 3, seq: [5, 9], size: 120 });
  trace.message(1013, 'recv', 2, 0, { type: 'Ack' });
  t.equal(sink.text, '', 'buffered: a few events make no write');
  trace.close();
  t.same(parse(sink), [
    { t: 0, ev: 'start', incarnation: 0 },
    { t: 12.346, ev: 'send', from: 0, to: 2, type: 'Accept', round: 3, seq: [5, 9], size: 120 },
    { t: 13, ev: 'recv', from: 2, to: 0, type: 'Ack' },
  ]);
});

t.test('past the budget, messages and persists stop with one truncated line; commits go on until the hard limit', async (t) => {
  const sink = new MemorySink();
  const budgetBytes = 10_000;
  const trace = new TraceFile(sink, 0, { budgetBytes });
  for (let i = 0; i < 1000; i++) trace.message(i, 'send', 0, 1, { type: 'Accept', seq: [i, i] });
  for (let i = 0; i < 10; i++) trace.persist(1000 + i, [i, i]);
  trace.note(2000, { ev: 'commit', n: 1, lines: 1 });
  trace.close();
  const lines = parse(sink);
  const truncated = lines.filter((l) => l.ev === 'truncated');
  t.equal(truncated.length, 1, 'the page is told once');
  t.same(truncated[0]?.dropping, ['send', 'recv', 'persist']);
  t.ok(sink.text.length < budgetBytes + 200, `messages stop near the budget (${sink.text.length} bytes)`);
  t.equal(lines.filter((l) => l.ev === 'persist').length, 0, 'persists past the budget are dropped');
  t.same(lines.at(-1), { t: 2000, ev: 'commit', n: 1, lines: 1 }, 'a commit past the budget is kept');

  for (let i = 0; i < 1000; i++) trace.note(3000 + i, { ev: 'commit', n: 1, lines: 2 + i });
  trace.close();
  const all = parse(sink);
  t.same(all.at(-1)?.dropping, 'all', 'the hard limit ends the trace with a second truncated line');
  t.ok(sink.text.length < budgetBytes * 1.25 + 200, `the file stays under the hard limit (${sink.text.length} bytes)`);
});
