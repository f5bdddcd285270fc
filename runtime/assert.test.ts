// assert.test: the shared assertion helpers throw InvariantError naming the broken invariant.
import t from 'tap';
import { assert, assertNever, defined, InvariantError } from './assert.js';

t.test('assert passes a true condition and throws InvariantError on a false one', async (t) => {
  t.doesNotThrow(() => assert(true, 'never seen'));
  t.throws(() => assert(false, 'quorum of 3'), new InvariantError('quorum of 3'));
  let built = 0;
  const lazy = () => `built ${++built}`;
  assert(true, lazy);
  t.equal(built, 0, 'a function message is not built when the condition holds');
  t.throws(() => assert(false, lazy), { name: 'InvariantError', message: 'built 1' });
});

t.test('defined returns the value and names the invariant when it is missing', async (t) => {
  t.equal(defined(0, 'zero is a value'), 0);
  t.equal(defined(null, 'null is a value'), null);
  t.throws(() => defined([1, 2][5], 'slot 5 is filled'), { name: 'InvariantError', message: 'missing value: slot 5 is filled' });
});

t.test('assertNever names the unexpected value', async (t) => {
  t.throws(() => assertNever({ type: 'mystery' } as never, 'message'), {
    name: 'InvariantError',
    message: 'unexpected message: {"type":"mystery"}',
  });
});
