// log_bytes: TRaft's instance-log lines (docs/protocols/traft.md §2.3) written as bytes straight
// into the rank's turn text (runtime/driver/logtext.ts), the same bytes instance_log.ts's
// formatInstanceLine gives with a newline after each. Every rank logs a commit line per
// position and the leader a generate line too: a string per line, then its latin1 copy into the
// turn's buffer, was young-generation garbage on every rank for bytes known in advance.
import type { LogBytes } from '../../runtime/protocol.js';
import type { InstanceEvent } from './io.js';

const GENERATE_HEAD = codes('generate Instance[');
const COMMIT_HEAD = codes('commit Instance[');
const SEQ = codes('] in seq ');
const AT = codes(' at ');
/** NUMBER_ROOM: the most bytes String(n) takes for a number (25, as in -1.2345678901234567e-300; a safe integer ≥ 0 takes at most 16). */
const NUMBER_ROOM = 25;

function codes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** instanceLinesRoom: bytes enough for writeInstanceLines(events). */
export function instanceLinesRoom(events: readonly InstanceEvent[]): number {
  let n = 0;
  const fixed = GENERATE_HEAD.length + SEQ.length + NUMBER_ROOM + AT.length + NUMBER_ROOM + 1;
  for (const e of events) n += fixed + e.key.length;
  return n;
}

/**
 * writeInstanceLines writes `<event> Instance[KEY] in seq N at T\n` per event into buf at `at`
 * (T: ⌊atUs⌋, one text for the whole step) and returns the offset after them; buf must have
 * instanceLinesRoom(events) bytes free there. KEY chars go one byte each, as a latin1 write of
 * the line would put them (the lab's KEYs are ASCII).
 */
export function writeInstanceLines(events: readonly InstanceEvent[], atUs: number, buf: Buffer, at: number): number {
  // the tail " at T\n" is the same on every line of the step: its bytes once
  const tailEnd = writeNumber(Math.floor(atUs), TAIL, AT.length);
  TAIL[tailEnd] = 10;
  let p = at;
  for (const e of events) {
    const head = e.event === 'commit' ? COMMIT_HEAD : GENERATE_HEAD;
    p = put(head, head.length, buf, p);
    const { key } = e;
    for (let i = 0; i < key.length; i++) buf[p++] = key.charCodeAt(i);
    p = put(SEQ, SEQ.length, buf, p);
    p = writeNumber(e.seq, buf, p);
    p = put(TAIL, tailEnd + 1, buf, p);
  }
  return p;
}

/**
 * writeInstanceLog is the protocol's writeLog: the step's lines as bytes, or, when an event is
 * not one this writer knows (a lab student's core, run with --core, may emit anything), each
 * line as formatInstanceLine's text, so the log says what the core emitted.
 */
export function writeInstanceLog(
  events: readonly InstanceEvent[],
  atUs: number,
  text: LogBytes,
  asText: (e: InstanceEvent) => string,
): void {
  if (events.every(known)) {
    text.fill(instanceLinesRoom(events), (buf, at) => writeInstanceLines(events, atUs, buf, at));
    return;
  }
  for (const e of events) {
    const line = `${asText(e)}\n`;
    text.fill(line.length, (buf, at) => at + buf.write(line, at, 'latin1'));
  }
}

function known(e: InstanceEvent): boolean {
  return (e.event === 'commit' || e.event === 'generate') && typeof e.key === 'string' && typeof e.seq === 'number';
}

/** TAIL: " at " and room for T and the newline, rewritten per step. */
const TAIL = new Uint8Array(AT.length + NUMBER_ROOM + 1);
TAIL.set(AT);

function put(bytes: Uint8Array, n: number, buf: Uint8Array, at: number): number {
  for (let i = 0; i < n; i++) buf[at + i] = bytes[i] as number;
  return at + n;
}

/** writeNumber writes n as String(n) does: digit by digit for a safe integer ≥ 0, else String's chars (ASCII). */
function writeNumber(n: number, buf: Uint8Array, at: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    const text = String(n);
    for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
    return at + text.length;
  }
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  let m = n;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 48 + (m % 10);
    m = Math.floor(m / 10);
  }
  return at + digits;
}
