// record_bytes.test: every shape of record survives the fixed layout (deps words, ovFrom or a
// listed overrides, a cmd or none, a non-ASCII KEY, any alignment); bytes that are not a whole
// record are refused, and an older msgpack-map record still reads back (a WAL written before).
import t from 'tap';
import { Packr } from 'msgpackr';
import { packedRecord, unpackRecord } from './bitmap_codec.js';
import type { LogRecord } from './record.js';
import { withRangedOverrides } from './record.js';
import { isLayoutRecord, RECORD_TAG } from './record_bytes.js';
import { L, incr, plain, plainRecord, rec, set } from './testkit.js';
import { validateTraftMsg } from './wire.js';
import type { Message } from './messages.js';

const deps = { offset: 64, words: [7, 0x80000000, 0, 0xffffffff >>> 1, 5] };

/** roundTrip: r sent alone in a ForwardReq (its bytes copied to an odd offset) and validated back. */
function roundTrip(r: LogRecord, shift: number): LogRecord {
  const bytes = packedRecord(r);
  const moved = new Uint8Array(bytes.length + shift).subarray(shift);
  moved.set(bytes);
  const msg = validateTraftMsg({
    type: 'ForwardReq',
    leader: L(2, 1),
    kind: 'append',
    records: [moved],
    committed: { offset: 0, words: [] },
    reqId: 1,
  });
  const got = (msg as Extract<Message, { type: 'ForwardReq' }>).records[0];
  if (got === undefined) throw new Error('no record');
  return got;
}

t.test('records of every shape read back equal, at any alignment', async (t) => {
  const ranged = withRangedOverrides({ seq: 300, author: L(2, 1), kind: 'cmd', cmd: set('k', 3), deps, logKey: 'r1-300' }, 70);
  const shapes: LogRecord[] = [
    { ...rec(300, L(2, 1), set('k', 3)), deps },
    { ...rec(301, L(7, 4), incr('ключ')), deps, overrides: [96, 99, 301] },
    { ...rec(302, L(1, 0)), kind: 'noop', logKey: '' },
    { ...rec(303, L(2, 1), set('k', 1.5)), deps: { offset: 0, words: [] }, logKey: 'é-303' },
    ranged,
  ];
  for (const r of shapes)
    for (const shift of [0, 1, 2, 3]) {
      t.ok(isLayoutRecord(packedRecord(r)), 'written in the fixed layout');
      t.same(plainRecord(roundTrip(r, shift)), plainRecord(r), `${r.seq} at +${shift}`);
    }
  t.equal((unpackRecord(packedRecord(ranged)) as { ovFrom?: number }).ovFrom, 70, 'a ranged record travels as ovFrom');
  t.equal(packedRecord(ranged).byteOffset % 4, 0, 'deps words start 4-aligned in the slab');
});

t.test('bytes that are not a whole record are refused; an older msgpack-map record still reads', async (t) => {
  const r = { ...rec(300, L(2, 1), set('k', 3)), deps };
  const bytes = packedRecord(r);
  const send = (b: Uint8Array): Message =>
    validateTraftMsg({ type: 'ForwardReq', leader: L(2, 1), kind: 'append', records: [b], committed: { offset: 0, words: [] }, reqId: 1 });
  for (const cut of [1, 10, 47, 48, 60, bytes.length - 1])
    t.throws(() => send(bytes.subarray(0, cut)), /record bytes must be a record/, `cut at ${cut}`);
  t.throws(() => send(Buffer.concat([bytes, Buffer.from([0])])), /record bytes must be a record/, 'a trailing byte');
  const longer = Buffer.from(bytes);
  longer.writeUInt32LE(1000, 44); // more deps words than the bytes hold
  t.throws(() => send(longer), /record bytes must be a record/, 'a word count past the end');
  const old = new Packr({ useRecords: false, mapsAsObjects: true }).pack({
    ...r,
    deps: { offset: 64, bin: Buffer.from(new Uint32Array(deps.words).buffer) },
  });
  t.not(old[0], RECORD_TAG);
  t.same(plain((send(old) as Extract<Message, { type: 'ForwardReq' }>).records[0]), plain(r), 'a msgpack map (older WAL) still reads back');
});

t.test('a version-3 WAL (records as msgpack maps) still replays; its header is not what a new WAL writes', async (t) => {
  const { encodeFileHeader, encodeFramed } = await import('../../runtime/store/file_format.js');
  const { decodeWal, encodeHeader } = await import('./wal/format.js');
  const { packValue } = await import('./bitmap_codec.js');
  const r = { ...rec(300, L(2, 1), set('k', 3)), deps };
  const old = new Packr({ useRecords: false, mapsAsObjects: true }).pack({
    ...r,
    deps: { offset: 64, bin: Buffer.from(new Uint32Array(deps.words).buffer) },
  });
  const v3 = encodeFileHeader('TRAFTWAL', 3, 'c1');
  t.notOk(Buffer.from(encodeHeader('c1')).equals(v3), 'new WALs carry another version');
  const frame = encodeFramed(Buffer.from(packValue({ batchId: 1, entries: [{ type: 'record', packed: old }] })));
  t.same(plain(decodeWal(Buffer.concat([v3, frame]), 'c1').batches), plain([{ batchId: 1, entries: [{ type: 'record', record: r }] }]));
  t.throws(() => decodeWal(encodeFileHeader('TRAFTWAL', 2, 'c1'), 'c1'), /WAL version 2 is not 3 or 4/);
});
