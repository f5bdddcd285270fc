// testnet: a test helper that runs chain nodes by their pure steps on a virtual clock and hands
// their messages between them, with seeded drops, duplicates and reorders. The test plays the
// master (rank 0): it installs configurations by hand, answers heartbeats (a lease each) unless
// told not to, and keeps what nodes sent it. Clients are addresses from CLIENT_ADDRESS_BASE.
import { CLIENT_ADDRESS_BASE } from '../../runtime/client/gateway.js';
import type { ClientReply, ClientRequest } from '../../runtime/client/wire.js';
import { SeededRandom, type Random } from '../../runtime/random.js';
import type { Config, ConfigRange } from './config.js';
import type { ApplyLine } from './log.js';
import type { ChainMsg } from './messages.js';
import { initNode, stepNode, type NodeState } from './node.js';
import { DEFAULT_CHAIN_OPTIONS, type ChainOptions } from './options.js';
import { nodePosition } from './ring.js';
import { MASTER_RANK, type ChainInput, type ChainLogEvent, type ChainOut } from './types.js';

/** Faults: per message sent node → node, the chance it is dropped, duplicated, or delayed past later ones. */
export interface Faults {
  drop: number;
  dup: number;
  reorder: number;
}

type InFlight = { readonly from: number; readonly to: number; readonly msg: ChainMsg; readonly atMs: number };

export class TestNet {
  readonly nodes = new Map<number, NodeState>();
  readonly logs = new Map<number, ChainLogEvent[]>();
  /** toMaster: every message a node sent rank 0, in order. */
  readonly toMaster: { from: number; msg: ChainMsg }[] = [];
  readonly replies = new Map<number, ClientReply[]>();
  readonly down = new Set<number>();
  nowMs = 0;
  /** sent: messages any node sent, for counting what a turn batches. */
  sent = 0;
  /** leases: answer heartbeats (the test master grants leases); off, nobody gets one. */
  leases = true;
  /** cutFromMaster: nodes whose heartbeats the master never hears (no lease for them). */
  readonly cutFromMaster = new Set<number>();
  faults: Faults = { drop: 0, dup: 0, reorder: 0 };
  /** dropIf: node → node messages it matches are lost (a scripted loss, beside the seeded ones). */
  dropIf: ((m: ChainMsg) => boolean) | null = null;
  epoch = 0;
  private queue: InFlight[] = [];
  private readonly random: Random;
  private nextClient = CLIENT_ADDRESS_BASE;

  constructor(
    readonly seed: string,
    readonly options: ChainOptions = DEFAULT_CHAIN_OPTIONS,
  ) {
    this.random = new SeededRandom(seed);
  }

  /** add starts node `rank` (its Join and first heartbeat go out at once); a later incarnation is a restarted process. */
  add(rank: number, incarnation = 1): NodeState {
    const n = initNode({ rank, incarnation, nowMs: this.nowMs, options: this.options });
    this.nodes.set(rank, n);
    this.logs.set(rank, []);
    this.step(rank, { type: 'tick' });
    return n;
  }

  node(rank: number): NodeState {
    const n = this.nodes.get(rank);
    if (n === undefined) throw new Error(`no node ${rank}`);
    return n;
  }

  /** client: a new client address. */
  client(): number {
    return this.nextClient++;
  }

  /** step runs one input at rank, then the end of its turn, and routes what it sent. */
  step(rank: number, input: ChainInput): void {
    this.turn(rank, [input]);
  }

  /** turn runs several inputs at rank as one driver turn (they share its forwards and acks). */
  turn(rank: number, inputs: readonly ChainInput[]): void {
    if (this.down.has(rank)) return;
    const n = this.node(rank);
    const out: ChainOut = {
      send: (to, msg) => {
        this.sent++;
        this.route(rank, to, msg);
      },
      log: (ev) => this.logs.get(rank)?.push(ev),
      persist: () => {},
      wakeAt: () => {},
      stop: () => {},
    };
    for (const input of inputs) stepNode(n, input, this.nowMs, out);
    stepNode(n, { type: 'turn' }, this.nowMs, out); // the driver's end of turn: forwards and acks go out
  }

