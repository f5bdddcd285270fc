// Tests of the whole core (core.ts): the real master (rank 0) and nodes 1…N stepped together on
// a virtual clock with in-test delivery. The cluster installs its first configuration, grants
// leases, takes writes at heads and reads at tails; a killed node is replaced (failure after
// failTimeoutMs, chains extended at the tail by the master's reconciler) while writes go on,
// and the invariants hold on the survivors.
import t from 'tap';
import { CLIENT_ADDRESS_BASE } from '../../runtime/client/gateway.js';
import type { ClientReply } from '../../runtime/client/wire.js';
import { headOf, rangeOfKey, tailOf, type Config } from './config.js';
import { initCore, stepCore, type ChainState } from './core.js';
import { checkGapFree, checkNoFork, checkOneReader, checkOneSeq, checkPartition, checkPropagation } from './invariants.js';
import type { ApplyLine } from './log.js';
import type { ChainMsg } from './messages.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import type { NodeState } from './node_state.js';

type Flight = { from: number; to: number; msg: ChainMsg; atMs: number };

class Cluster {
  readonly ranks: ChainState[] = [];
  readonly down = new Set<number>();
  readonly replies: ClientReply[] = [];
  readonly lines: ApplyLine[] = [];
  nowMs = 0;
  private queue: Flight[] = [];

  constructor(ranks: number) {
    for (let r = 0; r < ranks; r++) {
      this.ranks.push(initCore({ self: r, ranks, startAtMs: 0, loadUntilMs: 1e9, nowMs: 0, options: DEFAULT_CHAIN_OPTIONS }));
    }
  }

  step(rank: number, input: Parameters<typeof stepCore>[1]): void {
    this.run(rank, input);
    this.run(rank, { type: 'turn' }); // the driver's end of turn
  }

  private run(rank: number, input: Parameters<typeof stepCore>[1]): void {
    const s = this.ranks[rank];
    if (s === undefined || this.down.has(rank)) return;
    const out = stepCore(s, input, this.nowMs);
    for (const e of out.send) {
      if (e.to >= CLIENT_ADDRESS_BASE && e.msg.type === 'client-reply') this.replies.push(e.msg);
      else this.queue.push({ from: rank, to: e.to, msg: e.msg, atMs: this.nowMs + 1 });
    }
    for (const ev of out.log) if (ev.type === 'apply') this.lines.push({ ...ev, node: rank, atUs: this.nowMs * 1000 });
    if (out.persist.length > 0) {
      const last = out.persist[out.persist.length - 1];
      if (last !== undefined) this.run(rank, { type: 'persisted', batchId: last.batchId }); // an instant disk
    }
  }

  advance(ms: number): void {
    for (let i = 0; i < ms; i++) {
      this.nowMs++;
      const due = this.queue.filter((f) => f.atMs <= this.nowMs);
      this.queue = this.queue.filter((f) => f.atMs > this.nowMs);
      for (const f of due) this.step(f.to, { type: 'message', from: f.from, msg: f.msg });
      for (let r = 0; r < this.ranks.length; r++) this.step(r, { type: 'tick' });
    }
  }

  config(): Config | undefined {
    const m = this.ranks[0];
    return m?.kind === 'master' ? m.m.config : undefined;
  }

  nodes(): NodeState[] {
    return this.ranks.flatMap((s, r) => (s.kind === 'node' && !this.down.has(r) ? [s.n] : []));
  }

  /** client sends one request to the head (writes) or tail (reads) of key's range in the master's config. */
  client(addr: number, req: { client: string; reqNo: number; op: 'get' | 'put' | 'delete'; key: string; value?: string }): void {
    const c = this.config();
    const cr = c === undefined ? undefined : rangeOfKey(c, req.key);
    const to = cr === undefined ? undefined : req.op === 'get' ? tailOf(cr) : headOf(cr);
    if (to !== undefined) this.step(to, { type: 'message', from: addr, msg: { type: 'client-req', ...req } });
  }
}

t.test('the master installs a first configuration, leases are granted, writes and reads work', (t) => {
  const cl = new Cluster(6);
  cl.advance(700);
  const c = cl.config();
  t.equal(c?.epoch, 1, 'epoch 1 installed');
  t.equal(c?.ranges.length, 5, 'one range per node');
  t.same(checkPartition(c ?? { epoch: 0, k: 3, nodes: [], ranges: [] }, true), []);
  for (const n of cl.nodes()) t.equal(n.epoch, 1, `node ${n.rank} installed it`);
  const addr = CLIENT_ADDRESS_BASE;
  for (let i = 0; i < 20; i++) cl.client(addr, { client: 'w', reqNo: i + 1, op: 'put', key: `key${i}`, value: `v${i}` });
  cl.advance(20);
  t.equal(cl.replies.filter((r) => r.status === 'ok').length, 20, 'every write answered ok');
  cl.client(addr, { client: 'r', reqNo: 1, op: 'get', key: 'key7' });
  t.same(cl.replies[cl.replies.length - 1], { type: 'client-reply', client: 'r', reqNo: 1, status: 'ok', result: 'v7' });
  t.end();
});

t.test('a killed node is declared failed and replaced while writes go on; the invariants hold', (t) => {
  const cl = new Cluster(6);
  cl.advance(700);
  const addr = CLIENT_ADDRESS_BASE;
  let reqNo = 0;
  const writeSome = (n: number) => {
    for (let i = 0; i < n; i++) {
      reqNo++;
      cl.client(addr, { client: 'w', reqNo, op: 'put', key: `key${reqNo % 30}`, value: `v${reqNo}` });
      cl.advance(5);
    }
  };
  writeSome(50);
  cl.down.add(3);
  for (let i = 0; i < 12; i++) {
    writeSome(20);
    cl.advance(400);
    t.same(checkOneReader(cl.nodes(), cl.nowMs), [], `I8 at ${cl.nowMs} ms`);
  }
  const c = cl.config();
  t.ok((c?.epoch ?? 0) > 1, `reconfigured (epoch ${c?.epoch})`);
  t.notOk(
    c?.ranges.some((r) => r.chain.includes(3)),
    'node 3 is in no chain',
  );
  t.ok(
    c?.ranges.every((r) => r.chain.length === 3),
    `chains of 3 again: ${c?.ranges.map((r) => r.chain.join(',')).join(' ')}`,
  );
  const last = reqNo;
  cl.client(addr, { client: 'r', reqNo: 1, op: 'get', key: `key${last % 30}` });
  cl.advance(5);
  t.same(
    cl.replies[cl.replies.length - 1],
    { type: 'client-reply', client: 'r', reqNo: 1, status: 'ok', result: `v${last}` },
    'the last write is read',
  );
  const failed = new Set([3]);
  t.same(checkPropagation(cl.nodes()), []);
  t.same(checkNoFork(cl.lines, failed), []);
  t.same(checkOneSeq(cl.lines, failed), []);
  t.same(checkGapFree(cl.lines), []);
  t.end();
});
