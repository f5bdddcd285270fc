// storage.test: Vectory's WAL (storage.ts) recovers what was made durable, in order — a promise,
// an installed Sync (cut, entries, accept) — cuts a torn last frame, and refuses a damaged frame
// or another cluster's file (ForeignStateError, exit 4).
import t from 'tap';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForeignStateError } from '../../runtime/errors.js';
import type { WalBatch } from './state.js';
import { replay, vectoryStorage } from './storage.js';
import type { Ballot, Entry } from './types.js';

const b = (epoch: number, nodeId: number): Ballot => ({ epoch, rank: 0xffff, nodeId });
const e = (index: number, ballot: Ballot, version: number): Entry => ({ index, ballot, kind: 'noop', version });

async function written(dir: string, batches: WalBatch[]): Promise<void> {
  const o = await vectoryStorage.open({ logDir: dir, rank: 1, clusterId: 'c', incarnation: 0 });
  const durable: number[] = [];
  const store = o.start(
    (id) => durable.push(id),
    () => undefined,
  );
  store.write(batches);
  await store.close();
}

t.test('a restart recovers promised, accepted and the log as the batches left them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vectory-wal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await written(dir, [
    { batchId: 1, ops: [{ op: 'promise', shard: 0, ballot: b(1, 0) }] },
    { batchId: 2, ops: [{ op: 'put', shard: 0, entries: [e(1, b(1, 0), 1), e(2, b(1, 0), 2), e(3, b(1, 0), 3)] }] },
    {
      batchId: 3,
      ops: [
        { op: 'promise', shard: 0, ballot: b(2, 2) },
        { op: 'cut', shard: 0, above: 1 },
        { op: 'put', shard: 0, entries: [e(2, b(2, 2), 4)] },
        { op: 'accept', shard: 0, ballot: b(2, 2) },
      ],
    },
  ]);
  const o = await vectoryStorage.open({ logDir: dir, rank: 1, clusterId: 'c', incarnation: 1 });
  const s = o.durable?.shards.get(0);
  t.same(s?.promised, b(2, 2), 'the last promise');
  t.same(s?.accepted, b(2, 2), 'the installed ballot');
  t.same(
    s?.log.map((x) => x.version),
    [1, 4],
    'the Sync cut everything above 1 and installed its entry',
  );
  const path = join(dir, 'vectory1.wal');
  await appendFile(path, Buffer.from([9, 0, 0, 0, 1, 2])); // a frame torn by a crash mid-write
  const torn = await vectoryStorage.open({ logDir: dir, rank: 1, clusterId: 'c', incarnation: 2 });
  t.same(torn.durable?.shards.get(0)?.log.length, 2, 'a torn last frame is cut, the rest kept');
  await t.rejects(
    vectoryStorage.open({ logDir: dir, rank: 1, clusterId: 'other', incarnation: 1 }),
    ForeignStateError,
    'another cluster’s WAL is refused',
  );
  const image = await readFile(path);
  image[image.length - 3] = (image[image.length - 3] ?? 0) ^ 0xff; // damage inside the last complete frame
  await writeFile(path, image);
  await t.rejects(
    vectoryStorage.open({ logDir: dir, rank: 1, clusterId: 'c', incarnation: 3 }),
    ForeignStateError,
    'a damaged frame is refused',
  );
  await t.rejects(
    vectoryStorage.open({ logDir: dir, rank: 7, clusterId: 'c', incarnation: 1 }),
    ForeignStateError,
    'a missing WAL is refused',
  );
});

t.test('replay: the simulator’s disk read back the same way', (t) => {
  const d = replay([{ batchId: 1, ops: [{ op: 'put', shard: 3, entries: [e(1, b(1, 3), 1)] }] }]);
  t.same(d.shards.get(3)?.log.length, 1);
  t.same(d.shards.get(3)?.promised, { epoch: 0, rank: 0, nodeId: 0 }, 'no promise made: zero');
  t.end();
});
