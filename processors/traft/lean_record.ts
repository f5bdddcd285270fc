// lean_record: the record a leader stores for a proposal, its deps read from its own packed bytes
// (docs/protocols/traft.md §3.2, D8). At -l 10000 a record's deps span the uncommitted window
// (~300 words): as a number[] that is ~2.4 KB per uncommitted record beside the same words in
// the ~1.3 KB packing every peer and the WAL get anyway, most of a leader's live heap. A follower
// already keeps only the bytes it received (bitmap_codec.ts lazyBitmap); this gives the leader's
// own records the same form. The words are decoded when the commit rule first reads them, and
// go with the record once it is folded below the frontier.
import { lazyBitmap, packedRecord, rememberPacked } from './bitmap_codec.js';
import { rangeOf, withRangedOverrides, type LogRecord } from './record.js';

/** Below this many words the array is small next to the record; the record is kept as built. */
const MIN_LEAN_WORDS = 16;

/**
 * leanRecord is `rec` with its deps a view of its packed bytes, or `rec` itself when its deps
 * are short (or not found in the bytes). Same fields and values, same bytes (cached on it): a
 * record built from the view is the record, so R1 and every reader are unaffected.
 */
export function leanRecord(rec: LogRecord): LogRecord {
  const words = rec.deps.words;
  if (words.length < MIN_LEAN_WORDS) return rec;
  const bytes = packedRecord(rec);
  const at = wordsAt(bytes, words);
  if (at < 0) return rec;
  const deps = lazyBitmap(rec.deps.offset, bytes.subarray(at, at + 4 * words.length));
  const { seq, author, kind, cmd, logKey } = rec;
  const fields = cmd === undefined ? { seq, author, kind, deps, logKey } : { seq, author, kind, cmd, deps, logKey };
  const from = rangeOf(rec);
  const lean = from >= 0 ? withRangedOverrides(fields, from) : { ...fields, overrides: rec.overrides };
  rememberPacked(lean, bytes);
  return lean;
}

/** BIN_KEY: msgpack's fixstr "bin", the key of a binary bitmap's words (bitmap_codec.ts BinBitmap). */
const BIN_KEY = [0xa3, 0x62, 0x69, 0x6e];

/**
 * wordsAt is where `words` (little-endian u32s) start in `bytes` as the payload of a msgpack
 * bin under the key "bin", or -1. Every candidate is checked word by word, so a command or KEY
 * that happens to hold the same byte pattern is never taken for the deps.
 */
function wordsAt(bytes: Uint8Array, words: readonly number[]): number {
  const len = 4 * words.length;
  const head =
    len < 0x100
      ? [0xc4, len]
      : len < 0x10000
        ? [0xc5, len >>> 8, len & 0xff]
        : [0xc6, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff];
  const mark = [...BIN_KEY, ...head];
  for (let i = 0; i + mark.length + len <= bytes.length; i++) {
    let j = 0;
    while (j < mark.length && bytes[i + j] === mark[j]) j++;
    if (j === mark.length && holds(bytes, i + j, words)) return i + j;
  }
  return -1;
}

function holds(bytes: Uint8Array, at: number, words: readonly number[]): boolean {
  for (let w = 0; w < words.length; w++) {
    const p = at + 4 * w;
    const v =
      ((bytes[p] as number) | ((bytes[p + 1] as number) << 8) | ((bytes[p + 2] as number) << 16) | ((bytes[p + 3] as number) << 24)) >>> 0;
    if (v !== words[w]) return false;
  }
  return true;
}
