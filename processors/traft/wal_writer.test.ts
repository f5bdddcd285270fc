// wal_writer.test: batches reach the WAL in order with group commit, every batch is reported
// durable, close waits for all of them, and a failed write is reported once and stops writing.
import t from 'tap';
import type { WalBatch } from './durable.js';
import { WalWriter, type WalAppender } from './wal_writer.js';

function fakeWal(failOnAppend = -1): WalAppender & { appended: number[][]; syncs: number; closed: boolean } {
  let appends = 0;
  const w = {
    appended: [] as number[][],
    syncs: 0,
    closed: false,
    async append(batches: readonly WalBatch[]) {
      if (appends++ === failOnAppend) throw new Error('disk full');
      w.appended.push(batches.map((b) => b.batchId));
    },
    async sync() {
      w.syncs++;
    },
    async close() {
      w.closed = true;
    },
  };
  return w;
}

const batch = (batchId: number): WalBatch => ({ batchId, entries: [] });

t.test('in order, grouped while an fsync runs, all reported, close waits for them', async (t) => {
  const wal = fakeWal();
  const persisted: number[] = [];
  const w = new WalWriter(
    wal,
    (id) => persisted.push(id),
    () => t.fail('no error expected'),
  );
  w.write([batch(1)]);
  w.write([batch(2), batch(3)]); // queued while batch 1 is being written: one group
  await w.close();
  t.same(wal.appended, [[1], [2, 3]]);
  t.equal(wal.syncs, 2, 'one fsync per group');
  t.same(persisted, [1, 3], 'each group reports its last batch');
  t.ok(wal.closed);
  t.throws(() => w.write([batch(4)]), /write after close/);
});

t.test('a batch written just as a drain ends is not stranded', async (t) => {
  // The write lands after the loop found the queue empty but before the loop's promise settled.
  const wal = fakeWal();
  const persisted: number[] = [];
  let done!: () => void;
  const both = new Promise<void>((resolve) => (done = resolve));
  const w = new WalWriter(
    wal,
    (id) => {
      persisted.push(id);
      if (id === 1) queueMicrotask(() => w.write([batch(2)]));
      if (id === 2) done();
    },
    () => t.fail('no error expected'),
  );
  w.write([batch(1)]);
  await both;
  await w.close();
  t.same(persisted, [1, 2]);
  t.same(wal.appended, [[1], [2]]);
});

t.test('a failed write is reported once; later writes are ignored', async (t) => {
  const wal = fakeWal(0);
  const errors: unknown[] = [];
  const persisted: number[] = [];
  const w = new WalWriter(
    wal,
    (id) => persisted.push(id),
    (e) => errors.push(e),
  );
  w.write([batch(1)]);
  await new Promise<void>((resolve) => setImmediate(resolve));
  w.write([batch(2)]);
  await w.close();
  t.equal(errors.length, 1);
  t.same(persisted, [], 'nothing reported durable');
  t.same(wal.appended, [], 'nothing written after the failure');
});
