// Proves the linearizability checker's semantics (docs/history.md §Models) on hand-built
// histories, its verdicts on generated ones (linearizable by construction; broken by one
// altered read or append), that order-preserving shuffles keep the verdict, that malformed
// lines are refused with their line number, and that the fast path agrees with the search.
import t, { type Test } from 'tap';
import { checkLinearizable, HistoryError, parseHistoryText, type ModelName } from './index.js';
import { compile, initialState, type SearchOp } from './models.js';
import { fastPath } from './fastpath.js';
import { search } from './search.js';
import { formatLinReport } from './report.js';
import { generateHistory, type GenHistoryOptions } from '../../scripts/bench/gen-history.js';
import { SeededRandom } from '../../runtime/random.js';

/** ev writes one EDN event: ev(0, 'invoke', 'write', 1). */
const ev = (p: number, type: string, f: string, v: string | number = 'nil', extra = ''): string =>
  `{:process ${p}, :type :${type}, :f :${f}, :value ${v}${extra}}`;
const kv = (p: number, type: string, f: string, key: string, v: string | number = 'nil'): string =>
  `{:process ${p}, :type :${type}, :f :${f}, :key "${key}", :value ${typeof v === 'string' && v !== 'nil' ? JSON.stringify(v) : v}}`;
/** op writes an invoke and its completion right after: a sequential op. */
const op = (p: number, f: string, arg: string | number, type = 'ok', out: string | number = arg): string[] => [
  ev(p, 'invoke', f, f === 'read' ? 'nil' : arg),
  ev(p, type, f, out),
];
const verdict = (lines: string[], model?: ModelName, fast = true): string =>
  checkLinearizable(parseHistoryText(lines.join('\n'), model), model, { fastPath: fast }).verdict;
/** both checks the verdict with and without the fast path: they must agree. */
function both(t: Test, lines: string[], want: string, what: string): void {
  t.equal(verdict(lines), want, what);
  t.equal(verdict(lines, undefined, false), want, `${what} (search only)`);
}

t.test('register: nil before any write, stale reads, concurrent writes', async (t) => {
  both(t, [...op(0, 'read', 'nil'), ...op(0, 'write', 1), ...op(1, 'read', 1)], 'linearizable', 'a read of nil before any write is legal');
  both(t, [...op(0, 'write', 1), ...op(1, 'read', 'nil', 'ok', 'nil')], 'not linearizable', 'a read of nil after a write completed');
  both(t, [...op(0, 'write', 1), ...op(1, 'write', 2), ...op(0, 'read', 1, 'ok', 1)], 'not linearizable', 'a stale read');
  const concurrent = [ev(0, 'invoke', 'write', 1), ev(1, 'invoke', 'write', 2), ev(0, 'ok', 'write', 1), ev(1, 'ok', 'write', 2)];
  both(t, [...concurrent, ...op(2, 'read', 1, 'ok', 1), ...op(2, 'read', 1, 'ok', 1)], 'linearizable', 'concurrent writes: either order');
  both(t, [...concurrent, ...op(2, 'read', 2, 'ok', 2)], 'linearizable', 'concurrent writes: the other order');
  both(t, [...concurrent, ...op(2, 'read', 2, 'ok', 2), ...op(2, 'read', 1, 'ok', 1)], 'not linearizable', 'but not both orders');
});

t.test('register: :info and unmatched invokes may take effect at most once, any time after invoke', async (t) => {
  const info = [ev(0, 'invoke', 'write', 1), ev(0, 'info', 'write', ':timed-out')];
  both(t, [...info, ...op(1, 'read', 1, 'ok', 1)], 'linearizable', 'an :info write seen');
  both(t, [...info, ...op(1, 'read', 'nil', 'ok', 'nil')], 'linearizable', 'an :info write not (yet) seen');
  both(t, [...info, ...op(1, 'read', 1, 'ok', 1), ...op(1, 'read', 'nil')], 'not linearizable', 'seen, then unseen: at most once');
  both(t, [...info, ...op(1, 'read', 'nil'), ...op(1, 'read', 1, 'ok', 1)], 'linearizable', 'it may take effect long after its :info');
  both(t, [...op(1, 'read', 1, 'ok', 1), ...info], 'not linearizable', 'but not before its invoke');
  t.equal(
    verdict([...info, ...op(0, 'write', 2), ...op(1, 'read', 1, 'ok', 1)]),
    'linearizable',
    ':info frees its process to invoke again',
  );
  both(t, [ev(0, 'invoke', 'write', 3), ...op(1, 'read', 3, 'ok', 3)], 'linearizable', 'an invoke never completed is open to the end');
  both(t, [...op(0, 'write', 1), ...op(1, 'write', 2, 'fail', ':failed'), ...op(1, 'read', 2, 'ok', 2)], 'not linearizable', ':fail write');
  both(t, [...op(0, 'write', 1), ...op(1, 'read', 9, 'fail', 9), ...op(1, 'read', 9, 'info', 9)], 'linearizable', 'a :fail/:info read');
});

