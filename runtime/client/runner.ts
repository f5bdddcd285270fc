// runner: the key-value load of `csplab kv run`, the same for every store: N clients, each a
// ClientSession (session.ts) over one shared TCP connection per rank's client port (gateway.ts),
// the op mix of load.ts (the simulator's clients draw the same), every op in the History (history.ts).
// Latencies of ok ops are kept for the report (ops/s, p50, p99).
import { connect, type Socket } from 'node:net';
import type { Cancel, Clock } from '../clock.js';
import { encodeFrame, FrameDecoder, FrameError } from '../net/frame.js';
import type { Random } from '../random.js';
import { BatchWriter, type BatchCounts } from './batch.js';
import { writeCorked } from './gateway.js';
import { History } from './history.js';
import { KvLoad, type LoadOptions } from './load.js';
import { ClientSession, type Action, type Op, type Routing } from './session.js';
import { BadClientFrame, decodeJson, MAX_CLIENT_FRAME_BYTES, parseClientReply, type ClientHello, type ClientReply } from './wire.js';

export interface RunnerOptions {
  readonly ranks: number;
  readonly clients: number;
  readonly load: LoadOptions;
  readonly routing?: Routing;
  /** shardOf (per-shard routing) and carryAfter: ClientSession's. */
  readonly shardOf?: (key: string) => number;
  readonly carryAfter?: boolean;
  readonly deadlineMs: number;
  /**
   * batchMs: send batched frames (runtime/client/batch.ts), the requests to one rank waiting this
   * long to share a socket write (0: until the event loop's iteration ends); undefined: one frame
   * per request, corked until the iteration ends. Each write wakes the rank for one turn; a longer
   * wait puts more requests in a turn for up to batchMs more latency. Not the default: in this
   * session's pairs it did not lower CPU per op (docs/benchmarks.md, chain KV under more clients).
   */
  readonly batchMs?: number;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly random: Random;
}

/** RunnerReport: what the load did, for the summary and the benchmark. */
export type RunnerReport = {
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly retries: number;
  readonly badReplies: number;
  /** requests: the batched connections' socket writes, frames and requests (retries included). */
  readonly requests: BatchCounts;
  /** latencies of ok ops by f, ms. */
  readonly latencyMs: { readonly get: readonly number[]; readonly put: readonly number[]; readonly delete: readonly number[] };
};

/** BACKOFF_MS: the sessions' pause after `electing` or a hintless not-leader, and before trying past a rank with no connection. */
const BACKOFF_MS = 50;

type Client = { readonly session: ClientSession; op: Op | null; startedMs: number; cancel: Cancel; lastWasSend: boolean };

/** KvRunner drives the clients; setPort tells it where a rank's client port is (again after a restart). */
export class KvRunner {
  readonly history = new History();
  private readonly socks = new Map<number, { readonly sock: Socket; readonly out: BatchWriter | undefined }>();
  /** byName: a client's index by its name, for routing replies. */
  private readonly byName = new Map<string, number>();
  private readonly sent: BatchCounts = { writes: 0, frames: 0, messages: 0 };
  private readonly clients: Client[] = [];
  private startMs = 0;
  private stopAtMs = Infinity;
  private badReplies = 0;
  private readonly latency = { get: [] as number[], put: [] as number[], delete: [] as number[] };
  private readonly load: KvLoad;
  private settle = (): void => {};

  constructor(private readonly o: RunnerOptions) {
    this.load = new KvLoad(o.load, o.random);
    // one table for all clients: with many keys, a table per client would pay a not-leader round
    // trip on nearly every op (each client rarely sees a key twice)
    const routes = new Map<string, number>();
    const members = new Map<string, readonly number[]>();
    for (let c = 0; c < o.clients; c++) {
      const session = new ClientSession({
        client: `c${c}`,
        ranks: o.ranks,
        deadlineMs: o.deadlineMs,
        attemptMs: Math.min(1000, o.deadlineMs),
        backoffMs: BACKOFF_MS,
        ...(o.routing !== undefined ? { routing: o.routing, routes, members } : {}),
        ...(o.shardOf !== undefined ? { shardOf: o.shardOf } : {}),
        ...(o.carryAfter === true ? { carryAfter: true } : {}),
      });
      session.guess = c % o.ranks;
      this.byName.set(session.o.client, c);
      this.clients.push({ session, op: null, startedMs: 0, cancel: () => {}, lastWasSend: false });
    }
  }

