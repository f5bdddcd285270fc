// frame: length-prefixed framing on a byte stream. A frame is a 4-byte big-endian payload
// length and the payload. The decoder enforces a maximum before buffering anything, so a
// peer cannot make us hold more than one maximum-size frame.
import { assert, defined } from '../assert.js';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 2 ** 20;
/** MAX_FRAME_BYTES_LIMIT is what the 4-byte header can express (and sanity allows): 1 GiB. */
const MAX_FRAME_BYTES_LIMIT = 2 ** 30;

/** FrameError is a framing violation; the connection that caused it must be closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** checkMaxFrameBytes validates a configured maximum once, at construction. */
export function checkMaxFrameBytes(maxFrameBytes: number): number {
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 16 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(`maxFrameBytes must be an integer in 16…${MAX_FRAME_BYTES_LIMIT}, got ${maxFrameBytes}`);
  }
  return maxFrameBytes;
}

/** encodeFrame prefixes payload with its length (one allocation, one socket write). */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * COPY_FRAME_BELOW: a payload this small is copied behind its header (one buffer, one write); a
 * larger one goes out beside a separate header (frameParts). Copying a TRaft append of 256
 * records (~100 KB) was 6.5% of a leader's CPU, more than the socket write it saved.
 */
export const COPY_FRAME_BELOW = 16 * 1024;

/** frameParts is a frame as [header, payload], the payload not copied (written corked, both go in one writev). */
export function frameParts(payload: Uint8Array): [Buffer, Uint8Array] {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  head.writeUInt32BE(payload.length, 0);
  return [head, payload];
}

/** REUSED_PAYLOAD_MAX: the largest payload a reusing decoder assembles in its own buffer (larger ones get their own). */
export const REUSED_PAYLOAD_MAX = 2 * 2 ** 20;

/** CARRY_MIN_BYTES: a transient reader's first carry, one socket read's worth (libuv reads up to 64 KiB). */
const CARRY_MIN_BYTES = 64 * 1024;

/**
 * FrameDecoder reassembles frames from chunks of any size. push() adds a chunk; next()
 * returns one whole frame or undefined. It is pull-style so the caller can lower or raise
 * maxFrameBytes between frames (a connection's first frame, the handshake, is small).
 *
 * reuse: a payload that spans chunks is assembled in one buffer the decoder keeps, so it is
 * valid only until the next next(); for a consumer that keeps no view of it. A Paxos
 * follower's frames (several PROPOSEs, ~0.5 MB) span 64 KiB reads, and assembling each in a
 * fresh buffer was ~50 MB of ArrayBuffers per rank in 5 s, freed only by full collections (issue 20).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** payloadBytes is the announced length of the frame being read, or -1 before its header. */
  private payloadBytes = -1;
  private assembly: Buffer | undefined;
  /** carry: a transient reader's unread bytes, in a buffer it reuses (pushTransient). */
  private carry: Buffer | undefined;

  constructor(
    public maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
    private readonly reuse = false,
  ) {}

  /** bufferedBytes is how much is held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** next returns the next whole payload; it throws FrameError on an oversized length. */
  next(): Buffer | undefined {
    if (this.payloadBytes < 0) {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined;
      const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new FrameError(`frame of ${length} bytes exceeds the maximum of ${this.maxFrameBytes}`);
      this.payloadBytes = length;
    }
    if (this.buffered < this.payloadBytes) return undefined;
    const payload = this.take(this.payloadBytes);
    this.payloadBytes = -1;
    return payload;
  }

  /** take removes n buffered bytes: a zero-copy view when one chunk holds them all. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = defined(this.chunks[0], 'n ≤ buffered bytes, so a chunk holds them');
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = this.assemble(n);
    let filled = 0;
    while (filled < n) {
      const c = defined(this.chunks[0], 'filled < n ≤ buffered bytes, so a chunk remains');
      const used = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, used);
      filled += used;
      if (used === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(used);
    }
    return out;
  }

  /**
   * pushTransient adds a chunk its caller overwrites after this read (a socket's onread buffer:
   * no ArrayBuffer per read). With nothing held, frames wholly inside it come out as views of it;
   * otherwise it is appended to the carry, where the frame it completes is read. settle() must
   * run once next() returned undefined, before the caller reuses the chunk. Reusing decoders only.
   */
  pushTransient(chunk: Buffer): void {
    assert(this.reuse, 'FrameDecoder: transient chunks need a reusing decoder (payloads valid until the next read)');
    if (chunk.length === 0) return;
    if (this.buffered === 0) {
      this.chunks = [chunk];
      this.buffered = chunk.length;
      return;
    }
    // settle() left the held bytes at the carry's start
    const held = this.buffered;
    const carry = this.room(held + chunk.length, held);
    chunk.copy(carry, held);
    this.buffered += chunk.length;
    this.chunks = [carry.subarray(0, this.buffered)];
  }

  /** settle moves what is left unread (at most one partial frame) to the start of the carry, which it owns. */
  settle(): void {
    const rest = this.chunks[0];
    if (rest === undefined) {
      // Nothing held: a carry grown for one large frame is not kept for the next ones.
      if ((this.carry?.length ?? 0) > REUSED_PAYLOAD_MAX) this.carry = undefined;
      return;
    }
    assert(this.chunks.length === 1 && rest.length === this.buffered, 'FrameDecoder: transient reads hold one chunk');
    const carry = this.carry;
    if (carry !== undefined && rest.buffer === carry.buffer) {
      const from = rest.byteOffset - carry.byteOffset;
      carry.copyWithin(0, from, from + rest.length);
    } else rest.copy(this.room(rest.length, 0), 0);
    this.chunks = [defined(this.carry, 'room() made one').subarray(0, rest.length)];
  }

  /** room returns the carry with at least need bytes, its first keep bytes kept when it grows. */
  private room(need: number, keep: number): Buffer {
    if (this.carry === undefined || this.carry.length < need) {
      const next = Buffer.allocUnsafeSlow(Math.max(need, 2 * (this.carry?.length ?? 0), CARRY_MIN_BYTES));
      this.carry?.copy(next, 0, 0, keep);
      this.carry = next;
    }
    return this.carry;
  }

  /** assemble returns n bytes to copy a payload into: the reused buffer's, when reusing and n is not too large. */
  private assemble(n: number): Buffer {
    if (!this.reuse || n > REUSED_PAYLOAD_MAX) return Buffer.allocUnsafe(n);
    if (this.assembly === undefined || this.assembly.length < n)
      this.assembly = Buffer.allocUnsafeSlow(Math.min(REUSED_PAYLOAD_MAX, Math.max(n, 2 * (this.assembly?.length ?? 0))));
    return this.assembly.subarray(0, n);
  }
}
