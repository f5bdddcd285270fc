// wal.test: the WAL file round-trips batches; a torn last frame (crash mid-write: its length
// runs past the end) or trailing zeros are truncated; a damaged complete frame — last or not —
// a bad header or another cluster's WAL is WalCorruptError (exit 4) naming the file and byte,
// never silently dropped (docs/protocols/traft.md §8.5). Files live in temp dirs.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayWal, type WalBatch } from '../durable.js';
import { L, plain as plainData, rec, set } from '../testkit.js';
import { defined } from '../../../runtime/assert.js';
import { unpackRecord, unpackValue } from '../bitmap_codec.js';
import { WalFile } from './file.js';
import { decodeWal, encodeFrame, encodeHeader, WalCorruptError } from './format.js';

const dir = mkdtempSync(join(tmpdir(), 'traft-wal-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const batches: WalBatch[] = [
  { batchId: 1, entries: [{ type: 'vote', vote: L(1, 0) }] },
  {
    batchId: 2,
    entries: [
      { type: 'committer', committer: L(1, 0) },
      { type: 'record', record: rec(0, L(1, 0)) },
    ],
  },
  {
    batchId: 3,
    entries: [
      { type: 'record', record: rec(1, L(1, 0), set('x', 1)) },
      { type: 'delete', seq: 0 },
    ],
  },
];

async function written(name: string): Promise<string> {
  const path = join(dir, name);
  const { wal } = await WalFile.open(path, 'c1');
  await wal.append(batches.slice(0, 2));
  await wal.append(batches.slice(2));
  await wal.sync();
  await wal.close();
  return path;
}

t.test('round trip: reopen returns the batches; replay rebuilds the state', async (t) => {
  const path = await written('ok.wal');
  const { wal, batches: got, truncatedBytes } = await WalFile.open(path, 'c1');
  await wal.close();
  t.same(plainData(got), plainData(batches));
  t.equal(truncatedBytes, 0);
  const s = replayWal(got.map((b) => b.entries));
  t.same(s.vote, L(1, 0));
  t.same([...s.log.keys()], [1], 'record 0 deleted, 1 kept');
});

t.test('torn last frame: truncated to the last whole batch, and appends continue', async (t) => {
  const path = await written('torn.wal');
  const size = statSync(path).size;
  truncateSync(path, size - 5);
  const o = await WalFile.open(path, 'c1');
  t.same(plainData(o.batches), plainData(batches.slice(0, 2)), 'the torn batch is gone (it was never acknowledged)');
  t.ok(o.truncatedBytes > 0);
  await o.wal.append([{ batchId: 3, entries: [{ type: 'delete', seq: 0 }] }]);
  await o.wal.sync();
  await o.wal.close();
  const again = await WalFile.open(path, 'c1');
  await again.wal.close();
  t.equal(again.batches.length, 3, 'the file is clean after truncation');
});

t.test('trailing zeros (preallocated or torn) are a torn tail', async (t) => {
  const path = await written('zeros.wal');
  appendFileSync(path, Buffer.alloc(100));
  const o = await WalFile.open(path, 'c1');
  await o.wal.close();
  t.same(plainData(o.batches), plainData(batches));
  t.equal(o.truncatedBytes, 100);
  t.equal(statSync(path).size, readFileSync(path).length);
});

t.test('a damaged frame followed by good ones is corruption', async (t) => {
  const path = await written('mid.wal');
  const image = readFileSync(path);
  const firstFrame = encodeHeader('c1').length;
  image[firstFrame + 10] = (image[firstFrame + 10]! ^ 0xff) & 0xff; // flip a payload byte of batch 1
  writeFileSync(path, image);
  await t.rejects(WalFile.open(path, 'c1'), WalCorruptError);
  t.equal(readFileSync(path).length, image.length, 'nothing truncated');
});

t.test('another cluster’s WAL, a bad magic, a damaged header', async (t) => {
  const path = await written('foreign.wal');
  await t.rejects(WalFile.open(path, 'c2'), { name: 'WalCorruptError', kind: 'foreign' });
  const bad = join(dir, 'magic.wal');
  writeFileSync(bad, 'hello world, not a wal at all');
  await t.rejects(WalFile.open(bad, 'c1'), { name: 'WalCorruptError', kind: 'corrupt' });
  const img = Buffer.from(encodeHeader('c1'));
  img[img.length - 1]! ^= 0x01;
  t.throws(() => decodeWal(img, 'c1'), WalCorruptError, 'header checksum');
});

t.test('a partial header (crash while creating) starts a fresh log', async (t) => {
  const path = join(dir, 'partial.wal');
  writeFileSync(path, Buffer.from(encodeHeader('c1')).subarray(0, 6));
  const o = await WalFile.open(path, 'c1');
  await o.wal.append([batches[0]!]);
  await o.wal.close();
  t.same(plainData(decodeWal(readFileSync(path), 'c1').batches), plainData([batches[0]]));
});

t.test('frames: checksum covers the payload; an impossible length is damage, not a torn tail', async (t) => {
  const header = Buffer.from(encodeHeader('c1'));
  const f = Buffer.from(encodeFrame(batches[0]!));
  t.same(plainData(decodeWal(Buffer.concat([header, f]), 'c1').batches), plainData([batches[0]]));
  const huge = Buffer.from(f);
  huge.writeUInt32LE(0xffffffff, 0);
  const d = decodeWal(Buffer.concat([header, huge]), 'c1');
  t.same(d.batches, []);
  t.equal(d.tornBytes, 0, 'nothing to cut');
  t.match(d.damage?.message, `WAL frame at byte ${header.length} is damaged (length 4294967295 exceeds`);
});

/** bigLast writes batches plus one last batch of 256 records (the case: a large acknowledged group). */
async function bigLast(name: string): Promise<{ path: string; lastAt: number; size: number }> {
  const path = await written(name);
  const lastAt = statSync(path).size;
  const o = await WalFile.open(path, 'c1');
  const entries = Array.from({ length: 256 }, (_, i) => ({ type: 'record' as const, record: rec(10 + i, L(1, 0), set('k', i)) }));
  await o.wal.append([{ batchId: 4, entries }]);
  await o.wal.sync();
  await o.wal.close();
  return { path, lastAt, size: statSync(path).size };
}

t.test('one bit flipped in a complete last frame is damage: refused with file and byte, nothing truncated', async (t) => {
  const { path, lastAt, size } = await bigLast('flip.wal');
  const image = readFileSync(path);
  image[size - 50]! ^= 0x04;
  writeFileSync(path, image);
  await t.rejects(WalFile.open(path, 'c1'), {
    name: 'WalCorruptError',
    kind: 'corrupt',
    offset: lastAt,
    message: `${path}: WAL frame at byte ${lastAt} is damaged (checksum mismatch in a complete frame), not torn by a crash: refusing to truncate ${size - lastAt} bytes that may hold acknowledged batches`,
  });
  t.equal(statSync(path).size, size, 'not truncated');
});

t.test('a damaged length field on the last frame is damage, not a torn tail', async (t) => {
  const { path, lastAt, size } = await bigLast('len.wal');
  const image = readFileSync(path);
  image.writeUInt32LE(image.readUInt32LE(lastAt) + 0x100, lastAt); // now runs past the end
  writeFileSync(path, image);
  await t.rejects(WalFile.open(path, 'c1'), { name: 'WalCorruptError', offset: lastAt, message: /runs past the end of a complete frame/ });
  t.equal(statSync(path).size, size, 'not truncated');
});

t.test('the same last frame torn anywhere (a crash mid-append) is cut', async (t) => {
  const { path, lastAt, size } = await bigLast('torn-big.wal');
  const image = readFileSync(path);
  for (const keep of [lastAt + 1, lastAt + 7, lastAt + 8, lastAt + 9, size - 50, size - 1]) {
    writeFileSync(path, image.subarray(0, keep));
    const o = await WalFile.open(path, 'c1');
    await o.wal.close();
    t.same(plainData(o.batches), plainData(batches), `cut at ${keep}: the acknowledged batches stay`);
    t.equal(o.truncatedBytes, keep - lastAt);
  }
});

t.test('zeros then other bytes after the last frame are damage, not zero fill', async (t) => {
  const path = await written('zeros-then.wal');
  appendFileSync(path, Buffer.concat([Buffer.alloc(20), Buffer.from('x')]));
  await t.rejects(WalFile.open(path, 'c1'), { name: 'WalCorruptError', message: /damaged \(zero length\)/ });
});

/** packedRecordOf: the compact record inside a one-record frame (its msgpack body follows the 8-byte head). */
function packedRecordOf(frame: Uint8Array): { deps?: { bin?: unknown }; ovFrom?: unknown; overrides?: unknown } {
  const body = unpackValue(frame.subarray(8)) as { entries: Array<{ packed: Uint8Array }> };
  return unpackRecord(defined(body.entries[0], 'one entry').packed) as { deps?: { bin?: unknown }; ovFrom?: unknown };
}

t.test('long deps (a -l 10000 window) round-trip through the compact binary form', async (t) => {
  const deps = { offset: 64, words: [1, 0x80000000, 0xffffffff >>> 1, 5, 0, 7] };
  const r = { ...rec(300, L(2, 1), set('k', 3)), deps };
  const b: WalBatch = { batchId: 9, entries: [{ type: 'record', record: r }] };
  const frame = encodeFrame(b);
  t.ok(packedRecordOf(frame).deps?.bin instanceof Uint8Array, 'written as binary words');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  t.same(plainData(decodeWal(image, 'c1').batches), plainData([b]), 'read back as words');
});

t.test("a set's long overrides are written as ovFrom and read back as the list", async (t) => {
  const deps = { offset: 0, words: [0xaaaaaaaa, 0xaaaaaaaa, 0xaaaaaaaa, 0xaaaaaaaa] };
  const overrides = [...Array.from({ length: 128 }, (_, i) => i).filter((i) => i % 2 === 1 && i >= 33), 130];
  const r = { ...rec(130, L(2, 1), set('k', 3)), deps, overrides };
  const b: WalBatch = { batchId: 4, entries: [{ type: 'record', record: r }] };
  const frame = encodeFrame(b);
  const packed = packedRecordOf(frame);
  t.ok(packed.ovFrom === 33 && packed.overrides === undefined, 'written as ovFrom');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  t.same(plainData(decodeWal(image, 'c1').batches), plainData([b]), 'read back as the list');
});

t.test('replay of a checksum-valid but inconsistent WAL is WalCorruptError with the position, not an assertion', async (t) => {
  const vote = (term: number) => ({ type: 'vote' as const, vote: L(term, 0) });
  const committer = (term: number) => ({ type: 'committer' as const, committer: L(term, 0) });
  const snap = (floor: number) => ({
    type: 'snapshot' as const,
    snapshot: { floor, applied: { offset: floor, words: [] }, kv: [] },
    keysFrom: 0,
    keys: [],
  });
  t.throws(() => replayWal([[vote(5)], [vote(1)]]), {
    name: 'WalCorruptError',
    message: 'WAL batch 2 in replay order: vote decreases from (5,0) to (1,0); refusing to start from an inconsistent WAL',
  });
  t.throws(
    () =>
      replayWal(
        [[committer(3)], [], [committer(2)]],
        [
          { file: 'w', offset: 20 },
          { file: 'w', offset: 40 },
          { file: 'w', offset: 77 },
        ],
      ),
    {
      name: 'WalCorruptError',
      offset: 77,
      message: 'w: WAL batch at byte 77: committer decreases from (3,0) to (2,0); refusing to start from an inconsistent WAL',
    },
  );
  t.throws(() => replayWal([[snap(10)], [snap(4)]]), { name: 'WalCorruptError', message: /snapshot floor decreases from 10 to 4/ });
  t.same(replayWal([[vote(1)], [vote(1), vote(2)]]).vote, L(2, 0), 'equal or higher is fine');
});

t.test('a large zero-filled tail is cut in linear time (the scan for later frames does not re-read it per byte)', async (t) => {
  const header = Buffer.from(encodeHeader('c1'));
  const f = Buffer.from(encodeFrame(batches[0]!));
  const d = decodeWal(Buffer.concat([header, f, Buffer.alloc(4 * 1024 * 1024)]), 'c1');
  t.same(plainData(d.batches), plainData([batches[0]]));
  t.equal(d.tornBytes, 4 * 1024 * 1024);
  t.equal(d.damage, null);
});
