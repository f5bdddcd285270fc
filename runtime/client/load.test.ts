// load.test: the op mix both client loads draw (load.ts): shares of gets, deletes and puts as
// asked; put values unique in the run and padded to --value-size; Zipf keys measurably skewed
// (the hottest key near its 1/H share), uniform keys not; the same Random, the same ops.
import t from 'tap';
import { SeededRandom } from '../random.js';
import { KvLoad, loadProblem, type LoadOptions } from './load.js';

const BASE: LoadOptions = {
  keys: 100,
  getShare: 0.5,
  deleteShare: 0.2,
  read: 'index',
  valueSize: 0,
  keyDist: 'uniform',
  zipfExponent: 0.99,
};
const N = 20_000;

function draw(o: Partial<LoadOptions>, seed = 'x'): ReturnType<KvLoad['next']>[] {
  const load = new KvLoad({ ...BASE, ...o }, new SeededRandom(seed));
  return Array.from({ length: N }, (_, i) => load.next(i % 4));
}

const share = (xs: readonly unknown[], n: number): number => n / xs.length;

t.test('gets, deletes and puts in the shares asked; put values unique and padded', async (t) => {
  const ops = draw({ valueSize: 64 });
  const n = (f: string): number => ops.filter((o) => o.f === f).length;
  t.ok(Math.abs(share(ops, n('get')) - 0.5) < 0.02, `gets ${share(ops, n('get'))}`);
  t.ok(Math.abs(share(ops, n('delete')) - 0.2) < 0.02, `deletes ${share(ops, n('delete'))}`);
  t.equal(n('get') + n('delete') + n('put'), N, 'nothing else');
  const values = ops.flatMap((o) => (o.f === 'put' ? [o.value ?? ''] : []));
  t.equal(new Set(values).size, values.length, 'every put value is unique');
  t.ok(
    values.every((v) => v.length === 64),
    'every value padded to 64 characters',
  );
  t.ok(
    ops.every((o) => o.f !== 'get' || o.read === 'index'),
    'gets carry the read mode',
  );
  const short = draw({ valueSize: 3 }).flatMap((o) => (o.f === 'put' ? [o.value ?? ''] : []));
  t.ok(
    short.every((v) => /^c\d+\.\d+$/.test(v)),
    'a unique value longer than the size is kept whole, unpadded',
  );
});

t.test('Zipf keys are skewed toward the first; uniform keys are not', async (t) => {
  const count = (ops: ReturnType<typeof draw>, key: string): number => ops.filter((o) => o.key === key).length;
  const zipf = draw({ keyDist: 'zipf', zipfExponent: 1 });
  // P(k0) = 1/H(100) ≈ 0.193 at s = 1; P(k99) ≈ 0.0019
  const hot = share(zipf, count(zipf, 'k0'));
  t.ok(Math.abs(hot - 0.193) < 0.015, `the hottest key gets ${hot.toFixed(3)} of the ops (1/H100 = 0.193)`);
  t.ok(count(zipf, 'k0') > 10 * count(zipf, 'k50'), 'k0 is far hotter than k50');
  const uniform = draw({});
  t.ok(Math.abs(share(uniform, count(uniform, 'k0')) - 0.01) < 0.005, 'uniform: k0 near 1%');
  t.ok(
    zipf.every((o) => /^k\d+$/.test(o.key) && Number(o.key.slice(1)) < 100),
    'zipf keys stay in range',
  );
});

t.test('deterministic from the Random; bad options refused', async (t) => {
  const ops = (o: Partial<LoadOptions>, seed: string): string => JSON.stringify(draw(o, seed));
  t.ok(ops({ keyDist: 'zipf' }, 's1') === ops({ keyDist: 'zipf' }, 's1'), 'same seed, same ops');
  t.ok(ops({}, 's1') !== ops({}, 's2'), 'another seed, other ops');
  t.match(loadProblem({ ...BASE, getShare: 0.9, deleteShare: 0.2 }), /add up to at most 1/);
  t.match(loadProblem({ ...BASE, valueSize: 5000 }), /value size/);
  t.match(loadProblem({ ...BASE, keys: 0 }), /keys/);
  t.throws(() => new KvLoad({ ...BASE, zipfExponent: 0 }, new SeededRandom('x')), RangeError);
});

t.test("read 'mix': Vectory's gets are local or master, about half each; other modes draw as before", async (t) => {
  const gets = draw({ read: 'mix' }).filter((op) => op.f === 'get');
  const local = gets.filter((op) => op.read === 'local').length;
  t.equal(gets.filter((op) => op.read === 'master').length, gets.length - local, 'every get is one of the two');
  t.ok(Math.abs(share(gets, local) - 0.5) < 0.03, `local share ${share(gets, local).toFixed(3)}`);
  t.ok(
    draw({ read: 'local' }).every((op) => op.f !== 'get' || op.read === 'local'),
    'a single mode is every get’s',
  );
});
