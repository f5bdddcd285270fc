// exit: the one exit-status table for every csplab command (also in the README).
// Only cmd/ calls process.exit.

export const EXIT = {
  /** ok: the command did what was asked (a check passed, a run's ranks all ended cleanly). */
  ok: 0,
  /** checkFailed: a rule failed, or a run's rank died / its check failed. */
  checkFailed: 1,
  /** usage: bad or missing flag or path, rank ≥ ranks. */
  usage: 2,
  /** environment: port in use, an address not on this machine or a host that does not resolve, permission denied, unusable directory. */
  environment: 3,
  /** corrupt: corrupt or foreign data (a WAL or log from another cluster, a malformed trace line for `report`). */
  corrupt: 4,
  /** unknown: `check --lin` could not decide within --time-limit or --memory-limit (docs/history.md). */
  unknown: 5,
  /** internal: a bug (a processor crashed). */
  internal: 70,
  /** interrupted: `csplab run` stopped by Ctrl-C / SIGTERM (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** CliError carries one clear line for the user and the exit status that goes with it. */
export class CliError extends Error {
  constructor(
    readonly status: ExitStatus,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.usage, message);
export const environmentError = (message: string): CliError => new CliError(EXIT.environment, message);
export const corruptError = (message: string): CliError => new CliError(EXIT.corrupt, message);

/** environmentStatus maps Node system errors to the table (EACCES → 3, ENOENT → 2, …). */
export function fromSystemError(e: unknown, what: string): CliError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return undefined; // not a system error: nothing to map
  switch (code) {
    case 'ENOENT':
      return usageError(`${what}: no such file or directory`);
    case 'EISDIR':
      return usageError(`${what}: is a directory`);
    case 'ENOTDIR':
      return usageError(`${what}: not a directory`);
    case 'EEXIST':
      // mkdir -p over a file (a log dir that is a file) is the EEXIST our commands meet.
      return usageError(`${what}: exists and is not a directory`);
    case 'EACCES':
    case 'EPERM':
      return environmentError(`${what}: permission denied`);
    case 'EADDRINUSE':
      return environmentError(`${what}: address already in use`);
    case 'EADDRNOTAVAIL':
      return environmentError(`${what}: address not available (not an address of this machine)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return environmentError(`${what}: cannot resolve the host name (${code})`);
    case 'EROFS':
    case 'ENOSPC':
      return environmentError(`${what}: cannot write (${code})`);
    default:
      return undefined;
  }
}

/** failed reports an error as one line on stderr (its stack only with CSPLAB_DEBUG) and returns its exit status. */
export function failed(e: unknown, stderr: (text: string) => void = writeStderr): number {
  if (e instanceof CliError) {
    stderr(`csplab: ${e.message}\n`);
    if (e.status === EXIT.usage) stderr('Try "csplab --help".\n');
    return e.status;
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  stderr(`csplab: internal error: ${what}\n`);
  if (process.env.CSPLAB_DEBUG) stderr(`${(e as Error)?.stack ?? ''}\n`);
  return EXIT.internal;
}

export function writeStderr(text: string): void {
  process.stderr.write(text);
}
