// grade: what every way of feeding the checker shares — its options, a line handed to a rank's
// sink as a file's reader would hand it, and the verdict over a finished ledger.
import type { Ledger, RankLedger } from './ledger.js';
import { DEFAULT_MAX_LINE_BYTES, type LineSink } from './lines.js';
import { ruleCommitsGenerated, ruleOneValuePerSeq, ruleRanksAgree } from './rules.js';
import { SCHEMA, type CheckResult, type RankSummary } from './result.js';

/** CheckOptions tune diagnostics, never what passes — except lenient, which only relaxes repeated commits. */
export interface CheckOptions {
  /** lenient: the same value committed twice at a seq is a warning, not a rule-1 failure. */
  readonly lenient?: boolean;
  /** examples: how many findings to show per rank or pair and kind (default 3). */
  readonly examples?: number;
  /** maxLineBytes: a longer line cannot be read, and fails rule 2 (default 1 MiB). */
  readonly maxLineBytes?: number;
}

/** DEFAULT_EXAMPLES is how many findings per group a report shows. */
export const DEFAULT_EXAMPLES = 3;

/** Settings are CheckOptions with every default filled in. */
export interface Settings {
  readonly lenient: boolean;
  readonly examples: number;
  readonly maxLineBytes: number;
}

/** settings validates opts and fills in the defaults; a bad value throws a RangeError. */
export function settings(opts: CheckOptions = {}): Settings {
  const s = {
    lenient: opts.lenient ?? false,
    examples: opts.examples ?? DEFAULT_EXAMPLES,
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  };
  if (!Number.isSafeInteger(s.examples) || s.examples < 0 || s.examples > 100_000)
    throw new RangeError(`examples must be an integer in 0..100000, got ${s.examples}`);
  if (!Number.isSafeInteger(s.maxLineBytes) || s.maxLineBytes < 1 || s.maxLineBytes > 2 ** 30)
    throw new RangeError(`maxLineBytes must be an integer in 1..2^30, got ${s.maxLineBytes}`);
  return s;
}

const LF = 0x0a;
const CR = 0x0d;

/** feedLine hands line n of a log held in memory to sink the way readLines hands a file's (a trailing `\r\n` or `\n` dropped). */
export function feedLine(raw: string, n: number, sink: LineSink, maxLineBytes: number): void {
  const last = raw.charCodeAt(raw.length - 1); // one test for the usual line, which ends in neither
  const line = last !== LF && last !== CR ? raw : last === LF ? raw.slice(0, raw.endsWith('\r\n') ? -2 : -1) : raw.slice(0, -1);
  if (line.length > maxLineBytes) sink.overlong(n);
  else sink.line(line, n);
}

/** feedLines plays in-memory lines into a sink the way readLines plays a file's. */
export function feedLines(lines: Iterable<string>, sink: LineSink, maxLineBytes: number): { lines: number; unterminated: boolean } {
  let n = 0;
  for (const raw of lines) feedLine(raw, ++n, sink, maxLineBytes);
  return { lines: n, unterminated: false };
}

/** verdict grades a ledger whose every rank has ended. */
export function verdict(ledger: Ledger, s: Settings, notes: string[]): CheckResult {
  const rules = [
    ruleOneValuePerSeq(ledger, s.lenient),
    ruleCommitsGenerated(ledger, s.examples),
    ruleRanksAgree(ledger, s.examples),
  ] as const;
  const validity = rules[0].verdict === 'pass' && rules[1].verdict === 'pass' ? 'pass' : 'fail';
  const safety = rules[2].verdict;
  return {
    schema: SCHEMA,
    verdict: validity === 'pass' && safety === 'pass' ? 'pass' : 'fail',
    validity,
    safety,
    ranks: ledger.ranks.map(summary),
    rules,
    notes,
    options: s,
  };
}

function summary(r: RankLedger): RankSummary {
  const notes: string[] = [];
  // Malformed and overlong lines fail rule 2 and are listed there; only a torn tail is a note.
  if (r.tornTail) notes.push(`${r.file}:${r.tornTail.line}: the last line was cut short mid-write (${r.tornTail.reason}); not counted`);
  if (r.unmatched > 0)
    notes.push(
      `${r.file}: skipped ${r.unmatched === 1 ? '1 line that is not an instance line' : `${r.unmatched} lines that are not instance lines`}`,
    );
  if (r.unterminated) notes.push(`${r.file}: the last line has no newline (was the run cut off mid-write?)`);
  return {
    node: r.node,
    file: r.file,
    missing: r.missing,
    commits: r.commits,
    maxSeq: r.maxSeq < 0 ? null : r.maxSeq,
    generates: r.generates,
    commitLines: r.commitLines,
    lines: r.lines,
    skipped: { blank: r.blank, unmatched: r.unmatched, malformed: r.malformed.count, overlong: r.overlong },
    unterminated: r.unterminated,
    notes,
  };
}
