// sc: `csplab check --sc`, the sequential-consistency check's CLI (docs/history.md §Sequential
// consistency). Every file gets its own verdict; the exit status is the worst: 4 > 1 > 0.
import { HistoryError, readHistory } from '../check/lin/index.js';
import { checkSequential, formatScReport, scJson, type ScResult } from '../check/sc/index.js';
import { EXIT, environmentError, fromSystemError, usageError } from './exit.js';

export interface ScArgs {
  readonly files: readonly string[];
  readonly json: boolean;
}

/** RANK orders statuses by how bad they are: a malformed file over a failing one. */
const RANK: Record<number, number> = { [EXIT.ok]: 0, [EXIT.checkFailed]: 1, [EXIT.corrupt]: 2 };

type Outcome = { file: string; result: ScResult } | { file: string; error: string };

/** runSc checks each file and returns the exit status; path problems throw CliError. */
export async function runSc(argv: ScArgs, write: (text: string) => void, warn: (text: string) => void): Promise<number> {
  if (argv.files.length === 0) throw usageError('--sc needs at least one history file');
  const json: object[] = [];
  let status: number = EXIT.ok;
  for (const file of argv.files) {
    const outcome = await checkScFile(file);
    const s = 'error' in outcome ? EXIT.corrupt : outcome.result.verdict === 'sequentially consistent' ? EXIT.ok : EXIT.checkFailed;
    if ((RANK[s] ?? 0) > (RANK[status] ?? 0)) status = s;
    if ('error' in outcome) warn(`csplab: ${outcome.error}\n`);
    if (argv.json) json.push('error' in outcome ? { file, error: outcome.error } : scJson(file, outcome.result));
    else if (!('error' in outcome)) write(formatScReport(file, outcome.result));
  }
  const verdict =
    status === EXIT.ok ? 'sequentially consistent' : status === EXIT.checkFailed ? 'not sequentially consistent' : 'malformed';
  if (argv.json) write(`${JSON.stringify({ verdict, files: json }, null, 2)}\n`);
  return status;
}

async function checkScFile(file: string): Promise<Outcome> {
  try {
    return { file, result: checkSequential(await readHistory(file, 'kv')) };
  } catch (e) {
    if (e instanceof HistoryError) return { file, error: `${file}: ${e.message}` };
    const err = e as NodeJS.ErrnoException | undefined;
    if (typeof err?.code !== 'string') throw e;
    throw fromSystemError(e, file) ?? environmentError(`${file}: cannot read (${err.code})`);
  }
}
