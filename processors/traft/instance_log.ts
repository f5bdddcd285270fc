// instance_log: the lab's instance-log lines (docs/protocols/traft.md §2.3) and the restart scan
// for loggedUpTo. The driver appends lines; the core only emits InstanceEvents.
import { defined } from '../../runtime/assert.js';
import type { LogLines } from '../../runtime/protocol.js';
import type { InstanceEvent } from './io.js';
import { KeyTable } from './key_table.js';

const COMMIT_LINE = /commit Instance\[([^\]]*)\] in seq (\d+) at (\d+)/;

/** formatInstanceLine renders `generate|commit Instance[KEY] in seq N at T` (T: epoch µs). */
export function formatInstanceLine(e: InstanceEvent, atUs: number): string {
  return `${e.event} Instance[${e.key}] in seq ${e.seq} at ${epochMicros(atUs)}`;
}

// The last T rendered. An epoch time in µs is a double above 2^31, and turning one into text
// takes V8 about ten times as long as a small integer; the lines of one step (a follower's
// append stores and commits a dozen records) all carry the same T.
let lastAtUs = NaN;
let lastAtText = '';

/** epochMicros is ⌊atUs⌋ as text, the same string for the same atUs, rendered once for a run of equal times. */
function epochMicros(atUs: number): string {
  if (atUs !== lastAtUs) {
    lastAtText = decimal(Math.floor(atUs));
    lastAtUs = atUs;
  }
  return lastAtText;
}

const E9 = 1e9;

/**
 * decimal is String(u) for a safe integer u ≥ 0, rendered as its seconds-and-above part and its
 * nine lower digits: two small integers, each of which V8 turns into text far faster than the
 * double (a step's time changes on nearly every step that logs: ~1M renderings in a long run).
 */
export function decimal(u: number): string {
  if (u < E9 || !Number.isSafeInteger(u)) return String(u);
  const hi = Math.floor(u / E9);
  const lo = u - hi * E9;
  return `${hi}${String(lo).padStart(9, '0')}`;
}

/**
 * loggedUpToFrom is the highest commit seq in existing lines (-1 if none), the restart's
 * `loggedUpTo`. A torn last line (no trailing newline) is ignored: the driver ends it first.
 */
export function loggedUpToFrom(lines: readonly string[]): number {
  return keysFromLines(lines).length - 1;
}

/**
 * keysFromLines is the restart's key index as strings: the KEY of each commit line by seq ('' where
 * a position has none: a no-op, or not logged yet), up to the highest commit seq, so its length is
 * loggedUpTo + 1. A restart reads on from an earlier reading with keyTableFromLines.
 */
export function keysFromLines(lines: Iterable<string>): string[] {
  const keys: string[] = [];
  for (const line of lines) {
    const m = commitMatch(line);
    if (m === null) continue;
    while (keys.length <= m.seq) keys.push('');
    keys[m.seq] = m.key;
  }
  return keys;
}

/**
 * keyTableFromLines is keysFromLines as a KeyTable (the same KEYs at the same positions): the
 * reading a restart keeps. Given `after`, a table read from the first `after.lines` lines, it
 * reads on from a copy of it (the bytes copied, not a KEY pushed at a time) and leaves it as it
 * was. Commit lines come in ascending seq (a rank logs each position once, in order, and a
 * restart logs from past its last); a log where a seq comes again is read whole as strings.
 */
export function keyTableFromLines(lines: LogLines, after?: { readonly table: KeyTable; readonly lines: number }): KeyTable {
  const from = after?.lines ?? 0;
  if (from > lines.length) throw new RangeError(`the reading covers ${from} lines but the log has ${lines.length}`);
  const table = after === undefined ? new KeyTable() : after.table.copyOf();
  // the KEYs are copied into the table as bytes: no line read is kept
  for (const line of lines.sliced?.(from) ?? linesFrom(lines, from)) {
    const m = commitMatch(line);
    if (m === null) continue;
    if (m.seq < table.length) return KeyTable.from(keysFromLines(lines));
    while (table.length < m.seq) table.push('');
    table.push(m.key);
  }
  return table;
}

/** linesFrom: lines `from` to the end, one at a time. */
function* linesFrom(lines: LogLines, from: number): IterableIterator<string> {
  for (let i = from; i < lines.length; i++) yield lines.at(i) as string;
}

const PREFIX = 'commit Instance[';
const SEQ = '] in seq ';

/**
 * commitMatch is COMMIT_LINE's KEY and seq, read by hand for a line that starts as this file
 * writes them (a restart scans its whole log, so the regex was a restart's main cost); any other
 * line that holds the prefix goes to the regex itself, so both always agree.
 */
function commitMatch(line: string): { key: string; seq: number } | null {
  if (!line.startsWith(PREFIX)) return line.includes(PREFIX) ? regexMatch(line) : null;
  const close = line.indexOf(']', PREFIX.length);
  if (close < 0 || !line.startsWith(SEQ, close)) return regexMatch(line);
  const seqAt = close + SEQ.length;
  let end = seqAt;
  while (end < line.length && isDigit(line.charCodeAt(end))) end++;
  if (end === seqAt || !line.startsWith(' at ', end) || !isDigit(line.charCodeAt(end + 4))) return regexMatch(line);
  return { key: line.slice(PREFIX.length, close), seq: Number(line.slice(seqAt, end)) };
}

function regexMatch(line: string): { key: string; seq: number } | null {
  const m = COMMIT_LINE.exec(line);
  if (m === null) return null;
  return { key: defined(m[1], 'the KEY group of COMMIT_LINE takes part in every match'), seq: Number(m[2]) };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
