// segments.test: the WAL directory. Plain batches round-trip in segment 0; a checkpoint opens a
// new segment and the older ones go, and what reopening returns replays to the same state as
// everything ever appended. Crash states are built by writing files directly: a newest segment
// whose checkpoint never finished (the previous one is used, the bad one removed), old and new
// complete segments both present (the new one wins, the old is removed), a torn tail after a
// checkpoint (truncated). Mid-segment damage and another cluster's WAL are WalCorruptError.
import { applierOf } from '../applier.js';
import { labMachine } from '../lab_machine.js';
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { entriesToReplay, replayWal, type SnapshotEntry, type WalBatch, type WalEntry } from '../durable.js';
import type { LogRecord } from '../record.js';
import { decodeWal, encodeCheckpoint, encodeFrame, encodeHeader, WalCorruptError } from './format.js';
import { encodeAsAppended, segmentName, WalDir } from './segments.js';
import { GroupFrames } from './group_frames.js';
import { packValue } from '../bitmap_codec.js';
import { plain as plainData } from '../testkit.js';

const root = mkdtempSync(join(tmpdir(), 'traft-segments-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
function freshDir(): string {
  const d = join(root, `d${dirs++}`);
  mkdirSync(d);
  return d;
}

const CLUSTER = 'c1';

const segs = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('seg-'))
    .sort();

const author = { term: 1, id: 0 };

function record(seq: number, value = seq): WalEntry {
  const r: LogRecord = {
    seq,
    author,
    kind: 'cmd',
    cmd: { op: 'set', key: `k${seq % 7}`, value },
    deps: { offset: 0, words: [] },
    overrides: [seq],
    logKey: `key${seq}`,
  };
  return { type: 'record', record: r };
}

function snapshotEntry(floor: number): SnapshotEntry {
  return {
    type: 'snapshot',
    snapshot: { floor, applied: { offset: floor, words: [] }, kv: [['k1', 3]] },
    keysFrom: 0,
    keys: Array.from({ length: floor }, (_, i) => (i % 3 === 2 ? '' : `key${i}`)),
  };
}

/**
 * checkpointOf builds what the replica would write: its durable state after `history` as a
 * snapshot at `floor`, vote, committer, and the records at or above the floor.
 */
function checkpointOf(history: readonly WalBatch[], floor: number): WalEntry[] {
  const s = replayWal(entriesToReplay(history));
  const out: WalEntry[] = [snapshotEntry(floor)];
  if (s.vote !== null) out.push({ type: 'vote', vote: s.vote });
  if (s.committer !== null) out.push({ type: 'committer', committer: s.committer });
  for (const r of [...s.log.values()].sort((a, b) => a.seq - b.seq)) if (r.seq >= floor) out.push({ type: 'record', record: r });
  return out;
}

/** withCheckpoint is `b` carrying the checkpoint of history + b. */
function withCheckpoint(history: readonly WalBatch[], b: WalBatch, floor: number): WalBatch {
  return { ...b, checkpoint: checkpointOf([...history, b], floor) };
}

function plain(batchId: number, seqs: number[]): WalBatch {
  return { batchId, entries: seqs.map((s) => record(s)) };
}

const first: WalBatch[] = [
  { batchId: 1, entries: [{ type: 'vote', vote: author }] },
  { batchId: 2, entries: [{ type: 'committer', committer: author }, record(0), record(1), record(2)] },
];

/** write appends to the WAL in `dir`: a fresh rank's (create) when it holds no segment yet, else the recovered one. */
async function write(dir: string, groups: WalBatch[][]): Promise<void> {
  const wal = segs(dir).length === 0 ? await WalDir.create(dir, CLUSTER) : (await WalDir.open(dir, CLUSTER)).wal;
  for (const g of groups) {
    await wal.append(g);
    await wal.sync();
  }
  await wal.close();
}

async function reopen(dir: string): Promise<{ batches: WalBatch[]; truncatedBytes: number; segment: number }> {
  const o = await WalDir.open(dir, CLUSTER);
  const segment = o.wal.segment;
  await o.wal.close();
  return { batches: o.batches, truncatedBytes: o.truncatedBytes, segment };
}

const replayOf = (batches: readonly WalBatch[]) => replayWal(batches.map((b) => b.entries));

t.test('plain batches round-trip in segment 0; other files are ignored', async (t) => {
  const dir = freshDir();
  await write(dir, [first]);
  writeFileSync(join(dir, 'notes.txt'), 'not a segment');
  writeFileSync(join(dir, 'seg-x.wal'), 'not a segment either');
  await write(dir, [[plain(3, [3, 4])]]);
  t.same(segs(dir), ['seg-00000000.wal', 'seg-x.wal']);
  const o = await reopen(dir);
  t.same(plainData(o.batches), plainData([...first, plain(3, [3, 4])]));
  t.equal(o.truncatedBytes, 0);
  t.equal(o.segment, 0);
  t.ok(existsSync(join(dir, 'notes.txt')) && existsSync(join(dir, 'seg-x.wal')), 'strays left alone');
});

t.test('create makes segment 0 with its header; it replaces what was there', async (t) => {
  const dir = freshDir();
  writeFileSync(join(dir, segmentName(0)), 'an old run');
  await (await WalDir.create(dir, CLUSTER)).close();
  t.same(segs(dir), [segmentName(0)]);
  t.same(decodeWal(readFileSync(join(dir, segmentName(0))), CLUSTER).goodBytes, encodeHeader(CLUSTER).length);
  t.notOk(existsSync(`${dir}.new`), 'built under a temporary name, renamed into place');
  const o = await reopen(dir);
  t.same(o.batches, []);
});

t.test('a restart refuses a missing, empty or headerless WAL instead of starting empty (§8.5)', async (t) => {
  const missing = join(root, 'never-made');
  await t.rejects(WalDir.open(missing, CLUSTER), {
    name: 'WalCorruptError',
    kind: 'corrupt',
    message: new RegExp(`^${missing}: WAL directory is missing`),
  });
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  await t.rejects(WalDir.open(file, CLUSTER), {
    name: 'WalCorruptError',
    message: `${file}: WAL directory is not a directory; a restarted rank cannot start without its WAL`,
  });
  const empty = freshDir();
  await write(empty, [first]);
  rmSync(join(empty, segmentName(0)));
  await t.rejects(WalDir.open(empty, CLUSTER), {
    name: 'WalCorruptError',
    kind: 'corrupt',
    message: new RegExp(`^${empty}: WAL directory has no segment`),
  });
  for (const keep of [0, 5]) {
    const headerless = freshDir();
    await write(headerless, [first]);
    const path = join(headerless, segmentName(0));
    truncateSync(path, keep);
    await t.rejects(
      WalDir.open(headerless, CLUSTER),
      { name: 'WalCorruptError', message: `${path}: WAL segment 0 has no complete header` },
      `${keep} bytes left`,
    );
    t.equal(statSync(path).size, keep, 'left as found');
  }
});

t.test('a checkpoint rotates: older segments go, reopening replays to the same state', async (t) => {
  const dir = freshDir();
  const all: WalBatch[] = [...first];
  const b3 = withCheckpoint(all, { batchId: 3, entries: [record(3), { type: 'delete', seq: 1 }] }, 2);
  all.push(b3);
  const after = [plain(4, [4, 5]), { batchId: 5, entries: [record(2, 99), { type: 'vote', vote: { term: 2, id: 1 } }] as WalEntry[] }];
  all.push(...after);
  await write(dir, [first, [b3, after[0]!], [after[1]!]]);
  t.same(segs(dir), ['seg-00000001.wal'], 'segment 0 deleted');
  const o = await reopen(dir);
  t.equal(o.segment, 1);
  t.same(plainData(o.batches[0]), plainData({ batchId: 3, entries: b3.checkpoint }), 'the checkpoint comes first, as one batch');
  t.same(plainData(o.batches.slice(1)), plainData(after));
  const want = replayWal(entriesToReplay(all));
  t.same(plainData(replayOf(o.batches)), plainData(want), 'same as replaying everything');
  t.same(
    [...want.log.keys()].sort((a, b) => a - b),
    [2, 3, 4, 5],
    'records below the floor and the deleted one are gone',
  );
  t.same(want.log.get(2)?.cmd, { op: 'set', key: 'k2', value: 99 }, 'a later record replaces the checkpointed one');
  t.same(want.vote, { term: 2, id: 1 });

  // two more checkpoints in one append group: only the last segment survives
  const g: WalBatch[] = [plain(6, [6])];
  const b7 = withCheckpoint([...all, ...g], plain(7, [7]), 4);
  g.push(b7, plain(8, [8]));
  const b9 = withCheckpoint([...all, ...g], plain(9, [9]), 6);
  g.push(b9, plain(10, [10]));
  all.push(...g);
  await write(dir, [g]);
  t.same(segs(dir), ['seg-00000003.wal']);
  const again = await reopen(dir);
  t.equal(again.segment, 3);
  t.same(
    again.batches.map((b) => b.batchId),
    [9, 10],
  );
  t.same(plainData(replayOf(again.batches)), plainData(replayWal(entriesToReplay(all))));
});

t.test('appends while a rotation deletes the older segments are kept, and close waits for the deletes', async (t) => {
  const dir = freshDir();
  const all: WalBatch[] = [...first];
  const b3 = withCheckpoint(all, plain(3, [3]), 2);
  all.push(b3);
  await write(dir, [first]);
  const wal = (await WalDir.open(dir, CLUSTER)).wal;
  await wal.append([b3]);
  // no sync and no close in between: the next appends run beside the deletion of segment 0
  const later = [plain(4, [4]), plain(5, [5, 6])];
  for (const b of later) {
    await wal.append([b]);
    await wal.sync();
  }
  all.push(...later);
  await wal.close();
  t.same(segs(dir), [segmentName(1)], 'segment 0 deleted by the time close returns');
  const o = await reopen(dir);
  t.same(
    o.batches.map((b) => b.batchId),
    [3, 4, 5],
  );
  t.same(plainData(replayOf(o.batches)), plainData(replayWal(entriesToReplay(all))), 'nothing appended beside the deletes is lost');
});

t.test('encodeAsAppended makes as many bytes as append writes: the frames, then the checkpoint opening the next segment', async (t) => {
  const dir = freshDir();
  const b3 = withCheckpoint(first, { batchId: 3, entries: [record(3)] }, 2);
  const b4 = plain(4, [4, 5]);
  await write(dir, [first]);
  const before = statSync(join(dir, segmentName(0))).size;
  await write(dir, [[b3, b4]]);
  t.same(segs(dir), [segmentName(1)]);
  const seg1 = statSync(join(dir, segmentName(1))).size - encodeHeader(CLUSTER).length;
  const frames = new GroupFrames();
  t.equal(encodeAsAppended(frames, first), before - encodeHeader(CLUSTER).length, 'plain batches: their frames');
  t.equal(encodeAsAppended(frames, [b3, b4]), encodeFrame(b3).length + seg1, "the checkpoint's batch frame, then the new segment");
  t.equal(encodeAsAppended(frames, []), 0);
});

t.test('the batch frame leaves its checkpoint out (it lives in the next segment)', async (t) => {
  const b: WalBatch = { batchId: 3, entries: [record(3)], checkpoint: [snapshotEntry(2), record(77)] };
  const text = Buffer.from(encodeFrame(b)).toString('utf8');
  t.notOk(text.includes('checkpoint') || text.includes('key77'), 'no checkpoint in the frame');
  t.same(
    plainData(decodeWal(Buffer.concat([encodeHeader(CLUSTER), encodeFrame(b)]), CLUSTER).batches),
    plainData([{ batchId: 3, entries: [record(3)] }]),
  );
});

t.test('a checkpoint of 10,000 records spans several frames and round-trips', async (t) => {
  const dir = freshDir();
  const big: WalBatch = { batchId: 2, entries: Array.from({ length: 10_000 }, (_, i) => record(i)) };
  const history = [first[0]!, big];
  const b3 = withCheckpoint(history, plain(3, [10_000]), 5);
  t.equal(b3.checkpoint!.length, 1 + 1 + 9996, 'snapshot, vote, records ≥ 5');
  await write(dir, [history, [b3, plain(4, [10_001])]]);
  const text = readFileSync(join(dir, segmentName(1))).toString('latin1');
  // a frame's mark as its msgpack bytes: the key, then the value
  const mark = (m: string): string => Buffer.concat([packValue('cp'), packValue(m)]).toString('latin1');
  t.equal(text.split(mark('part')).length - 1, 2, 'two full part frames');
  t.equal(text.split(mark('end')).length - 1, 1, 'one end frame');
  const o = await reopen(dir);
  t.same(plainData(o.batches[0]!.entries), plainData(b3.checkpoint));
  t.same(plainData(replayOf(o.batches)), plainData(replayWal(entriesToReplay([...history, b3, plain(4, [10_001])]))));
});

t.test('an empty checkpoint is one end frame and still complete', async (t) => {
  const d = decodeWal(Buffer.concat([encodeHeader(CLUSTER), encodeCheckpoint(4, [])]), CLUSTER);
  t.same(d.checkpoint, { batchId: 4, entries: [], complete: true, offset: encodeHeader(CLUSTER).length });
});

/** twoSegments: segment 0 with `first` + b3, and the bytes segment 1 would hold (checkpoint of b3, then b4). */
function twoSegments(dir: string): { b3: WalBatch; b4: WalBatch; seg1: Buffer; cpEnd: number } {
  const b3 = withCheckpoint(first, plain(3, [3]), 1);
  const b4 = plain(4, [4]);
  writeFileSync(join(dir, segmentName(0)), Buffer.concat([encodeHeader(CLUSTER), ...[...first, b3].map((b) => encodeFrame(b))]));
  const head = Buffer.concat([encodeHeader(CLUSTER), encodeCheckpoint(3, b3.checkpoint!)]);
  return { b3, b4, seg1: Buffer.concat([head, encodeFrame(b4)]), cpEnd: head.length };
}

t.test('crash during rotation: an incomplete newest segment is removed, the previous one used', async (t) => {
  const dir0 = freshDir();
  const { seg1: full, cpEnd } = twoSegments(dir0);
  const header = encodeHeader(CLUSTER).length;
  // a checkpoint big enough for a part frame, so "parts but no end" is a real state
  const bigHistory: WalBatch[] = [first[0]!, { batchId: 2, entries: Array.from({ length: 5000 }, (_, i) => record(i)) }];
  const bigCp = encodeCheckpoint(3, checkpointOf(bigHistory, 0));
  const firstFrameLen = 8 + bigCp.readUInt32LE(0);
  const cases: Array<[string, Buffer]> = [
    ['an empty file', Buffer.alloc(0)],
    ['a partial header', full.subarray(0, 5)],
    ['the header only', full.subarray(0, header)],
    ['the checkpoint torn mid-frame', full.subarray(0, cpEnd - 3)],
    ['part frames but no end frame', Buffer.concat([encodeHeader(CLUSTER), bigCp.subarray(0, firstFrameLen)])],
    [
      'trailing zeros instead of the end frame',
      Buffer.concat([encodeHeader(CLUSTER), bigCp.subarray(0, firstFrameLen), Buffer.alloc(4096)]),
    ],
  ];
  for (const [name, bytes] of cases) {
    const dir = freshDir();
    const { b3 } = twoSegments(dir);
    writeFileSync(join(dir, segmentName(1)), bytes);
    const o = await reopen(dir);
    t.equal(o.segment, 0, `${name}: segment 0 used`);
    t.same(plainData(o.batches), plainData([...first, { batchId: 3, entries: b3.entries }]), `${name}: segment 0's batches`);
    t.same(segs(dir), [segmentName(0)], `${name}: the incomplete segment removed`);
  }
  // and the next checkpoint rotates to segment 1 again
  const dir = freshDir();
  const { b3 } = twoSegments(dir);
  writeFileSync(join(dir, segmentName(1)), full.subarray(0, cpEnd - 3));
  const b5 = withCheckpoint([...first, b3], plain(5, [5]), 2);
  await write(dir, [[b5]]);
  t.same(segs(dir), [segmentName(1)]);
  const o = await reopen(dir);
  t.same(plainData(replayOf(o.batches)), plainData(replayWal(entriesToReplay([...first, b3, b5]))));
});

t.test('crash before the deletes: both segments complete → the newer is used, the older removed', async (t) => {
  const dir = freshDir();
  const { b3, b4, seg1 } = twoSegments(dir);
  writeFileSync(join(dir, segmentName(1)), seg1);
  const o = await reopen(dir);
  t.equal(o.segment, 1);
  t.same(plainData(o.batches), plainData([{ batchId: 3, entries: b3.checkpoint }, b4]));
  t.same(segs(dir), [segmentName(1)]);
});

t.test('three segments: the newest complete one wins over an older one and a newer incomplete one', async (t) => {
  const dir = freshDir();
  const { b3, b4, seg1 } = twoSegments(dir);
  writeFileSync(join(dir, segmentName(1)), seg1);
  const b5 = withCheckpoint([...first, b3, b4], plain(5, [5]), 2);
  const seg2 = Buffer.concat([encodeHeader(CLUSTER), encodeCheckpoint(5, b5.checkpoint!)]);
  writeFileSync(join(dir, segmentName(2)), seg2.subarray(0, seg2.length - 1));
  const o = await reopen(dir);
  t.equal(o.segment, 1);
  t.same(plainData(o.batches), plainData([{ batchId: 3, entries: b3.checkpoint }, b4]));
  t.same(segs(dir), [segmentName(1)]);
});

t.test('a torn tail after the checkpoint is truncated; appends continue', async (t) => {
  const dir = freshDir();
  const b3 = withCheckpoint(first, plain(3, [3]), 1);
  await write(dir, [first, [b3, plain(4, [4]), plain(5, [5])]]);
  const path = join(dir, segmentName(1));
  truncateSync(path, statSync(path).size - 5);
  const o = await WalDir.open(dir, CLUSTER);
  t.ok(o.truncatedBytes > 0);
  t.same(plainData(o.batches), plainData([{ batchId: 3, entries: b3.checkpoint }, plain(4, [4])]), 'batch 5 (torn) gone');
  await o.wal.append([plain(5, [55])]);
  await o.wal.sync();
  t.equal(o.wal.sizeBytes, statSync(path).size);
  await o.wal.close();
  const again = await reopen(dir);
  t.equal(again.truncatedBytes, 0);
  t.same(plainData(again.batches.slice(1)), plainData([plain(4, [4]), plain(5, [55])]));
});

t.test('damage inside the chosen segment is corruption, nothing is removed', async (t) => {
  const dir = freshDir();
  const b3 = withCheckpoint(first, plain(3, [3]), 1);
  await write(dir, [first, [b3, plain(4, [4])]]);
  const path = join(dir, segmentName(1));
  const image = readFileSync(path);
  const at = encodeHeader(CLUSTER).length + 20; // inside the first checkpoint frame
  image[at] = (image[at]! ^ 0xff) & 0xff;
  writeFileSync(path, image);
  await t.rejects(WalDir.open(dir, CLUSTER), { name: 'WalCorruptError', kind: 'corrupt' });
  t.equal(statSync(path).size, image.length, 'not truncated');
  t.same(segs(dir), [segmentName(1)]);
});

t.test(
  'a damaged tail: refused in the segment used (file and byte named, nothing touched); removed in an incomplete newer one',
  async (t) => {
    const used = freshDir();
    const { seg1, cpEnd } = twoSegments(used);
    const flipped = Buffer.from(seg1);
    flipped[flipped.length - 3]! ^= 0x01; // inside b4's frame, after the complete checkpoint
    const path = join(used, segmentName(1));
    writeFileSync(path, flipped);
    await t.rejects(WalDir.open(used, CLUSTER), {
      name: 'WalCorruptError',
      offset: cpEnd,
      message: new RegExp(`^${path}: WAL frame at byte ${cpEnd} is damaged \\(checksum mismatch in a complete frame\\)`),
    });
    t.same(segs(used), [segmentName(0), segmentName(1)], 'nothing removed');
    t.same(readFileSync(path), flipped, 'nothing truncated');
    // The checkpoint's end frame damaged with nothing after it: that segment never became
    // durable as a whole (§8.4), so segment 0 still has everything acknowledged.
    const newer = freshDir();
    const { seg1: s1 } = twoSegments(newer);
    const cpOnly = Buffer.from(s1.subarray(0, cpEnd));
    cpOnly[cpEnd - 2]! ^= 0x01;
    writeFileSync(join(newer, segmentName(1)), cpOnly);
    const o = await reopen(newer);
    t.equal(o.segment, 0, 'segment 0 used');
    t.same(segs(newer), [segmentName(0)], 'the damaged incomplete segment removed');
    // Alone, the same segment is refused with the damage named.
    const lone = freshDir();
    writeFileSync(join(lone, segmentName(1)), cpOnly);
    await t.rejects(WalDir.open(lone, CLUSTER), { name: 'WalCorruptError', message: /is damaged \(checksum mismatch/ });
  },
);

t.test("another cluster's WAL is foreign", async (t) => {
  const dir = freshDir();
  await write(dir, [first]);
  await t.rejects(WalDir.open(dir, 'c2'), { name: 'WalCorruptError', kind: 'foreign' });
  const dir1 = freshDir();
  await write(dir1, [first, [withCheckpoint(first, plain(3, [3]), 1)]]);
  await t.rejects(WalDir.open(dir1, 'c2'), { name: 'WalCorruptError', kind: 'foreign' });
});

t.test('layouts no crash can produce are corruption', async (t) => {
  const lone = freshDir();
  const { seg1, cpEnd } = twoSegments(freshDir());
  writeFileSync(join(lone, segmentName(1)), seg1.subarray(0, cpEnd - 3));
  await t.rejects(WalDir.open(lone, CLUSTER), { name: 'WalCorruptError', kind: 'corrupt' }, 'incomplete checkpoint with nothing older');
  const cp0 = freshDir();
  writeFileSync(join(cp0, segmentName(0)), seg1);
  await t.rejects(WalDir.open(cp0, CLUSTER), { name: 'WalCorruptError', kind: 'corrupt' }, 'segment 0 with a checkpoint');
  const dup = freshDir();
  writeFileSync(join(dup, 'seg-1.wal'), seg1);
  writeFileSync(join(dup, segmentName(1)), seg1);
  await t.rejects(WalDir.open(dup, CLUSTER), { name: 'WalCorruptError', kind: 'corrupt' }, 'two names for one segment');
});

t.test('frame rules: checkpoint frames open the file, plain batches follow a complete one', async (t) => {
  const h = encodeHeader(CLUSTER);
  const cp = encodeCheckpoint(3, [snapshotEntry(2), record(2)]);
  const b4 = encodeFrame(plain(4, [4]));
  t.throws(() => decodeWal(Buffer.concat([h, b4, cp]), CLUSTER), WalCorruptError, 'checkpoint after a batch');
  t.throws(() => decodeWal(Buffer.concat([h, cp, cp]), CLUSTER), WalCorruptError, 'a second checkpoint');
  t.throws(
    () => decodeWal(Buffer.concat([h, cp, encodeFrame(plain(2, [2]))]), CLUSTER),
    WalCorruptError,
    'batch id at or below the checkpoint',
  );
  const d = decodeWal(Buffer.concat([h, cp, b4, encodeFrame(plain(1, [9]))]), CLUSTER);
  t.same(
    d.batches.map((b) => b.batchId),
    [4, 1],
    "a restart's batch 1 may follow",
  );
  const parts = encodeCheckpoint(
    3,
    Array.from({ length: 5000 }, (_, i) => record(i)),
  );
  const firstLen = 8 + parts.readUInt32LE(0);
  t.throws(
    () => decodeWal(Buffer.concat([h, parts.subarray(0, firstLen), b4]), CLUSTER),
    WalCorruptError,
    'a batch inside an unfinished checkpoint',
  );
  t.equal(decodeWal(Buffer.concat([h, parts.subarray(0, firstLen)]), CLUSTER).checkpoint?.complete, false);
});

/** frameOf frames an arbitrary value with a valid checksum, as a buggy or foreign writer might. */
function frameOf(value: unknown): Buffer {
  const payload = Buffer.from(packValue(value));
  const f = Buffer.alloc(8 + payload.length);
  f.writeUInt32LE(payload.length, 0);
  f.writeUInt32LE(crc32(payload), 4);
  payload.copy(f, 8);
  return f;
}

t.test('snapshot entries: a good one round-trips, garbage is refused', async (t) => {
  const h = encodeHeader(CLUSTER);
  const good = snapshotEntry(5);
  t.same(
    plainData(decodeWal(Buffer.concat([h, encodeFrame({ batchId: 1, entries: [good] })]), CLUSTER).batches),
    plainData([{ batchId: 1, entries: [good] }]),
  );
  const bad: unknown[] = [
    { type: 'snapshot' },
    { ...good, snapshot: { ...good.snapshot, floor: 'x' } },
    { ...good, snapshot: { ...good.snapshot, applied: { offset: 0, words: [-1] } } },
    { ...good, keys: [1, 2] },
    { ...good, keysFrom: -1 },
  ];
  for (const e of bad) {
    t.throws(
      () => decodeWal(Buffer.concat([h, frameOf({ batchId: 1, entries: [e] })]), CLUSTER),
      { name: 'WalCorruptError', kind: 'corrupt' },
      JSON.stringify(e).slice(0, 60),
    );
  }
  t.throws(
    () => decodeWal(Buffer.concat([h, frameOf({ batchId: 1, entries: [], cp: 'middle' })]), CLUSTER),
    WalCorruptError,
    'unknown cp mark',
  );
  // The image is the state machine's: the WAL reads it back whole, the machine refuses a foreign one.
  t.throws(
    () => applierOf(labMachine, { ...good.snapshot, kv: [['k', 'v']] }),
    { name: 'WalCorruptError', kind: 'corrupt' },
    'a kv of strings',
  );
});
