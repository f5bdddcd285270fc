// clients: key-value clients inside the simulator (sim.ts), for any protocol with a client port
// (runtime/protocol.ts `clients`). Each client is a ClientSession (runtime/client/session.ts)
// on the simulated clock, drawing its ops from the same load generator as `csplab kv run`
// (runtime/client/load.ts), and every op goes into a History (runtime/client/history.ts) timed
// in simulated ms. Client c is address CLIENT_ADDRESS_BASE + c, as a gateway connection is on a
// real rank. Requests and replies cross links of their own that drop, duplicate, delay and damage
// as the ranks' links do (SimOptions.link, from their own stream of the seed); partitions and
// cuts are between ranks only, as on a real cluster, whose clients dial over loopback. A killed
// rank loses what reaches it, so its clients time out and try the next rank.
import { CLIENT_ADDRESS_BASE } from '../client/gateway.js';
import { History } from '../client/history.js';
import { KvLoad } from '../client/load.js';
import { ClientSession, type Action, type Op } from '../client/session.js';
import type { ClientReply, ClientRequest } from '../client/wire.js';
import type { Random } from '../random.js';
import { Links } from './links.js';
import type { SimClientLoad, SimClientStats, SimLink } from './types.js';

/** ClientEv is a client's event on the simulator's heap: a reply arriving, a wait ending, or its next op. */
export type ClientEv =
  | { readonly kind: 'reply'; readonly client: number; readonly reply: ClientReply }
  | { readonly kind: 'timer'; readonly client: number; readonly gen: number }
  | { readonly kind: 'next'; readonly client: number };

/** ClientHost is what the simulator gives its clients: the clock, its heap, and delivery to a rank. */
export interface ClientHost {
  nowMs(): number;
  at(atMs: number, ev: ClientEv): void;
  /** request: the request arrives at `rank` at atMs from address `from`. */
  request(atMs: number, from: number, rank: number, req: ClientRequest): void;
}

type SimClient = { readonly session: ClientSession; op: Op | null; gen: number; lastWasSend: boolean };

/**
 * ClientTap: a scripted test's filter on client traffic — a request from `client` to `rank`
 * (toRank) or a reply from `rank` to `client` — judged before the client links; true loses it.
 */
export type ClientTap = (client: number, rank: number, toRank: boolean) => boolean;

/** SimClients runs o.clients clients until stopAtMs, then lets each finish its op in flight. */
export class SimClients {
  readonly history = new History();
  private readonly clients: SimClient[] = [];
  private readonly links: Links;
  private readonly load: KvLoad;
  private readonly stopAtMs: number;
  private strayReplies = 0;
  /** tap: a scripted test's filter on client traffic (ClientTap); undefined: none. */
  tap: ClientTap | undefined;

  constructor(
    private readonly o: SimClientLoad,
    ranks: number,
    loadMs: number,
    link: SimLink,
    random: Random,
    private readonly host: ClientHost,
  ) {
    this.links = new Links(ranks, link, random.fork('net'));
    this.load = new KvLoad(o.load, random.fork('load'));
    this.stopAtMs = o.stopAtMs ?? loadMs - o.deadlineMs;
    for (let c = 0; c < o.clients; c++) {
      const session = new ClientSession({
        client: `c${c}`,
        ranks,
        deadlineMs: o.deadlineMs,
        attemptMs: o.attemptMs ?? Math.min(1000, o.deadlineMs / 4),
        backoffMs: o.backoffMs ?? 50,
        ...(o.routing !== undefined ? { routing: o.routing } : {}),
        ...(o.shardOf !== undefined ? { shardOf: o.shardOf } : {}),
        ...(o.carryAfter === true ? { carryAfter: true } : {}),
      });
      session.guess = c % ranks;
      this.clients.push({ session, op: null, gen: 0, lastWasSend: false });
      host.at(Math.max(host.nowMs(), o.startAtMs ?? 0), { kind: 'next', client: c });
    }
  }

  on(ev: ClientEv): void {
    const c = this.clients[ev.client] as SimClient;
    const now = this.host.nowMs();
    switch (ev.kind) {
      case 'next':
        return this.next(ev.client);
      case 'reply': {
        const a = c.session.onReply(ev.reply, now);
        if (a !== null) this.act(ev.client, a);
        return;
      }
      case 'timer':
        if (ev.gen !== c.gen || c.op === null) return; // a reply or a later action came first
        return this.act(ev.client, c.session.onTimeout(now, c.lastWasSend));
    }
  }

  /** session: client c's session (a scripted test sets its leader guess, reads its retries). */
  session(client: number): ClientSession {
    const c = this.clients[client];
    if (c === undefined) throw new RangeError(`client ${client} is not in 0…${this.clients.length - 1}`);
    return c.session;
  }

  /** issue begins a chosen op on an idle client now (a scripted test's op, outside the load's window). */
  issue(client: number, op: Op): void {
    const c = this.clients[client];
    if (c === undefined || c.op !== null) throw new RangeError(`client ${client} is not an idle client`);
    const now = this.host.nowMs();
    c.op = op;
    this.history.invoke(client, op, now);
    this.act(client, c.session.begin(op, now));
  }

  /** idle: no client has an op in flight. */
  idle(): boolean {
    return this.clients.every((c) => c.op === null);
  }

  /** fromRank: a rank sent `reply` (null: a message carrying none) to client address `to`. */
  fromRank(rank: number, to: number, reply: ClientReply | null): void {
    const client = to - CLIENT_ADDRESS_BASE;
    if (reply === null || this.clients[client] === undefined) {
      this.strayReplies++;
      return;
    }
    if (this.tap?.(client, rank, false) === true) return;
    const copies = this.links.copies(rank, to, this.host.nowMs());
    if (typeof copies === 'string') return;
    for (const copy of copies) {
      if (copy.damaged)
        this.links.drops++; // the client's parse refuses a damaged frame
      else this.host.at(copy.atMs, { kind: 'reply', client, reply });
    }
  }

  stats(): SimClientStats {
    const n = this.history.counts();
    const retries = this.clients.reduce((a, c) => a + c.session.retries, 0);
    const badReplies = this.clients.reduce((a, c) => a + c.session.badReplies, 0);
    return { ...n, retries, badReplies, strayReplies: this.strayReplies, drops: this.links.drops };
  }

  private next(client: number): void {
    const c = this.clients[client] as SimClient;
    const now = this.host.nowMs();
    if (now >= this.stopAtMs) return;
    const op = this.load.next(client);
    c.op = op;
    this.history.invoke(client, op, now);
    this.act(client, c.session.begin(op, now));
  }

  private act(client: number, a: Action): void {
    const c = this.clients[client] as SimClient;
    const now = this.host.nowMs();
    c.gen++;
    switch (a.type) {
      case 'send': {
        c.lastWasSend = true;
        const from = CLIENT_ADDRESS_BASE + client;
        const copies = this.tap?.(client, a.rank, true) === true ? 'filtered' : this.links.copies(from, a.rank, now);
        if (typeof copies !== 'string')
          for (const copy of copies) {
            if (copy.damaged)
              this.links.drops++; // the gateway's parse refuses a damaged frame
            else this.host.request(copy.atMs, from, a.rank, a.req);
          }
        this.host.at(a.untilMs, { kind: 'timer', client, gen: c.gen });
        return;
      }
      case 'wait':
        c.lastWasSend = false;
        this.host.at(a.untilMs, { kind: 'timer', client, gen: c.gen });
        return;
      case 'done':
        this.history.complete(client, c.op as Op, a.outcome, now);
        c.op = null;
        return this.next(client);
    }
  }
}