t.test('register: cas follows etcd: :fail means the register did not hold from (Knossos would drop it)', async (t) => {
  const knossosDisagrees = [...op(0, 'write', 1), ...op(1, 'cas', '[1 2]', 'fail'), ...op(0, 'read', 1, 'ok', 1)];
  both(t, knossosDisagrees, 'not linearizable', 'write 1; cas [1 2] :fail; read 1');
  both(
    t,
    [...op(0, 'write', 0), ...op(1, 'cas', '[1 2]', 'fail'), ...op(0, 'read', 0, 'ok', 0)],
    'linearizable',
    'a cas that failed rightly',
  );
  both(t, [...op(0, 'write', 1), ...op(1, 'cas', '[1 2]'), ...op(0, 'read', 2, 'ok', 2)], 'linearizable', 'cas :ok swaps');
  both(t, [...op(0, 'write', 1), ...op(1, 'cas', '[1 2]'), ...op(0, 'read', 1, 'ok', 1)], 'not linearizable', 'a swap lost');
  both(t, [...op(0, 'write', 0), ...op(1, 'cas', '[1 2]'), ...op(0, 'read', 2, 'ok', 2)], 'not linearizable', 'cas :ok from a wrong value');
  const casInfo = [...op(0, 'write', 1), ev(1, 'invoke', 'cas', '[1 2]'), ev(1, 'info', 'cas', ':timed-out')];
  both(t, [...casInfo, ...op(0, 'read', 2, 'ok', 2)], 'linearizable', 'an :info cas may have swapped');
  both(t, [...casInfo, ...op(0, 'read', 1, 'ok', 1)], 'linearizable', 'or not');
});

t.test('equal :time makes two events concurrent; otherwise line order is real time', async (t) => {
  const at = (s: string, time: number): string => s.replace(/}$/, `, :time ${time}}`);
  const w = op(0, 'write', 1).map((s, i) => at(s, i + 1));
  both(
    t,
    [...w, at(ev(1, 'invoke', 'read'), 2), at(ev(1, 'ok', 'read', 'nil'), 3)],
    'linearizable',
    "read invoked at the write's completion time",
  );
  both(t, [...w, at(ev(1, 'invoke', 'read'), 3), at(ev(1, 'ok', 'read', 'nil'), 4)], 'not linearizable', 'read invoked later');
});

t.test('kv: absent is nil or "", appends concatenate, deletes, independent keys', async (t) => {
  const get = (p: number, k: string, out: string | number): string[] => [kv(p, 'invoke', 'get', k), kv(p, 'ok', 'get', k, out)];
  const w = (p: number, f: string, k: string, v: string | number = 'nil'): string[] => [kv(p, 'invoke', f, k, v), kv(p, 'ok', f, k, v)];
  both(
    t,
    [...get(0, 'a', 'nil'), ...get(1, 'a', ''), ...w(0, 'append', 'a', 'x'), ...get(1, 'a', 'x')],
    'linearizable',
    'nil, "" and append to absent',
  );
  both(t, [...w(0, 'append', 'a', 'x'), ...w(0, 'append', 'a', 'y'), ...get(1, 'a', 'xy')], 'linearizable', 'appends in order');
  both(t, [...w(0, 'append', 'a', 'x'), ...w(0, 'append', 'a', 'y'), ...get(1, 'a', 'yx')], 'not linearizable', 'appends reordered');
  both(t, [...w(0, 'append', 'a', 'x'), ...get(1, 'a', '')], 'not linearizable', 'a lost append');
  both(t, [...w(0, 'append', 'a', 'x'), ...get(1, 'a', 'xx')], 'not linearizable', 'a duplicated append');
  both(t, [...w(0, 'put', 'a', 'v'), ...w(0, 'delete', 'a'), ...get(1, 'a', 'nil')], 'linearizable', 'delete makes absent');
  both(t, [...w(0, 'put', 'a', 'v'), ...w(0, 'delete', 'a'), ...get(1, 'a', 'v')], 'not linearizable', 'a read past a delete');
  both(
    t,
    [...w(0, 'put', 'a', 'v'), ...w(0, 'delete', 'a'), ...w(0, 'append', 'a', 'z'), ...get(1, 'a', 'z')],
    'linearizable',
    'append after delete',
  );
  const r = checkLinearizable(
    parseHistoryText([...w(0, 'put', 'a', 1), ...get(1, 'a', 1), ...w(0, 'put', 'b', 2), ...get(1, 'b', 1)].join('\n')),
  );
  t.same(
    r.keys.map((k) => [k.key, k.verdict]),
    [
      ['a', 'linearizable'],
      ['b', 'not linearizable'],
    ],
    'each key has its own verdict',
  );
  t.equal(r.verdict, 'not linearizable');
});

