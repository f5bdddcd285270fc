// parse: one instance-log line → the instance events it records. Tolerant by design: a grader
// must read whatever a student's run left behind, so nothing here throws; a line that names an
// instance but cannot be read is reported as malformed with a reason, anything else is skipped.

/** EventKind is what a rank did with an instance: recorded a value (generate) or committed it. */
export type EventKind = 'generate' | 'commit';

/** InstanceEvent is one parsed `generate|commit Instance[KEY] in seq N at T` occurrence. */
export interface InstanceEvent {
  readonly kind: EventKind;
  /** key is the instance's value digest, verbatim (any text between `[` and `] in seq `). */
  readonly key: string;
  /** seq is the estround, a safe integer ≥ 0. */
  readonly seq: number;
}

/** Malformed is a line that announces an instance but does not complete the pattern. */
export interface Malformed {
  readonly kind: EventKind;
  readonly reason: string;
  /** truncated: the line is a prefix of a valid one (what a write cut short leaves). */
  readonly truncated: boolean;
}

const MARKER: Record<EventKind, string> = {
  generate: 'generate Instance[',
  commit: 'commit Instance[',
};
const SEQ_INFIX = '] in seq ';
const AT_INFIX = ' at ';
/** TRUNCATED ends the reason of every near-miss a cut-short write can leave. */
const TRUNCATED = '(truncated?)';

/**
 * matchInstance finds the `kind` pattern anywhere in the line, as the reference's
 * `re.search(r"<kind> Instance\[(.*?)\] in seq (\d+) at (\d+)")` does (the reference prefixes
 * lines with a timestamp and source location). The key is the shortest text that lets the
 * rest match. After ` at ` any non-blank text is accepted: ours writes integer microseconds,
 * the Go reference a date. Returns undefined when the line does not mention the marker.
 *
 * Linear in the line: only the first marker needs trying, because a later marker sees a
 * subset of the same `] in seq ` candidates, and each candidate's tail check does not depend
 * on where the key started.
 */
export function matchInstance(line: string, kind: EventKind): InstanceEvent | Malformed | undefined {
  const marker = MARKER[kind];
  const start = line.indexOf(marker);
  if (start < 0) return undefined;
  const keyStart = start + marker.length;
  let firstReason: string | undefined;
  for (let close = line.indexOf(SEQ_INFIX, keyStart); close >= 0; close = line.indexOf(SEQ_INFIX, close + 1)) {
    const tail = readTail(line, close + SEQ_INFIX.length);
    if (typeof tail === 'number') return { kind, key: line.slice(keyStart, close), seq: tail };
    firstReason ??= tail;
  }
  const reason = firstReason ?? `no "${SEQ_INFIX.trim()}" after "${marker}" (truncated?)`;
  return { kind, reason, truncated: reason.endsWith(TRUNCATED) };
}

/** readTail reads `N at T…` from i: the seq, or why the tail does not match. */
function readTail(line: string, i: number): number | string {
  let j = i;
  let seq = 0; // exact while it has at most 15 digits
  for (let c = line.charCodeAt(j); isDigit(c); c = line.charCodeAt(++j)) seq = seq * 10 + (c - 48);
  if (j === i) return j === line.length ? 'line ends before the seq number (truncated?)' : 'no seq number after "in seq"';
  if (!line.startsWith(AT_INFIX, j)) {
    if (j === line.length) return 'line ends after the seq number (truncated?)';
    // A write cut inside " at " leaves a proper prefix of it: a torn line, not a malformed one.
    return AT_INFIX.startsWith(line.slice(j)) ? 'line ends inside " at " (truncated?)' : 'no " at " after the seq number';
  }
  if (!hasText(line, j + AT_INFIX.length)) return 'nothing after "at" (truncated?)';
  if (j - i > 15) {
    const digits = line.slice(i, j);
    seq = Number(digits);
    // Any integer ≥ 2^53 converts to a Number ≥ 2^53, so this one comparison catches them all.
    if (seq > Number.MAX_SAFE_INTEGER) return `seq ${abbreviate(digits)} is beyond 2^53-1`;
  }
  return seq;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** hasText says whether anything but blanks follows position i. */
function hasText(line: string, i: number): boolean {
  for (let k = i; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (c !== 32 && c !== 9) return true;
  }
  return false;
}

/** abbreviate keeps a diagnostic one short line even for a 10,000-digit seq. */
export function abbreviate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…(${text.length} chars)`;
}

/** isBlank says whether a line holds only whitespace (counted apart from other skipped lines). */
export function isBlank(line: string): boolean {
  return line.trim().length === 0;
}
