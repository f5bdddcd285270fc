// check: the log checker's library API. checkLogs grades lines held in memory (tests,
// simulations); checkFiles/checkDir stream files. The CLI (cmd/check.ts) is a thin layer on
// these. Standalone by design: the checker reads only logs, never protocol internals.
import { Ledger, type RankLedger } from './ledger.js';
import { join } from 'node:path';
import { DEFAULT_MAX_LINE_BYTES, readLines, type LineSink } from './lines.js';
import { CheckInputError, rankFiles, runRanks, RUN_RECORD, type RankFile } from './discover.js';
import { ruleCommitsGenerated, ruleOneValuePerSeq, ruleRanksAgree } from './rules.js';
import { SCHEMA, type CheckResult, type RankSummary } from './result.js';

export { formatJson, formatReport } from './report.js';
export { CheckInputError, MAX_RANKS } from './discover.js';
export * from './result.js';

/** CheckOptions tune diagnostics, never what passes — except lenient, which only relaxes repeated commits. */
export interface CheckOptions {
  /** lenient: the same value committed twice at a seq is a warning, not a rule-1 failure. */
  readonly lenient?: boolean;
  /** examples: how many findings to show per rank or pair and kind (default 3). */
  readonly examples?: number;
  /** maxLineBytes: a longer line cannot be read, and fails rule 2 (default 1 MiB). */
  readonly maxLineBytes?: number;
}

/** RankLines is one rank's log in memory: one line per item (a trailing `\r\n` or `\n` is ignored). */
export interface RankLines {
  /** name stands for the file in diagnostics (`name:line`). */
  readonly name: string;
  /** node is the rank's number; default: its index in the list. */
  readonly node?: number;
  readonly lines: Iterable<string>;
  /** unterminated: the last line had no newline (a write cut short), as a file's last line can. */
  readonly unterminated?: boolean;
}

/** DEFAULT_EXAMPLES is how many findings per group a report shows. */
export const DEFAULT_EXAMPLES = 3;

interface Settings {
  readonly lenient: boolean;
  readonly examples: number;
  readonly maxLineBytes: number;
}

function settings(opts: CheckOptions = {}): Settings {
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

/** checkLogs grades in-memory logs: a pure function of the lines. */
export function checkLogs(ranks: readonly RankLines[], opts?: CheckOptions): CheckResult {
  const s = settings(opts);
  const ledger = new Ledger(s.examples, s.maxLineBytes);
  ranks.forEach((r, i) => {
    const sink = ledger.beginRank(r.node ?? i, r.name);
    sink.end({ ...feedLines(r.lines, sink, s.maxLineBytes), unterminated: r.unterminated ?? false });
  });
  return verdict(ledger, s, []);
}

/** checkFiles streams each file in order as nodes 0, 1, …; throws Node's error for a missing or unreadable file. */
export async function checkFiles(files: readonly string[], opts?: CheckOptions): Promise<CheckResult> {
  return checkRankFiles(
    files.map((file, node) => ({ node, file })),
    opts,
    false,
  );
}

/**
 * checkDir streams a directory's `instancelog<rank>.log` files for ranks 0..N-1. N is
 * `ranks` if given, else the `ranks` of the run's `run.json` in dir, else one more than the
 * highest rank found (a missing highest rank then goes unseen). A rank without a log fails
 * rule 2. Throws CheckInputError when `ranks` and run.json disagree.
 */
export async function checkDir(dir: string, opts?: CheckOptions & { readonly ranks?: number }): Promise<CheckResult> {
  settings(opts);
  const recorded = await runRanks(dir);
  const asked = opts?.ranks;
  if (asked !== undefined && recorded !== undefined && asked !== recorded)
    throw new CheckInputError(`--ranks ${asked} but ${join(dir, RUN_RECORD)} records ${recorded} ranks`);
  const files = await rankFiles(dir, asked ?? recorded);
  return checkRankFiles(files, opts, true);
}

/**
 * checkRankFiles streams the given rank logs one after another (memory: one read buffer plus
 * the tables). With missingFails a log that does not exist is a rank that wrote none (rule 2);
 * without it (files the user named) it is Node's ENOENT.
 */
async function checkRankFiles(files: readonly RankFile[], opts: CheckOptions | undefined, missingFails: boolean): Promise<CheckResult> {
  const s = settings(opts);
  const ledger = new Ledger(s.examples, s.maxLineBytes);
  for (const { node, file } of files) {
    const sink = ledger.beginRank(node, file);
    try {
      sink.end(await readLines(file, sink, s.maxLineBytes));
    } catch (e) {
      if (!missingFails || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      sink.missing();
    }
  }
  return verdict(ledger, s, []);
}

/** linesOf splits a whole log held in one string into lines for RankLines (LF or CRLF; a final newline ends the last line). */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

const LF = 0x0a;
const CR = 0x0d;

/** feedLines plays in-memory lines into a sink the way readLines plays a file's. */
function feedLines(lines: Iterable<string>, sink: LineSink, maxLineBytes: number): { lines: number; unterminated: boolean } {
  let n = 0;
  for (const raw of lines) {
    n++;
    const last = raw.charCodeAt(raw.length - 1); // one test for the usual line, which ends in neither
    const line = last !== LF && last !== CR ? raw : last === LF ? raw.slice(0, raw.endsWith('\r\n') ? -2 : -1) : raw.slice(0, -1);
    if (line.length > maxLineBytes) sink.overlong(n);
    else sink.line(line, n);
  }
  return { lines: n, unterminated: false };
}

function verdict(ledger: Ledger, s: Settings, notes: string[]): CheckResult {
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
