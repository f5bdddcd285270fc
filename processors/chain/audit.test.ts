// Tests of the log audit (audit.ts) on hand-written instance logs: each of I5, I7 and I10 caught
// where a log breaks it, and a rank's restart (a new process, C6) allowed to start over.
import t from 'tap';
import { auditChainLogs, auditConfigs, type RankLog } from './audit.js';
import { formatLog } from './log.js';
import type { ChainLogEvent } from './types.js';

const A = '4000000000000000';
const B = 'c000000000000000';
/** two ranges (B, A] and (A, B], chains over ranks 1–3, created at epoch 1 */
const GOOD = `${A}/1:${B}:[1,2,3] ${B}/1:${A}:[2,3,1]`;
const RA = `${A}/1`;

const config = (epoch: number, summary = GOOD): ChainLogEvent => ({ type: 'config', epoch, summary });
const apply = (seq: number, epoch: number): ChainLogEvent => ({
  type: 'apply',
  rangeId: RA,
  seq,
  key: 'k',
  op: 'put',
  clientId: 'c1',
  reqNo: seq,
  epoch,
});
const log = (rank: number, evs: readonly ChainLogEvent[], fromMs = 0): RankLog => ({
  rank,
  lines: evs.map((ev, i) => formatLog(ev, (fromMs + i) * 1000)),
});
const master = (...lines: string[]): RankLog => ({ rank: 0, lines });

t.test('a clean run: nothing to report', (t) => {
  const ranks = [1, 2, 3].map((r) => log(r, [config(1), apply(1, 1), config(2), apply(2, 2)]));
  t.same(auditChainLogs([master(), ...ranks], new Set()), []);
  t.end();
});

t.test('I7: a node installing an older epoch, or applying in one it left, is reported', (t) => {
  const back = log(1, [config(1), config(3), config(2)]);
  t.match(auditChainLogs([master(), back], new Set()), [/I7: node 1 installed epoch 2 after 3/]);
  const fell = log(2, [config(1), apply(1, 3), apply(2, 2)]);
  t.match(auditChainLogs([master(), fell], new Set()), [/I7: node 2 applied in epoch 2 after 3/]);
  t.end();
});

t.test('I7 and I5 start over with a new incarnation of the rank (a restart is a new node)', (t) => {
  // the restarted process (incarnation 10: it started at 10 ms) installs epoch 1 again and a snapshot's later seqs
  const r1 = log(1, [config(3), apply(5, 3), config(1), apply(9, 1)], 0);
  const relog = { rank: 1, lines: r1.lines.map((l, i) => (i >= 2 ? l.replace(/ at \d+$/, ` at ${(20 + i) * 1000}`) : l)) };
  const m = master('master 0 rank 1 joined (incarnation 0); first at 0', 'master 3 rank 1 joined (incarnation 10); new at 11000');
  t.same(auditChainLogs([m, relog], new Set([1])), []);
  t.match(auditChainLogs([master(), relog], new Set()), [/I5: rank 1 range .* applied 9 after 5/, /I7: node 1 installed epoch 1 after 3/]);
  t.end();
});

t.test('I10: ranges that overlap or leave a gap, a node named twice, two configurations under one epoch', (t) => {
  const gap = log(1, [config(1, `${A}/1:${B}:[1,2,3] ${B}/1:5000000000000000:[2,3,1]`)]);
  t.match(auditConfigs([gap]), [/I10: epoch 1: range c000000000000000\/1 starts at 5000000000000000, not at 4000000000000000/]);
  const twice = log(1, [config(1, `${A}/1:${A}:[1,2,1]`)]);
  t.match(auditConfigs([twice]), [/I10: epoch 1: range 4000000000000000\/1 names a node twice/]);
  const differ = [log(1, [config(1)]), log(2, [config(1, `${A}/1:${B}:[1,2,3] ${B}/1:${A}:[3,2,1]`)])];
  t.match(auditConfigs(differ), [/I10: epoch 1: nodes 1 and 2 installed different configurations/]);
  t.same(auditConfigs([log(1, [config(1)]), log(2, [config(1)])]), [], 'the same configuration at two nodes');
  t.end();
});