t.test('the report names a minimal failing set with lines, and the prefix state', async (t) => {
  const lines = [...op(0, 'write', 1), ...op(1, 'write', 2), ...op(0, 'read', 1, 'ok', 1), ...op(2, 'read', 'nil')];
  const r = checkLinearizable(parseHistoryText(lines.join('\n')));
  t.same(
    r.keys[0]?.failing.map((o) => o.invokeLine),
    [1, 3, 5],
    'write 1, write 2, read 1 (not the unrelated nil read)',
  );
  const text = formatLinReport('h.edn', r);
  t.match(text, 'register: NOT linearizable');
  t.match(text, 'process 0: read → 1; invoked at line 5, ok at line 6');
  t.match(text, 'longest linearizable prefix: 2 ops, ending in state 2');
  t.match(text, 'verdict: NOT linearizable\n');
});

t.test('the failing set is minimal even when a read protecting a write is dropped after it', async (t) => {
  // One pass over [append a, get a, get z] kept append a (get a saw it), then dropped get a:
  // the reported set was {append a, get z}, though get z of a value nobody wrote fails alone.
  const lines = [
    kv(0, 'invoke', 'append', 'k', 'a;'),
    kv(1, 'invoke', 'get', 'k'),
    kv(0, 'ok', 'append', 'k', 'a;'),
    kv(1, 'ok', 'get', 'k', 'a;'),
    kv(1, 'invoke', 'get', 'k'),
    kv(1, 'ok', 'get', 'k', 'z;'),
  ];
  const r = checkLinearizable(parseHistoryText(lines.join('\n')));
  t.equal(r.verdict, 'not linearizable');
  t.same(
    r.keys[0]?.failing.map((o) => o.invokeLine),
    [5],
    'only the get of a value nobody wrote',
  );
  t.equal(r.keys[0]?.minimal, true);
});

t.test('malformed histories are refused naming the line', async (t) => {
  const bad: [string, string[], RegExp][] = [
    ['bad EDN', ['', '; a comment', '{:process 0, :type :invoke, :f :write, :value 1'], /^line 3: bad EDN/],
    ['a float', ['{:process 0, :type :invoke, :f :write, :value 1.5}'], /^line 1: bad EDN/],
    ['unknown :f', [ev(0, 'invoke', 'frob', 1)], /^line 1: unknown :f "frob"/],
    ['completion without invoke', [...op(0, 'write', 1), ev(1, 'ok', 'write', 1)], /^line 3: :ok write from process 1 without an invoke/],
    [
      'two outstanding ops',
      [ev(0, 'invoke', 'write', 1), ev(0, 'invoke', 'read')],
      /^line 2: process 0 invokes read while its write of line 1/,
    ],
    ['mixed models', [...op(0, 'write', 1), kv(0, 'invoke', 'get', 'a')], /^line 3: :f get is a kv op/],
    ['cas without a pair', [ev(0, 'invoke', 'cas', 1)], /^line 1: cas of 1/],
    ['bad JSON', ['{"process": 0, "type": "invoke", "f": "read", "value": null}', '{"process": 1,'], /^line 2: bad JSON/],
    ['a get without a key', ['{"process": 0, "type": "invoke", "f": "get", "value": null}'], /^line 1: get needs a key/],
  ];
  for (const [what, lines, want] of bad) t.throws(() => parseHistoryText(lines.join('\n')), { name: 'HistoryError', message: want }, what);
  t.throws(() => parseHistoryText(op(0, 'write', 1).join('\n'), 'kv'), { message: /--model kv/ }, 'an op outside --model');
  t.ok(new HistoryError(3, 'x').message.startsWith('line 3: '));
});

/** shuffle swaps adjacent events of the same kind (two invokes, or two completions) of
 * different processes: per-process order and every completion-before-invoke stay as they were. */
function shuffle(lines: string[], rnd: SeededRandom): string[] {
  const out = [...lines];
  const kind = (s: string): string => (s.includes('invoke') ? 'i' : 'c');
  const proc = (s: string): string => /"?process"?:? ?(\d+)/.exec(s)?.[1] ?? '';
  for (let n = 0; n < out.length * 4; n++) {
    const i = rnd.int(out.length - 1);
    const a = out[i] as string,
      b = out[i + 1] as string;
    if (kind(a) === kind(b) && proc(a) !== proc(b)) [out[i], out[i + 1]] = [b, a];
  }
  return out;
}

