// master_random.test: seeded random runs of the master against fake nodes on a lossy network:
// nodes join, crash, restart and leave, the master itself restarts, 10 % of messages are
// dropped; then the faults stop. Asserted: the reconciler converges to the target of the live
// ring (K1 chains, one range per live node, nothing left to merge), every epoch names one
// configuration and epochs only grow in the order they are sent, every configuration sent
// partitions the ring with distinct chain members (I10), and no live member leaves a range
// before it answered Retired (F6). A failing seed prints its replay.
import t from 'tap';
import type { Config } from './config.js';
import { FakeNode, MasterNet } from './master_testkit.js';
import { partitionProblems, ringOrder, successorRange, targetChain } from './master_ring.js';
import { liveMembers } from './master_state.js';
import { inRange, nodePosition } from './ring.js';

const RANKS = 9;
const SEEDS =
  process.env.CHAIN_MASTER_SEED !== undefined
    ? [process.env.CHAIN_MASTER_SEED]
    : Array.from({ length: Number(process.env.CHAIN_MASTER_SEEDS ?? 60) }, (_, i) => `m${i}`);
const FAULTS_UNTIL_MS = 30_000;
const END_MS = 100_000;

/** schedule runs the random faults until FAULTS_UNTIL_MS; returns a readable list of what it did. */
function schedule(net: MasterNet): string[] {
  const did: string[] = [];
  const incarnation = new Map<number, number>();
  const start = (r: number): void => {
    const inc = (incarnation.get(r) ?? -1) + 1;
    incarnation.set(r, inc);
    net.startNode(r, inc);
  };
  for (const r of [1, 2, 3, 4, 5]) start(r);
  net.run(2_000);
  while (net.nowMs < FAULTS_UNTIL_MS) {
    const live = [...net.nodes.values()].filter((n) => n.alive).map((n) => n.rank);
    const down = Array.from({ length: RANKS - 1 }, (_, i) => i + 1).filter((r) => !live.includes(r));
    const pick = (xs: number[]): number => xs[net.random.int(xs.length)] as number;
    const roll = net.random.int(10);
    if (roll < 3 && down.length > 0) {
      const r = pick(down);
      start(r);
      did.push(`${net.nowMs} start ${r}`);
    } else if (roll < 6 && live.length > 3) {
      const r = pick(live);
      net.crash(r);
      did.push(`${net.nowMs} crash ${r}`);
    } else if (roll < 8 && live.length > 3) {
      const r = pick(live);
      net.post(r, 0, { type: 'leave' });
      did.push(`${net.nowMs} leave ${r}`);
    } else if (roll < 9) {
      net.restartMaster();
      did.push(`${net.nowMs} master restart`);
    }
    net.run(net.nowMs + 1_000 + net.random.int(2_500));
  }
  net.dropRate = 0;
  return did;
}

/** convergenceProblems: what is still to do between the final configuration and the live ring's target. */
function convergenceProblems(net: MasterNet): string[] {
  const m = net.master;
  const c = m.announced;
  if (c === undefined || m.config !== c) return ['no settled configuration'];
  const p: string[] = m.step === undefined ? [] : [`a step runs: ${m.step.kind} ${m.step.rangeId}`];
  const ring = ringOrder(liveMembers(m));
  const lost = c.ranges.filter((r) => r.chain.length === 0);
  for (const r of c.ranges) {
    if (r.chain.length === 0) continue;
    const want = targetChain(ring, r, c.k);
    if (r.chain.length !== want.length || !want.every((x) => r.chain.includes(x)))
      p.push(`${r.rangeId}: [${r.chain.join(' ')}] not [${want.join(' ')}]`);
    for (const x of r.chain) if (net.nodes.get(x)?.alive !== true) p.push(`${r.rangeId}: member ${x} is not alive`);
    for (const x of r.chain) if (net.nodes.get(x)?.retired.has(r.rangeId) === true) p.push(`${r.rangeId}: member ${x} has retired from it`);
    const s = successorRange(c.ranges, r);
    if (!ring.some((x) => nodePosition(x) === r.hi) && s !== undefined && s.chain.length > 0) p.push(`${r.rangeId}: ownerless, not merged`);
  }
  for (const j of ring) {
    const pos = nodePosition(j);
    if (!c.ranges.some((r) => r.hi === pos) && !lost.some((r) => inRange(pos, r.lo, r.hi))) p.push(`rank ${j} owns no range`);
  }
  for (const n of net.nodes.values()) if (n.alive && !m.nodes.has(n.rank)) p.push(`rank ${n.rank} runs but the master does not count it`);
  return p;
}

/** configProblems: every configuration sent: I10's partition, one configuration per epoch, epochs growing in send order. */
function configProblems(net: MasterNet): string[] {
  const p: string[] = [];
  const byEpoch = new Map<number, string>();
  let last = 0;
  for (const s of net.out.sends) {
    if (s.msg.type !== 'config') continue;
    const c: Config = s.msg.config;
    const text = JSON.stringify(c);
    const seen = byEpoch.get(c.epoch);
    if (seen !== undefined && seen !== text) p.push(`epoch ${c.epoch} names two configurations`);
    if (seen === undefined) {
      if (c.epoch <= last) p.push(`epoch ${c.epoch} sent after epoch ${last}`);
      last = Math.max(last, c.epoch);
      byEpoch.set(c.epoch, text);
      for (const q of partitionProblems(c)) p.push(`epoch ${c.epoch}: ${q}`);
    }
  }
  return p;
}

for (const seed of SEEDS) {
  t.test(`seed ${seed}`, (t) => {
    const net = new MasterNet(RANKS, { seed, dropRate: 0.1, maxDelayMs: 20, fsyncMs: 3 });
    const did = schedule(net);
    net.run(END_MS);
    const replay = `replay: CHAIN_MASTER_SEED=${seed} npx tap processors/chain/master_random.test.ts`;
    const conv = convergenceProblems(net);
    t.same(
      conv,
      [],
      `converged once faults stopped; ${replay}\n  schedule: ${did.join('; ')}\n  last lines: ${net.out.lines().slice(-8).join(' | ')}`,
    );
    t.same(configProblems(net), [], `configurations well formed and epochs growing; ${replay}`);
    t.same(net.unfenced, [], `every live member dropped from a range had answered Retired (F6); ${replay}`);
    t.ok(net.out.configs().length >= 1, 'configurations were installed');
    t.end();
  });
}

export type { FakeNode };
