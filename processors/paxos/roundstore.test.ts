// roundstore.test: the durable round bound survives a restart, and a restart without it (or
// with it garbled) is refused as corrupt state rather than run with a forgotten bound.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForeignStateError } from '../../runtime/errors.js';
import { FileRoundStore, MemoryRoundStore } from './roundstore.js';

t.test('FileRoundStore: the highest round saved is what a restart reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-rounds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, '.paxos-round0');
  const fresh = new FileRoundStore(path, true);
  t.equal(fresh.votedThrough, -1);
  fresh.save(3);
  fresh.save(12);
  fresh.save(7); // lower: ignored
  // No close(): a SIGKILLed rank never closes it, and the write is already in the file.
  t.equal(new FileRoundStore(path, false).votedThrough, 12);
  t.equal(readFileSync(path, 'latin1').length, 20, 'one fixed-width record, rewritten in place');
  fresh.close();
  t.equal(new FileRoundStore(path, true).votedThrough, -1, 'a fresh incarnation starts over');
});

t.test('FileRoundStore: a restart with the bound missing or garbled is corrupt state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-rounds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, '.paxos-round1');
  t.throws(() => new FileRoundStore(path, false), ForeignStateError);
  writeFileSync(path, 'twelve\n');
  t.throws(() => new FileRoundStore(path, false), ForeignStateError);
  writeFileSync(path, `${'12'.padStart(19)}`); // torn: no newline
  t.throws(() => new FileRoundStore(path, false), ForeignStateError);
});

t.test('MemoryRoundStore keeps the maximum', async (t) => {
  const m = new MemoryRoundStore();
  m.save(4);
  m.save(2);
  t.equal(m.votedThrough, 4);
});
