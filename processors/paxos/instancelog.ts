// instancelog: the Paxos lab's lines in the graded file, <log-dir>/instancelog<rank>.log (the
// seed's two formats only), and reading a rank's own commits back on restart.
import type { Entry } from './messages.js';
import type { LogEvent } from './events.js';
import { defined } from '../../runtime/assert.js';

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

const COMMIT_RE = /commit Instance\[([a-z]{32})\] in seq (\d+) at \d+/;

/**
 * recoverCommitted reads a rank's own instance log back (restart): its committed entries in
 * order. The driver hands only complete lines (a torn last line is cut by FileSink).
 */
export function recoverCommitted(lines: readonly string[]): Entry[] {
  const out: Entry[] = [];
  let last = -1;
  for (const line of lines) {
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
