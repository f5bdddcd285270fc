// describe: a TRaft message as a trace records it (docs/trace.md): its type, the term of the
// ballot it carries, the positions of the records it carries, and a size estimate (records and
// bitmaps dominate a message; the exact wire size would cost an encode per message).
import type { MessageInfo } from '../../runtime/protocol.js';
import type { Message } from './messages.js';
import type { LogRecord } from './record.js';
import type { TailBitmap } from './tail_bitmap.js';

const RECORD_BYTES = 80;
const HEADER_BYTES = 48;

/** describeTraft: what a trace line says of msg. */
export function describeTraft(msg: Message): MessageInfo {
  switch (msg.type) {
    case 'ElectReq':
      return { type: msg.type, round: msg.candidate.term, size: HEADER_BYTES + words(msg.accepted) };
    case 'ElectReply':
      return withRecords(msg.type, msg.vote.term, msg.records, HEADER_BYTES + words(msg.accepted) + words(msg.committed));
    case 'ForwardReq':
      return withRecords(msg.type, msg.leader.term, msg.records, HEADER_BYTES + words(msg.committed));
    case 'InstallSnapshotReq':
      return { type: msg.type, round: msg.leader.term, size: HEADER_BYTES + 40 * msg.shipment.keys.length };
    case 'ForwardReply':
      return { type: msg.type, round: msg.leader.term, size: HEADER_BYTES + words(msg.accepted) + words(msg.committed) };
  }
}

function withRecords(type: string, round: number, records: readonly LogRecord[], base: number): MessageInfo {
  const first = records[0];
  const last = records[records.length - 1];
  const size = base + RECORD_BYTES * records.length;
  return first !== undefined && last !== undefined ? { type, round, seq: [first.seq, last.seq], size } : { type, round, size };
}

/** words: a bitmap's wire size (its offset and 32-bit words travel as binary, bitmap_codec.ts). */
function words(b: TailBitmap): number {
  return 8 + 4 * b.words.length;
}
