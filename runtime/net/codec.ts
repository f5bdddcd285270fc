// codec: how a batch of messages becomes one frame's payload and back. Pluggable; the
// default is msgpackr (measured in docs/benchmarks.md, section tcp: as fast as JSON for small
// messages, several times faster for binary, and it carries Uint8Array bitmaps natively).
import { Packr, RESERVE_START_SPACE, RESET_BUFFER_MODE } from 'msgpackr';
import { FRAME_HEADER_BYTES } from './frame.js';
import { assert } from '../assert.js';

/**
 * Codec encodes a batch into one payload; decode returns the batch's raw values, which the
 * transport then passes through the caller's validate (decoding is not validation).
 */
export interface Codec<M> {
  /** name travels in the handshake, so two ranks with different codecs refuse each other. */
  readonly name?: string;
  encode(msgs: M[]): Buffer;
  /** transient (optional): whole frames in memory the codec reuses (no allocation per frame). */
  readonly transient?: TransientFrames<M>;
  /** decode throws on bytes that are not one encoded array. */
  decode(buf: Buffer): unknown[];
}

export interface TransientFrames<M> {
  /** frame encodes a batch as a whole frame, header included; the next encode overwrites it unless keep(frame) ran first. */
  frame(msgs: M[]): Buffer;
  /** keep: the last frame is still needed (a socket queued it), so later encodes must not overwrite it. */
  keep(frame: Buffer): void;
}

/** CodecError is what decode throws for bytes that are not a batch. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

function asBatch(value: unknown, codec: string): unknown[] {
  if (!Array.isArray(value)) throw new CodecError(`${codec}: payload is not an array`);
  return value;
}

/** jsonCodec is UTF-8 JSON: readable on the wire, but Uint8Array fields do not survive. */
export function jsonCodec<M>(): Codec<M> {
  return {
    name: 'json',
    encode: (msgs) => Buffer.from(JSON.stringify(msgs), 'utf8'),
    decode: (buf) => {
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch (e) {
        throw new CodecError(`json: ${(e as Error).message}`);
      }
      return asBatch(value, 'json');
    },
  };
}

/**
 * msgpackCodec is plain MessagePack through msgpackr. Records are off: with them msgpackr
 * shares structure definitions between successive payloads, and a payload must decode on
 * its own (reconnects, a restarted peer). Binary decodes as Buffer (a Uint8Array).
 *
 * frame() packs behind 4 reserved header bytes and then rewinds msgpackr's write position
 * (RESET_BUFFER_MODE), so the next encode reuses the same memory. encode() leaves every
 * payload in the buffer msgpackr fills and replaces once full (a new one, 4× the largest
 * payload, every few frames): at full Paxos rate that was ~90 MB of ArrayBuffers per rank in
 * 5 s, freed only by full collections, which external memory then drove every ~300 ms
 * (issue 20). A rewind never touches bytes another packer's earlier call returned: they lie
 * below the position it rewinds to (TRaft keeps record bytes as such views).
 */
export function msgpackCodec<M>(): Codec<M> {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });
  let last: { frame: Buffer; position: number } | undefined;
  return {
    name: 'msgpack',
    encode: (msgs) => packr.pack(msgs),
    transient: {
      frame: (msgs) => {
        const frame = packr.pack(msgs, TRANSIENT_FRAME);
        frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
        last = { frame, position: packr.position };
        return frame;
      },
      keep: (frame) => {
        assert(
          last?.frame === frame && packr.position === last.position,
          'msgpack codec: keep() is for the last frame, before any other encode',
        );
        // Where a plain encode leaves msgpackr: past the frame, so the next one writes after it.
        packr.position = last.position + frame.length;
        last = undefined;
      },
    },
    decode: (buf) => {
      let value: unknown;
      try {
        value = packr.unpack(buf);
      } catch (e) {
        throw new CodecError(`msgpack: ${(e as Error).message}`);
      }
      return asBatch(value, 'msgpack');
    },
  };
}

/** TRANSIENT_FRAME: msgpackr's flags to reserve the frame header's bytes and rewind after the pack. */
const TRANSIENT_FRAME = RESET_BUFFER_MODE | RESERVE_START_SPACE | FRAME_HEADER_BYTES;
