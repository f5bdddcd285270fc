// discover: which log file belongs to which rank. The file name carries the rank
// (`instancelog<rank>.log`, as the reference and check.py name them).
import { readdir, stat } from 'node:fs/promises';
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
function logName(node: number): string {
  return `instancelog${node}.log`;
}

// Canonical numbers only, so instancelog01.log cannot shadow instancelog1.log.
const LOG_NAME = /^instancelog(0|[1-9][0-9]{0,8})\.log$/;

/**
 * rankFiles lists a directory's rank logs, ordered by rank: ranks 0..ranks-1 when ranks is
 * given (a missing one is then an error when it is read), else every `instancelog<rank>.log`.
 * Throws Node's error for a missing or unreadable directory, CheckInputError if none match.
 */
export async function rankFiles(dir: string, ranks?: number): Promise<RankFile[]> {
  const info = await stat(dir);
  if (!info.isDirectory()) throw Object.assign(new Error(`${dir}: not a directory`), { code: 'ENOTDIR', path: dir });
  if (ranks !== undefined) {
    if (!Number.isSafeInteger(ranks) || ranks < 1) throw new CheckInputError(`ranks must be a positive integer, got ${ranks}`);
    return Array.from({ length: ranks }, (_, node) => ({ node, file: join(dir, logName(node)) }));
  }
  const found: RankFile[] = [];
  for (const name of await readdir(dir)) {
    const m = LOG_NAME.exec(name);
    if (m) found.push({ node: Number(m[1]), file: join(dir, name) });
  }
  if (found.length === 0) throw new CheckInputError(`${dir}: no instancelog<rank>.log files (run the cluster first, or pass --dir)`);
  return found.sort((a, b) => a.node - b.node);
}

/** missingNodes lists rank numbers absent below the largest one found (e.g. a crashed rank's log). */
export function missingNodes(files: readonly RankFile[]): number[] {
  const present = new Set(files.map((f) => f.node));
  const top = Math.max(-1, ...files.map((f) => f.node));
  const missing: number[] = [];
  for (let n = 0; n < top && missing.length < 100; n++) if (!present.has(n)) missing.push(n);
  return missing;
}
