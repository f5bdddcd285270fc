// lab_machine.test: the lab machine's command check admits exactly `set k=v` and `incr k`, with
// no other own enumerable field (an inherited or hidden one is not the command's).
import t from 'tap';
import { labMachine } from './lab_machine.js';

t.test('set and incr with exactly their fields pass; an extra own field fails', (t) => {
  t.equal(labMachine.checkCommand({ op: 'incr', key: 'k1' }), null);
  t.equal(labMachine.checkCommand({ op: 'set', key: 'k1', value: 7 }), null);
  t.equal(labMachine.checkCommand({ op: 'incr', key: 'k1', value: 7 }), 'an incr has only op and key');
  t.equal(labMachine.checkCommand({ op: 'set', key: 'k1', value: 7, x: 1 }), 'a set has only op, key and value');
  t.equal(labMachine.checkCommand({ op: 'set', key: 'k1', value: NaN }), 'cmd.value must be a number');
  t.equal(labMachine.checkCommand({ op: 'del', key: 'k1' }), 'cmd.op must be set or incr');
  t.end();
});

t.test('fields are counted as Object.keys counts them: own and enumerable', (t) => {
  const inherited = Object.create({ extra: 1 }) as Record<string, unknown>;
  Object.assign(inherited, { op: 'incr', key: 'k1' });
  t.equal(labMachine.checkCommand(inherited), null, 'an inherited field is not counted');
  const hidden = { op: 'incr', key: 'k1' };
  Object.defineProperty(hidden, 'extra', { value: 1, enumerable: false });
  t.equal(labMachine.checkCommand(hidden), null, 'a non-enumerable one is not counted');
  t.end();
});
