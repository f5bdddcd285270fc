// inbound: one accepted connection. It reads the dialer's handshake, then turns each socket
// chunk into at most one Inbound batch of validated messages. Any bad input (oversized
// length, undecodable bytes, a wrong handshake, a message validate refuses, no handshake in
// time) closes this connection only; the transport and its other peers carry on.
import type { Socket } from 'node:net';
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
  private readonly remote: string;
  private handshakeTimer: Cancel | undefined;
  private refused = false;

  constructor(
    private readonly socket: Socket,
    private readonly opts: InboundOptions<M>,
  ) {
    this.decoder = new FrameDecoder(HELLO_MAX_BYTES, opts.transientPayloads);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A reset from a peer that died is expected noise; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.once('close', () => this.handshakeTimer?.());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.handshakeTimer = opts.clock.schedule(opts.handshakeTimeoutMs, () => {
      if (this.rank === undefined) this.refuse({ kind: 'timeout', detail: `no handshake within ${opts.handshakeTimeoutMs} ms` });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.refused) return;
    this.decoder.push(chunk);
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
