// bitmap_codec.test: messages with long bitmaps survive the TCP codec (msgpack) in the compact
// binary form and validate back to the same Message; malformed binary is rejected; a record is
// encoded once, and a follower logs the very bytes it received.
import t from 'tap';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { decodeWords, packedRecord, packValue, toWire, unpackRecord, unpackValue, wordCount } from './bitmap_codec.js';
import { decodeWal, encodeFrame, encodeHeader } from './wal/format.js';
import type { ForwardReq, Message } from './messages.js';
import { L, plain, plainBitmap, plainRecord, rec, set } from './testkit.js';
import { validateTraftMsg } from './wire.js';

t.test('a ForwardReq with long deps and committed round-trips', async (t) => {
  const deps = { offset: 32, words: [3, 0x80000001, 0, 0, 9] };
  const msg: Message = {
    type: 'ForwardReq',
    leader: L(3, 1),
    kind: 'append',
    records: [{ ...rec(200, L(3, 1), set('a', 1)), deps }, rec(201, L(3, 1))],
    committed: { offset: 0, words: [1, 2, 3, 4, 0xffff0000] },
    reqId: 7,
  };
  const codec = msgpackCodec<unknown>();
  const [back] = codec.decode(codec.encode([toWire(msg)]));
  t.same(plain(validateTraftMsg(back)), plain(msg));
  t.throws(() => validateTraftMsg({ ...(toWire(msg) as object), committed: { offset: 0, bin: Buffer.alloc(3) } }), /whole 32-bit words/);
});

t.test("a set's long overrides travel as ovFrom and are rebuilt from deps; other lists as they are", async (t) => {
  const deps = { offset: 0, words: [0xffffffff >>> 1, 0x55555555, 0x0f0f0f0f] }; // positions < 96
  const seq = 100;
  const derived = [
    ...Array.from({ length: 96 }, (_, i) => i).filter((i) => i >= 40 && (deps.words[Math.floor(i / 32)]! >>> (i % 32)) & 1),
    seq,
  ];
  const odd = [41, 43, 45, 47, 49, 51, 53, 55, seq]; // not every dep from 41 on
  const codec = msgpackCodec<unknown>();
  for (const overrides of [derived, odd]) {
    const msg: Message = {
      type: 'ForwardReq',
      leader: L(1, 0),
      kind: 'append',
      records: [{ ...rec(seq, L(1, 0), set('a', 1)), deps, overrides }],
      committed: { offset: 0, words: [] },
      reqId: 1,
    };
    const wire = toWire(msg) as { records: Uint8Array[] };
    t.equal(
      'ovFrom' in (unpackRecord(wire.records[0]!) as object),
      overrides === derived,
      overrides === derived ? 'derived list: ovFrom' : 'other list: written out',
    );
    const [back] = codec.decode(codec.encode([wire]));
    t.same(plain(validateTraftMsg(back)), plain(msg));
  }
});

t.test('a record is packed once; a follower logs the bytes it received; the WAL reads them back', async (t) => {
  const deps = { offset: 64, words: [7, 0x80000000, 0, 5] };
  const r = { ...rec(300, L(2, 1), set('k', 3)), deps };
  const bytes = packedRecord(r);
  t.equal(packedRecord(r), bytes, 'the second request to another peer reuses the bytes');
  // the bytes ride on the record unseen: a copy (a record rebuilt with other fields) is packed afresh
  t.same(Object.keys(r).sort(), ['author', 'cmd', 'deps', 'kind', 'logKey', 'overrides', 'seq'], 'no visible field added');
  t.equal(JSON.stringify({ ...r }), JSON.stringify(r));
  const folded = { ...r, deps: { offset: 300, words: [] } };
  t.not(packedRecord(folded), bytes, 'a spread copy does not inherit the cached bytes');
  t.equal((unpackRecord(packedRecord(folded)) as { deps: { offset: number } }).deps.offset, 300);
  const frozen = Object.freeze({ ...r });
  t.ok(Buffer.from(packedRecord(frozen)).equals(Buffer.from(bytes)), 'a frozen record still packs (uncached)');
  const msg: Message = { type: 'ForwardReq', leader: L(2, 1), kind: 'append', records: [r], committed: { offset: 0, words: [] }, reqId: 3 };
  const codec = msgpackCodec<unknown>();
  const got = validateTraftMsg(codec.decode(codec.encode([toWire(msg)]))[0]);
  t.same(plain(got), plain(msg), 'validated back to the same message');
  const received = (got as Extract<Message, { type: 'ForwardReq' }>).records[0]!;
  const logged = packedRecord(received);
  t.ok(Buffer.from(logged).equals(Buffer.from(bytes)), 'the follower packs nothing: it keeps what arrived');
  const frame = encodeFrame({ batchId: 2, entries: [{ type: 'record', record: received }] });
  t.ok(Buffer.from(frame).includes(Buffer.from(bytes)), 'the WAL frame carries those bytes');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  t.same(
    plain(decodeWal(image, 'c1').batches),
    plain([{ batchId: 2, entries: [{ type: 'record', record: r }] }]),
    'and reads back the record',
  );
  // a truncated array: bytes that do not decode
  t.throws(() => validateTraftMsg({ ...(toWire(msg) as object), records: [Buffer.from([0x92])] }), /record bytes must be a record/);
});

