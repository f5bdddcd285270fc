import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { leaderId } from './leader_id.js';
import { noopRecord, type LogRecord, type Seq } from './record.js';
import { SeqLog } from './seq_log.js';

const A = leaderId(1, 0);

function rec(seq: Seq): LogRecord {
  return noopRecord(seq, A);
}

/** int: a whole number in [lo, hi). */
function int(r: SeededRandom, lo: number, hi: number): number {
  return Math.floor(r.between(lo, hi));
}

/** bySeq: a size that tells records apart by seq. */
function bySeq(r: LogRecord): number {
  return 1 + r.seq;
}

/** sorted: a Map's contents in ascending seq, as SeqLog iterates. */
function sorted(m: ReadonlyMap<Seq, LogRecord>): [Seq, LogRecord][] {
  return [...m].sort(([a], [b]) => a - b);
}

t.test('SeqLog agrees with a Map under random sets and deletes, a snapshot dropping the front', (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = new SeededRandom(`seq_log/${seed}`);
    const log = new SeqLog();
    const want = new Map<Seq, LogRecord>();
    let floor = 0;
    for (let i = 0; i < 3000; i++) {
      const op = int(r, 0, 9);
      if (op < 6) {
        const seq = floor + int(r, 0, 200);
        const x = rec(seq);
        log.set(seq, x);
        want.set(seq, x);
      } else if (op < 8) {
        const seq = floor + int(r, 0, 200);
        t.equal(log.delete(seq), want.delete(seq), `seed ${seed}: delete ${seq}`);
      } else {
        const to = floor + int(r, 0, 100); // compaction: every position below `to` leaves
        for (let p = floor; p < to; p++) {
          log.delete(p);
          want.delete(p);
        }
        floor = to;
      }
      const probe = floor + int(r, -10, 210);
      const got = log.get(probe);
      // a size cached in the wrong slot would be another seq's
      if (got !== want.get(probe) || log.size !== want.size || (got !== undefined && log.sizeOf(got, bySeq) !== bySeq(got))) {
        t.fail(`seed ${seed}, op ${i}: get(${probe}) or size differs`);
        break;
      }
    }
    t.same([...log], sorted(want), `seed ${seed}: same entries, ascending`);
  }
  t.end();
});

t.test('SeqLog stores below its first record, far above its last, and starts over once empty', (t) => {
  const log = SeqLog.of([rec(5000), rec(5001)]);
  log.set(3, rec(3));
  log.set(9000, rec(9000));
  t.same([...log.keys()], [3, 5000, 5001, 9000], 'both ends grown');
  t.equal(log.get(4), undefined, 'a gap is empty');
  for (const seq of [3, 5000, 5001, 9000]) log.delete(seq);
  t.equal(log.size, 0);
  log.set(7, rec(7));
  t.same(
    [...log.entries()].map(([seq]) => seq),
    [7],
    'reused after emptying',
  );
  t.throws(() => log.set(8, rec(9)), /holds seq 9/, 'a record is stored at its own seq only');
  t.end();
});

t.test('SeqLog iterated while its front is cut away visits every record, as a Map does', (t) => {
  const log = SeqLog.of(Array.from({ length: 10_000 }, (_, i) => rec(i)));
  let visited = 0;
  for (const [seq] of log) {
    visited++;
    if (seq < 9000) log.delete(seq); // deleting the front cuts it away every TRIM_AFTER slots
  }
  t.equal(visited, 10_000, 'every record visited once');
  t.equal(log.size, 1000, 'every record below 9000 deleted');
  t.same([...log.keys()].slice(0, 2), [9000, 9001], 'the rest from 9000 on');
  t.end();
});

t.test('sizeOf measures a stored record once, and again once its slot holds another', (t) => {
  const log = new SeqLog();
  const a = rec(10);
  log.set(10, a);
  let calls = 0;
  const measure = (r: LogRecord): number => {
    calls++;
    return 100 + r.seq;
  };
  t.same([log.sizeOf(a, measure), log.sizeOf(a, measure), calls], [110, 110, 1], 'kept while stored');
  const b = rec(10);
  log.set(10, b);
  t.same([log.sizeOf(b, measure), calls], [110, 2], 'a replaced record is measured again');
  t.same([log.sizeOf(rec(11), measure), log.sizeOf(rec(11), measure), calls], [111, 111, 4], 'a record not stored is measured each time');
  log.delete(10);
  log.set(10, a);
  t.same([log.sizeOf(a, measure), calls], [110, 5], 'a deleted slot forgets its size');
  t.end();
});

t.test('a log whose front a snapshot cuts every interval keeps its arrays: no copy per cut, its length bounded', (t) => {
  const log = new SeqLog();
  const every = 10_000;
  const slotsOf = (l: SeqLog): unknown[] => l['slots'];
  let arrays = new Set<unknown[]>();
  for (let floor = 0; floor < 40 * every; floor += every) {
    for (let seq = floor + every; seq < floor + 2 * every; seq++) log.set(seq, rec(seq)); // the next interval
    for (let p = floor; p < floor + every; p++) log.delete(p); // the snapshot's cut
    if (floor === 4 * every) arrays = new Set(); // past the first intervals' growth
    arrays.add(slotsOf(log));
    if (log.size !== every || log.get(floor + every) === undefined || log.get(floor + every - 1) !== undefined)
      t.fail(`interval ${floor / every}: the next interval only`);
  }
  t.equal(arrays.size, 1, 'the same array after every cut');
  t.ok(slotsOf(log).length <= 4 * every, `its length stays within a few intervals (${slotsOf(log).length})`);
  t.same([...log.keys()].slice(0, 2), [40 * every, 40 * every + 1], 'the last interval, ascending');
  t.end();
});
