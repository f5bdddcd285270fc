// deps_delta.test: a record's deps travel and are logged as a delta against an earlier record of
// the same key in the same container (docs/protocols/traft.md §4.6, §8.3): exactly the same deps
// come back, on the wire and from the WAL; a delta whose base is not earlier in its container is
// refused (BadTraftMessage, a corrupt WAL frame), and a container that lacks the base gets the
// whole record instead.
import t from 'tap';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { deltaExtras, deltaProblem, packedRecord, packRecords, packValue, resolveDelta, toWire } from './bitmap_codec.js';
import type { Message } from './messages.js';
import type { LogRecord } from './record.js';
import { isLayoutRecord } from './record_bytes.js';
import { L, incr, plain, rec, set } from './testkit.js';
import { bitmapEq, type TailBitmap } from './tail_bitmap.js';
import { CHECKPOINT_FRAME_ENTRIES, decodeWal, encodeCheckpoint, encodeFrame, encodeHeader, WalCorruptError } from './wal/format.js';
import { GroupFrames } from './wal/group_frames.js';
import { validateTraftMsg } from './wire.js';

/** rnd: a small seeded generator, so a failing case repeats. */
function rnd(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** bitmap: a normal-form bitmap with offset `offset` and n words of density p. */
function bitmap(next: () => number, offset: number, n: number, p: number): TailBitmap {
  const words = Array.from({ length: n }, () => {
    let w = 0;
    for (let b = 0; b < 32; b++) if (next() < p) w |= 1 << b;
    return w >>> 0;
  });
  if (n > 0) {
    if (words[0] === 0xffffffff) words[0] = 0xfffffffe;
    if (words[n - 1] === 0) words[n - 1] = 1;
  }
  return { offset, words };
}

/** plus: b with `count` random positions in [b.offset, end of b) added (b ⊆ the result). */
function plus(next: () => number, b: TailBitmap, count: number): TailBitmap {
  const words = b.words.slice();
  for (let i = 0; i < count; i++) {
    const x = Math.floor(next() * 32 * words.length);
    words[x >>> 5] = ((words[x >>> 5] as number) | (1 << (x & 31))) >>> 0;
  }
  if (words[0] === 0xffffffff) return b;
  return { offset: b.offset, words };
}

t.test('deltaExtras and resolveDelta give back exactly the deps, or null when base is not below them', async (t) => {
  const next = rnd(20);
  let deltas = 0;
  for (let i = 0; i < 300; i++) {
    const base = bitmap(next, 32 * Math.floor(next() * 4), 8 + Math.floor(next() * 20), next());
    // deps: base's members from a frontier on, a few more, maybe a larger frontier
    const up = Math.floor(next() * 3) * 32;
    const grown = plus(next, { offset: base.offset, words: base.words.concat(next() < 0.5 ? [0, 3] : []) }, Math.floor(next() * 4));
    const d = up === 0 ? grown : { offset: grown.offset + up, words: grown.words.slice(up / 32) };
    if (d.words.length === 0 || d.words[0] === 0xffffffff || d.words[d.words.length - 1] === 0) continue;
    const extras = deltaExtras(d, base);
    if (extras === null) continue;
    deltas++;
    const back = { offset: d.offset, words: resolveDelta(d.offset, d.words.length, base, extras) };
    t.ok(bitmapEq(back, d), `case ${i}: resolved deps are the deps`);
  }
  t.ok(deltas > 200, `most cases are deltas (${deltas})`);
  const base = { offset: 0, words: Array.from({ length: 10 }, () => 0x11) };
  const lacking = { offset: 0, words: base.words.map((w, i) => (i === 4 ? 0x10 : w)) };
  t.equal(deltaExtras(lacking, base), null, 'a base member the deps lack: no delta');
  t.equal(deltaExtras({ offset: 0, words: base.words.slice(0, 9) }, base), null, 'a base reaching past the deps: no delta');
  const every = { offset: 0, words: base.words.map((w) => w | 0x100) };
  t.equal(deltaExtras(every, base), null, 'one extra in each of 10 words: a delta no smaller than the words, none');
  const wide = { offset: 0, words: [...every.words, ...base.words] };
  t.same(deltaExtras(wide, { offset: 0, words: [...base.words, ...base.words] })?.length, 10, 'the same 10 extras over 20 words: a delta');
});

t.test('deltaProblem refuses a received delta that would resolve to a bitmap out of normal form', async (t) => {
  const base = { offset: 64, words: [0x11, 0x11, 0x1] };
  t.equal(deltaProblem(64, 3, base, [5]), null, 'the base and one extra');
  t.equal(deltaProblem(128, 1, base, []), null, 'a delta whose frontier passed most of its base');
  t.equal(deltaProblem(96, 4, base, [100]), null, 'a longer delta with an extra in its last word');
  t.match(deltaProblem(32, 4, base, []), /at or above its base/, 'an offset below the base (a first word of all ones)');
  t.match(deltaProblem(80, 3, base, []), /whole number of words/, 'an offset between words');
  t.match(deltaProblem(64, 2, base, []), /every word of its base/, 'the base reaching past the delta');
  t.match(deltaProblem(64, 5, base, [40]), /empty word/, 'past the base with no extra in the last word');
  t.match(deltaProblem(64, 3, base, [3, 3]), /ascending/, 'a repeated extra');
});

t.test('a key whose latest record is replaced at its seq later in the container is sent whole', async (t) => {
  // One WAL batch can hold a record and, later, another at the same seq (a replaced position): the
  // receiver resolves a delta against the latest earlier record of the base's seq, so the sender must
  // not base a delta on a record that is no longer that.
  const [a, , c] = chain(1300, 3);
  const noop: LogRecord = { seq: 1300, author: L(5, 1), kind: 'noop', deps: { offset: 0, words: [] }, overrides: [1300], logKey: '' };
  const bytes = packRecords([a!, noop, { ...c!, seq: 1301 }]);
  t.equal(bytes[2]![1], 1, 'the record after the replaced one goes whole');
  const frame = encodeFrame({
    batchId: 4,
    entries: [a!, noop, { ...c!, seq: 1301 }].map((record) => ({ type: 'record' as const, record })),
  });
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  const back = decodeWal(image, 'c1').batches[0]!.entries.map((e) => (e.type === 'record' ? e.record : null));
  t.ok(bitmapEq(back[2]!.deps, c!.deps), 'and the WAL reads back its own deps');
});

t.test("a container's deltas are made once and shared; after a seq that does not ascend, records go whole", async (t) => {
  const recs = chain(1400, 4);
  const first = packRecords(recs);
  const again = packRecords(recs.slice(0));
  t.same(
    first.map((b) => b[1]),
    [1, 2, 2, 2],
    'later records of the key are deltas',
  );
  t.equal(again[3], first[3], 'a second container (another peer, the WAL) reuses the same delta bytes');
  // a repeated seq (a Sync's replacement in one WAL batch): the receiver would resolve a later
  // delta's base as the latest record of its seq, so nothing after it is a delta
  const noop: LogRecord = { seq: 1400, author: L(5, 1), kind: 'noop', deps: { offset: 0, words: [] }, overrides: [1400], logKey: '' };
  const mixed = [recs[0]!, recs[1]!, noop, recs[2]!, recs[3]!];
  const bytes = packRecords(mixed);
  t.same(
    bytes.map((b) => b[1]),
    [1, 2, 1, 1, 1],
    'whole after the repeated seq, though the cached deltas name bases in the container',
  );
  const got = validateTraftMsg({ ...(toWire(forward(recs)) as object), records: bytes }) as Extract<Message, { type: 'ForwardReq' }>;
  t.ok(
    got.records.every((r, i) => bitmapEq(r.deps, mixed[i]!.deps)),
    'and every record reads back its own deps',
  );
});

/** chain: n records of one key, each deps = the previous one's deps plus the previous seq (depsFor's shape). */
function chain(from: number, n: number): LogRecord[] {
  const out: LogRecord[] = [];
  let deps: TailBitmap = { offset: 0, words: Array.from({ length: 40 }, (_, i) => (i === 39 ? 1 : 0x1010)) };
  for (let i = 0; i < n; i++) {
    const seq = from + i;
    const r = { ...rec(seq, L(4, 1), i % 3 === 2 ? set('k', i) : incr('k')), deps };
    out.push(r);
    const words = deps.words.slice();
    const bit = seq - deps.offset;
    while (words.length <= bit >>> 5) words.push(0);
    words[bit >>> 5] = ((words[bit >>> 5] as number) | (1 << (bit & 31))) >>> 0;
    deps = { offset: 0, words };
  }
  return out;
}

function forward(records: LogRecord[]): Message {
  return { type: 'ForwardReq', leader: L(4, 1), kind: 'append', records, committed: { offset: 0, words: [] }, reqId: 9 };
}

t.test('an append sends later records of a key as deltas, and the follower reads the same deps', async (t) => {
  const recs = chain(1300, 6);
  const wire = toWire(forward(recs)) as { records: Uint8Array[] };
  t.same(
    wire.records.map((b) => b[1]),
    [1, 2, 2, 2, 2, 2],
    'the first record whole, the others as deltas',
  );
  t.ok(wire.records[5]!.length * 2 < packedRecord(recs[5]!).length, 'a delta is a fraction of the whole record');
  const codec = msgpackCodec<unknown>();
  const got = validateTraftMsg(codec.decode(codec.encode([wire]))[0]) as Extract<Message, { type: 'ForwardReq' }>;
  t.same(plain(got), plain(forward(recs)), 'validated back to the same records, deps included');
  // the follower logs them: the same deltas in one frame; without the base in the frame, whole
  const frame = encodeFrame({ batchId: 3, entries: got.records.map((record) => ({ type: 'record' as const, record })) });
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  const replayed = decodeWal(image, 'c1').batches[0]!.entries.map((e) => (e.type === 'record' ? e.record : null));
  t.same(plain(replayed), plain(recs), 'the WAL reads back every record');
  t.ok(
    Buffer.from(new GroupFrames().encode([{ batchId: 3, entries: got.records.map((record) => ({ type: 'record', record })) }])).equals(
      Buffer.from(frame),
    ),
    'GroupFrames writes the same frame',
  );
  const later = packRecords(got.records.slice(3));
  t.equal(later[0]![1], 1, 'a container without the base gets the record whole');
  t.same(
    plain((validateTraftMsg({ ...(wire as object), records: later }) as Extract<Message, { type: 'ForwardReq' }>).records),
    plain(recs.slice(3)),
    'and it reads back the same',
  );
});

t.test('a delta whose base is not earlier in its container is refused cleanly', async (t) => {
  const recs = chain(1500, 3);
  const wire = toWire(forward(recs)) as { records: Uint8Array[] };
  t.throws(() => validateTraftMsg({ ...(wire as object), records: wire.records.slice(1) }), /base 1500 is not an earlier record/);
  t.throws(() => validateTraftMsg({ ...(wire as object), records: [wire.records[1], wire.records[0]] }), /not an earlier record/);
  // an older sender's msgpack-map record with a delta's deps: checked as layout 2's bytes are
  const shaped = (deps: object): unknown => ({ ...(wire as object), records: [wire.records[0], packValue({ ...recs[1]!, deps })] });
  t.throws(() => validateTraftMsg(shaped({ offset: 0, base: 1500, extras: [] })), /record.deps.n must be/);
  t.throws(() => validateTraftMsg(shaped({ offset: 0, base: 1500, n: 3, extras: [5, 2] })), /extras must be positions ascending/);
  t.throws(() => validateTraftMsg(shaped({ offset: 0, base: 1500, n: 3, extras: [96] })), /extras must be positions ascending/);
  t.throws(() => validateTraftMsg(shaped({ offset: 16, base: 1500, n: 3, extras: [] })), /whole number of words/);
  // a WAL frame with the same hole: a corrupt frame, not a crash
  const whole = encodeFrame({ batchId: 1, entries: recs.map((record) => ({ type: 'record' as const, record })) });
  const holed = encodeFrame({ batchId: 2, entries: recs.slice(1).map((record) => ({ type: 'record' as const, record })) });
  t.ok(isLayoutRecord(packedRecord(recs[1]!)), 'a record still has its whole bytes');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(whole), Buffer.from(holed)]);
  t.equal(decodeWal(image, 'c1').batches.length, 2, "each frame resolves within itself: the second frame's first record is whole");
  // splice a delta record's bytes into a frame of its own, without its base
  const delta = (toWire(forward(recs)) as { records: Uint8Array[] }).records[1]!;
  t.equal(delta[1], 2);
  const { encodeFramed } = await import('../../runtime/store/file_format.js');
  const bad = encodeFramed(Buffer.from(packValue({ batchId: 3, entries: [{ type: 'record', packed: delta }] })));
  const badImage = Buffer.concat([image, Buffer.from(bad)]);
  t.throws(() => decodeWal(badImage, 'c1'), WalCorruptError, 'a frame whose delta has no base is corrupt');
});

t.test("a checkpoint's records are deltas across its frames and read back whole", async (t) => {
  const recs = chain(2000, CHECKPOINT_FRAME_ENTRIES + 100);
  const entries = recs.map((record) => ({ type: 'record' as const, record }));
  const bytes = encodeCheckpoint(7, entries);
  t.ok(Buffer.from(GroupFrames.checkpoint(7, entries)).equals(bytes), 'both writers write the same checkpoint');
  const whole = recs.reduce((n, r) => n + packedRecord(r).length, 0);
  t.ok(bytes.length * 4 < whole, `deltas: ${bytes.length} bytes, ${whole} whole`);
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), bytes]);
  const cp = decodeWal(image, 'c1').checkpoint;
  t.equal(cp?.complete, true, 'two frames, complete');
  t.same(
    plain(cp?.entries.map((e) => (e.type === 'record' ? e.record : null))),
    plain(recs),
    'every record, the second frame resolving against the first',
  );
});
