// rank_wal.test: a restarted TRaft rank (`csplab rank --protocol traft --incarnation N`) on the
// WAL its earlier incarnation left (docs/protocols/traft.md §8.5): a torn last frame — what a
// crash mid-append leaves — is cut and the rank runs; a damaged complete frame, a missing or
// empty WAL directory, or a checksum-valid WAL whose replay is inconsistent stops it with exit 4
// and one line naming the file (and byte), never starting without what it acknowledged.
import t from 'tap';
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWal, encodeFrame, encodeHeader } from '../processors/traft/wal/format.js';
import { segmentName } from '../processors/traft/wal/segments.js';
import { cliRun, expectError, HANG_BOUND_MS } from './testing/cli.js';
import { freeBasePort } from './testing/ports.js';
import { EXIT } from './exit.js';

const BOUND = { timeoutMs: HANG_BOUND_MS };
const CLUSTER = 'local'; // csplab rank's default --cluster-id

t.test('a restarted TRaft rank: torn tail cut, damage and a missing WAL refused with exit 4', async (t) => {
  const dir = t.testdir();
  const base = await freeBasePort(1);
  // One rank is a whole cluster (quorum 1): it leads, commits and fills its WAL in a second.
  const rank = (incarnation: number) =>
    cliRun(
      t,
      [
        'rank',
        '-i',
        '0',
        '-n',
        '1',
        '--protocol',
        'traft',
        '-o',
        '0.2',
        '-l',
        '100',
        '-t',
        '1',
        '--log-dir',
        dir,
        '--base-port',
        String(base),
        '--incarnation',
        String(incarnation),
        // No snapshots: the WAL stays in segment 0 however many commits a quiet machine makes.
        '--snapshot-every',
        '0',
      ],
      BOUND,
    );
  const walDir = join(dir, 'wal0');
  const seg = join(walDir, segmentName(0));

  const first = await rank(0);
  t.equal(first.status, EXIT.ok, `incarnation 0 runs: ${first.stderr}`);
  const written = decodeWal(readFileSync(seg), CLUSTER);
  t.ok(written.batches.length > 2 && written.tornBytes === 0, 'it left whole batches');

  // A torn append: a frame head promising 1000 bytes, and 10 of them.
  const torn = Buffer.alloc(18);
  torn.writeUInt32LE(1000, 0);
  appendFileSync(seg, torn);
  const second = await rank(1);
  t.equal(second.status, EXIT.ok, 'a torn tail: the rank runs');
  t.match(second.stderr, 'rank 0: WAL had a torn tail of 18 bytes; truncated');
  t.match(second.stderr, `recovered a snapshot up to seq -1 and `, 'from its WAL');

  // One bit flipped 50 bytes before the end, inside the last (complete, acknowledged) frame.
  const image = readFileSync(seg);
  const lastAt = decodeWal(image, CLUSTER).offsets.at(-1) ?? -1;
  t.ok(lastAt > 0 && lastAt < image.length - 50, 'the flip lands inside the last frame');
  image[image.length - 50]! ^= 0x10;
  writeFileSync(seg, image);
  expectError(
    t,
    await rank(2),
    EXIT.corrupt,
    `csplab: ${seg}: WAL frame at byte ${lastAt} is damaged (checksum mismatch in a complete frame), not torn by a crash: refusing to truncate ${image.length - lastAt} bytes that may hold acknowledged batches`,
    'a damaged last frame',
  );
  t.equal(statSync(seg).size, image.length, 'nothing truncated');

  // Checksums fine, contents impossible: the vote goes backwards in the second batch.
  const header = encodeHeader(CLUSTER);
  const b1 = encodeFrame({ batchId: 1, entries: [{ type: 'vote', vote: { term: 5, id: 0 } }] });
  const b2 = encodeFrame({ batchId: 2, entries: [{ type: 'vote', vote: { term: 1, id: 0 } }] });
  writeFileSync(seg, Buffer.concat([header, b1, b2]));
  expectError(
    t,
    await rank(2),
    EXIT.corrupt,
    `csplab: ${seg}: WAL batch at byte ${header.length + b1.length}: vote decreases from (5,0) to (1,0); refusing to start from an inconsistent WAL`,
    'an inconsistent WAL',
  );

  rmSync(seg);
  expectError(
    t,
    await rank(2),
    EXIT.corrupt,
    `csplab: ${walDir}: WAL directory has no segment; a restarted rank cannot start without its WAL`,
    'an emptied WAL directory',
  );
  rmSync(walDir, { recursive: true });
  expectError(
    t,
    await rank(2),
    EXIT.corrupt,
    `csplab: ${walDir}: WAL directory is missing; a restarted rank cannot start without its WAL`,
    'a missing WAL directory',
  );
  mkdirSync(walDir);
  writeFileSync(seg, '');
  expectError(t, await rank(2), EXIT.corrupt, `csplab: ${seg}: WAL segment 0 has no complete header`, 'an emptied segment');
});
