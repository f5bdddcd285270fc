// kv_machine.test: the kv machine's sessions — a duplicate (client, reqNo) answers its stored
// result without running again, an older one changes nothing — also after a snapshot image is
// restored; bad images and commands are named.
import t from 'tap';
import { KvMachine, kvMachine } from './kv_machine.js';

t.test('sessions answer duplicates from the stored result, across a snapshot', async (t) => {
  const m = new KvMachine();
  t.equal(m.apply({ op: 'put', key: 'x', value: 'a', client: 'c', reqNo: 1 }), null);
  t.equal(m.apply({ op: 'append', key: 'x', value: 'b', client: 'd', reqNo: 1 }), null);
  t.equal(m.apply({ op: 'get', key: 'x', client: 'c', reqNo: 2 }), 'ab', 'a get through the log returns the value');
  t.equal(m.apply({ op: 'append', key: 'x', value: 'b', client: 'd', reqNo: 1 }), null, 'a duplicate append');
  t.equal(m.data.get('x'), 'ab', 'ran once');
  const restored = kvMachine.restore(m.image());
  t.ok(restored instanceof KvMachine, 'the image restores');
  const r = restored instanceof KvMachine ? restored : null;
  t.equal(r?.apply({ op: 'get', key: 'x', client: 'c', reqNo: 2 }), 'ab', 'a duplicate after restore answers the stored result');
  r?.apply({ op: 'put', key: 'x', value: 'z', client: 'e', reqNo: 1 });
  t.equal(r?.apply({ op: 'get', key: 'x', client: 'c', reqNo: 2 }), 'ab', 'still the first result, not the current value');
  t.equal(r?.apply({ op: 'put', key: 'x', value: 'old', client: 'c', reqNo: 1 }), null, 'an older request…');
  t.equal(r?.data.get('x'), 'z', '…changes nothing');
  t.equal(r?.describe(), 'x=z c#2 d#1 e#1');
});

t.test('interference keys, and bad input named', async (t) => {
  t.same(kvMachine.access({ op: 'put', key: 'x', value: 'a', client: 'c', reqNo: 1 }), [
    { key: 'k:"x"', mode: 'write' },
    { key: 'c:c', mode: 'write' },
  ]);
  t.equal(kvMachine.checkCommand({ op: 'put', key: 'x', value: 1 }), 'cmd.value must be a string');
  t.equal(kvMachine.checkCommand({ op: 'put', key: 'x', client: 'c' }), 'cmd.client and cmd.reqNo come together');
  t.equal(kvMachine.restore([['x', 1]]), null, 'a lab image is not a kv image');
});
