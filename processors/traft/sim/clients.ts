// clients: key-value clients around a simulated TRaft cluster (SimCluster with the kv machine).
// Each rank gets TRaft's client layer (clients.ts) around its core, as protocol.ts does on the
// rank driver; each client is a ClientSession (runtime/client/session.ts) whose requests and
// replies travel with seeded delays, and whose ops go into a History (runtime/client/history.ts)
// graded by check/lin. Faults: the SimCluster's own (crash, restart, partition).
import { History } from '../../../runtime/client/history.js';
import { ClientSession, type Action, type Op } from '../../../runtime/client/session.js';
import type { ClientReply, ClientRequest, ReadMode } from '../../../runtime/client/wire.js';
import { TimedHeap } from '../../../runtime/heap.js';
import { SeededRandom, type Random } from '../../../runtime/random.js';
import { defined } from '../../../runtime/assert.js';
import { afterStep, clientRequest, newClients, type Clients, type ReadOptions } from '../clients.js';
import { defaultTiming, type Timing } from '../config.js';
import { kvMachine } from '../kv_machine.js';
import { SimCluster, type NetOptions } from './cluster.js';

/** KvSimOptions: the cluster, its clients and their load. */
export type KvSimOptions = {
  readonly seed: string | number;
  readonly ranks: number;
  readonly clients: number;
  readonly keys: number;
  /** getShare: the fraction of ops that are gets (the rest puts, each of a unique value). */
  readonly getShare: number;
  readonly read: ReadMode;
  readonly reads?: ReadOptions;
  readonly net?: Partial<NetOptions>;
  readonly timing?: Partial<Timing>;
  /** deadlineMs: a client op's deadline (its outcome is unknown past it). */
  readonly deadlineMs?: number;
};

type Ev =
  | { readonly atMs: number; readonly type: 'to-rank'; readonly rank: number; readonly client: number; readonly req: ClientRequest }
  | { readonly atMs: number; readonly type: 'to-client'; readonly client: number; readonly reply: ClientReply }
  | { readonly atMs: number; readonly type: 'timer'; readonly client: number; readonly gen: number };

/** SimClient is one client: its session, its op in flight and the timer generation that may still wake it. */
type SimClient = { readonly session: ClientSession; op: Op | null; gen: number; lastWasSend: boolean; stopped: boolean; n: number };

const CLEAN_NET: NetOptions = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 10, longDelayRate: 0, longDelayMs: 0 };

/** KvSim runs clients against a simulated cluster. */
export class KvSim {
  readonly sim: SimCluster;
  readonly history = new History();
  readonly layers: Clients[];
  readonly clients: SimClient[] = [];
  private readonly heap = new TimedHeap<Ev>();
  private readonly random: Random;
  /** dropClient: a test's filter on client traffic (true: lost), e.g. to hide a reply. */
  dropClient: ((ev: Ev) => boolean) | null = null;
  /** addrBase: client c is address addrBase + c at every rank. */
  private readonly addrBase = 1 << 20;

  constructor(readonly o: KvSimOptions) {
    const timing = { ...defaultTiming(1000), ...o.timing };
    this.sim = new SimCluster({
      seed: o.seed,
      ranks: o.ranks,
      timing,
      net: { ...CLEAN_NET, ...o.net },
      disk: { minFsyncMs: 0.5, maxFsyncMs: 5, keepUnsyncedRate: 0.5, tornLineRate: 0 },
      load: null,
      machine: kvMachine,
    });
    this.random = new SeededRandom(`kv-sim/${o.seed}`);
    const reads = o.reads ?? { leaseReads: false, clockDrift: 0 };
    this.layers = Array.from({ length: o.ranks }, () => newClients(reads));
    this.sim.onStep = (rank, out) => {
      const s = this.sim.stateOf(rank);
      for (const env of afterStep(defined(this.layers[rank], 'a layer per rank'), s, out.applied, this.sim.nowMs))
        this.toClient(env.to, env.msg as ClientReply);
    };
    for (let c = 0; c < o.clients; c++) {
      const session = new ClientSession({
        client: `c${c}`,
        ranks: o.ranks,
        deadlineMs: o.deadlineMs ?? 3000,
        attemptMs: 500,
        backoffMs: 50,
      });
      this.clients.push({ session, op: null, gen: 0, lastWasSend: false, stopped: true, n: 0 }); // scripted until start()
    }
  }

