// file_format: the framing shared by the protocols' append-only files (TRaft's WAL, the chain
// master's record), so both recover a crash the same way:
//
//   header: magic (8 bytes latin1) | u32 version | u16 n | clusterId (n bytes utf8) | u32 crc32(all before)
//   frame:  u32 length | u32 crc32(payload) | payload
//
// All integers little-endian. What a payload means, and how a file is decoded and judged torn
// or damaged, stays with each protocol.
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';

/** FRAME_HEAD: the length and checksum before each payload. */
export const FRAME_HEAD = 8;

/** encodeFileHeader names the format (magic, version) and the cluster, so a foreign file is refused on open. */
export function encodeFileHeader(magic: string, version: number, clusterId: string): Buffer {
  if (Buffer.byteLength(magic, 'latin1') !== 8) throw new RangeError(`file magic "${magic}" is not 8 bytes`);
  const id = Buffer.from(clusterId, 'utf8');
  if (id.length > 0xffff) throw new RangeError('clusterId longer than 65535 bytes');
  const buf = Buffer.alloc(8 + 4 + 2 + id.length + 4);
  buf.write(magic, 0, 'latin1');
  buf.writeUInt32LE(version, 8);
  buf.writeUInt16LE(id.length, 12);
  id.copy(buf, 14);
  buf.writeUInt32LE(crc32(buf.subarray(0, 14 + id.length)), 14 + id.length);
  return buf;
}

/** encodeFramed puts the length and checksum before a payload: a torn or damaged frame is then told apart on recovery. */
export function encodeFramed(payload: Uint8Array): Buffer {
  const buf = Buffer.alloc(FRAME_HEAD + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeUInt32LE(crc32(payload), 4);
  buf.set(payload, FRAME_HEAD);
  return buf;
}

/**
 * cutTornTail makes a recovered file end at its last good frame before anything is appended:
 * the torn bytes were never fsynced (never acted on), and a frame appended after them would be
 * unreadable. A file torn inside its header is rewritten with a fresh one. The cut is fsynced,
 * so a second crash cannot bring the torn bytes back. Returns the file's size afterwards.
 */
export async function cutTornTail(
  fh: FileHandle,
  recovered: { readonly goodBytes: number; readonly tornBytes: number },
  header: () => Uint8Array,
): Promise<number> {
  let size = recovered.goodBytes;
  if (recovered.tornBytes === 0 && size > 0) return size;
  await fh.truncate(size);
  if (size === 0) {
    const h = header();
    await fh.write(h, 0, h.length, 0);
    size = h.length;
  }
  await fh.sync();
  return size;
}
