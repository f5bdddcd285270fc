// check: the log checker's library API. checkLogs grades lines held in memory (tests,
// simulations); checkFiles/checkDir stream files. The CLI (cmd/check.ts) is a thin layer on
// these. Standalone by design: the checker reads only logs, never protocol internals.
import { Ledger } from './ledger.js';
import { join } from 'node:path';
import { readLines } from './lines.js';
import { CheckInputError, rankFiles, runRanks, RUN_RECORD, type RankFile } from './discover.js';
import { feedLines, settings, verdict, type CheckOptions } from './grade.js';
import type { CheckResult } from './result.js';

export { formatJson, formatReport } from './report.js';
export { CheckInputError, logName, MAX_RANKS } from './discover.js';
export * from './result.js';
export { DEFAULT_EXAMPLES, type CheckOptions } from './grade.js';

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
