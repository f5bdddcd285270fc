// peer: this rank's outbound link to one other rank. It owns a bounded queue, dials (and
// redials with capped exponential backoff on the injected clock), sends the handshake, and
// coalesces everything queued within one event-loop turn into one frame and one socket
// write. send() never waits: a slow, paused or absent peer costs only counted drops.
import { connect, type Socket } from 'node:net';
import type { Cancel, Clock } from '../clock.js';
import type { Codec } from './codec.js';
import { COPY_FRAME_BELOW, encodeFrame, FRAME_HEADER_BYTES, frameParts } from './frame.js';

/**
 * DOWN_QUEUE_LIMIT bounds what is held for a peer while the link is down or stalled (newest kept).
 * Few: protocols retransmit what still matters, and a resumed peer must read and decode all of
 * it before anything live. At 256, a Paxos rank resumed after a 20 s pause at full rate spent its
 * first ~1.5 s copying and decoding ~16 MB of stale PROPOSEs from each sender (issue 11, hole 3).
 */
export const DOWN_QUEUE_LIMIT = 32;
/**
 * KEPT_LIMIT bounds the messages `keepWhenStalled` marks that a down or stalled peer is held beside
 * its newest DOWN_QUEUE_LIMIT (the oldest kept: a catch-up is applied from its lowest chunk up).
 */
export const KEPT_LIMIT = 32;
/**
 * STALLED_AFTER_MS: a connected peer whose socket has not drained for this long is not reading
 * (SIGSTOPped, wedged): it is treated like a down one. A slow peer drains within milliseconds.
 */
export const STALLED_AFTER_MS = 1000;

export interface PeerAddress {
  host: string;
  port: number;
}

export interface BackoffMs {
  minMs: number;
  maxMs: number;
}

/** LinkCounters are shared with the transport (its stats are their sum). */
export interface LinkCounters {
  dropped: number;
  /**
   * unsendable counts messages that cannot be sent at all: over the frame limit on their own,
   * or failing to encode (also counted in dropped). Every protocol bounds its messages, so any
   * is a bug: the sender would retry the same message forever (issue 11, hole 2).
   */
  unsendable: number;
  framesOut: number;
  bytesOut: number;
  connects: number;
}

export type LinkEvent = { type: 'connected'; peer: number } | { type: 'disconnected'; peer: number };

export interface LinkOptions<M> {
  selfRank: number;
  peerRank: number;
  clock: Clock;
  codec: Codec<M>;
  /** helloFrame is the framed handshake, written first on every connection. */
  helloFrame: Buffer;
  queueLimit: number;
  maxFrameBytes: number;
  /** maxBatchMsgs bounds one frame's message count, so a long queue leaves as a stream of frames. */
  maxBatchMsgs: number;
  /**
   * keepWhenStalled marks messages not to drop as stale while the peer is down or stalled: a Paxos
   * CATCHUP chunk to a rank too busy committing the chunks before it to read for a second. Dropped,
   * it left a gap that made the rank discard every later chunk until a re-ask (issue 11, hole 3).
   */
  keepWhenStalled?: (msg: M) => boolean;
  backoffMs: BackoffMs;
  connectTimeoutMs: number;
  counters: LinkCounters;
  log: (key: string, line: string) => void;
  onEvent: (e: LinkEvent) => void;
}

/** UNREACHABLE_LOG_AFTER_MS is how long failing to dial is normal start-up noise (ranks start unevenly). */
const UNREACHABLE_LOG_AFTER_MS = 2000;
const KEEPALIVE_MS = 5000;

