// batch: the client wire's batched frames (docs/net.md "Clients"). A connection whose hello says
// `"batch":true` carries JSON arrays of requests one way and of replies the other: everything one
// side writes to it in an event-loop iteration goes out as one socket write of as few frames as
// the frame limit allows. Per message, a frame of its own cost a Buffer, a frame header, one entry
// of the socket's writev, and at the rank one inbox hand-off and one JSON.parse; the runner and the
// gateway spent a third of their CPU writing frames (docs/benchmarks.md, chain KV).
import type { Writable } from 'node:stream';
import { encodeFrame } from '../net/frame.js';
import { MAX_CLIENT_FRAME_BYTES } from './wire.js';

/** BatchCounts: what batch writers sent: socket writes, frames, messages (shared by a driver's writers). */
export type BatchCounts = { writes: number; frames: number; messages: number };

/** atIterationEnd: the default flush: when the event loop's current iteration ends (after its socket reads). */
const atIterationEnd = (flush: () => void): void => void setImmediate(flush);

/**
 * BatchWriter gathers the messages written to one socket into array frames, written once the
 * event-loop iteration ends, or at a later moment `later` picks (the runner's --batch-ms).
 */
export class BatchWriter {
  private parts: string[] = [];

  constructor(
    private readonly socket: Writable,
    readonly counts: BatchCounts = { writes: 0, frames: 0, messages: 0 },
    private readonly later: (flush: () => void) => void = atIterationEnd,
    private readonly maxFrameBytes = MAX_CLIENT_FRAME_BYTES,
  ) {}

  write(x: unknown): void {
    if (this.parts.length === 0) this.later(() => this.flush());
    this.parts.push(JSON.stringify(x));
  }

  /** flush sends what was written as array frames, each within the frame limit, in one socket write. */
  flush(): void {
    const parts = this.parts;
    if (parts.length === 0) return;
    this.parts = [];
    if ((this.socket as Writable & { destroyed?: boolean }).destroyed === true) return;
    const frames = batchFrames(parts, this.maxFrameBytes);
    this.counts.writes++;
    this.counts.frames += frames.length;
    this.counts.messages += parts.length;
    this.socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  }
}

/**
 * batchFrames packs JSON texts into frames of JSON arrays, each payload at most maxFrameBytes (a
 * text too long for any frame gets one of its own, which the reader refuses as it would alone).
 */
export function batchFrames(parts: readonly string[], maxFrameBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  let chunk: string[] = [];
  let bytes = 2; // the brackets
  for (const p of parts) {
    const n = Buffer.byteLength(p, 'utf8') + 1; // and its comma
    if (chunk.length > 0 && bytes + n > maxFrameBytes) {
      frames.push(encodeFrame(Buffer.from(`[${chunk.join(',')}]`, 'utf8')));
      chunk = [];
      bytes = 2;
    }
    chunk.push(p);
    bytes += n;
  }
  if (chunk.length > 0) frames.push(encodeFrame(Buffer.from(`[${chunk.join(',')}]`, 'utf8')));
  return frames;
}
