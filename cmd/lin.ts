// lin: `csplab check --lin`, the linearizability checker's CLI (docs/history.md). Every file
// gets its own verdict; the exit status is the worst over them: 4 > 1 > 5 > 0.
import { writeFileSync } from 'node:fs';
import { RealClock } from '../runtime/clock.js';
import { checkLinearizable, HistoryError, readHistory, type LinResult, type ModelName, type Op } from '../check/lin/index.js';
import { formatLinReport, linJson } from '../check/lin/report.js';
import { EXIT, fromSystemError, environmentError, usageError } from './exit.js';

export interface LinArgs {
  readonly files: readonly string[];
  readonly model?: string;
  readonly timeLimit?: string;
  readonly json: boolean;
  readonly html?: string;
  readonly memoryLimit?: string;
}

/** DEFAULT_TIME_LIMIT_S bounds each file's search unless --time-limit says otherwise. */
export const DEFAULT_TIME_LIMIT_S = 60;

/** DEFAULT_MEMORY_LIMIT_MIB bounds each search's memo unless --memory-limit says otherwise (docs/history.md §Memory). */
export const DEFAULT_MEMORY_LIMIT_MIB = 512;

export type FileOutcome = { file: string; result: LinResult; ops?: readonly Op[] } | { file: string; error: string };

/** RANK orders statuses by how bad they are (docs/history.md §Exit): 4 > 1 > 5 > 0. */
const RANK: Record<number, number> = { [EXIT.ok]: 0, [EXIT.unknown]: 1, [EXIT.checkFailed]: 2, [EXIT.corrupt]: 3 };

/** runLin checks each file and returns the exit status; flag and path problems throw CliError. */
export async function runLin(argv: LinArgs, write: (text: string) => void, warn: (text: string) => void): Promise<number> {
  const model = modelFlag(argv.model);
  const limitS = positiveFlag('time-limit', argv.timeLimit, DEFAULT_TIME_LIMIT_S, 86_400, 'seconds');
  const memoryMiB = positiveFlag('memory-limit', argv.memoryLimit, DEFAULT_MEMORY_LIMIT_MIB, 1 << 20, 'MiB');
  if (argv.files.length === 0) throw usageError('--lin needs at least one history file');
  if (argv.html === '') throw usageError('--html needs a file name');
  const clock = new RealClock();
  // Only --html needs a file's ops and result after its report: keeping a hundred files' ops
  // alive otherwise made every young-generation collection copy them again.
  const drawn: FileOutcome[] = [];
  const json: object[] = [];
  let status: number = EXIT.ok;
  for (const file of argv.files) {
    const outcome = await checkFile(file, model, { clock, limitS, memoryMiB }, argv.html !== undefined);
    if (argv.html !== undefined) drawn.push(outcome);
    const s = 'error' in outcome ? EXIT.corrupt : statusOf(outcome.result);
    if ((RANK[s] ?? 0) > (RANK[status] ?? 0)) status = s;
    if ('error' in outcome) warn(`csplab: ${outcome.error}\n`);
    if (argv.json) json.push('error' in outcome ? { file, error: outcome.error } : linJson(file, outcome.result));
    else if (!('error' in outcome)) write(formatLinReport(file, outcome.result));
  }
  if (argv.json) write(`${JSON.stringify({ verdict: verdictOf(status), files: json }, null, 2)}\n`);
  if (argv.html !== undefined) await writeHtml(argv.html, drawn);
  return status;
}

function statusOf(r: LinResult): number {
  return r.verdict === 'linearizable' ? EXIT.ok : r.verdict === 'unknown' ? EXIT.unknown : EXIT.checkFailed;
}

export interface Limits {
  readonly clock: RealClock;
  readonly limitS: number;
  readonly memoryMiB: number;
}

/** checkFile reads and checks one history under limits; keepOps keeps its ops for a drawing (--html, csplab report). */
export async function checkFile(file: string, model: ModelName | undefined, limits: Limits, keepOps: boolean): Promise<FileOutcome> {
  const { clock, limitS } = limits;
  const deadline = clock.nowMs() + limitS * 1000;
  // Naming and shrinking a failing set gets its own budget, as long as the verdict's, once the
  // verdict is known: a long shrink then costs time but never turns a failure into unknown.
  const shrinkBudget = (): (() => boolean) => {
    const end = clock.nowMs() + limitS * 1000;
    return () => clock.nowMs() > end;
  };
  const options = { expired: () => clock.nowMs() > deadline, shrinkBudget, memoBytes: limits.memoryMiB * 2 ** 20 };
  try {
    const history = await readHistory(file, model);
    const result = checkLinearizable(history, model ?? history.model, options);
    // The page draws every op of a key, not only those the verdict names.
    return keepOps ? { file, result, ops: history.ops } : { file, result };
  } catch (e) {
    if (e instanceof HistoryError) return { file, error: `${file}: ${e.message}` };
    const err = e as NodeJS.ErrnoException | undefined;
    if (typeof err?.code !== 'string') throw e;
    throw fromSystemError(e, file) ?? environmentError(`${file}: cannot read (${err.code})`);
  }
}

function verdictOf(status: number): string {
  return status === EXIT.ok
    ? 'linearizable'
    : status === EXIT.unknown
      ? 'unknown'
      : status === EXIT.checkFailed
        ? 'not linearizable'
        : 'malformed';
}

async function writeHtml(path: string, outcomes: readonly FileOutcome[]): Promise<void> {
  const done = outcomes.flatMap((o) => ('error' in o ? [] : [o]));
  // Loaded only for --html: a hundred histories checked in one call should not pay for it.
  const { renderHtml } = await import('../check/lin/html.js');
  try {
    const all = (file: string, key: string): readonly Op[] => done.find((o) => o.file === file)?.ops?.filter((op) => op.key === key) ?? [];
    writeFileSync(path, renderHtml(done, all));
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  }
}

function modelFlag(m: string | undefined): ModelName | undefined {
  if (m === undefined || m === 'register' || m === 'kv') return m;
  throw usageError(`--model must be register or kv, got "${m}"`);
}

/** positiveFlag reads a decimal flag in (0, max], quoting the bad text otherwise. */
function positiveFlag(name: string, t: string | undefined, byDefault: number, max: number, unit: string): number {
  if (t === undefined) return byDefault;
  const n = /^[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : NaN;
  if (!(n > 0 && n <= max)) throw usageError(`--${name} must be ${unit} in (0, ${max}], got "${t}"`);
  return n;
}
