// Seeded random runs of a 3-node chain (testnet.ts, pure steps): clients write with retries
// under 10% drops, duplicates and reorders of the chain's messages, one member (head, middle,
// tail, or none) fails mid-run and the test master installs the shorter chain after
// failTimeoutMs; the invariants I1–I8 and I10 must hold, and every write must complete.
// Replay one seed: CHAIN_RANDOM_SEED=<seed> npx tap processors/chain/random.test.ts
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { headOf, type Config } from './config.js';
import {
  checkAckedDurable,
  checkEpochsRise,
  checkGapFree,
  checkInProcess,
  checkNoFork,
  checkOneReader,
  checkOneSeq,
  checkPartition,
  checkPropagation,
  type AckedWrite,
} from './invariants.js';
import { TestNet, wholeRing } from './testnet.js';

const SEEDS =
  process.env.CHAIN_RANDOM_SEED !== undefined ? [process.env.CHAIN_RANDOM_SEED] : Array.from({ length: 30 }, (_, i) => `chain-${i}`);
const CLIENTS = 4;
const KEYS = ['a', 'b', 'c'];

/** Client: one outstanding write at a time, resent with the same reqNo until answered ok. */
interface Client {
  readonly id: string;
  readonly addr: number;
  reqNo: number;
  op: 'put' | 'delete';
  key: string;
  sentAtMs: number;
  seen: number;
  done: number;
}

function send(net: TestNet, c: Client, head: number): void {
  c.sentAtMs = net.nowMs;
  const value = c.op === 'put' ? { value: `${c.id}:${c.reqNo}` } : {};
  net.request(head, c.addr, { client: c.id, reqNo: c.reqNo, op: c.op, key: c.key, ...value });
}

/** drive: one ms of client behaviour: take answers, start new writes, resend after 30 ms. */
function drive(
  net: TestNet,
  clients: Client[],
  head: number,
  rnd: SeededRandom,
  acked: { client: string; reqNo: number }[],
  writing: boolean,
): void {
  for (const c of clients) {
    const replies = net.replies.get(c.addr) ?? [];
    for (; c.seen < replies.length; c.seen++) {
      const r = replies[c.seen];
      if (r?.status === 'ok' && r.reqNo === c.reqNo && c.done < c.reqNo) {
        c.done = c.reqNo;
        acked.push({ client: c.id, reqNo: c.reqNo });
      }
    }
    if (c.done === c.reqNo && writing) {
      c.reqNo++;
      c.op = rnd.next() < 0.25 ? 'delete' : 'put';
      c.key = KEYS[rnd.int(KEYS.length)] ?? 'a';
      send(net, c, head);
    } else if (c.done < c.reqNo && net.nowMs - c.sentAtMs >= 30) send(net, c, head);
  }
}

function runSeed(seed: string): string[] {
  const rnd = new SeededRandom(`${seed}/script`);
  const net = new TestNet(seed);
  for (const r of [1, 2, 3]) net.add(r);
  const configs: Config[] = [net.install([wholeRing([1, 2, 3])])];
  net.advance(2);
  net.faults = { drop: 0.1, dup: 0.1, reorder: 0.1 };
  const clients: Client[] = Array.from({ length: CLIENTS }, (_, i) => ({
    id: `c${i}`,
    addr: net.client(),
    reqNo: 0,
    op: 'put',
    key: 'a',
    sentAtMs: 0,
    seen: 0,
    done: 0,
  }));
  const victim = [0, 1, 2, 3][rnd.int(4)] ?? 0; // 0: nobody fails
  const failAt = 100 + rnd.int(100);
  const acked: { client: string; reqNo: number }[] = [];
  const violations: string[] = [];
  let head = 1;
  for (let ms = 0; ms < 1500; ms++) {
    if (victim > 0 && ms === failAt) net.down.add(victim);
    if (victim > 0 && ms === failAt + net.options.failTimeoutMs / 10) {
      const chain = [1, 2, 3].filter((r) => r !== victim);
      configs.push(net.install([wholeRing(chain)]));
      head = headOf(wholeRing(chain)) ?? 1;
    }
    if (ms === 1000) net.faults = { drop: 0, dup: 0, reorder: 0 };
    drive(net, clients, head, rnd, acked, ms < 900);
    net.advance(1);
    const live = [...net.nodes.values()].filter((n) => !net.down.has(n.rank));
    violations.push(...checkOneReader(live, net.nowMs), ...checkPropagation(live), ...checkInProcess(live));
    if (violations.length > 0) break;
  }
  const failed = new Set(victim > 0 ? [victim] : []);
  const lines = net.applyLines();
  const live = [...net.nodes.values()].filter((n) => !failed.has(n.rank));
  const seqOf = new Map(lines.map((a) => [`${a.clientId}#${a.reqNo}`, a] as const));
  const writes: AckedWrite[] = acked.flatMap((w) => {
    const a = seqOf.get(`${w.client}#${w.reqNo}`);
    return a === undefined ? [] : [{ key: a.key, seq: a.seq, op: a.op }];
  });
  if (writes.length !== acked.length) violations.push(`${acked.length - writes.length} acked writes have no apply line`);
  const last = configs[configs.length - 1];
  if (last !== undefined) violations.push(...checkAckedDurable(writes, last, live, lines));
  violations.push(...checkNoFork(lines, failed), ...checkOneSeq(lines, failed), ...checkGapFree(lines));
  for (const [rank, events] of net.logs) violations.push(...checkEpochsRise(rank, events));
  for (const c of configs) violations.push(...checkPartition(c));
  const open = clients.filter((c) => c.done !== c.reqNo);
  if (open.length > 0) violations.push(`writes never completed: ${open.map((c) => `${c.id}/${c.reqNo}`).join(' ')}`);
  if (acked.length < 20) violations.push(`only ${acked.length} writes completed`);
  return violations;
}

t.test('seeded random runs with drops, duplicates, reorders and one failure keep I1–I8 and I10', (t) => {
  for (const seed of SEEDS) {
    const v = runSeed(seed);
    t.same(v, [], `seed ${seed}${v.length > 0 ? ` — replay: CHAIN_RANDOM_SEED=${seed} npx tap processors/chain/random.test.ts` : ''}`);
  }
  t.end();
});
