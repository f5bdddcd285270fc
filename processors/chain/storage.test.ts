// storage.test: the master's record file round-trips; a torn last record is cut and the one
// before it recovered; a damaged record, a foreign cluster's file, a file of another format or
// a missing file at a restart are refused with ForeignStateError (exit 4).
import t, { type Test } from 'tap';
import { crc32 } from 'node:zlib';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForeignStateError } from '../../runtime/errors.js';
import { firstConfig } from './master_ring.js';
import { chainStorage, decodeMasterFile, encodeHeader, encodeRecord, masterRecordPath, replayMasterRecords } from './storage.js';
import type { MasterRecord } from './types.js';

const record = (batchId: number, epoch: number): MasterRecord => ({
  batchId,
  config: { ...firstConfig([1, 2, 3, 4], 3), epoch },
  failed: [5],
  leaving: epoch > 2 ? [2] : [],
  incarnations: [
    [1, 0],
    [2, 3],
  ],
});

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'chain-master-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** writeRecords: a fresh incarnation writes records through the Store and waits for each to be durable. */
async function writeRecords(dir: string, records: readonly MasterRecord[]): Promise<number[]> {
  const opened = await chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 0 });
  const persisted: number[] = [];
  const store = opened.start(
    (b) => persisted.push(b),
    (e) => {
      throw e;
    },
  );
  store.write(records.slice(0, 1));
  store.write(records.slice(1));
  await store.close();
  return persisted;
}

/** refused: opening fails with ForeignStateError (exit 4) saying `re`. */
async function refused(t: Test, p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
    t.fail(`opened, but should be refused: ${re}`);
  } catch (e) {
    t.ok(e instanceof ForeignStateError, 'a ForeignStateError');
    t.match((e as Error).message, re);
  }
}

t.test('round trip: a restart resumes from the last record', async (t) => {
  await withDir(async (dir) => {
    const persisted = await writeRecords(dir, [record(1, 1), record(2, 2), record(3, 3)]);
    t.equal(persisted.at(-1), 3, 'the last batch is reported durable');
    const o = await chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 });
    t.same(o.durable, record(3, 3));
    t.match(o.notes.join(' '), /3 records, resuming from epoch 3/);
    await o
      .start(
        () => undefined,
        () => undefined,
      )
      .close();
  });
});

t.test('a torn last record is cut (never fsynced, never sent) and the one before recovered', async (t) => {
  await withDir(async (dir) => {
    await writeRecords(dir, [record(1, 1), record(2, 2)]);
    const path = masterRecordPath(dir, 0);
    const good = (await readFile(path)).length;
    await appendFile(path, encodeRecord(record(3, 3)).subarray(0, 30));
    const o = await chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 });
    t.equal(o.durable?.config.epoch, 2);
    t.match(o.notes.join(' '), /torn tail of 30 bytes; truncated/);
    await o
      .start(
        () => undefined,
        () => undefined,
      )
      .close();
    t.equal((await readFile(path)).length, good, 'the torn bytes are gone from the file');
    await appendFile(path, Buffer.alloc(64));
    const z = await chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 2 });
    t.equal(z.durable?.config.epoch, 2, 'zeros past the end (size grew before data) are torn too');
    await z
      .start(
        () => undefined,
        () => undefined,
      )
      .close();
  });
});

t.test('damage, a foreign cluster, another format, a missing file: refused with ForeignStateError', async (t) => {
  await withDir(async (dir) => {
    await writeRecords(dir, [record(1, 1), record(2, 2), record(3, 3)]);
    const path = masterRecordPath(dir, 0);
    const image = await readFile(path);
    await refused(
      t,
      chainStorage.open({ logDir: dir, rank: 0, clusterId: 'other', incarnation: 1 }),
      /belongs to cluster "c1", not "other"/,
    );
    const damaged = Buffer.from(image);
    const second = encodeHeader('c1').length + encodeRecord(record(1, 1)).length;
    damaged[second + 20] = (damaged[second + 20] ?? 0) ^ 0xff;
    await writeFile(path, damaged);
    await refused(t, chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 }), /fails its checksum: damaged/);
    const lastDamaged = Buffer.from(image);
    lastDamaged[image.length - 3] = (lastDamaged[image.length - 3] ?? 0) ^ 0x01;
    await writeFile(path, lastDamaged);
    await refused(t, chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 }), /damaged, not torn/);
    await writeFile(path, 'TRAFTWAL and then some bytes');
    await refused(t, chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 }), /not a chain master record file/);
    await rm(path);
    await refused(t, chainStorage.open({ logDir: dir, rank: 0, clusterId: 'c1', incarnation: 1 }), /is missing/);
  });
});

t.test('a checksummed payload that is not a master record is refused', (t) => {
  const payload = Buffer.from(JSON.stringify({ batchId: 1, config: { epoch: 0 } }));
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  t.throws(() => decodeMasterFile(Buffer.concat([encodeHeader('c1'), frame, payload]), 'c1'), /not a master record/);
  t.end();
});

t.test('the simulator replays the last record; a node rank persists nothing but is told its batches are durable', async (t) => {
  t.same(replayMasterRecords([record(1, 1), record(2, 4)]), record(2, 4));
  t.equal(replayMasterRecords([]), undefined);
  await withDir(async (dir) => {
    const o = await chainStorage.open({ logDir: dir, rank: 3, clusterId: 'c1', incarnation: 2 });
    t.equal(o.durable, undefined);
    const got: number[] = [];
    o.start(
      (b) => got.push(b),
      () => undefined,
    ).write([record(7, 1)]);
    t.same(got, [7]);
  });
});
