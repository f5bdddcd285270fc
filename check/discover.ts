// discover: which log file belongs to which rank. The file name carries the rank
// (`instancelog<rank>.log`, as the reference and check.py name them).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** RankFile pairs a rank with its log file. */
export interface RankFile {
  readonly node: number;
  readonly file: string;
}

/** CheckInputError is bad input that is not a system error: no logs found, a bad rank count. */
export class CheckInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckInputError';
  }
}

/** logName is rank's file name inside a log directory. */
export function logName(node: number): string {
  return `instancelog${node}.log`;
}

// Canonical numbers only, so instancelog01.log cannot shadow instancelog1.log.
const LOG_NAME = /^instancelog(0|[1-9][0-9]{0,8})\.log$/;

/** MAX_RANKS bounds a rank count, as `--ranks` does (cmd/check.ts). */
export const MAX_RANKS = 1_000_000;

/** MAX_GAP bounds how many ranks below the highest log found may lack one when the rank count is unknown. */
const MAX_GAP = 1000;

/**
 * rankFiles lists a directory's rank logs, ordered by rank: ranks 0..ranks-1 when the count is
 * known, else 0 up to the highest `instancelog<rank>.log` found. A listed file may be absent: the
 * checker fails that rank (rule 2: it wrote no log). Throws Node's error for a missing or
 * unreadable directory, CheckInputError if no log matches and no count is known.
 */
export async function rankFiles(dir: string, ranks?: number): Promise<RankFile[]> {
  const info = await stat(dir);
  if (!info.isDirectory()) throw Object.assign(new Error(`${dir}: not a directory`), { code: 'ENOTDIR', path: dir });
  if (ranks !== undefined) {
    if (!Number.isSafeInteger(ranks) || ranks < 1 || ranks > MAX_RANKS)
      throw new CheckInputError(`ranks must be an integer in 1..${MAX_RANKS}, got ${ranks}`);
    return Array.from({ length: ranks }, (_, node) => ({ node, file: join(dir, logName(node)) }));
  }
  const found = new Set<number>();
  for (const name of await readdir(dir)) {
    const m = LOG_NAME.exec(name);
    if (m) found.add(Number(m[1]));
  }
  if (found.size === 0) throw new CheckInputError(`${dir}: no instancelog<rank>.log files (run the cluster first, or pass --dir)`);
  const top = Math.max(...found);
  // Without run.json or --ranks the highest rank sets the count: a gap below it is a rank that wrote no log.
  if (top + 1 - found.size > MAX_GAP)
    throw new CheckInputError(`${dir}: ${logName(top)} but ${top + 1 - found.size} lower ranks have no log; pass --ranks`);
  return Array.from({ length: top + 1 }, (_, node) => ({ node, file: join(dir, logName(node)) }));
}

/** RUN_RECORD is the file `csplab run` writes into its log dir; its `ranks` is the cluster size. */
export const RUN_RECORD = 'run.json';

/**
 * runRanks reads the rank count from the run's record (`run.json`, written by `csplab run`)
 * in dir: undefined when there is none (ranks started by hand, or logs copied without it).
 * Parsed here rather than imported from cmd/: the checker reads only what a run left behind.
 * Throws CheckInputError for a record without a usable count, Node's error if it cannot be read.
 */
export async function runRanks(dir: string): Promise<number | undefined> {
  const path = join(dir, RUN_RECORD);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    // No record, or dir is no directory (rankFiles then says so about dir itself).
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (e && typeof e === 'object' && !('path' in e)) (e as { path?: string }).path = path;
    throw e;
  }
  let ranks: unknown;
  try {
    ranks = (JSON.parse(text) as { ranks?: unknown } | null)?.ranks;
  } catch {
    throw new CheckInputError(`${path}: not JSON (a damaged run record?); pass --ranks, or remove it`);
  }
  if (typeof ranks !== 'number' || !Number.isSafeInteger(ranks) || ranks < 1 || ranks > MAX_RANKS)
    throw new CheckInputError(
      `${path}: no rank count in 1..${MAX_RANKS} (its "ranks" is ${JSON.stringify(ranks) ?? 'missing'}); pass --ranks`,
    );
  return ranks;
}
