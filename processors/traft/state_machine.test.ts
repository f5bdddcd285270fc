// state_machine.test: isJson and isCommandShape decide what a decoded message or WAL entry may
// carry as a command; they read an object's own enumerable values only, as Object.values does.
import t from 'tap';
import { isCommandShape, isJson } from './state_machine.js';

t.test('plain JSON values and nestings are JSON', (t) => {
  for (const x of [null, true, 0, -1.5, 'k', [], {}, [1, 'a', null], { op: 'set', key: 'k1', value: 3 }, { a: [{ b: [true] }] }])
    t.ok(isJson(x), JSON.stringify(x));
  t.end();
});

t.test('non-finite numbers, undefined, functions, symbols and bigints are not, at any depth', (t) => {
  const bad: unknown[] = [NaN, Infinity, undefined, () => 1, Symbol('s'), 1n];
  for (const x of bad) {
    t.notOk(isJson(x), String(x));
    t.notOk(isJson([1, x]), `in an array: ${String(x)}`);
    t.notOk(isJson({ a: { b: x } }), `in an object: ${String(x)}`);
  }
  t.end();
});

t.test('only own enumerable properties count, as for Object.values', (t) => {
  const inherited = Object.create({ bad: NaN }) as Record<string, unknown>;
  inherited.key = 'k';
  t.ok(isJson(inherited), 'an inherited non-JSON value is not read');
  const hidden = { key: 'k' };
  Object.defineProperty(hidden, 'bad', { value: undefined, enumerable: false });
  t.ok(isJson(hidden), 'a non-enumerable one is not read');
  t.notOk(isJson({ key: 'k', bad: undefined }), 'an own enumerable one is');
  t.end();
});

t.test('nesting deeper than 32 levels is refused', (t) => {
  let deep: unknown = 1;
  for (let i = 0; i < 32; i++) deep = { d: deep };
  t.ok(isJson(deep), '32 levels');
  t.notOk(isJson({ d: deep }), '33 levels');
  t.end();
});

t.test('a command is a JSON object, not an array or a scalar', (t) => {
  t.ok(isCommandShape({ op: 'incr', key: 'k' }));
  t.notOk(isCommandShape([{ op: 'incr' }]));
  t.notOk(isCommandShape('incr'));
  t.notOk(isCommandShape(null));
  t.notOk(isCommandShape({ op: 'incr', key: NaN }));
  t.end();
});
