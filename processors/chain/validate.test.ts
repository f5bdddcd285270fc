// Tests of message validation (validate.ts): every well-formed message reads back unchanged,
// and malformed ones throw, so the driver drops and counts them.
import t from 'tap';
import { nodePosition } from './ring.js';
import type { ChainMsg } from './messages.js';
import { validateChainMsg } from './validate.js';

const P = nodePosition(1);
const GOOD: ChainMsg[] = [
  {
    type: 'forward',
    epoch: 2,
    rangeId: 'r',
    updates: [{ seq: 1, op: 'put', key: 'k', value: 'v', clientId: 'c', reqNo: 0, result: 'created' }],
  },
  { type: 'ack', epoch: 2, rangeId: 'r', upTo: 0 },
  { type: 'resend', epoch: 2, rangeId: 'r', from: 3 },
  { type: 'transfer-pull', epoch: 2, rangeId: 'r', chunkNo: 0 },
  {
    type: 'transfer',
    epoch: 2,
    rangeId: 'r',
    chunkNo: 0,
    snapshotSeq: 4,
    entries: [['k', 'v', 3]],
    dedup: [{ clientId: 'c', reqNo: 1, seq: 3, result: 'updated', atMs: 5 }],
    last: true,
  },
  { type: 'handover', epoch: 2, rangeId: 'r', s1: 9 },
  { type: 'version-query', epoch: 2, rangeId: 'r', qid: 5 },
  { type: 'version-reply', epoch: 2, rangeId: 'r', qid: 5, upTo: 9 },
  { type: 'version-reply', epoch: 2, rangeId: 'r', qid: 6, upTo: null },
  { type: 'join', incarnation: 7 },
  {
    type: 'heartbeat',
    incarnation: 7,
    hbNo: 1,
    epoch: 2,
    ranges: [{ rangeId: 'r', role: 'tail', lastApplied: 1, lastAcked: 1, sentLength: 0, servable: true }],
  },
  { type: 'get-config' },
  { type: 'ready', epoch: 2, rangeId: 'r', s0: 4 },
  { type: 'retired', epoch: 2, rangeId: 'r' },
  { type: 'quiesced', epoch: 2, rangeId: 'r', lastApplied: 4 },
  { type: 'leave' },
  { type: 'heartbeat-reply', hbNo: 1, epoch: 2, incarnation: 3 },
  { type: 'removed' },
  {
    type: 'config',
    config: { epoch: 2, k: 3, nodes: [{ rank: 1, pos: P }], ranges: [{ rangeId: 'r', parents: ['q'], lo: P, hi: P, chain: [1] }] },
    incarnation: 7,
  },
  { type: 'join-as-tail', epoch: 2, rangeId: 'r', from: 3 },
  { type: 'retire', epoch: 2, rangeId: 'r' },
  { type: 'pause', epoch: 2, rangeId: 'r' },
  { type: 'resume', epoch: 2, rangeId: 'r' },
  { type: 'stop' },
  { type: 'client-req', client: 'c', reqNo: 1, op: 'get', key: 'k' },
  { type: 'client-reply', client: 'c', reqNo: 1, status: 'not-leader', hint: 2 },
];

t.test('every message type reads back unchanged', (t) => {
  for (const m of GOOD) t.strictSame(validateChainMsg(JSON.parse(JSON.stringify(m))), m, m.type);
  t.end();
});

t.test('malformed messages are refused', (t) => {
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    [{ type: 'constructor', epoch: 1, rangeId: 'r' }, /unknown type/],
    [{ type: 'nope' }, /unknown type/],
    [{ type: 'ack', rangeId: 'r', upTo: 1 }, /epoch must be an integer/],
    [{ type: 'ack', epoch: 1, rangeId: 'r', upTo: -1 }, /upTo must be an integer ≥ 0/],
    [
      { type: 'forward', epoch: 1, rangeId: 'r', updates: [{ seq: 1, op: 'put', key: 'k', clientId: 'c', reqNo: 0, result: 'created' }] },
      /a put carries a value/,
    ],
    [
      {
        type: 'forward',
        epoch: 1,
        rangeId: 'r',
        updates: [{ seq: 0, op: 'delete', key: 'k', clientId: 'c', reqNo: 0, result: 'deleted' }],
      },
      /seq must be an integer ≥ 1/,
    ],
    [{ type: 'forward', epoch: 1, rangeId: 'r', updates: 'x' }, /updates must be a list/],
    [
      { type: 'transfer', epoch: 1, rangeId: 'r', chunkNo: 0, snapshotSeq: 0, entries: [['k', 'v']], dedup: [], last: true },
      /must be \[key, value, seq\]/,
    ],
    [{ type: 'config', config: { epoch: 1, k: 3, nodes: [{ rank: 1, pos: 'xyz' }], ranges: [] }, incarnation: 1 }, /ring position/],
    [{ type: 'config', config: { epoch: 1, k: 3, nodes: [], ranges: [] } }, /incarnation must be an integer/],
    [
      { type: 'config', config: { epoch: 1, k: 3, nodes: [], ranges: [{ rangeId: 'r', lo: P, hi: P, chain: [1, 1] }] }, incarnation: 1 },
      /names a node twice/,
    ],
    [
      {
        type: 'heartbeat',
        incarnation: 1,
        hbNo: 1,
        epoch: 1,
        ranges: [{ rangeId: 'r', role: 'boss', lastApplied: 0, lastAcked: 0, sentLength: 0, servable: true }],
      },
      /role must be one of/,
    ],
    [{ type: 'client-req', client: 'c', reqNo: 1, op: 'put', key: 'k' }, /put and append carry a value/],
  ];
  for (const [x, why] of bad) t.throws(() => validateChainMsg(x), why, JSON.stringify(x));
  t.end();
});