  /** crash kills a rank and its waiting clients' connections (they time out and retry elsewhere). */
  crash(rank: number): void {
    this.sim.crash(rank);
    this.layers[rank] = newClients(this.o.reads ?? { leaseReads: false, clockDrift: 0 });
  }

  /** start has every client draw random ops from now on (before it, tests issue ops one by one). */
  start(): void {
    for (const c of this.clients) c.stopped = false;
    for (let c = 0; c < this.clients.length; c++) this.next(c);
  }

  /** stop: clients finish their op in flight and start no other. */
  stop(): void {
    for (const c of this.clients) c.stopped = true;
  }

  /** runUntil advances the cluster and the clients together. */
  runUntil(tMs: number): void {
    for (;;) {
      const at = Math.min(this.heap.peekAtMs(), tMs);
      this.sim.runUntil(at);
      if (at === tMs && this.heap.peekAtMs() > tMs) return;
      const ev = this.heap.pop();
      if (ev === undefined) return;
      this.dispatch(ev);
    }
  }

  runFor(ms: number): void {
    this.runUntil(this.sim.nowMs + ms);
  }

  /** idle: no client has an op in flight. */
  idle(): boolean {
    return this.clients.every((c) => c.op === null);
  }

  /** issue starts one chosen op on an idle client (scripted tests). */
  issue(client: number, op: Op): void {
    const c = defined(this.clients[client], 'a client');
    c.op = op;
    this.history.invoke(client, op, this.sim.nowMs);
    this.act(client, c.session.begin(op, this.sim.nowMs));
  }

  private next(client: number): void {
    const c = defined(this.clients[client], 'a client');
    if (c.stopped) return;
    const key = `k${this.random.int(this.o.keys)}`;
    const op: Op =
      this.random.next() < this.o.getShare ? { f: 'get', key, read: this.o.read } : { f: 'put', key, value: `c${client}.${++c.n}` };
    this.issue(client, op);
  }

  private act(client: number, a: Action): void {
    const c = defined(this.clients[client], 'a client');
    const now = this.sim.nowMs;
    c.gen++;
    switch (a.type) {
      case 'send':
        c.lastWasSend = true;
        this.push({ atMs: now + this.delay(), type: 'to-rank', rank: a.rank, client, req: a.req });
        this.heap.push({ atMs: a.untilMs, type: 'timer', client, gen: c.gen });
        return;
      case 'wait':
        c.lastWasSend = false;
        this.heap.push({ atMs: a.untilMs, type: 'timer', client, gen: c.gen });
        return;
      case 'done':
        if (c.op === null) throw new Error(`client ${client} finished no op`);
        this.history.complete(client, c.op, a.outcome, now);
        c.op = null;
        this.next(client);
        return;
    }
  }

  private delay(): number {
    return this.random.between(0.5, 3);
  }

  private push(ev: Ev): void {
    if (this.dropClient?.(ev) === true) return;
    this.heap.push(ev);
  }

  private toClient(addr: number, reply: ClientReply): void {
    this.push({ atMs: this.sim.nowMs + this.delay(), type: 'to-client', client: addr - this.addrBase, reply });
  }

  private dispatch(ev: Ev): void {
    switch (ev.type) {
      case 'to-rank': {
        if (!this.sim.alive(ev.rank)) return; // a dead rank's connection is gone
        const layer = defined(this.layers[ev.rank], 'a layer per rank');
        const s = this.sim.stateOf(ev.rank);
        const asked = clientRequest(layer, s, this.addrBase + ev.client, ev.req, this.sim.nowMs, this.random);
        for (const env of asked.replies) this.toClient(env.to, env.msg as ClientReply);
        if (asked.propose) this.sim.inject(ev.rank, { type: 'propose', ...asked.propose });
        else if (asked.readRound) this.sim.inject(ev.rank, { type: 'read-round' });
        else for (const env of afterStep(layer, s, [], this.sim.nowMs)) this.toClient(env.to, env.msg as ClientReply); // a lease read
        return;
      }
      case 'to-client': {
        const c = defined(this.clients[ev.client], 'a client');
        const a = c.session.onReply(ev.reply, this.sim.nowMs);
        if (a !== null) this.act(ev.client, a);
        return;
      }
      case 'timer': {
        const c = defined(this.clients[ev.client], 'a client');
        if (ev.gen !== c.gen || c.op === null) return; // superseded by a reply or a later action
        this.act(ev.client, c.session.onTimeout(this.sim.nowMs, c.lastWasSend));
        return;
      }
    }
  }
}
