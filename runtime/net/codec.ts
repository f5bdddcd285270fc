// codec: how a batch of messages becomes one frame's payload and back. Pluggable; the
// default is msgpackr (measured in docs/benchmarks.md, section tcp: as fast as JSON for small
// messages, several times faster for binary, and it carries Uint8Array bitmaps natively).
import { Packr } from 'msgpackr';

/**
 * Codec encodes a batch into one payload; decode returns the batch's raw values, which the
 * transport then passes through the caller's validate (decoding is not validation).
 */
export interface Codec<M> {
  /** name travels in the handshake, so two ranks with different codecs refuse each other. */
  readonly name?: string;
  encode(msgs: M[]): Buffer;
  /** decode throws on bytes that are not one encoded array. */
  decode(buf: Buffer): unknown[];
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
 */
export function msgpackCodec<M>(): Codec<M> {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true });
  return {
    name: 'msgpack',
    encode: (msgs) => packr.pack(msgs),
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
