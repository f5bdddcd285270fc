// file_format.test: the shared framing is what both protocols' decoders read, and cutTornTail
// leaves a recovered file ending at its last good frame (a fresh header when none survived),
// and touches a clean file not at all.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutTornTail, encodeFileHeader, encodeFramed, FRAME_HEAD } from './file_format.js';

t.test('header: magic, version, cluster id and a checksum over them', (t) => {
  const h = encodeFileHeader('ABCDEFGH', 7, 'c1');
  t.equal(h.toString('latin1', 0, 8), 'ABCDEFGH');
  t.equal(h.readUInt32LE(8), 7);
  t.equal(h.readUInt16LE(12), 2);
  t.equal(h.toString('utf8', 14, 16), 'c1');
  t.equal(h.readUInt32LE(16), crc32(h.subarray(0, 16)));
  t.equal(h.length, 20);
  t.throws(() => encodeFileHeader('SHORT', 1, 'c1'), RangeError);
  t.end();
});

t.test('frame: length and checksum before the payload', (t) => {
  const payload = Buffer.from('{"batchId":1}', 'utf8');
  const f = encodeFramed(payload);
  t.equal(f.readUInt32LE(0), payload.length);
  t.equal(f.readUInt32LE(4), crc32(payload));
  t.same(f.subarray(FRAME_HEAD), payload);
  t.end();
});

t.test('cutTornTail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const header = encodeFileHeader('ABCDEFGH', 1, 'c1');
  const frame = encodeFramed(Buffer.from('x'));
  const cut = async (name: string, image: Buffer, goodBytes: number, tornBytes: number): Promise<[number, Buffer]> => {
    const path = join(dir, name);
    writeFileSync(path, image);
    const fh = await open(path, 'r+');
    try {
      const size = await cutTornTail(fh, { goodBytes, tornBytes }, () => header);
      return [size, readFileSync(path)];
    } finally {
      await fh.close();
    }
  };
  const good = Buffer.concat([header, frame]);
  const [tornSize, torn] = await cut('torn', Buffer.concat([good, frame.subarray(0, 5)]), good.length, 5);
  t.equal(tornSize, good.length, 'ends at the last good frame');
  t.same(torn, good, 'the torn bytes are gone, the good ones kept');
  const [emptySize, empty] = await cut('empty', header.subarray(0, 6), 0, 6);
  t.equal(emptySize, header.length);
  t.same(empty, header, 'a header torn at creation is written afresh');
  const [cleanSize, clean] = await cut('clean', good, good.length, 0);
  t.equal(cleanSize, good.length);
  t.same(clean, good, 'a clean file is untouched');
});
