// wire.test: validation of decoded messages keeps refusing malformed entries and keys now that
// entries are checked in place (no copy) and keys without a RegExp.
import t from 'tap';
import { validatePaxosMsg } from './wire.js';

const K = 'abcdefghijklmnopqrstuvwxyzabcdef';

t.test('catchup and gather entries: accepted as decoded, malformed ones refused', async (t) => {
  const entries = [
    [0, K],
    [7, 'z'.repeat(32)],
  ];
  const m = validatePaxosMsg({ type: 'catchup', from: 1, round: 2, base: -1, entries, more: true });
  t.same(m, { type: 'catchup', from: 1, round: 2, base: -1, entries, more: true });
  const g = validatePaxosMsg({ type: 'gather', from: 1, round: 2, frontier: 3, syncRound: -1, held: [[4, K, -1]] });
  t.same(g.type === 'gather' ? g.held : undefined, [[4, K, -1]]);
  const bad: [string, unknown][] = [
    ['31 letters', [0, K.slice(1)]],
    ['33 letters', [0, K + 'a']],
    ['an uppercase letter', [0, 'A' + K.slice(1)]],
    ['a letter after z', [0, '{' + K.slice(1)]],
    ['a letter before a', [0, '`' + K.slice(1)]],
    ['a number key', [0, 5]],
    ['a third field', [0, K, 1]],
    ['a negative estround', [-1, K]],
  ];
  for (const [why, entry] of bad) {
    t.throws(() => validatePaxosMsg({ type: 'catchup', from: 1, round: 2, base: -1, entries: [entry] }), /bad paxos message/, why);
  }
  t.throws(
    () => validatePaxosMsg({ type: 'gather', from: 1, round: 2, frontier: 3, syncRound: -1, held: [[4, K.toUpperCase(), -1]] }),
    /key/,
  );
  t.throws(() => validatePaxosMsg({ type: 'gather', from: 1, round: 2, frontier: 3, syncRound: -1, held: [[4, K, -2]] }), /round/);
});

t.test('PROPOSE: values checked (one byte string per key), then dropped; a receiver keeps KEYs only', async (t) => {
  const v = new Uint8Array([1, 2, 3]);
  const m = validatePaxosMsg({ type: 'propose', from: 1, round: 2, first: 5, keys: [K, K], values: [v, v] });
  t.same(m, { type: 'propose', from: 1, round: 2, first: 5, keys: [K, K], values: [] });
  t.throws(() => validatePaxosMsg({ type: 'propose', from: 1, round: 2, first: 5, keys: [K, K], values: [v] }), /values/);
  t.throws(() => validatePaxosMsg({ type: 'propose', from: 1, round: 2, first: 5, keys: [K], values: ['abc'] }), /values/);
});

t.test('LATE `after` and CATCHUP `ahead`: absent or an estround, anything else refused', async (t) => {
  t.same(validatePaxosMsg({ type: 'late', from: 2, round: 3, frontier: 4, after: 9 }), {
    type: 'late',
    from: 2,
    round: 3,
    frontier: 4,
    after: 9,
  });
  t.same(validatePaxosMsg({ type: 'late', from: 2, round: 3, frontier: 4 }), { type: 'late', from: 2, round: 3, frontier: 4 });
  const c = validatePaxosMsg({ type: 'catchup', from: 1, round: 3, base: -1, entries: [[0, K]], more: true, ahead: 9 });
  t.equal(c.type === 'catchup' ? c.ahead : undefined, 9);
  for (const bad of [-1, 1.5, '9', null])
    t.throws(() => validatePaxosMsg({ type: 'late', from: 2, round: 3, frontier: 4, after: bad }), /after/, `after ${String(bad)}`);
  t.throws(() => validatePaxosMsg({ type: 'catchup', from: 1, round: 3, base: -1, entries: [], ahead: -2 }), /ahead/);
});
