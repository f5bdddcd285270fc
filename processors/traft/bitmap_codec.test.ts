// bitmap_codec.test: messages with long bitmaps survive the TCP codec (msgpack) in the compact
// binary form and validate back to the same Message; malformed binary is rejected.
import t from 'tap';
import { msgpackCodec } from '../../runtime/net/codec.js';
import { toWire } from './bitmap_codec.js';
import type { Message } from './messages.js';
import { L, rec, set } from './testkit.js';
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
  t.same(validateTraftMsg(back), msg);
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
    const wire = toWire(msg) as { records: Array<Record<string, unknown>> };
    t.equal(
      'ovFrom' in wire.records[0]!,
      overrides === derived,
      overrides === derived ? 'derived list: ovFrom' : 'other list: written out',
    );
    const [back] = codec.decode(codec.encode([wire]));
    t.same(validateTraftMsg(back), msg);
  }
});
