// instancelog: the Paxos lab's lines in the graded file, <log-dir>/instancelog<rank>.log (the
// seed's two formats only), and reading a rank's own commits back on restart.
import type { Entry } from './messages.js';
import type { LogEvent } from './events.js';
import { defined } from '../../runtime/assert.js';
import type { LogLines, LogReading } from '../../runtime/protocol.js';

/** formatLine renders one event as a `generate|commit Instance[KEY] in seq N at T` line (no newline). */
export function formatLine(ev: LogEvent, atUs: number): string {
  return ev.kind + ' Instance[' + ev.key + '] in seq ' + ev.estround + ' at ' + atUs;
}

/** formatLines renders events as lines, one timestamp for all. */
export function formatLines(events: readonly LogEvent[], atUs: number): string {
  let text = '';
  for (const ev of events) text += formatLine(ev, atUs) + '\n';
  return text;
}

const GENERATE_HEAD = asciiCodes('generate Instance[');
const COMMIT_HEAD = asciiCodes('commit Instance[');
const SEQ = asciiCodes('] in seq ');
const AT = asciiCodes(' at ');
/** NUMBER_ROOM: the most bytes a number takes as text (a safe integer 16, String(n) of any other ≤ 24). */
const NUMBER_ROOM = 24;

function asciiCodes(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * writeLines writes the bytes formatLines makes into buf at `at` and returns the offset after
 * them; buf must have room for linesRoom(events) bytes. No string per line: a caught-up chunk
 * logs two lines per entry, and building and encoding those strings was the largest cost of
 * committing it after the collector (docs/protocols/paxos.md §12).
 */
export function writeLines(events: readonly LogEvent[], atUs: number, buf: Buffer, at: number): number {
  // The time is the same on every line: its text once.
  const tail = asciiCodes(` at ${atUs}\n`);
  let p = at;
  for (const ev of events) {
    const head = ev.kind === 'commit' ? COMMIT_HEAD : GENERATE_HEAD;
    for (const c of head) buf[p++] = c;
    const { key } = ev;
    for (let i = 0; i < key.length; i++) buf[p++] = key.charCodeAt(i);
    for (const c of SEQ) buf[p++] = c;
    p = writeNumber(ev.estround, buf, p);
    for (const c of tail) buf[p++] = c;
  }
  return p;
}

/** linesRoom: bytes enough for writeLines(events). */
export function linesRoom(events: readonly LogEvent[]): number {
  let n = 0;
  for (const ev of events) n += GENERATE_HEAD.length + ev.key.length + SEQ.length + NUMBER_ROOM + AT.length + NUMBER_ROOM + 1;
  return n;
}

/** writeNumber writes n as String(n) does, digit by digit for an integer ≥ 0. */
function writeNumber(n: number, buf: Buffer, at: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return at + buf.write(String(n), at, 'latin1');
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  let m = n;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 48 + (m % 10);
    m = Math.floor(m / 10);
  }
  return at + digits;
}

const COMMIT_RE = /commit Instance\[([a-z]{32})\] in seq (\d+) at \d+/;

/**
 * recoverCommitted reads a rank's own instance log back (restart): its committed entries in
 * order. The driver hands only complete lines (a torn last line is cut by FileSink). With
 * `after`, its reading of the log's first `after.lines` lines (the simulator's ranks restart
 * often on long logs, kept as bytes: a string per line per restart was most of a long run's
 * garbage), only the lines since are read; the result is the same.
 */
export function recoverCommitted(lines: LogLines, after?: LogReading<Entry[]>): Entry[] {
  const out: Entry[] = after === undefined ? [] : after.logged.slice();
  let last = out.length > 0 ? (out[out.length - 1] as Entry)[0] : -1;
  for (let i = after?.lines ?? 0; i < lines.length; i++) {
    const line = lines.at(i) as string;
    const m = COMMIT_RE.exec(line);
    if (m === null) continue;
    const e = Number(m[2]);
    if (e > last) {
      out.push([e, defined(m[1], 'COMMIT_RE captures the key')]);
      last = e;
    }
  }
  return out;
}
