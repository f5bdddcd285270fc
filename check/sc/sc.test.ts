// sc: histories a sequentially consistent store can produce pass; a stale read, a process whose
// stamps go back, a missed own write (T19's shape), an unknown write that fits nowhere and two
// writes at one vts each fail, named; unstamped or foreign histories are malformed.
import t from 'tap';
import { checkLinearizable, HistoryError, parseHistoryText } from '../lin/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { History as ClientHistory } from '../../runtime/client/history.js';
import { checkSequential, formatScReport, MAX_VIOLATIONS, scJson, type ScResult } from './index.js';

type V = { version: number; shard: number };
const v = (version: number, shard = 0): V => ({ version, shard });

/** Lines of a JSONL history: each op is an invoke and its completion, in the order given. */
class H {
  readonly lines: string[] = [];
  private ev(process: number, type: string, f: string, key: string, value: string | null, extra: object = {}): this {
    this.lines.push(JSON.stringify({ process, type, f, key, value, ...extra }));
    return this;
  }
  put(p: number, key: string, value: string, vts: V | 'info' | 'fail'): this {
    this.ev(p, 'invoke', 'put', key, value);
    return typeof vts === 'string' ? this.ev(p, vts, 'put', key, value) : this.ev(p, 'ok', 'put', key, value, { vts });
  }
  del(p: number, key: string, vts: V): this {
    return this.ev(p, 'invoke', 'delete', key, null).ev(p, 'ok', 'delete', key, null, { vts });
  }
  get(p: number, key: string, value: string | null, at: V): this {
    return this.ev(p, 'invoke', 'get', key, null).ev(p, 'ok', 'get', key, value, { at });
  }
  invoke(p: number, f: string, key: string, value: string | null): this {
    return this.ev(p, 'invoke', f, key, value);
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
  check(): ScResult {
    return checkSequential(parseHistoryText(this.text()));
  }
}

const kinds = (r: ScResult): string[] => r.violations.map((x) => x.kind);

t.test('a sequentially consistent history passes, stale in real time or not', async (t) => {
  const h = new H()
    .put(0, 'a', 'a1', v(1, 0))
    .put(1, 'b', 'b1', v(1, 1))
    .get(2, 'a', null, v(0)) // a local read behind the write, in real time after it: SC, not linearizable
    .get(2, 'a', 'a1', v(1, 1))
    .del(0, 'a', v(2, 0))
    .get(1, 'a', null, v(2, 0))
    .get(2, 'b', 'b1', v(2, 0));
  const r = h.check();
  t.equal(r.verdict, 'sequentially consistent', formatScReport('h', r));
  t.same([r.ops, r.writes, r.reads, r.unknownWrites], [7, 3, 4, 0]);
  t.equal(checkLinearizable(parseHistoryText(h.text())).verdict, 'not linearizable', '--lin reads the same file and tells the difference');
  t.match(formatScReport('h', r), 'verdict: sequentially consistent');
});

t.test('stale read: a read that misses the latest write at or before its place', async (t) => {
  const r = new H().put(0, 'a', 'a1', v(1)).put(0, 'a', 'a2', v(3)).get(1, 'a', 'a1', v(4, 2)).check();
  t.equal(r.verdict, 'not sequentially consistent');
  t.same(kinds(r), ['stale-read']);
  t.match(
    r.violations[0]?.text,
    'get a at (4, 2) saw "a1", but the latest write to it at or before that is at (3, 0); that value was written at (1, 0)',
  );
  const future = new H().put(0, 'a', 'a1', v(5)).get(1, 'a', 'a1', v(4, 9)).check();
  t.same(kinds(future), ['stale-read'], 'a read that sees a write placed after it');
  const nowhere = new H().put(0, 'a', 'a1', v(1)).get(1, 'a', 'zz', v(2)).check();
  t.match(nowhere.violations[0]?.text, 'no write of that value took effect');
  const failed = new H().put(0, 'a', 'a1', 'fail').get(1, 'a', 'a1', v(2)).check();
  t.same(kinds(failed), ['stale-read'], 'a failed write did not take effect');
});

t.test('program order: a process never goes back, and always sees its own write', async (t) => {
  const back = new H().put(0, 'a', 'a1', v(5)).put(1, 'b', 'b1', v(6, 1)).get(2, 'b', 'b1', v(6, 1)).get(2, 'a', 'a1', v(5)).check();
  t.same(kinds(back), ['program-order'], 'a second read at a smaller prefix than the first');
  t.match(back.violations[0]?.text, 'process 2 read at (5, 0) after its read at (6, 1): less than it had already seen');
  const write = new H().put(0, 'a', 'a1', v(5)).put(0, 'b', 'b1', v(5)).check();
  t.ok(kinds(write).includes('program-order'), 'a write not ordered after the process’s previous write');
  // T19 (D17): own write at (10, 5), home node at (10, 2): a version-only comparison passes it.
  const own = new H().put(0, 'k', 'old', v(3, 1)).put(1, 'k', 'mine', v(10, 5)).get(1, 'k', 'old', v(10, 2)).check();
  t.same(kinds(own), ['program-order']);
  t.match(own.violations[0]?.text, 'process 1 read at (10, 2) after its write at (10, 5): without its own write');
});

t.test('unknown writes: may have taken effect once, at one place', async (t) => {
  const seen = new H()
    .put(0, 'a', 'a1', v(1))
    .put(1, 'a', 'u', 'info')
    .get(2, 'a', 'u', v(3))
    .get(3, 'a', 'u', v(4))
    .get(2, 'a', 'u', v(5))
    .check();
  t.equal(seen.verdict, 'sequentially consistent', 'reads may see an unknown write');
  t.equal(seen.unknownWrites, 1);
  const open = new H().put(0, 'a', 'a1', v(1)).invoke(1, 'put', 'a', 'u').get(2, 'a', 'u', v(3)).check();
  t.equal(open.verdict, 'sequentially consistent', 'a write never completed is unknown too');
  // Read 1 pins the write after (4, 0); read 2 saw it at (3, 0): before (4, 0).
  const twice = new H()
    .put(0, 'a', 'a1', v(1))
    .put(1, 'a', 'u', 'info')
    .put(0, 'a', 'a2', v(4))
    .get(2, 'a', 'u', v(3))
    .get(3, 'a', 'u', v(6))
    .check();
  t.same(kinds(twice), ['unknown-write'], 'it cannot take effect twice, around another write');
  t.match(twice.violations[0]?.text, 'the unknown put of a that 2 reads saw must sit after (4, 0) and at or before (3, 0): no such place');
  // Seen at (5, 0) after a1 at (1, 0); but reads at (2, 0) and (4, 0) saw a1 — windows (1, 2] and (1, 4] — and one at (5, 0)… saw u.
  const covered = new H().put(0, 'a', 'a1', v(1)).put(1, 'a', 'u', 'info').get(2, 'a', 'a1', v(3)).get(3, 'a', 'u', v(3, 1)).check();
  t.equal(covered.verdict, 'sequentially consistent', 'it may sit at (3, 1), after the read at (3, 0)');
  const none = new H().put(0, 'a', 'a1', v(1)).put(1, 'a', 'u', 'info').get(2, 'a', 'a1', v(3)).get(3, 'a', 'u', v(3)).check();
  t.same(kinds(none), ['unknown-write'], 'two reads at one place saw different values');
  t.match(none.violations[0]?.text, 'fits nowhere in ((1, 0), (3, 0)]: reads there saw other writes');
  const ambiguous = new H().put(1, 'a', 'u', 'info').put(2, 'a', 'u', 'info').get(3, 'a', 'u', v(3)).get(3, 'a', 'u', v(4)).check();
  t.equal(ambiguous.verdict, 'sequentially consistent', 'two unknown writes of one value: either may explain a read');
});

t.test('two writes at one vts; many violations are counted, the first listed', async (t) => {
  const dup = new H().put(0, 'a', 'a1', v(2, 1)).put(1, 'b', 'b1', v(2, 1)).check();
  t.same(kinds(dup), ['duplicate-vts']);
  const h = new H().put(0, 'a', 'a1', v(1));
  for (let i = 0; i < MAX_VIOLATIONS + 5; i++) h.get(1 + i, 'a', 'nope', v(2));
  const many = h.check();
  t.equal(many.violations.length, MAX_VIOLATIONS);
  t.equal(many.more, 5);
  t.match(formatScReport('m', many), '… and 5 more violations\nverdict: NOT sequentially consistent');
  const j = scJson('m', many) as { verdict: string; violations: { kind: string; ops: { invokeLine: number }[] }[] };
  t.equal(j.verdict, 'not sequentially consistent');
  t.same(j.violations[0]?.ops[0]?.invokeLine, 3);
});

t.test('malformed for --sc: unstamped ok ops, stamps on the wrong op, appends, registers', async (t) => {
  const no = (text: string, why: RegExp): void => {
    t.throws(() => checkSequential(parseHistoryText(text)), { name: 'HistoryError', message: why });
  };
  const ok = (o: object): string => JSON.stringify({ process: 0, type: 'ok', ...o });
  const inv = (o: object): string => JSON.stringify({ process: 0, type: 'invoke', ...o });
  no([inv({ f: 'put', key: 'a', value: 'x' }), ok({ f: 'put', key: 'a', value: 'x' })].join('\n'), /line 2: an ok put without "vts"/);
  no([inv({ f: 'get', key: 'a', value: null }), ok({ f: 'get', key: 'a', value: null })].join('\n'), /line 2: an ok get without "at"/);
  no([inv({ f: 'append', key: 'a', value: 'x' })].join('\n'), /line 1: --sc checks get, put and delete/);
  no('{:process 0, :type :invoke, :f :write, :value 1}\n', /not registers/);
  t.throws(
    () => parseHistoryText([inv({ f: 'get', key: 'a', value: null }), ok({ f: 'get', key: 'a', value: null, vts: v(1) })].join('\n')),
    HistoryError,
  );
  t.throws(
    () => parseHistoryText([inv({ f: 'put', key: 'a', value: 'x' }), ok({ f: 'put', key: 'a', value: 'x', at: v(1) })].join('\n')),
    /line 2: a put carries no at/,
  );
  t.throws(
    () =>
      parseHistoryText([inv({ f: 'put', key: 'a', value: 'x' }), ok({ f: 'put', key: 'a', value: 'x', vts: { version: 1 } })].join('\n')),
    /line 2: "vts" must be \{"version": n, "shard": n\}/,
  );
  const old = parseHistoryText([inv({ f: 'put', key: 'a', value: 'x' }), ok({ f: 'put', key: 'a', value: 'x' })].join('\n'));
  t.equal(checkLinearizable(old).verdict, 'linearizable', 'a history without stamps is still a --lin history');
  t.equal(checkSequential(parseHistoryText('')).verdict, 'sequentially consistent', 'an empty history');
});

t.test("the client library's history (runtime/client/history.ts) is what --sc reads", async (t) => {
  const h = new ClientHistory();
  const put = { f: 'put', key: 'a', value: 'x' } as const;
  const get = { f: 'get', key: 'a', read: 'local' } as const;
  h.invoke(0, put, 0);
  h.complete(0, put, { type: 'ok', result: null, vts: v(2, 1) }, 1);
  h.invoke(0, get, 2);
  h.complete(0, get, { type: 'ok', result: 'x', at: v(2, 1) }, 3);
  h.invoke(0, get, 4);
  h.complete(0, get, { type: 'ok', result: null, at: v(1, 0) }, 5);
  const r = checkSequential(parseHistoryText(h.toJsonl()));
  t.same(kinds(r), ['program-order'], 'the last read went back past its own write (a store that ignored after)');
});

/**
 * scHistory: a random history a sequentially consistent store could give: one global write
 * order, each write the newest; each read at a prefix between what its process had seen and
 * the newest; some writes unknown to their client (applied or not); processes interleaved.
 */
function scHistory(r: SeededRandom, processes: number, steps: number): H {
  const h = new H();
  const order: { key: string; value: string | null; vts: V }[] = [];
  const seenBy = Array.from({ length: processes }, () => -1); // index into order
  let values = 0;
  for (let i = 0; i < steps; i++) {
    const p = r.int(processes);
    const key = `k${r.int(3)}`;
    if (r.int(2) === 0) {
      const value = `v${values++}`;
      const vts = v(order.length + 1, r.int(4));
      const roll = r.int(8);
      if (roll === 0) {
        h.put(p, key, value, 'info'); // unknown, never applied
        continue;
      }
      order.push({ key, value, vts });
      seenBy[p] = order.length - 1;
      if (roll === 1)
        h.put(p, key, value, 'info'); // unknown, applied
      else h.put(p, key, value, vts);
    } else {
      const from = seenBy[p] ?? -1;
      const at = from + r.int(order.length - from);
      seenBy[p] = at;
      let value: string | null = null;
      for (let j = at; j >= 0; j--)
        if (order[j]?.key === key) {
          value = order[j]?.value ?? null;
          break;
        }
      h.get(p, key, value, at < 0 ? v(0) : (order[at]?.vts ?? v(0)));
    }
  }
  return h;
}

t.test('property: histories a sequentially consistent store gives pass; a read moved back fails', async (t) => {
  const seed = 'sc-property';
  const r = new SeededRandom(seed);
  let falseAlarms = 0;
  let missed = 0;
  let unknownSeen = 0;
  for (let run = 0; run < 300; run++) {
    const h = scHistory(r, 1 + r.int(5), 10 + r.int(60));
    const res = h.check();
    if (res.verdict !== 'sequentially consistent') falseAlarms++;
    unknownSeen += res.unknownWrites;
    // Mutation: a process's read placed before its own previous write.
    const lines = h.lines.map((l) => JSON.parse(l) as { process: number; type: string; f: string; vts?: V; at?: V });
    const w = lines.findIndex((l) => l.type === 'ok' && l.vts !== undefined && l.vts.version > 1);
    const later = lines.findIndex((l, i) => i > w && l.type === 'ok' && l.f === 'get' && l.process === lines[w]?.process);
    if (w < 0 || later < 0) continue;
    const moved = lines.map((l, i) => (i === later ? { ...l, at: v(0) } : l));
    const bad = checkSequential(parseHistoryText(moved.map((l) => JSON.stringify(l)).join('\n')));
    if (bad.verdict === 'sequentially consistent') missed++;
  }
  const replay = `replay: npx tap check/sc/sc.test.ts (seed '${seed}')`;
  t.equal(falseAlarms, 0, `no false alarm; ${replay}`);
  t.equal(missed, 0, `every moved read caught; ${replay}`);
  t.ok(unknownSeen > 100, `${unknownSeen} unknown writes among the histories`);
});