export class PeerLink<M> {
  private queue: M[] = [];
  private address: PeerAddress | undefined;
  private socket: Socket | undefined;
  private connected = false;
  private connectedAtMs = 0;
  /** attempt is the backoff exponent: failed dials since a connection that lasted. */
  private attempt = 0;
  private failures = 0;
  private failingSinceMs = 0;
  private loggedUnreachable = false;
  /** blockedSinceMs: when the socket last asked us to wait for 'drain' (undefined: it is not). */
  private blockedSinceMs: number | undefined;
  private lastError = '';
  private retry: Cancel | undefined;
  private connectTimer: Cancel | undefined;
  private flushHandle: NodeJS.Immediate | undefined;
  private started = false;
  private closing = false;
  private socketClosed: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LinkOptions<M>) {}

  get isConnected(): boolean {
    return this.connected;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** setAddress names (or renames) where the peer listens; a change redials. */
  setAddress(address: PeerAddress | undefined): void {
    const same = address?.host === this.address?.host && address?.port === this.address?.port;
    this.address = address;
    if (same) return;
    this.socket?.destroy(); // its close handler redials the new address
    if (this.socket === undefined) this.dial();
  }

  start(): void {
    this.started = true;
    this.dial();
  }

  send(msg: M): void {
    if (this.closing) {
      this.opts.counters.dropped++;
      return;
    }
    if (this.isDownOrStalled()) {
      // The peer failed a dial and is down, or has not read for a second: what piled up for it
      // is stale by now (protocols retransmit what still matters), and a peer flooded with
      // seconds of old traffic when it comes back stalls the whole cluster while it decodes it,
      // and its senders while they encode it (a 20 s SIGSTOP at full Paxos rate once queued
      // every PROPOSE of the pause, ~250 MB, in each sender: issue 11, hole 3). Keep only the
      // newest, and what the protocol marks to keep.
      this.queue.push(msg);
      if (this.queue.length > DOWN_QUEUE_LIMIT) this.dropStale();
    } else if (this.queue.length >= this.opts.queueLimit) {
      this.opts.counters.dropped++;
      return;
    } else this.queue.push(msg);
    this.scheduleFlush();
  }

  /**
   * dropStale keeps the newest DOWN_QUEUE_LIMIT messages and the oldest KEPT_LIMIT that
   * keepWhenStalled marks, in their order (a protocol may rely on FIFO: Paxos sends the values
   * withheld during a catch-up right after its last chunk).
   */
  private dropStale(): void {
    const keep = this.opts.keepWhenStalled;
    if (keep === undefined) {
      const stale = this.queue.length - DOWN_QUEUE_LIMIT;
      this.queue.splice(0, stale);
      this.opts.counters.dropped += stale;
      return;
    }
    const marked = this.queue.map((m) => keep(m));
    let others = marked.reduce((n, k) => (k ? n : n + 1), 0);
    let kept = 0;
    const held: M[] = [];
    for (const [i, m] of this.queue.entries()) {
      if (marked[i] === true ? kept++ < KEPT_LIMIT : others-- <= DOWN_QUEUE_LIMIT) held.push(m);
    }
    this.opts.counters.dropped += this.queue.length - held.length;
    this.queue = held;
  }

  private isDownOrStalled(): boolean {
    if (!this.connected) return this.failures > 0;
    return this.blockedSinceMs !== undefined && this.opts.clock.nowMs() - this.blockedSinceMs >= STALLED_AFTER_MS;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.retry?.();
    this.connectTimer?.();
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    this.opts.counters.dropped += this.queue.length;
    this.queue = [];
    this.socket?.destroy();
    await this.socketClosed;
  }

  private dial(): void {
    const address = this.address;
    if (!this.started || this.closing || address === undefined || this.socket !== undefined) return;
    this.retry?.();
    this.retry = undefined;
    const socket = connect({ host: address.host, port: address.port });
    this.socket = socket;
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    // Keepalive finds a peer host that vanished without a reset (else writes just pile up).
    socket.setKeepAlive(true, KEEPALIVE_MS);
    this.connectTimer = this.opts.clock.schedule(this.opts.connectTimeoutMs, () =>
      socket.destroy(new Error(`connect timed out after ${this.opts.connectTimeoutMs} ms`)),
    );
    socket.once('connect', () => this.onConnect(socket));
    socket.on('drain', () => {
      this.blockedSinceMs = undefined;
      this.scheduleFlush();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (this.lastError = e.code ?? e.message));
    socket.once('close', () => this.onClose(socket));
  }

  private onConnect(socket: Socket): void {
    this.connectTimer?.();
    this.connected = true;
    this.connectedAtMs = this.opts.clock.nowMs();
    this.failures = 0;
    this.loggedUnreachable = false;
    this.opts.counters.connects++;
    socket.write(this.opts.helloFrame);
    this.opts.onEvent({ type: 'connected', peer: this.opts.peerRank });
    this.scheduleFlush();
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    this.connectTimer?.();
    const wasConnected = this.connected;
    this.socket = undefined;
    this.connected = false;
    this.blockedSinceMs = undefined;
    if (wasConnected) this.opts.onEvent({ type: 'disconnected', peer: this.opts.peerRank });
    if (this.closing) return;
    // A connection that lasted resets the backoff (the peer restarted); one the peer cut at
    // once (it refused our handshake) keeps backing off instead of redialing in a hot loop.
    const livedMs = this.opts.clock.nowMs() - this.connectedAtMs;
    if (wasConnected && livedMs >= this.opts.backoffMs.maxMs) this.attempt = 0;
    if (!wasConnected) this.noteFailure();
    const delayMs = Math.min(this.opts.backoffMs.maxMs, this.opts.backoffMs.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.retry = this.opts.clock.schedule(delayMs, () => {
      this.retry = undefined;
      this.dial();
    });
  }

  private noteFailure(): void {
    const nowMs = this.opts.clock.nowMs();
    if (this.failures++ === 0) this.failingSinceMs = nowMs;
    if (!this.loggedUnreachable && nowMs - this.failingSinceMs >= UNREACHABLE_LOG_AFTER_MS) {
      this.loggedUnreachable = true;
      const a = this.address;
      this.opts.log(
        `unreachable:${this.opts.peerRank}:${this.opts.counters.connects}`,
        `tcp rank ${this.opts.selfRank}: peer ${this.opts.peerRank} at ${a?.host}:${a?.port} unreachable for ${Math.round(nowMs - this.failingSinceMs)} ms (${this.failures} attempts, last: ${this.lastError}); retrying every ≤${this.opts.backoffMs.maxMs} ms`,
      );
    }
  }

  private scheduleFlush(): void {
    if (this.flushHandle !== undefined || !this.connected || this.queue.length === 0) return;
    this.flushHandle = setImmediate(() => {
      this.flushHandle = undefined;
      this.flush();
    });
  }

  /** flush writes queued messages as frames until the socket asks us to wait for 'drain'. */
  private flush(): void {
    const socket = this.socket;
    if (!this.connected || socket === undefined) return;
    while (this.queue.length > 0 && !socket.writableNeedDrain) {
      const batch = this.queue.length <= this.opts.maxBatchMsgs ? this.queue : this.queue.slice(0, this.opts.maxBatchMsgs);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      this.writeBatch(socket, batch);
    }
    if (socket.writableNeedDrain) this.blockedSinceMs ??= this.opts.clock.nowMs();
  }

  /** encode makes a batch's frame (or payload, for a codec without frames); bytes is the payload's size, 0 if it did not encode. */
  private encode(batch: M[]): { frame?: Buffer; payload?: Uint8Array; bytes: number; problem: string } {
    const { codec, maxFrameBytes } = this.opts;
    try {
      const frame = codec.transient?.frame(batch);
      const payload = frame === undefined ? codec.encode(batch) : undefined;
      const bytes = frame === undefined ? (payload?.length ?? 0) : frame.length - FRAME_HEADER_BYTES;
      const problem = bytes > maxFrameBytes ? `encodes to ${bytes} bytes, over maxFrameBytes ${maxFrameBytes}` : '';
      return { ...(frame !== undefined ? { frame } : { payload }), bytes, problem };
    } catch (e) {
      return { bytes: 0, problem: `does not encode: ${(e as Error).message}` };
    }
  }

  /**
   * writeBatch encodes a batch as one frame. A batch that encodes over the frame limit, or
   * fails to encode, is split in halves until the culprit message stands alone; that one is
   * dropped (a caller bug, but not a reason to lose its neighbours), counted as unsendable and
   * logged at the 1st, 2nd, 4th, 8th … time: a protocol resending it must not go unnoticed,
   * nor flood the log.
   */
  private writeBatch(socket: Socket, batch: M[]): void {
    const { frame, payload, bytes, problem } = this.encode(batch);
    if (problem === '') {
      if (frame !== undefined) {
        socket.write(frame);
        // Written through, the kernel has its copy; still queued, the socket holds the codec's memory.
        if (socket.writableLength > 0) this.opts.codec.transient?.keep(frame);
      } else if (payload !== undefined && payload.length < COPY_FRAME_BELOW) socket.write(encodeFrame(payload));
      else if (payload !== undefined) {
        // corked, the header and the payload leave in one writev
        socket.cork();
        for (const part of frameParts(payload)) socket.write(part);
        socket.uncork();
      }
      this.opts.counters.framesOut++;
      this.opts.counters.bytesOut += FRAME_HEADER_BYTES + bytes;
      return;
    }
    if (batch.length > 1) {
      // Split into pieces that should fit, sized from this encoding, not in halves: halving a
      // batch of big messages re-encoded it at every level (256 MB of PROPOSEs took ~1 GB of
      // encoding, seconds with the event loop blocked).
      const perMsg = bytes === 0 ? undefined : bytes / batch.length;
      const fit = perMsg === undefined ? 0 : Math.floor((0.9 * this.opts.maxFrameBytes) / perMsg);
      const piece = Math.max(1, Math.min(batch.length >> 1, fit > 0 ? fit : batch.length >> 1));
      for (let i = 0; i < batch.length; i += piece) this.writeBatch(socket, batch.slice(i, i + piece));
      return;
    }
    this.opts.counters.dropped++;
    const n = ++this.opts.counters.unsendable;
    if ((n & (n - 1)) !== 0) return;
    this.opts.log(
      `unsendable:${this.opts.peerRank}:${n}`,
      `tcp rank ${this.opts.selfRank}: dropped a message to rank ${this.opts.peerRank} that ${problem} (unsendable message #${n} from this rank; the protocol should never make one)`,
    );
  }
}
