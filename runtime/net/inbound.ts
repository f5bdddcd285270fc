// inbound: one accepted connection. It reads the dialer's handshake, then turns each socket
// chunk into at most one Inbound batch of validated messages. Any bad input (oversized
// length, undecodable bytes, a wrong handshake, a message validate refuses, no handshake in
// time) closes this connection only; the transport and its other peers carry on.
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { Cancel, Clock } from '../clock.js';
import type { Codec } from './codec.js';
import { FrameDecoder, FrameError } from './frame.js';
import { checkHello, HELLO_MAX_BYTES, type Expected, type Rejection } from './handshake.js';

export interface InboundOptions<M> {
  want: Expected;
  codec: Codec<M>;
  validate: (x: unknown) => M;
  maxFrameBytes: number;
  /** transientPayloads: payloads are assembled in memory the next frame reuses (TcpOptions.transientPayloads). */
  transientPayloads: boolean;
  handshakeTimeoutMs: number;
  clock: Clock;
  /** deliver receives one chunk's messages from the peer rank (never empty). */
  deliver(from: number, msgs: M[]): void;
  accepted(rank: number): void;
  rejected(rejection: Rejection, remote: string): void;
  /** countIn adds received frames and bytes to the transport's counters. */
  countIn(frames: number, bytes: number): void;
}

/** Refusal carries a Rejection out of the decode loop. */
class Refusal extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.detail);
  }
}

export class InboundConn<M> {
  /** rank is the peer's rank once its handshake passed. */
  rank: number | undefined;
  /** closed resolves when the socket has fully closed. */
  readonly closed: Promise<void>;
  private readonly decoder: FrameDecoder;
  private readonly socket: Socket;
  private readonly remote: string;
  private handshakeTimer: Cancel | undefined;
  private refused = false;

  /** accepted: paused on accept when opts.transientPayloads (TcpTransport's server), so no read happened yet. */
  constructor(
    accepted: Socket,
    private readonly opts: InboundOptions<M>,
  ) {
    this.decoder = new FrameDecoder(HELLO_MAX_BYTES, opts.transientPayloads);
    const reading = opts.transientPayloads ? readingIntoOneBuffer(accepted, (chunk) => this.onData(chunk, true)) : undefined;
    const socket = reading ?? accepted;
    this.socket = socket;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A reset from a peer that died is expected noise; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.once('close', () => this.handshakeTimer?.());
    if (reading === undefined) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk, false));
      socket.resume(); // the server accepts paused when it wants transient reads
    }
    this.handshakeTimer = opts.clock.schedule(opts.handshakeTimeoutMs, () => {
      if (this.rank === undefined) this.refuse({ kind: 'timeout', detail: `no handshake within ${opts.handshakeTimeoutMs} ms` });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** onData decodes one read; a transient chunk is the socket's read buffer, overwritten by the next read. */
  private onData(chunk: Buffer, transient: boolean): void {
    if (this.refused) return;
    if (transient) this.decoder.pushTransient(chunk);
    else this.decoder.push(chunk);
    const msgs: M[] = [];
    let frames = 0;
    try {
      for (let payload = this.decoder.next(); payload !== undefined; payload = this.decoder.next()) {
        frames++;
        if (this.rank === undefined) this.handshake(payload);
        else this.decodeInto(payload, msgs);
      }
    } catch (e) {
      if (e instanceof Refusal) return this.refuse(e.rejection);
      if (e instanceof FrameError) return this.refuse({ kind: 'oversize', detail: e.message, ...this.claimed() });
      throw e;
    } finally {
      if (transient) this.decoder.settle();
      this.opts.countIn(frames, chunk.length);
    }
    if (msgs.length > 0 && this.rank !== undefined) this.opts.deliver(this.rank, msgs);
  }

  private handshake(payload: Buffer): void {
    const result = checkHello(payload, this.opts.want);
    if ('kind' in result) throw new Refusal(result);
    this.rank = result.rank;
    this.decoder.maxFrameBytes = this.opts.maxFrameBytes;
    this.handshakeTimer?.();
    this.handshakeTimer = undefined;
    this.opts.accepted(result.rank);
  }

  private decodeInto(payload: Buffer, msgs: M[]): void {
    let raw: unknown[];
    try {
      raw = this.opts.codec.decode(payload);
    } catch (e) {
      throw new Refusal({ kind: 'garbage', detail: `undecodable batch: ${(e as Error).message}`, ...this.claimed() });
    }
    for (const x of raw) {
      try {
        msgs.push(this.opts.validate(x));
      } catch (e) {
        throw new Refusal({ kind: 'invalid', detail: `message refused by validate: ${(e as Error).message}`, ...this.claimed() });
      }
    }
  }

  private claimed(): { claimedRank?: number } {
    return this.rank === undefined ? {} : { claimedRank: this.rank };
  }

  private refuse(rejection: Rejection): void {
    if (this.refused) return;
    this.refused = true;
    this.handshakeTimer?.();
    this.socket.destroy();
    this.opts.rejected(rejection, this.remote);
  }
}

/** READ_BUFFER_BYTES: libuv reads at most 64 KiB at a time. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * readingIntoOneBuffer re-creates an accepted socket over its handle with Node's onread option,
 * which a server cannot give the sockets it accepts, so every read lands in one reused buffer.
 * Otherwise Node allocates an ArrayBuffer per read: at a Paxos follower's ~40 MB/s that is
 * hundreds of 64 KiB buffers a second, freed only when the collector finds them, and the malloc
 * heap they fragment stays resident (docs/benchmarks.md, "Rank memory, Paxos sixth pass").
 * `handle` and `_handle` are Node internals (stable since onread came, Node 12); the accepted
 * socket gives up its handle and is destroyed when the new one closes, which is when the server
 * stops counting the connection.
 */
function readingIntoOneBuffer(accepted: Socket, onRead: (chunk: Buffer) => void): Socket | undefined {
  const internal = accepted as unknown as { _handle: object | null };
  const handle = internal._handle;
  if (handle === null) return undefined; // closed before we saw it: its 'close' still comes
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: { buffer, callback: (n: number) => void onRead(buffer.subarray(0, n)) },
  } as SocketConstructorOpts;
  let socket: Socket;
  try {
    socket = new Socket(options);
  } catch {
    return undefined; // Node's internals changed: read the accepted socket as every other protocol does
  }
  // only now does the accepted socket give the handle up: a failed construction left it owning it
  internal._handle = null;
  socket.once('close', () => accepted.destroy());
  return socket;
}
