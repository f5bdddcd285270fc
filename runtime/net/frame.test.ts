// frame.test: frames survive any chunking (byte by byte, many per chunk), the maximum is
// enforced from the header alone, and both codecs round-trip batches and refuse garbage.
import t from 'tap';
import { jsonCodec, msgpackCodec, CodecError } from './codec.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FrameDecoder,
  FrameError,
  checkMaxFrameBytes,
  frameParts,
  REUSED_PAYLOAD_MAX,
} from './frame.js';
import { checkHello, encodeHello, type Expected } from './handshake.js';
import { defined } from '../assert.js';

function drain(d: FrameDecoder): string[] {
  const out: string[] = [];
  for (let f = d.next(); f !== undefined; f = d.next()) out.push(f.toString('utf8'));
  return out;
}

const payloads = ['hello', '', 'x'.repeat(1000), 'ünïcødé', 'last'];
const stream = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p, 'utf8'))));

t.test('frames fed byte by byte reassemble', async (t) => {
  const d = new FrameDecoder();
  const got: string[] = [];
  for (let i = 0; i < stream.length; i++) {
    d.push(stream.subarray(i, i + 1));
    got.push(...drain(d));
  }
  t.same(got, payloads);
  t.equal(d.bufferedBytes, 0);
});

t.test('frameParts is the frame encodeFrame makes, in two pieces, the payload not copied', async (t) => {
  const payload = Buffer.from('x'.repeat(70_000));
  const [head, body] = frameParts(payload);
  t.equal(body, payload, 'the payload itself, not a copy');
  t.same(Buffer.concat([head, body]), encodeFrame(payload));
  const d = new FrameDecoder();
  d.push(head);
  d.push(Buffer.from(body));
  t.same(d.next(), payload);
});

t.test('many frames in one chunk, and chunks split at every offset', async (t) => {
  const many = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeFrame(Buffer.from(`m${i}`))));
  const d = new FrameDecoder();
  d.push(many);
  const got = drain(d);
  t.equal(got.length, 1000);
  t.equal(got[999], 'm999');
  let ok = true;
  for (let cut = 0; cut <= stream.length; cut++) {
    const e = new FrameDecoder();
    e.push(stream.subarray(0, cut));
    const first = drain(e);
    e.push(stream.subarray(cut));
    if ([...first, ...drain(e)].join('|') !== payloads.join('|')) ok = false;
  }
  t.ok(ok, 'every two-way split decodes to the same frames');
});

t.test('the maximum is enforced from the header, before the payload arrives', async (t) => {
  const d = new FrameDecoder(16);
  d.push(encodeFrame(Buffer.alloc(16)));
  t.equal(d.next()?.length, 16, 'exactly the maximum is fine');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(0xfffffff0, 0);
  d.push(header);
  t.throws(() => d.next(), FrameError);
  t.throws(() => checkMaxFrameBytes(2 ** 31), RangeError);
});

t.test('codecs round-trip batches and refuse non-batches', async (t) => {
  const batch = [
    { type: 'accept', ballot: 3, key: 'k'.repeat(32) },
    { type: 'ack', n: -1.5, ok: true, v: null },
  ];
  for (const codec of [jsonCodec<unknown>(), msgpackCodec<unknown>()]) {
    t.same(codec.decode(codec.encode(batch)), batch, `${codec.name} round-trips`);
    t.throws(() => codec.decode(Buffer.from('\xc1\xff{garbage', 'latin1')), CodecError, `${codec.name} refuses garbage`);
    t.throws(() => codec.decode(codec.encode({ not: 'an array' } as never)), CodecError, `${codec.name} refuses a non-array`);
  }
  const mp = msgpackCodec<{ bits: Uint8Array }>();
  const [back] = mp.decode(mp.encode([{ bits: new Uint8Array([1, 2, 255]) }])) as [{ bits: Uint8Array }];
  t.ok(back.bits instanceof Uint8Array, 'msgpack carries binary as binary');
  t.same([...back.bits], [1, 2, 255]);
});

t.test('a reusing decoder assembles payloads that span chunks in one buffer; a plain one in fresh ones', async (t) => {
  const big = (c: string, n: number) => Buffer.from(c.repeat(n));
  const sizes = [150_000, 100_000, 3_000_000, 90_000];
  const stream = Buffer.concat(sizes.map((n, i) => encodeFrame(big(String.fromCharCode(97 + i), n))));
  for (const reuse of [true, false]) {
    const d = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES, reuse);
    const got: Buffer[] = [];
    const ok: boolean[] = [];
    for (let at = 0; at < stream.length; at += 65_536) {
      d.push(stream.subarray(at, at + 65_536));
      for (let f = d.next(); f !== undefined; f = d.next()) {
        const i = got.length;
        ok.push(f.equals(big(String.fromCharCode(97 + i), defined(sizes[i], 'one size per frame'))));
        got.push(f);
      }
    }
    t.same(ok, [true, true, true, true], `reuse ${reuse}: each payload whole when read`);
    const [a, b, c, e] = got as [Buffer, Buffer, Buffer, Buffer];
    t.equal(a.buffer === b.buffer && b.buffer === e.buffer, reuse, `reuse ${reuse}: ${reuse ? 'one buffer' : 'a buffer each'}`);
    t.ok(c.buffer !== b.buffer && c.length > REUSED_PAYLOAD_MAX, 'a payload over REUSED_PAYLOAD_MAX gets its own either way');
  }
});

