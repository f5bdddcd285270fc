// tcp: the Transport for real clusters. Topology: every rank dials every other rank and sends
// only on its own outbound connection (PeerLink); connections it accepts only receive
// (InboundConn). So each ordered pair (a → b) has one connection, owned by a, with no
// tie-breaking between simultaneous dials, and a restarted rank is found again by the
// others' redial loops. Send-to-self never touches a socket.
import { createServer, type Server, type Socket } from 'node:net';
import { WIRE_VERSION } from './wire-version.js';
import { CspChan } from '../chan.js';
import type { Clock } from '../clock.js';
import type { Inbound, Transport, TransportStats } from '../transport.js';
import { msgpackCodec, type Codec } from './codec.js';
import { checkMaxFrameBytes, DEFAULT_MAX_FRAME_BYTES, encodeFrame } from './frame.js';
import { encodeHello, type Expected, type RejectKind, type Rejection } from './handshake.js';
import { InboundConn } from './inbound.js';
import { OnceLog } from './oncelog.js';
import { PeerLink, type BackoffMs, type LinkCounters, type PeerAddress } from './peer.js';
import { defined } from '../assert.js';

export type { PeerAddress } from './peer.js';

/** TcpEvent reports connection changes (for logs, and for tests to await instead of sleeping). */
export type TcpEvent =
  | { type: 'connected'; peer: number } // our outbound link to peer is up
  | { type: 'disconnected'; peer: number } // our outbound link to peer went down
  | { type: 'accepted'; peer: number } // peer's handshake on an inbound connection passed
  | { type: 'rejected'; reason: RejectKind; detail: string };

export interface TcpOptions<M> {
  rank: number;
  /** ranks is the cluster size (2 … 1000). */
  ranks: number;
  /** peers[r] is where rank r listens; undefined until known (see setPeer). peers[rank] is ignored. */
  peers: ReadonlyArray<PeerAddress | undefined>;
  /** listen is where this rank accepts; host defaults to 127.0.0.1, port 0 picks a free one. */
  listen: { host?: string; port: number };
  /** clusterId names the run; connections from another run are refused. */
  clusterId: string;
  clock: Clock;
  /** validate turns one decoded value into a message or throws (the peer is then cut off). */
  validate: (x: unknown) => M;
  codec?: Codec<M>;
  /** maxFrameBytes bounds one frame in either direction (default 16 MiB). */
  maxFrameBytes?: number;
  /**
   * transientPayloads: a payload is decoded from memory the next frame reuses, so validate must
   * keep no view of it (msgpack decodes binary fields as views of the payload). Default false.
   */
  transientPayloads?: boolean;
  /** queueLimit bounds each peer's outbound queue in messages (default 65536); overflow drops. */
  queueLimit?: number;
  /** inboxCapacity bounds the inbox in batches (default 4096); overflow drops the newest batch. */
  inboxCapacity?: number;
  /** maxBatchMsgs bounds the messages in one outbound frame (default 4096). */
  maxBatchMsgs?: number;
  /** keepWhenStalled: messages a down or stalled peer is held even when older than its newest few (peer.ts). */
  keepWhenStalled?: (msg: M) => boolean;
  /**
   * backoffMs: redials start minMs after a failure and double up to maxMs (default 5…200 ms:
   * loopback and LAN dials are cheap, and a restarted peer should be found quickly).
   */
  backoffMs?: BackoffMs;
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** log receives one line per distinct problem (default: stderr). */
  log?: (line: string) => void;
  onEvent?: (e: TcpEvent) => void;
}

export interface TcpStats extends TransportStats {
  rejectedBy: Partial<Record<RejectKind, number>>;
  /** unsendable counts messages dropped because no frame can carry them (a protocol bug; peer.ts). */
  unsendable: number;
  framesOut: number;
  bytesOut: number;
  framesIn: number;
  bytesIn: number;
  /** connects counts outbound connections made (first ones and reconnects). */
  connects: number;
  /** connectedPeers lists the ranks our outbound links are connected to now. */
  connectedPeers: number[];
  /** queued counts messages waiting in outbound queues now (for pacing and monitoring). */
  queued: number;
}

const MAX_RANKS = 1000;

export class TcpTransport<M> implements Transport<M> {
  readonly rank: number;
  readonly ranks: number;
  readonly inbox: CspChan<Inbound<M>>;
  private readonly opts: TcpOptions<M>;
  private readonly codec: Codec<M>;
  private readonly maxFrameBytes: number;
  private readonly queueLimit: number;
  private readonly handshakeTimeoutMs: number;
  private readonly links: (PeerLink<M> | undefined)[];
  private readonly conns = new Set<InboundConn<M>>();
  private readonly server: Server;
  private readonly onceLog: OnceLog;
  private selfQueue: M[] = [];
  private selfFlush: NodeJS.Immediate | undefined;
  private boundPort: number | undefined;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private readonly counters = { sent: 0, delivered: 0, rejected: 0, framesIn: 0, bytesIn: 0 };
  private readonly linkCounters: LinkCounters = { dropped: 0, unsendable: 0, framesOut: 0, bytesOut: 0, connects: 0 };
  private inboxDropped = 0;
  private closing: Promise<void> | undefined;
  private readonly rejectedBy: Partial<Record<RejectKind, number>> = {};