  /** master sends a master message to rank at once (the master's own link is not faulty). */
  master(rank: number, msg: ChainMsg): void {
    this.step(rank, { type: 'message', from: MASTER_RANK, msg });
  }

  /** install sends config (epoch + 1) to every node that is up, in the order given (default: by rank). */
  install(ranges: readonly ConfigRange[], order?: readonly number[]): Config {
    this.epoch++;
    const ranks = [...this.nodes.keys()].sort((a, b) => a - b);
    const config: Config = { epoch: this.epoch, k: 3, nodes: ranks.map((rank) => ({ rank, pos: nodePosition(rank) })), ranges };
    for (const r of order ?? ranks) this.master(r, { type: 'config', config, incarnation: this.nodes.get(r)?.incarnation ?? 0 });
    return config;
  }

  /** request sends a client request to rank from address `from`. */
  request(rank: number, from: number, req: Omit<ClientRequest, 'type'>): void {
    this.step(rank, { type: 'message', from, msg: { type: 'client-req', ...req } });
  }

  private route(from: number, to: number, msg: ChainMsg): void {
    if (to === MASTER_RANK) {
      if (this.cutFromMaster.has(from)) return;
      this.toMaster.push({ from, msg });
      if (msg.type === 'heartbeat' && this.leases) {
        this.queue.push({
          from: MASTER_RANK,
          to: from,
          msg: { type: 'heartbeat-reply', hbNo: msg.hbNo, epoch: this.epoch, incarnation: msg.incarnation },
          atMs: this.nowMs,
        });
      }
      return;
    }
    if (msg.type === 'client-reply') {
      const list = this.replies.get(to) ?? [];
      list.push(msg);
      this.replies.set(to, list);
      return;
    }
    if (this.dropIf?.(msg) === true || this.random.next() < this.faults.drop) return;
    const copies = this.random.next() < this.faults.dup ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const late = this.random.next() < this.faults.reorder ? 1 + this.random.int(20) : 0;
      this.queue.push({ from, to, msg, atMs: this.nowMs + late });
    }
  }

  /** deliver hands over every message due by now, oldest first, until none is left. */
  deliver(maxSteps = 100_000): void {
    for (let i = 0; i < maxSteps; i++) {
      const k = this.queue.findIndex((m) => m.atMs <= this.nowMs);
      if (k < 0) return;
      const [m] = this.queue.splice(k, 1);
      if (m !== undefined) this.step(m.to, { type: 'message', from: m.from, msg: m.msg });
    }
    throw new Error(`testnet ${this.seed}: messages still flowing after ${maxSteps} steps`);
  }

  /** advance moves the clock by ms in 1 ms ticks, delivering and ticking every node. */
  advance(ms: number): void {
    for (let t = 0; t < ms; t++) {
      this.nowMs++;
      for (const r of this.nodes.keys()) this.step(r, { type: 'tick' });
      this.deliver();
    }
  }

  /** lastReply: the latest reply to client address `to`. */
  lastReply(to: number): ClientReply | undefined {
    const list = this.replies.get(to);
    return list?.[list.length - 1];
  }

  /** applyLines: every node's apply lines as log.ts parses them (H8), node by node. */
  applyLines(): ApplyLine[] {
    return [...this.nodes.keys()].flatMap((rank) => this.applies(rank).map((a) => ({ ...a, node: rank, atUs: 0 })));
  }

  /** applies: rank's apply lines (H8) for a range. */
  applies(rank: number, rangeId?: string): Extract<ChainLogEvent, { type: 'apply' }>[] {
    const all = this.logs.get(rank) ?? [];
    return all.filter(
      (e): e is Extract<ChainLogEvent, { type: 'apply' }> => e.type === 'apply' && (rangeId === undefined || e.rangeId === rangeId),
    );
  }
}

/** wholeRing: one range over the whole ring with this chain. */
export function wholeRing(chain: readonly number[], rangeId = 'all', parents?: readonly string[]): ConfigRange {
  const p = '0000000000000000';
  return { rangeId, lo: p, hi: p, chain, ...(parents ? { parents } : {}) };
}