  /** setPort (re)connects to a rank's client port. */
  setPort(rank: number, port: number): void {
    this.socks.get(rank)?.sock.destroy();
    const sock = connect({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    const batchMs = this.o.batchMs;
    const later =
      batchMs !== undefined && batchMs > 0 ? (flush: () => void): void => void this.o.clock.schedule(batchMs, flush) : undefined;
    const conn = { sock, out: batchMs === undefined ? undefined : new BatchWriter(sock, this.sent, later) };
    this.socks.set(rank, conn);
    const decoder = new FrameDecoder(MAX_CLIENT_FRAME_BYTES);
    sock.on('error', () => {}); // a killed rank: 'close' follows; sessions time out and move on
    sock.once('close', () => {
      if (this.socks.get(rank) === conn) this.socks.delete(rank);
    });
    // batched frames: the requests of all clients to this rank in one event-loop iteration go out
    // as one write, and its replies come back the same way (runtime/client/batch.ts)
    const hello: ClientHello = { magic: 'csplab-client', clusterId: this.o.clusterId, ...(conn.out !== undefined ? { batch: true } : {}) };
    sock.write(frame(hello));
    sock.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      try {
        for (let p = decoder.next(); p !== undefined; p = decoder.next()) {
          const x = decodeJson(p);
          for (const r of Array.isArray(x) ? (x as unknown[]) : [x]) this.onReply(parseClientReply(r));
        }
      } catch (e) {
        if (!(e instanceof BadClientFrame || e instanceof FrameError)) throw e;
        this.badReplies++;
        sock.destroy();
      }
    });
  }

  /** run issues ops until stopAtMs (epoch ms) and resolves once every client's last op ended. */
  run(startMs: number, stopAtMs: number): Promise<void> {
    this.startMs = startMs;
    this.stopAtMs = stopAtMs;
    const done = new Promise<void>((resolve) => (this.settle = resolve));
    for (let c = 0; c < this.clients.length; c++) this.next(c);
    return done;
  }

  close(): void {
    for (const s of this.socks.values()) s.sock.destroy();
    for (const c of this.clients) c.cancel();
  }

  report(): RunnerReport {
    const n = this.history.counts();
    const retries = this.clients.reduce((a, c) => a + c.session.retries, 0);
    const badResults = this.clients.reduce((a, c) => a + c.session.badReplies, 0);
    return { ...n, retries, badReplies: this.badReplies + badResults, requests: { ...this.sent }, latencyMs: this.latency };
  }

  private now(): number {
    return this.o.clock.nowMs() - this.startMs;
  }

  private next(client: number): void {
    const c = this.clients[client] as Client;
    if (this.o.clock.nowMs() >= this.stopAtMs) {
      if (this.clients.every((x) => x.op === null)) this.settle();
      return;
    }
    const op = this.load.next(client);
    c.op = op;
    c.startedMs = this.now();
    this.history.invoke(client, op, c.startedMs);
    this.act(client, c.session.begin(op, this.o.clock.nowMs()));
  }

  private act(client: number, a: Action): void {
    const c = this.clients[client] as Client;
    c.cancel();
    const clock = this.o.clock;
    if (a.type === 'done') {
      const op = c.op as Op;
      const at = this.now();
      this.history.complete(client, op, a.outcome, at);
      if (a.outcome.type === 'ok') this.latency[op.f === 'get' || op.f === 'delete' ? op.f : 'put'].push(at - c.startedMs);
      c.op = null;
      this.next(client);
      return;
    }
    let untilMs = a.untilMs;
    if (a.type === 'send') {
      const conn = this.socks.get(a.rank);
      if (conn !== undefined && !conn.sock.destroyed) {
        if (conn.out !== undefined) conn.out.write(a.req);
        else writeCorked(conn.sock, frame(a.req));
      }
      // No connection there (a killed rank, one not started yet): no reply can come, so the next
      // rank is tried after a backoff, not after attemptMs. Not at once: a chain node's
      // not-leader hint names the killed head until the master reconfigures, and an immediate
      // retry bounced between the two in a hot loop (28k retries in one run).
      else untilMs = Math.min(untilMs, clock.nowMs() + BACKOFF_MS);
    }
    c.lastWasSend = a.type === 'send';
    c.cancel = clock.schedule(Math.max(0, untilMs - clock.nowMs()), () => {
      if (c.op !== null) this.act(client, c.session.onTimeout(clock.nowMs(), c.lastWasSend));
    });
  }

  private onReply(reply: ClientReply): void {
    const i = this.byName.get(reply.client);
    const c = i === undefined ? undefined : this.clients[i];
    if (c === undefined || i === undefined) return;
    const a = c.session.onReply(reply, this.o.clock.nowMs());
    if (a !== null) this.act(i, a);
  }
}

function frame(x: unknown): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(x), 'utf8'));
}

/** percentile of sorted-or-not samples (nearest rank); NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}
