// key_spill.test: a spill file returns every block it was given, in any order of reading, and
// leaves no file behind in the directory; a KEY table spilling to it reads every KEY back; and a
// restarted rank given an archive (entry.ts) spills its recovered KEYs and lets go of its reading.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { rankRandom } from '../../runtime/random.js';
import { replayWal } from './durable.js';
import { formatInstanceLine } from './instance_log.js';
import { KeySpillFile } from './key_spill.js';
import { BLOCK_KEYS, KeyTable } from './key_table.js';
import { traft } from './protocol.js';

t.test('blocks read back as written; the file has no name', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'key-spill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = KeySpillFile.forRank(dir, 3, 1);
  const blocks = [Buffer.from('first'), Buffer.alloc(3 << 20, 7), Buffer.from('third block')];
  blocks.forEach((b, i) => file.put(i, b));
  t.same(readdirSync(dir), [], 'unlinked once opened');
  t.same(file.get(2), blocks[2]);
  t.same(file.get(0), blocks[0]);
  t.ok(file.get(1).equals(blocks[1] as Buffer), 'a block of several MiB');
  t.throws(() => file.put(5, Buffer.from('x')), 'blocks go in order');
  t.throws(() => file.get(3), 'a block never spilled');
  t.end();
});

t.test('a KEY table over a spill file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'key-spill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const table = new KeyTable();
  table.spillTo(KeySpillFile.forRank(dir, 0, 0));
  const n = 6 * BLOCK_KEYS + 17;
  const key = (p: number): string => (p % 11 === 0 ? '' : `${'abcdefghijklmnopqrstuvwxyz'.slice(p % 20)}${p}`);
  for (let p = 0; p < n; p++) table.push(key(p));
  t.equal(table.inMemoryBlocks(), 3, 'two hot blocks and the one being filled');
  let bad = -1;
  for (let p = 0; p < n && bad < 0; p++) if (table.at(p) !== key(p)) bad = p;
  t.equal(bad, -1, 'every KEY reads back');
  t.end();
});

t.test('a restarted rank: its replica spills to the archive, the reading it came from is emptied', (t) => {
  const archive = {
    kept: [] as Buffer[],
    put: (i: number, d: Buffer) => void archive.kept.push(Buffer.from(d)),
    get: (i: number) => archive.kept[i] as Buffer,
  };
  const lines: string[] = [];
  const n = 4 * BLOCK_KEYS + 9;
  for (let p = 0; p < n; p++) lines.push(formatInstanceLine({ event: 'commit', seq: p, key: `key${p}` }, 1_000 + p));
  const logged = traft.recoverLog(lines);
  t.ok(logged.keys instanceof KeyTable && logged.upTo === n - 1, 'the reading holds every logged KEY');
  const o = {
    self: 0,
    ranks: 5,
    clusterId: 'spill',
    config: { electionMs: 1000, window: 20, keys: 8, snapshotEvery: 0, keyArchive: archive },
    startAtMs: 0,
    loadUntilMs: 1000,
    nowMs: 0,
    random: rankRandom(1, 0, 1),
    rankRandom: rankRandom(1, 0, 1),
    durable: replayWal([]),
    logged,
  };
  const r = traft.init(o);
  const keys = r.s.keys;
  t.equal(archive.kept.length, 2, 'of 4 full blocks, the 2 oldest spilled at once');
  t.equal(keys.length, n);
  t.equal(keys.at(5), 'key5', 'a spilled KEY reads back');
  t.equal(keys.at(n - 1), `key${n - 1}`, 'a hot one too');
  t.equal((logged.keys as KeyTable).length, 0, 'the reading was emptied');
  t.end();
});
