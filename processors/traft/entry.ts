// entry: TRaft's registry line (processors/registry.ts): its flags and how a rank starts. Kept
// free of the protocol's code, which `start` loads: every command of the CLI reads the flags,
// and `csplab check` must load no protocol.
import { numericOption, type ProtocolEntry } from '../../runtime/protocol.js';
import { MAX_LAB_KEYS } from './chunk.js';

export const traftEntry: ProtocolEntry = {
  name: 'traft',
  // -o sets the election timeout E = 1000·o ms (heartbeats every E/5); -l is the leader's window
  // of uncommitted records.
  defaults: { o: 1, l: 100, t: 50 },
  options: {
    keys: numericOption('traft: keys the lab load writes (set k=v / incr k)', 8),
    // 10,000: one snapshot per -l 10000 window; each rewrites the records above the floor into a
    // new WAL segment, so a lower threshold costs CPU and disk, a higher one memory (docs/protocols/traft.md §15).
    'snapshot-every': numericOption(
      'traft: snapshot and compact the log once this many positions are committed, applied and logged (0: never)',
      10000,
    ),
  },
  // what the graded commit count hides: commits logged out of seq order, and held back for a gap
  columns: [
    { header: 'out-of-order', key: 'outOfOrderCommits' },
    { header: 'held back', key: 'heldBackCommits' },
  ],
  flags(a, read) {
    const keys = read('--keys', a.keys, 1, MAX_LAB_KEYS, true); // a snapshot's kv must fit one TRaft message
    const snapshotEvery = read('--snapshot-every', a.snapshotEvery, 0, 1e9, true);
    return {
      passOn: ['--keys', String(keys), '--snapshot-every', String(snapshotEvery)],
      start: async (node, { o, l }) => {
        const { traft } = await import('./protocol.js');
        const { startNode } = await import('../../runtime/driver/node.js');
        return startNode(traft, { electionMs: o * 1000, window: l, keys, snapshotEvery }, node);
      },
      simulate: async ({ o, l }) => {
        const { traft } = await import('./protocol.js');
        const { simProgram } = await import('../../runtime/sim/bind.js');
        return simProgram(traft, { electionMs: o * 1000, window: l, keys, snapshotEvery });
      },
    };
  },
};