  constructor(options: TcpOptions<M>) {
    this.opts = options;
    const { rank, ranks, peers, clusterId } = options;
    if (!Number.isInteger(ranks) || ranks < 1 || ranks > MAX_RANKS)
      throw new RangeError(`tcp: ranks must be an integer in 1…${MAX_RANKS}, got ${ranks}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= ranks) throw new RangeError(`tcp: rank ${rank} is not in 0…${ranks - 1}`);
    if (peers.length !== ranks) throw new RangeError(`tcp: peers must have one entry per rank (${ranks}), got ${peers.length}`);
    if (clusterId.length === 0) throw new RangeError('tcp: clusterId must be non-empty');
    this.rank = rank;
    this.ranks = ranks;
    this.codec = options.codec ?? msgpackCodec<M>();
    this.maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.queueLimit = positiveInt('queueLimit', options.queueLimit ?? 65536);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.onceLog = new OnceLog(log);
    this.inbox = new CspChan<Inbound<M>>(options.clock, {
      name: `tcp.inbox.${rank}`,
      capacity: options.inboxCapacity ?? 4096,
      overflow: { type: 'drop-newest' },
    });
    const helloFrame = encodeFrame(encodeHello({ clusterId, rank, version: WIRE_VERSION, codec: this.codecName() }));
    const maxBatchMsgs = positiveInt('maxBatchMsgs', options.maxBatchMsgs ?? 4096);
    const backoffMs = checkBackoff(options.backoffMs ?? { minMs: 5, maxMs: 200 });
    const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
    this.handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs ?? 5000);
    this.links = peers.map((address, peerRank) => {
      if (peerRank === rank) return undefined;
      const link = new PeerLink<M>({
        selfRank: rank,
        peerRank,
        clock: options.clock,
        codec: this.codec,
        helloFrame,
        queueLimit: this.queueLimit,
        maxFrameBytes: this.maxFrameBytes,
        maxBatchMsgs,
        ...(options.keepWhenStalled !== undefined ? { keepWhenStalled: options.keepWhenStalled } : {}),
        backoffMs,
        connectTimeoutMs,
        counters: this.linkCounters,
        log: (key, line) => this.onceLog.line(key, line),
        onEvent: (e) => options.onEvent?.(e),
      });
      link.setAddress(address);
      return link;
    });
    // Transient payloads are read through a reused buffer (InboundConn): paused on accept, so no read happens before.
    this.server = createServer({ pauseOnConnect: options.transientPayloads === true }, (socket) => this.accept(socket));
    // One inbound connection per peer is normal; a few spare cover restarts still closing.
    this.server.maxConnections = 4 * ranks + 16;
  }

  /** start listens, then starts dialing; it rejects with the listen error (code intact). */
  start(): Promise<void> {
    if (this.state !== 'new') return Promise.reject(new Error(`tcp rank ${this.rank}: start called twice`));
    this.state = 'starting';
    const host = this.opts.listen.host ?? '127.0.0.1';
    return new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        this.state = 'closed';
        reject(e);
      };
      this.server.once('error', fail);
      this.server.listen({ host, port: this.opts.listen.port }, () => {
        this.server.off('error', fail);
        if (this.state === 'closed') {
          // close() ran while we were binding: release the port and report it.
          this.server.close();
          return reject(new Error(`tcp rank ${this.rank}: closed during start`));
        }
        this.server.on('error', (e) => this.onceLog.line(`server:${e.message}`, `tcp rank ${this.rank}: server error: ${e.message}`));
        const address = this.server.address();
        this.boundPort = typeof address === 'object' && address !== null ? address.port : undefined;
        this.state = 'running';
        for (const link of this.links) link?.start();
        resolve();
      });
    });
  }

  /** port is the bound port (the ephemeral one when listen.port was 0); only after start. */
  get port(): number {
    if (this.boundPort === undefined) throw new Error(`tcp rank ${this.rank}: no port before start() resolved`);
    return this.boundPort;
  }

  /** setPeer sets or changes where rank `peer` listens (peers learnt after start, or moved). */
  setPeer(peer: number, address: PeerAddress | undefined): void {
    this.checkRank(peer, 'setPeer');
    this.links[peer]?.setAddress(address);
  }

  send(to: number, msg: M): void {
    this.checkRank(to, 'send');
    if (this.state === 'closed') {
      this.linkCounters.dropped++;
      return;
    }
    this.counters.sent++;
    if (to !== this.rank) return defined(this.links[to], 'checkRank admitted `to`, and every other rank has a link').send(msg);
    if (this.selfQueue.length >= this.queueLimit) {
      this.linkCounters.dropped++;
      return;
    }
    this.selfQueue.push(msg);
    // Loop back on the next turn, as one batch, like a socket would (never inside send).
    this.selfFlush ??= setImmediate(() => {
      this.selfFlush = undefined;
      const msgs = this.selfQueue;
      this.selfQueue = [];
      this.deliver(this.rank, msgs);
    });
  }

  /** close stops listening, closes every socket and the inbox; it resolves once all are closed. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    if (this.selfFlush !== undefined) clearImmediate(this.selfFlush);
    this.selfFlush = undefined;
    this.linkCounters.dropped += this.selfQueue.length;
    this.selfQueue = [];
    const serverClosed = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    for (const c of this.conns) c.destroy();
    await Promise.all([serverClosed, ...[...this.conns].map((c) => c.closed), ...this.links.map((l) => l?.close())]);
    this.inbox.close();
  }

  stats(): TcpStats {
    const { sent, delivered, rejected, framesIn, bytesIn } = this.counters;
    const { dropped, unsendable, framesOut, bytesOut, connects } = this.linkCounters;
    return {
      sent,
      delivered,
      dropped: dropped + this.inboxDropped,
      rejected,
      rejectedBy: { ...this.rejectedBy },
      unsendable,
      framesOut,
      bytesOut,
      framesIn,
      bytesIn,
      connects,
      connectedPeers: this.links.flatMap((l, r) => (l?.isConnected ? [r] : [])),
      queued: this.links.reduce((sum, l) => sum + (l?.queued ?? 0), this.selfQueue.length),
    };
  }

  private codecName(): string {
    return this.codec.name ?? 'custom';
  }

  private accept(socket: Socket): void {
    if (this.state === 'closed') return void socket.destroy();
    const want: Expected = {
      clusterId: this.opts.clusterId,
      ranks: this.ranks,
      selfRank: this.rank,
      version: WIRE_VERSION,
      codec: this.codecName(),
    };
    const conn = new InboundConn<M>(socket, {
      want,
      codec: this.codec,
      validate: this.opts.validate,
      maxFrameBytes: this.maxFrameBytes,
      transientPayloads: this.opts.transientPayloads === true,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      clock: this.opts.clock,
      deliver: (from, msgs) => this.deliver(from, msgs),
      accepted: (peer) => this.opts.onEvent?.({ type: 'accepted', peer }),
      rejected: (r, remote) => this.reject(r, remote),
      countIn: (frames, bytes) => {
        this.counters.framesIn += frames;
        this.counters.bytesIn += bytes;
      },
    });
    this.conns.add(conn);
    void conn.closed.then(() => this.conns.delete(conn));
  }

  private deliver(from: number, msgs: M[]): void {
    if (this.inbox.write({ from, msgs })) this.counters.delivered += msgs.length;
    else this.inboxDropped += msgs.length;
  }

  private reject(r: Rejection, remote: string): void {
    this.counters.rejected++;
    this.rejectedBy[r.kind] = (this.rejectedBy[r.kind] ?? 0) + 1;
    const host = remote.slice(0, remote.lastIndexOf(':'));
    const who = r.claimedRank === undefined ? remote : `${remote} (claims rank ${r.claimedRank})`;
    this.onceLog.line(
      `reject:${r.kind}:${host}:${r.claimedRank ?? '-'}`,
      `tcp rank ${this.rank}: closed connection from ${who}: ${r.kind}: ${r.detail}`,
    );
    this.opts.onEvent?.({ type: 'rejected', reason: r.kind, detail: r.detail });
  }

  private checkRank(rank: number, what: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.ranks)
      throw new RangeError(`tcp rank ${this.rank}.${what}: rank ${rank} is not in 0…${this.ranks - 1}`);
  }
}

/** checkBackoff validates the redial delays: the first retry after minMs, doubling up to maxMs. */
function checkBackoff(b: BackoffMs): BackoffMs {
  positiveInt('backoffMs.minMs', b.minMs);
  positiveInt('backoffMs.maxMs', b.maxMs);
  if (b.maxMs < b.minMs) throw new RangeError(`tcp: backoffMs.maxMs (${b.maxMs}) must be ≥ minMs (${b.minMs})`);
  return b;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`tcp: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** startTcp constructs and starts a transport (the common case for cmd/). */
export async function startTcp<M>(options: TcpOptions<M>): Promise<TcpTransport<M>> {
  const t = new TcpTransport<M>(options);
  await t.start();
  return t;
}
