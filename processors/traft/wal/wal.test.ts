// wal.test: the WAL file round-trips batches; a torn last frame (crash mid-write) or trailing
// garbage is truncated; a damaged frame followed by good ones, a bad header or another
// cluster's WAL is WalCorruptError (exit 4), never silently dropped. Files live in temp dirs.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayWal, type WalBatch } from '../durable.js';
import { L, rec, set } from '../testkit.js';
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
  t.same(got, batches);
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
  t.same(o.batches, batches.slice(0, 2), 'the torn batch is gone (it was never acknowledged)');
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
  t.same(o.batches, batches);
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
  t.same(decodeWal(readFileSync(path), 'c1').batches, [batches[0]]);
});

t.test('frames: checksum covers the payload; length beyond the limit reads as torn', async (t) => {
  const header = Buffer.from(encodeHeader('c1'));
  const f = Buffer.from(encodeFrame(batches[0]!));
  t.same(decodeWal(Buffer.concat([header, f]), 'c1').batches, [batches[0]]);
  const huge = Buffer.from(f);
  huge.writeUInt32LE(0xffffffff, 0);
  const d = decodeWal(Buffer.concat([header, huge]), 'c1');
  t.same(d.batches, []);
  t.equal(d.tornBytes, huge.length);
});

t.test('long deps (a -l 10000 window) round-trip through the compact base64 form', async (t) => {
  const deps = { offset: 64, words: [1, 0x80000000, 0xffffffff >>> 1, 5, 0, 7] };
  const r = { ...rec(300, L(2, 1), set('k', 3)), deps };
  const b: WalBatch = { batchId: 9, entries: [{ type: 'record', record: r }] };
  const frame = encodeFrame(b);
  t.ok(Buffer.from(frame).toString('utf8').includes('"b64"'), 'written compact');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  t.same(decodeWal(image, 'c1').batches, [b], 'read back as words');
});

t.test("a set's long overrides are written as ovFrom and read back as the list", async (t) => {
  const deps = { offset: 0, words: [0xaaaaaaaa, 0xaaaaaaaa, 0xaaaaaaaa, 0xaaaaaaaa] };
  const overrides = [...Array.from({ length: 128 }, (_, i) => i).filter((i) => i % 2 === 1 && i >= 33), 130];
  const r = { ...rec(130, L(2, 1), set('k', 3)), deps, overrides };
  const b: WalBatch = { batchId: 4, entries: [{ type: 'record', record: r }] };
  const frame = encodeFrame(b);
  t.ok(Buffer.from(frame).toString('utf8').includes('"ovFrom":33'), 'written as ovFrom');
  const image = Buffer.concat([Buffer.from(encodeHeader('c1')), Buffer.from(frame)]);
  t.same(decodeWal(image, 'c1').batches, [b], 'read back as the list');
});
