// check: the log checker's library API. checkLogs grades lines held in memory (tests,
// simulations); checkFiles/checkDir stream files. The CLI (cmd/check.ts) is a thin layer on
// these. Standalone by design: the checker reads only logs, never protocol internals.
import { Ledger, type RankLedger } from './ledger.js';
import { DEFAULT_MAX_LINE_BYTES, readLines, type LineSink } from './lines.js';
import { missingNodes, rankFiles, type RankFile } from './discover.js';
import { ruleCommitsGenerated, ruleOneValuePerSeq, ruleRanksAgree } from './rules.js';
import { SCHEMA, type CheckResult, type RankSummary } from './result.js';

export { formatJson, formatReport } from './report.js';
export { CheckInputError } from './discover.js';
export * from './result.js';

/** CheckOptions tune diagnostics, never what passes — except lenient, which only relaxes repeated commits. */
export interface CheckOptions {
  /** lenient: the same value committed twice at a seq is a warning, not a rule-1 failure. */
  readonly lenient?: boolean;
  /** examples: how many findings to show per rank or pair and kind (default 3). */
  readonly examples?: number;
  /** maxLineBytes: longer lines are skipped and counted (default 1 MiB). */
  readonly maxLineBytes?: number;
}

/** RankLines is one rank's log in memory: one line per item (a trailing `\r\n` or `\n` is ignored). */
export interface RankLines {
  /** name stands for the file in diagnostics (`name:line`). */
  readonly name: string;
  /** node is the rank's number; default: its index in the list. */
  readonly node?: number;
  readonly lines: Iterable<string>;
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
  const ledger = new Ledger(s.examples);
  ranks.forEach((r, i) => {
    const sink = ledger.beginRank(r.node ?? i, r.name);
    sink.end(feedLines(r.lines, sink, s.maxLineBytes));
  });
  return verdict(ledger, s, []);
}

/** checkFiles streams each file in order as nodes 0, 1, …; throws Node's error for a missing or unreadable file. */
export async function checkFiles(files: readonly string[], opts?: CheckOptions): Promise<CheckResult> {
  return checkRankFiles(
    files.map((file, node) => ({ node, file })),
    opts,
  );
}

/** checkDir streams a directory's `instancelog<rank>.log` files (ranks 0..ranks-1 if given, else all found). */
export async function checkDir(dir: string, opts?: CheckOptions & { readonly ranks?: number }): Promise<CheckResult> {
  settings(opts);
  const files = await rankFiles(dir, opts?.ranks);
  const missing = opts?.ranks === undefined ? missingNodes(files) : [];
  const notes = missing.length > 0 ? [`no log for node ${missing.join(', ')} in ${dir}; pass --ranks to require every rank`] : [];
  return checkRankFiles(files, opts, notes);
}

/** checkRankFiles streams the given rank logs one after another (memory: one read buffer plus the tables). */
async function checkRankFiles(files: readonly RankFile[], opts?: CheckOptions, notes: string[] = []): Promise<CheckResult> {
  const s = settings(opts);
  const ledger = new Ledger(s.examples);
  for (const { node, file } of files) {
    const sink = ledger.beginRank(node, file);
    sink.end(await readLines(file, sink, s.maxLineBytes));
  }
  return verdict(ledger, s, notes);
}

/** linesOf splits a whole log held in one string into lines for RankLines (LF or CRLF; a final newline ends the last line). */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** feedLines plays in-memory lines into a sink the way readLines plays a file's. */
function feedLines(lines: Iterable<string>, sink: LineSink, maxLineBytes: number): { lines: number; unterminated: boolean } {
  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.endsWith('\n') ? raw.slice(0, raw.endsWith('\r\n') ? -2 : -1) : raw.endsWith('\r') ? raw.slice(0, -1) : raw;
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
    ranks: ledger.ranks.map((r) => summary(r, s.maxLineBytes)),
    rules,
    notes,
    options: s,
  };
}

function summary(r: RankLedger, maxLineBytes: number): RankSummary {
  const notes: string[] = [];
  const bad = r.malformed;
  if (bad.count > 0) {
    notes.push(`${r.file}: skipped ${bad.count} malformed instance ${bad.count === 1 ? 'line' : 'lines'}`);
    for (const m of bad.items()) notes.push(`${r.file}:${m.line}: ${m.reason}`);
  }
  if (r.unmatched > 0)
    notes.push(
      `${r.file}: skipped ${r.unmatched === 1 ? '1 line that is not an instance line' : `${r.unmatched} lines that are not instance lines`}`,
    );
  if (r.overlong > 0)
    notes.push(`${r.file}: skipped ${r.overlong} ${r.overlong === 1 ? 'line' : 'lines'} longer than ${maxLineBytes} bytes`);
  if (r.unterminated) notes.push(`${r.file}: the last line has no newline (was the run cut off mid-write?)`);
  return {
    node: r.node,
    file: r.file,
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
