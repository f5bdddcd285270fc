// Tests of the instance-log lines (H8): an apply line reads back exactly, whatever its key.
import t from 'tap';
import { formatLog, parseApplyLine, parseApplyLines, parseConfigLine } from './log.js';

t.test('an apply line round-trips, spaces and percent signs in the key included', (t) => {
  const ev = { type: 'apply', rangeId: 'abcd/3', seq: 42, key: 'a b%c', op: 'delete', clientId: 'c 1', reqNo: 7, epoch: 3 } as const;
  const line = formatLog(ev, 1234.9);
  t.equal(line, 'apply abcd/3 42 a%20b%25c delete c%201 7 3 at 1234');
  const { type: _type, ...fields } = ev;
  t.strictSame(parseApplyLine(line, 5), { node: 5, ...fields, atUs: 1234 });
  t.end();
});

t.test('other lines, and a torn apply line, are not apply lines', (t) => {
  const lines = [
    formatLog({ type: 'config', epoch: 2, summary: 'x:[1,2,3]' }, 1),
    formatLog({ type: 'role', rangeId: 'x', epoch: 2, role: 'tail' }, 2),
    formatLog({ type: 'summary', fields: { applies: 3 } }, 3),
    'apply x 1 k put c 1 2 at',
    formatLog({ type: 'apply', rangeId: 'x', seq: 1, key: 'k', op: 'put', clientId: 'c', reqNo: 1, epoch: 2 }, 4),
  ];
  t.equal(lines[2], 'summary applies=3 at 3');
  t.same(
    parseApplyLines(lines, 1).map((a) => a.seq),
    [1],
  );
  t.end();
});

t.test('a node config line reads back as the configuration it names; the master’s and torn ones do not', (t) => {
  const line = formatLog(
    { type: 'config', epoch: 4, summary: '4000000000000000/2:c000000000000000:[1,2,3] c000000000000000/4:4000000000000000:[]' },
    9,
  );
  const c = parseConfigLine(line, 2);
  t.equal(c?.config.epoch, 4);
  t.equal(c?.atUs, 9);
  t.same(
    c?.config.ranges.map((r) => [r.rangeId, r.lo, r.hi, r.chain]),
    [
      ['4000000000000000/2', 'c000000000000000', '4000000000000000', [1, 2, 3]],
      ['c000000000000000/4', '4000000000000000', 'c000000000000000', []],
    ],
  );
  t.same(
    c?.config.nodes.map((n) => n.rank),
    [1, 2, 3],
  );
  t.equal(parseConfigLine('config 3 1946d58f:[3 1 2] at 5', 0), undefined, 'the master’s line');
  t.equal(parseConfigLine('config 3 4000000000000000/2:c000000000000000:[1,2', 1), undefined, 'torn');
  t.end();
});
