// group_frames.test: GroupFrames writes the very bytes encodeFrame (msgpackr) writes for each
// batch, across the length boundaries of msgpack's headers (ids, entry counts, record sizes),
// for received records (their bytes kept from the wire) and for every entry type; decodeWal
// reads them back.
import t from 'tap';
import type { WalBatch, WalEntry } from '../durable.js';
import { L, plain, rec, set } from '../testkit.js';
import { packedRecord, toWire } from '../bitmap_codec.js';
import { validateTraftMsg } from '../wire.js';
import { msgpackCodec } from '../../../runtime/net/codec.js';
import type { Message } from '../messages.js';
import type { LogRecord } from '../record.js';
import { decodeWal, encodeFrame, encodeHeader } from './format.js';
import { GroupFrames } from './group_frames.js';

const expected = (batches: readonly WalBatch[]): Buffer => Buffer.concat(batches.map((b) => Buffer.from(encodeFrame(b))));

/** wide: a record whose deps have `words` words, so its packed bytes grow 4 bytes a word. */
function wide(seq: number, words: number): LogRecord {
  const deps = { offset: 0, words: Array.from({ length: words }, (_, i) => (i * 2654435761) >>> 0 || 1) };
  return rec(seq, L(3, 1), set(`k${seq % 7}`, seq), { deps });
}

t.test('the same bytes as encodeFrame across msgpack header boundaries', async (t) => {
  const g = new GroupFrames();
  for (const batchId of [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, 2 ** 40]) {
    const b: WalBatch = { batchId, entries: [{ type: 'vote', vote: L(2, 0) }] };
    t.ok(g.encode([b]).equals(expected([b])), `batchId ${batchId}`);
  }
  for (const n of [0, 1, 15, 16, 17, 300, 0xffff, 0x10000]) {
    const b: WalBatch = { batchId: 9, entries: Array.from({ length: n }, (_, i): WalEntry => ({ type: 'delete', seq: i })) };
    t.ok(g.encode([b]).equals(expected([b])), `${n} entries`);
  }
  // packed records from ~60 bytes across 256 and 65,536 bytes (bin8, bin16, bin32 headers)
  const sizes = [0, 1, 2, 3, ...Array.from({ length: 60 }, (_, i) => 20 + i), ...Array.from({ length: 12 }, (_, i) => 16_370 + i)];
  const records = sizes.map((w, i) => wide(i, w));
  const lengths = records.map((r) => packedRecord(r).length);
  t.ok(lengths.some((n) => n < 0x100) && lengths.some((n) => n >= 0x100 && n < 0x10000), 'some fit bin8, some bin16 headers');
  t.ok(
    lengths.some((n) => n >= 0x10000),
    'some need a bin32 header',
  );
  const batches: WalBatch[] = records.map((r, i) => ({ batchId: 100 + i, entries: [{ type: 'record', record: r }] }));
  t.ok(g.encode(batches).equals(expected(batches)), 'one group of all of them');
});

t.test('mixed entries, several groups through one writer, received records', async (t) => {
  const g = new GroupFrames();
  const codec = msgpackCodec<unknown>();
  const sent: Message = {
    type: 'ForwardReq',
    leader: L(2, 1),
    kind: 'append',
    records: [wide(5, 300), wide(6, 2), rec(7, L(2, 1))],
    committed: { offset: 0, words: [] },
    reqId: 1,
  };
  const got = validateTraftMsg(codec.decode(codec.encode([toWire(sent)]))[0]) as Extract<Message, { type: 'ForwardReq' }>;
  const group: WalBatch[] = [
    {
      batchId: 40,
      entries: [{ type: 'committer', committer: L(2, 1) }, ...got.records.map((r): WalEntry => ({ type: 'record', record: r }))],
    },
    {
      batchId: 41,
      entries: [
        { type: 'delete', seq: 7 },
        { type: 'vote', vote: L(4, 2) },
      ],
    },
    { batchId: 42, entries: [] },
  ];
  const first = Buffer.from(g.encode(group));
  t.ok(first.equals(expected(group)), 'the group');
  const big: WalBatch[] = [
    { batchId: 43, entries: Array.from({ length: 40 }, (_, i): WalEntry => ({ type: 'record', record: wide(i, 16_400) })) },
  ];
  t.ok(g.encode(big).equals(expected(big)), 'a group larger than the kept buffer');
  t.ok(g.encode(group).equals(first), 'the writer starts afresh for each group');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), first]);
  t.same(
    decodeWal(image, 'c1').batches.map((b) => b.batchId),
    [40, 41, 42],
    'decodeWal reads the frames back',
  );
  t.same(plain(decodeWal(image, 'c1').batches[0]?.entries), plain(group[0]?.entries), 'with the records as sent');
});

t.test('a checkpoint: the same bytes as encodeCheckpoint, in slices of 4096 entries, the last marked end', async (t) => {
  const { encodeCheckpoint } = await import('./format.js');
  const entry = (i: number): WalEntry =>
    i % 3 === 0 ? { type: 'record', record: wide(i, i % 50) } : i % 3 === 1 ? { type: 'delete', seq: i } : { type: 'vote', vote: L(i, 0) };
  for (const n of [0, 1, 15, 16, 4096, 4097, 8193]) {
    const entries = Array.from({ length: n }, (_, i) => entry(i));
    for (const batchId of [1, 0x80, 0x10000, 2 ** 33])
      t.ok(
        GroupFrames.checkpoint(batchId, entries).equals(Buffer.from(encodeCheckpoint(batchId, entries))),
        `${n} entries, batchId ${batchId}`,
      );
  }
  const entries = Array.from({ length: 4097 }, (_, i) => entry(i));
  const d = decodeWal(Buffer.concat([Buffer.from(encodeHeader('c1')), GroupFrames.checkpoint(7, entries)]), 'c1');
  t.equal(d.checkpoint?.complete, true, 'read back as a complete checkpoint');
  t.equal(d.checkpoint?.entries.length, 4097);
});