t.test('words decode the same at any byte offset of a frame', async (t) => {
  const words = [0, 1, 0x80000000, 0xffffffff, 0x12345678];
  const bytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => bytes.writeUInt32LE(w, i * 4));
  for (let at = 0; at < 4; at++) {
    const frame = Buffer.alloc(bytes.length + 8);
    bytes.copy(frame, at);
    t.same(decodeWords(frame.subarray(at, at + bytes.length)), words, `at offset ${at}`);
  }
  t.equal(decodeWords(bytes.subarray(0, 6)), null, 'not whole words');
});

t.test("a received set's deps and overrides are its words and ovFrom list when read; it has no accessor of its own", async (t) => {
  const deps = { offset: 0, words: [0xffffffff >>> 1, 0x55555555, 0x0f0f0f0f] };
  const seq = 100;
  const overrides = [
    ...Array.from({ length: 96 }, (_, i) => i).filter((i) => i >= 40 && (deps.words[Math.floor(i / 32)]! >>> (i % 32)) & 1),
    seq,
  ];
  const sent = { ...rec(seq, L(1, 0), set('a', 1)), deps, overrides };
  const msg: Message = {
    type: 'ForwardReq',
    leader: L(1, 0),
    kind: 'append',
    records: [sent],
    committed: { offset: 0, words: [] },
    reqId: 1,
  };
  const codec = msgpackCodec<unknown>();
  const got = validateTraftMsg(codec.decode(codec.encode([toWire(msg)]))[0]);
  t.equal(got.type, 'ForwardReq');
  const r = (got as ForwardReq).records[0]!;
  t.equal(wordCount(r.deps), deps.words.length, 'the word count is known before the words are decoded');
  t.same(plainBitmap(r.deps), deps, 'deps decode on first read');
  t.same(r.overrides, overrides, 'read: the full list');
  t.same(plainRecord(r), plainRecord(sent), 'the same record as the sent one');
  // fixed-shape objects (a follower keeps thousands): fields and a prototype getter, no own accessor
  t.equal(Object.getOwnPropertyDescriptor(r, 'overrides'), undefined, "the record's overrides are its class's getter");
  t.equal(Object.getOwnPropertyDescriptor(r.deps, 'words'), undefined, "the deps' words are their class's getter");
  t.same(Object.getOwnPropertySymbols(r), [], 'its bytes are in a slot, not a property added later');
});

t.test("records' bytes do not share a buffer with the WAL's frame bodies packed between them", async (t) => {
  const first = packedRecord({ ...rec(300, L(1, 0), set('a', 1)), deps: { offset: 0, words: [5, 6, 7, 8, 9] } });
  const frame = packValue({ batchId: 1, entries: [{ type: 'record', packed: first }] });
  const second = packedRecord({ ...rec(301, L(1, 0), set('a', 2)), deps: { offset: 0, words: [5, 6, 7, 8, 10] } });
  t.not(frame.buffer, first.buffer, 'a frame body is packed apart from the records');
  t.equal(second.buffer, first.buffer, 'records are packed side by side (one buffer held by live records only)');
  const back = unpackValue(frame) as { entries: Array<{ packed: Uint8Array }> };
  t.ok(Buffer.from(back.entries[0]!.packed).equals(Buffer.from(first)), 'the frame body still reads back the same bytes');
});