const gen = (o: GenHistoryOptions): { lines: string[]; stats: ReturnType<typeof generateHistory> } => {
  const lines: string[] = [];
  const stats = generateHistory(o, (l) => lines.push(l));
  return { lines, stats };
};

t.test('generated histories: linearizable; one altered read or append is not; shuffles keep the verdict', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const replay = `seed ${seed}: node_modules/.bin/tap check/lin/lin.test.ts`;
    const rnd = new SeededRandom(`lin-test/${seed}`);
    const reg = gen({
      model: 'register',
      format: seed % 2 ? 'edn' : 'jsonl',
      processes: 3 + (seed % 5),
      ops: 60,
      values: 4,
      cas: 0.2,
      info: 0.1,
      fail: 0.05,
      replace: true,
      seed: `r${seed}`,
    });
    t.equal(verdict(reg.lines), 'linearizable', `register ${replay}`);
    t.equal(verdict(shuffle(reg.lines, rnd)), 'linearizable', `register shuffled ${replay}`);
    const altered = [...reg.lines];
    const at = (reg.stats.okReads[rnd.int(reg.stats.okReads.length)] ?? 1) - 1;
    altered[at] = (altered[at] as string).replace(/(:value |"value":)[^,}]+/, '$1999');
    t.equal(verdict(altered), 'not linearizable', `register, read at line ${at + 1} altered ${replay}`);
    t.equal(verdict(shuffle(altered, rnd)), 'not linearizable', `register altered, shuffled ${replay}`);
    const k = gen({
      model: 'kv',
      format: seed % 2 ? 'jsonl' : 'edn',
      processes: 5,
      ops: 80,
      keys: 3,
      append: 0.4,
      delete: 0.05,
      info: 0.1,
      replace: true,
      seed: `k${seed}`,
    });
    t.equal(verdict(k.lines), 'linearizable', `kv ${replay}`);
    t.equal(verdict(shuffle(k.lines, rnd)), 'linearizable', `kv shuffled ${replay}`);
    const app = k.stats.seenAppends[rnd.int(Math.max(1, k.stats.seenAppends.length))];
    if (app === undefined) continue;
    const broken = [...k.lines];
    broken[app - 1] = (broken[app - 1] as string).replace(/("value":|:value )"[^"]*"/, '$1"lost;"');
    t.equal(verdict(broken), 'not linearizable', `kv, append at line ${app} altered ${replay}`);
  }
});

/** keyOps compiles one key's ops for the fast path and the search. */
const keyOps = (lines: string[], model: ModelName): SearchOp[] =>
  parseHistoryText(lines.join('\n'), model).ops.flatMap((o) => compile(o) ?? []);

t.test('the fast path and the search agree on unique-value histories, intact and altered', async (t) => {
  let decided = 0,
    failing = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const replay = `seed ${seed}: node_modules/.bin/tap check/lin/lin.test.ts`;
    const rnd = new SeededRandom(`fast-test/${seed}`);
    const model: ModelName = seed % 3 === 0 ? 'kv' : 'register';
    const g = gen({
      model,
      format: 'edn',
      processes: 2 + (seed % 6),
      ops: 12 + (seed % 30),
      info: 0.15,
      fail: 0.1,
      replace: seed % 2 === 0,
      seed: `f${seed}`,
    });
    const lines = [...g.lines];
    // Alter a read to a value another op wrote (or to nil): sometimes still linearizable.
    for (let n = rnd.int(3); n > 0 && g.stats.okReads.length > 0; n--) {
      const at = (g.stats.okReads[rnd.int(g.stats.okReads.length)] ?? 1) - 1;
      const v = rnd.int(4) === 0 ? 'nil' : model === 'kv' ? `"v${rnd.int(12 + (seed % 30))}"` : String(rnd.int(12 + (seed % 30)));
      lines[at] = (lines[at] as string).replace(/:value [^,}]+/, `:value ${v}`);
    }
    const ops = keyOps(model === 'kv' ? lines.filter((l) => l.includes('"k0"')) : lines, model);
    const fast = fastPath(ops, model);
    const slow = search(ops, initialState(model)).verdict;
    t.not(fast, 'search', `unique values without cas go the fast path ${replay}`);
    t.equal(fast, slow, `fast path ${fast}, search ${slow} ${replay}`);
    decided++;
    if (slow === 'not linearizable') failing++;
  }
  t.ok(failing > 20 && failing < decided - 20, `both verdicts exercised (${failing} of ${decided} not linearizable)`);
});

