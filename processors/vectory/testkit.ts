// testkit: a hand-driven cluster of Vectory nodes for scripted scenarios (docs/protocols/vectory.md
// §12 T-tests): the test decides which message is delivered, dropped or held, when a node
// crashes and what its disk kept, and calls a node's rule (an election, a balance request)
// directly, so a regression's exact interleaving is written down rather than hoped for.
import { CLIENT_ADDRESS_BASE } from '../../runtime/client/gateway.js';
import type { ClientReply } from '../../runtime/client/wire.js';
import { SeededRandom } from '../../runtime/random.js';
import { vectoryConfig, type VectoryConfig } from './config.js';
import { formatLog } from './log.js';
import type { VMsg } from './messages.js';
import { stepNode, stepWith } from './node.js';
import { initNode } from './protocol.js';
import type { NodeState, ShardState, WalBatch } from './state.js';
import { replay } from './storage.js';

export type Wire = { readonly from: number; readonly to: number; readonly msg: VMsg };

export class Cluster {
  readonly nodes: NodeState[] = [];
  /** queue: messages sent and not yet delivered or dropped, in send order. */
  queue: Wire[] = [];
  readonly replies: ClientReply[] = [];
  readonly lines: string[][] = [];
  readonly disks: WalBatch[][] = [];
  /** autoPersist: every WAL batch is durable at once (false: a test reports `persisted` itself). */
  autoPersist = true;
  now = 0;
  private readonly random = new SeededRandom('vectory-testkit');

  constructor(
    readonly size: number,
    over: Partial<VectoryConfig> = {},
    readonly cfg = vectoryConfig({ shards: 1, balance: false, ...over }),
  ) {
    for (let i = 0; i < size; i++) {
      this.lines.push([]);
      this.disks.push([]);
      this.nodes.push(this.boot(i));
    }
  }

  private boot(i: number): NodeState {
    const durable = this.nodes[i] === undefined ? undefined : replay(this.disks[i] ?? []);
    const base = { self: i, ranks: this.size, clusterId: 't', config: this.cfg, startAtMs: 0, loadUntilMs: 1e12, nowMs: this.now };
    return initNode({ ...base, random: this.random, rankRandom: this.random, ...(durable !== undefined ? { durable } : {}) });
  }

  node(i: number): NodeState {
    const n = this.nodes[i];
    if (n === undefined) throw new Error(`no node ${i}`);
    return n;
  }

  shard(i: number, s = 0): ShardState {
    const x = this.node(i).shards[s];
    if (x === undefined) throw new Error(`no shard ${s}`);
    return x;
  }

  /** run: call a node's rule directly, then collect what the step it belongs to would send. */
  run(i: number, f: (n: NodeState) => void): void {
    const n = this.node(i);
    this.collect(
      i,
      stepWith(n, this.now, this.random, () => f(n)),
    );
  }

  input(i: number, input: Parameters<typeof stepNode>[1]): void {
    this.collect(i, stepNode(this.node(i), input, this.now, this.random));
  }

  private collect(i: number, out: ReturnType<typeof stepNode>): void {
    for (const l of out.log) this.lines[i]?.push(formatLog(l, this.now * 1000));
    for (const b of out.persist) this.disks[i]?.push(b);
    for (const e of out.send) {
      if (e.to >= CLIENT_ADDRESS_BASE) {
        if (e.msg.type === 'client-reply') this.replies.push(e.msg);
      } else this.queue.push({ from: i, to: e.to, msg: e.msg });
    }
    const last = out.persist[out.persist.length - 1];
    if (this.autoPersist && last !== undefined) this.input(i, { type: 'persisted', batchId: last.batchId });
  }

  /** held: messages `deliver` kept back for the test to deliver later (or never). */
  held: Wire[] = [];

  /** deliver: hand over queued messages that pass `keep`, set aside those `hold` names, drop the rest, until none is left. */
  deliver(keep: (w: Wire) => boolean = () => true, max = 10_000, hold: (w: Wire) => boolean = () => false): void {
    for (let k = 0; k < max && this.queue.length > 0; k++) {
      const w = this.queue.shift();
      if (w === undefined) continue;
      if (keep(w)) this.input(w.to, { type: 'message', from: w.from, msg: w.msg });
      else if (hold(w)) this.held.push(w);
    }
  }

  /** crash: node i restarts from the batches its disk holds (the first `kept` of them, if given). */
  crash(i: number, kept?: number): void {
    if (kept !== undefined) this.disks[i]?.splice(kept);
    this.queue = this.queue.filter((w) => w.to !== i && w.from !== i);
    this.nodes[i] = this.boot(i);
  }

  /** client: a request from client address c to node i. */
  client(i: number, c: number, req: Omit<Extract<VMsg, { type: 'client-req' }>, 'type'>): void {
    this.input(i, { type: 'message', from: CLIENT_ADDRESS_BASE + c, msg: { type: 'client-req', ...req } });
  }
}
