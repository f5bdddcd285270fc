// check: `csplab check`, the grader. A thin layer over check/: pick the files, run the checker,
// print the seed's report (or JSON), and turn the verdict into the exit-status table's 0 or 1.
import { statSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CheckInputError, checkDir, checkFiles, DEFAULT_EXAMPLES, formatJson, formatReport, type CheckResult } from '../check/index.js';
import { EXIT, environmentError, fromSystemError, usageError, type CliError } from './exit.js';
import { runLin } from './lin.js';
import { runSc } from './sc.js';

/** DEFAULT_DIR is where a run writes its logs (and where check.py looked, from scripts/). */
const DEFAULT_DIR = 'log';

/** CheckArgs are the parsed flags (numbers stay text until validated, to quote bad input). */
export interface CheckArgs {
  files?: string[];
  dir?: string;
  ranks?: string;
  json: boolean;
  lenient: boolean;
  examples: string;
  /** lin: the files are client histories to check for linearizability (docs/history.md). */
  lin?: boolean;
  /** sc: the files are client histories with vts/at to check for sequential consistency. */
  sc?: boolean;
  model?: string;
  timeLimit?: string;
  memoryLimit?: string;
  html?: string;
  /** exitStatus is how the handler reports its status to cmd/csplab.ts. */
  exitStatus?: number;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check [files..]',
  describe: 'grade a run: check its instance logs against the three rules, or client histories for linearizability (--lin)',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'log files, read as nodes 0, 1, … in order (instead of --dir)' })
      .option('dir', { alias: 'log-dir', type: 'string', describe: `directory of instancelog<rank>.log files [default: ${DEFAULT_DIR}]` })
      .option('ranks', {
        type: 'string',
        describe: "require ranks 0..N-1; a rank without a log fails (default: run.json's ranks, else up to the highest log found)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print a machine-readable result (docs/check-json.md)' })
      .option('lenient', {
        type: 'boolean',
        default: false,
        describe: 'the same value committed twice at a seq is a warning, not a failure',
      })
      .option('examples', { type: 'string', default: String(DEFAULT_EXAMPLES), describe: 'findings shown per rank or pair and kind' })
      .option('lin', {
        type: 'boolean',
        default: false,
        describe: 'the files are client histories (Jepsen EDN or JSONL): check linearizability',
      })
      .option('sc', {
        type: 'boolean',
        default: false,
        describe: 'the files are client histories with vts and at (JSONL): check sequential consistency',
      })
      .option('model', { type: 'string', describe: 'with --lin: register or kv [default: inferred from the ops]' })
      .option('time-limit', {
        type: 'string',
        describe: 'with --lin: seconds of search per file before the verdict is unknown (exit 5) [default: 60]',
      })
      .option('memory-limit', {
        type: 'string',
        describe: 'with --lin: MiB one search may remember before the verdict is unknown (exit 5) [default: 512]',
      })
      .option('html', { type: 'string', describe: 'with --lin: also write a self-contained HTML view of the histories' })
      .example('$0 check', 'grade log/instancelog*.log')
      .example('$0 check --lin h1.edn h2.jsonl --time-limit 10', 'check two client histories, one verdict each')
      .example('$0 check --sc log/kv/history.jsonl', "check a Vectory history's sequential consistency")
      .example('$0 check --dir run1/log --ranks 5 --json', 'require ranks 0..4, print JSON')
      .example('$0 check log', 'grade the run whose logs are in log/ (as --dir log)')
      .example('$0 check a.log b.log', 'grade two files as nodes 0 and 1'),
  handler: async (argv: ArgumentsCamelCase<CheckArgs>) => {
    argv.exitStatus = await runCheck(argv, (text) => process.stdout.write(text));
  },
};

/** runCheck grades the logs, writes the report, and returns the exit status (0 pass, 1 fail); it throws CliError for bad input. */
export async function runCheck(argv: CheckArgs, write: (text: string) => void): Promise<number> {
  if (argv.sc === true) {
    if (argv.lin === true) throw usageError('give --lin or --sc, not both (run the check twice)');
    if (argv.dir !== undefined || argv.ranks !== undefined || argv.lenient)
      throw usageError('--sc takes history files, not --dir, --ranks or --lenient');
    if ([argv.model, argv.timeLimit, argv.memoryLimit, argv.html].some((f) => f !== undefined))
      throw usageError('--model, --time-limit, --memory-limit and --html go with --lin');
    return runSc({ files: argv.files ?? [], json: argv.json }, write, (text) => process.stderr.write(text));
  }
  if (argv.lin === true) {
    if (argv.dir !== undefined || argv.ranks !== undefined || argv.lenient)
      throw usageError('--lin takes history files, not --dir, --ranks or --lenient');
    const { json, model, timeLimit, memoryLimit, html } = argv;
    const lin = { files: argv.files ?? [], json, model, timeLimit, memoryLimit, html };
    return runLin(lin, write, (text) => process.stderr.write(text));
  }
  if ([argv.model, argv.timeLimit, argv.memoryLimit, argv.html].some((f) => f !== undefined))
    throw usageError('--model, --time-limit, --memory-limit and --html go with --lin');
  const result = await grade(argv);
  write(argv.json ? formatJson(result) : formatReport(result));
  return result.verdict === 'pass' ? EXIT.ok : EXIT.checkFailed;
}

/** grade validates the flags once, then checks; input errors become one line and their status. */
async function grade(argv: CheckArgs): Promise<CheckResult> {
  // `csplab check <log-dir>` reads as `--dir <log-dir>`, as `csplab report <log-dir>` does.
  const asDir = argv.files?.length === 1 && argv.dir === undefined && isDirectory(argv.files[0]);
  const files = asDir ? [] : (argv.files ?? []);
  const dir = asDir ? argv.files?.[0] : argv.dir;
  const ranks = argv.ranks === undefined ? undefined : integerFlag('ranks', argv.ranks, 1, 1_000_000);
  const examples = integerFlag('examples', argv.examples, 0, 100_000);
  if (argv.dir === '') throw usageError('--dir needs a directory');
  if (files.length > 0 && argv.dir !== undefined) throw usageError('give either --dir or log files, not both');
  if (files.length > 0 && ranks !== undefined && ranks !== files.length)
    throw usageError(`--ranks ${ranks} but ${files.length} files given`);
  const opts = { lenient: argv.lenient, examples };
  try {
    return files.length > 0 ? await checkFiles(files, opts) : await checkDir(dir ?? DEFAULT_DIR, { ...opts, ranks });
  } catch (e) {
    throw inputError(e) ?? e;
  }
}

/** isDirectory: path names a directory (anything else, missing included, is read as a file). */
function isDirectory(path: string | undefined): boolean {
  try {
    return path !== undefined && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** integerFlag reads a decimal flag in [min, max], quoting the bad text otherwise. */
function integerFlag(name: string, text: string, min: number, max: number): number {
  const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw usageError(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
  return n;
}

/** inputError maps a failure to read the logs onto the exit table; anything else is a bug. */
export function inputError(e: unknown): CliError | undefined {
  if (e instanceof CheckInputError) return usageError(e.message);
  const err = e as NodeJS.ErrnoException | undefined;
  if (typeof err?.code !== 'string') return undefined;
  const what = err.path ?? 'log';
  return fromSystemError(e, what) ?? environmentError(`${what}: cannot read (${err.code})`);
}