t.test('the fast path and the search agree on puts that report created or updated', async (t) => {
  let failing = 0;
  const seeds = 300;
  for (let seed = 1; seed <= seeds; seed++) {
    const replay = `seed ${seed}: node_modules/.bin/tap check/lin/lin.test.ts`;
    const rnd = new SeededRandom(`fast-result/${seed}`);
    const g = gen({
      model: 'kv',
      format: 'edn',
      processes: 2 + (seed % 5),
      ops: 8 + (seed % 20),
      info: 0.15,
      fail: 0.1,
      replace: true,
      seed: `r${seed}`,
    });
    // Completions in line order: the first ok put says created, the rest updated; then some
    // results are dropped and one may be flipped, so both verdicts come up.
    const puts = g.lines.flatMap((l, i) => (l.includes(':type :ok, :f :put') ? [i] : []));
    const flip = rnd.int(3) === 0 ? rnd.int(Math.max(1, puts.length)) : -1;
    const lines = [...g.lines];
    puts.forEach((at, n) => {
      if (rnd.int(4) === 0) return;
      const created = (n === 0) !== (n === flip);
      lines[at] = (lines[at] as string).replace(/}$/, `, :result :${created ? 'created' : 'updated'}}`);
    });
    const ops = keyOps(lines, 'kv');
    const fast = fastPath(ops, 'kv');
    const slow = search(ops, initialState('kv')).verdict;
    t.not(fast, 'search', `reported results go the fast path ${replay}`);
    t.equal(fast, slow, `fast path ${fast}, search ${slow} ${replay}`);
    if (slow === 'not linearizable') failing++;
  }
  t.ok(failing > 20 && failing < seeds - 20, `both verdicts exercised (${failing} of ${seeds} not linearizable)`);
  // Two puts that both say created cannot both be first; one that says updated with nothing before it cannot be.
  t.equal(
    fastPath(keyOps([kv(0, 'invoke', 'put', 'a', 'x'), kv(0, 'ok', 'put', 'a', 'x').replace(/}$/, ', :result :updated}')], 'kv'), 'kv'),
    'not linearizable',
  );
});

t.test('the fast path hands cas, append, delete and repeated values to the search', async (t) => {
  t.equal(fastPath(keyOps([...op(0, 'write', 1), ...op(1, 'write', 1)], 'register'), 'register'), 'search');
  t.equal(fastPath(keyOps([...op(0, 'write', 1), ...op(1, 'cas', '[1 2]')], 'register'), 'register'), 'search');
  t.equal(fastPath(keyOps([kv(0, 'invoke', 'append', 'a', 'x'), kv(0, 'ok', 'append', 'a', 'x')], 'kv'), 'kv'), 'search');
  t.equal(fastPath(keyOps([kv(0, 'invoke', 'delete', 'a'), kv(0, 'ok', 'delete', 'a')], 'kv'), 'kv'), 'search');
});

t.test('an expired time limit gives unknown', async (t) => {
  const g = gen({ model: 'register', format: 'edn', processes: 10, ops: 3000, values: 3, cas: 0.3, info: 0.3, seed: 'hard' });
  const r = checkLinearizable(parseHistoryText(g.lines.join('\n')), 'register', { expired: () => true });
  t.equal(r.verdict, 'unknown');
  t.match(formatLinReport('h', r), 'register: unknown (time limit)');
});

t.test("a local get (Vectory's read: local) is left out: it promises sequential consistency only", async (t) => {
  const line = (o: object): string => JSON.stringify(o);
  const h = (read: string | undefined): string =>
    [
      line({ process: 0, type: 'invoke', f: 'put', key: 'a', value: 'x' }),
      line({ process: 0, type: 'ok', f: 'put', key: 'a', value: 'x' }),
      line({ process: 1, type: 'invoke', f: 'get', key: 'a', value: null, ...(read !== undefined ? { read } : {}) }),
      line({ process: 1, type: 'ok', f: 'get', key: 'a', value: null }),
    ].join('\n');
  t.equal(checkLinearizable(parseHistoryText(h('local'))).verdict, 'linearizable', 'a stale local read is no violation of --lin');
  t.equal(checkLinearizable(parseHistoryText(h('master'))).verdict, 'not linearizable', 'a stale master read is');
  t.equal(checkLinearizable(parseHistoryText(h(undefined))).verdict, 'not linearizable', 'and so is a get with no mode');
  t.throws(() => parseHistoryText(h(3 as unknown as string)), /"read" must be a string/);
});