t.test('transient chunks: reads into one overwritten buffer give every payload whole, in any chunking', async (t) => {
  const sizes = [10, 70_000, 0, 5, 200_000, 3_000_000, 64 * 1024 - 8, 90_000, 1];
  const body = (i: number, n: number) => Buffer.alloc(n, 97 + i);
  const stream = Buffer.concat(sizes.map((n, i) => encodeFrame(body(i, n))));
  for (const read of [1, 7, 4096, 65_536]) {
    const d = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES, true);
    const socketBuffer = Buffer.alloc(read);
    const whole: boolean[] = [];
    for (let at = 0; at < stream.length; at += read) {
      const n = stream.copy(socketBuffer, 0, at, at + read);
      d.pushTransient(socketBuffer.subarray(0, n));
      for (let f = d.next(); f !== undefined; f = d.next()) {
        const i = whole.length;
        whole.push(f.equals(body(i, defined(sizes[i], 'one size per frame'))));
      }
      d.settle();
      socketBuffer.fill(0xee); // the next read overwrites it: nothing held may be a view of it
    }
    t.same(
      whole,
      sizes.map(() => true),
      `reads of ${read} bytes: each payload whole when read`,
    );
    t.equal(d.bufferedBytes, 0, `reads of ${read} bytes: nothing left over`);
  }
});

t.test('transient chunks: the carry a large frame grew is dropped once it is read', async (t) => {
  const d = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES, true);
  const carryOf = () => (d as unknown as { carry?: Buffer }).carry;
  const stream = Buffer.concat([encodeFrame(Buffer.alloc(3_000_000, 1)), encodeFrame(Buffer.alloc(100_000, 2))]);
  const lengths: number[] = [];
  for (let at = 0; at < stream.length; at += 65_536) {
    d.pushTransient(Buffer.from(stream.subarray(at, at + 65_536)));
    for (let f = d.next(); f !== undefined; f = d.next()) lengths.push(f.length);
    d.settle();
    if (at === 0) t.ok((carryOf()?.length ?? 0) <= 2 * 65_536, 'the first partial frame: a carry of about one read');
  }
  t.same(lengths, [3_000_000, 100_000]);
  t.ok((carryOf()?.length ?? 0) <= REUSED_PAYLOAD_MAX, 'no carry over REUSED_PAYLOAD_MAX kept once nothing is held');
  t.throws(() => new FrameDecoder().pushTransient(Buffer.alloc(1)), 'a plain decoder refuses transient chunks');
});

t.test('msgpack transient frames: whole frames in reused memory, kept ones not overwritten', async (t) => {
  const mp = msgpackCodec<{ n: number; s: string }>();
  const tf = defined(mp.transient, 'msgpack writes transient frames');
  const decode = (frame: Buffer) => {
    const d = new FrameDecoder();
    d.push(Buffer.from(frame)); // a copy: what a socket would have sent then
    return mp.decode(defined(d.next(), 'one whole frame'));
  };
  const batch = (n: number) => [{ n, s: String.fromCharCode(97 + n).repeat(3000) }];
  const first = tf.frame(batch(0));
  t.same(decode(first), batch(0), 'header and payload make one frame');
  const second = tf.frame(batch(1));
  t.equal(second.buffer, first.buffer, 'the next frame reuses the memory…');
  t.equal(second.byteOffset, first.byteOffset, '…at the same place: nothing allocated per frame');
  t.same(decode(first), batch(1), 'so an unkept frame is overwritten');
  tf.keep(second);
  const third = tf.frame(batch(2));
  t.ok(third.byteOffset >= second.byteOffset + second.length || third.buffer !== second.buffer, 'a kept frame is written after');
  t.same(decode(second), batch(1), 'and stays intact');
  t.same(mp.decode(mp.encode(batch(3))), batch(3), 'plain encodes still work between them');
  t.throws(() => tf.keep(third), 'only the last frame, before another encode, can be kept');
});

t.test('handshake checks cluster, version, rank and codec', async (t) => {
  const want: Expected = { clusterId: 'run-1', ranks: 3, selfRank: 0, version: 1, codec: 'msgpack' };
  const hello = (over: Record<string, unknown>) => encodeHello({ clusterId: 'run-1', rank: 1, version: 1, codec: 'msgpack', ...over });
  t.same(checkHello(hello({}), want), { rank: 1 });
  const kind = (over: Record<string, unknown>) => (checkHello(hello(over), want) as { kind?: string }).kind;
  t.equal(kind({ clusterId: 'run-2' }), 'cluster');
  t.equal(kind({ version: 2 }), 'version');
  t.equal(kind({ rank: 3 }), 'rank');
  t.equal(kind({ rank: 0 }), 'rank', 'a peer claiming our own rank is refused');
  t.equal(kind({ rank: 1.5 }), 'rank');
  t.equal(kind({ codec: 'json' }), 'codec');
  t.equal((checkHello(Buffer.from('{"magic":"other"}'), want) as { kind: string }).kind, 'garbage');
  t.equal((checkHello(Buffer.from('not json'), want) as { kind: string }).kind, 'garbage');
  t.throws(() => encodeHello({ clusterId: 'x'.repeat(5000), rank: 0, version: 1, codec: 'json' }), RangeError);
});
