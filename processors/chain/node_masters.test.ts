// Tests of a node that knows several master ranks (chain-master.md §12.4): everything it says to
// the master goes to every master rank — heartbeats to the one rank answering them while it does —
// any master rank may instruct it (configurations stay
// fenced by epoch, L4), and a chain node's rank is never taken for a master's.
import t from 'tap';
import type { Config } from './config.js';
import type { ChainMsg } from './messages.js';
import { initNode, stepNode } from './node.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import type { ChainInput, ChainOut } from './types.js';

const MASTERS = [0, 1, 2];

function recorder(): ChainOut & { sends: { to: number; msg: ChainMsg }[] } {
  const sends: { to: number; msg: ChainMsg }[] = [];
  return { sends, send: (to, msg) => sends.push({ to, msg }), log: () => {}, persist: () => {}, wakeAt: () => {}, stop: () => {} };
}

function config(epoch: number): Config {
  const nodes = [3, 4, 5].map((rank) => ({ rank, pos: 'p' }));
  return { epoch, k: 3, nodes, ranges: [{ rangeId: 'p/1', lo: 'p', hi: 'p', chain: [3, 4, 5] }] };
}

function step(n: ReturnType<typeof initNode>, input: ChainInput, nowMs: number): ReturnType<typeof recorder> {
  const out = recorder();
  stepNode(n, input, nowMs, out);
  return out;
}

t.test('joins and heartbeats go to every master rank; single mode talks to rank 0 only', async (t) => {
  const n = initNode({ rank: 3, incarnation: 1, nowMs: 0, options: DEFAULT_CHAIN_OPTIONS, masters: MASTERS });
  const out = step(n, { type: 'tick' }, 0);
  for (const type of ['join', 'heartbeat'] as const) {
    t.same(
      out.sends.filter((s) => s.msg.type === type).map((s) => s.to),
      MASTERS,
      `${type} sent to each master rank`,
    );
  }
  const single = initNode({ rank: 3, incarnation: 1, nowMs: 0, options: DEFAULT_CHAIN_OPTIONS });
  t.same(
    step(single, { type: 'tick' }, 0).sends.map((s) => s.to),
    [0, 0],
    'single: join and heartbeat to rank 0',
  );
});

t.test('any master rank instructs; a node rank does not; older epochs change nothing', async (t) => {
  const n = initNode({ rank: 3, incarnation: 1, nowMs: 0, options: DEFAULT_CHAIN_OPTIONS, masters: MASTERS });
  step(n, { type: 'tick' }, 0);
  step(n, { type: 'message', from: 2, msg: { type: 'config', config: config(4), incarnation: 1 } }, 1);
  t.equal(n.epoch, 4, 'a configuration from master rank 2 is installed');
  step(n, { type: 'message', from: 1, msg: { type: 'config', config: config(3), incarnation: 1 } }, 2);
  t.equal(n.epoch, 4, "an older leader's configuration is fenced by epoch");
  const before = n.counts.notFromNeighbour;
  step(n, { type: 'message', from: 4, msg: { type: 'config', config: config(9), incarnation: 1 } }, 3);
  t.equal(n.epoch, 4, 'a node rank cannot install a configuration');
  t.equal(n.counts.notFromNeighbour, before + 1, 'and is counted as a message not from a neighbour');
  step(n, { type: 'message', from: 1, msg: { type: 'heartbeat-reply', hbNo: 1, epoch: 4, incarnation: 1 } }, 4);
  t.ok(n.joined, 'a heartbeat reply from master rank 1 counts as joined');
});

t.test('heartbeats go to the master rank that answers them while it does, to every rank again once it stops', async (t) => {
  const hb = DEFAULT_CHAIN_OPTIONS.heartbeatMs;
  const n = initNode({ rank: 3, incarnation: 1, nowMs: 0, options: DEFAULT_CHAIN_OPTIONS, masters: MASTERS });
  const beatsTo = (out: ReturnType<typeof recorder>): number[] => out.sends.filter((s) => s.msg.type === 'heartbeat').map((s) => s.to);
  t.same(beatsTo(step(n, { type: 'tick' }, 0)), MASTERS, 'no answer yet: every master rank');
  step(n, { type: 'message', from: 2, msg: { type: 'heartbeat-reply', hbNo: 1, epoch: 0, incarnation: 1 } }, 5);
  t.same(beatsTo(step(n, { type: 'tick' }, hb)), [2], 'rank 2 answered: to rank 2 alone');
  step(n, { type: 'message', from: 2, msg: { type: 'heartbeat-reply', hbNo: 2, epoch: 0, incarnation: 1 } }, hb + 5);
  t.same(beatsTo(step(n, { type: 'tick' }, 2 * hb)), [2], 'and again while it answers');
  t.same(beatsTo(step(n, { type: 'tick' }, 3 * hb)), [2], 'one answer missing: still rank 2');
  t.same(beatsTo(step(n, { type: 'tick' }, 4 * hb)), MASTERS, 'two missing (a dead or deposed leader): every rank again');
  step(n, { type: 'message', from: 0, msg: { type: 'heartbeat-reply', hbNo: 5, epoch: 0, incarnation: 1 } }, 4 * hb + 5);
  t.same(beatsTo(step(n, { type: 'tick' }, 5 * hb)), [0], 'the new leader answered: to it alone');
  const removed = step(n, { type: 'message', from: 0, msg: { type: 'removed' } }, 5 * hb + 5);
  t.same(beatsTo(removed), MASTERS, 'removed: it joins again at once, heartbeats to every rank');
});
