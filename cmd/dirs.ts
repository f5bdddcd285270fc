// dirs: make sure a log directory exists and takes files, before a command relies on it.
// Not mkdirSync(dir, { recursive: true }): on Linux, under /proc or /sys mkdir fails with
// ENOENT though the parent exists, and Node's recursive mkdir then retries the parent and the
// child forever (`--log-dir /proc/x` hung the process, event loop and all).
import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, environmentError, fromSystemError } from './exit.js';

/**
 * usableDir creates dir and its missing parents one level at a time, then creates and removes
 * a probe directory in it: a directory that cannot hold an entry (procfs, a read-only mount)
 * fails here with one line rather than later mid-run. what names the directory in messages
 * (`log dir log`). Throws CliError: 2 for a path that is a file, 3 for a directory that
 * cannot be created or written.
 */
export function usableDir(dir: string, what: string): void {
  try {
    for (const d of missingDirs(resolve(dir))) create(d, what);
    rmdirSync(mkdtempSync(join(dir, '.csplab-probe-')));
  } catch (e) {
    if (e instanceof CliError) throw e;
    // ENOENT here is no missing path (those were just made): the directory takes no entries.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw unusable(what, e);
    throw fromSystemError(e, what) ?? unusable(what, e);
  }
}

/** missingDirs lists abs and its ancestors that do not exist, outermost first; throws for an ancestor that is a file. */
function missingDirs(abs: string): string[] {
  const missing: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw e;
      missing.unshift(p);
      continue;
    }
    if (isDir) return missing;
    // The path itself is a file (EEXIST, as mkdir says), or a file stands where a parent should be.
    throw Object.assign(new Error(`${p}: not a directory`), { code: p === abs ? 'EEXIST' : 'ENOTDIR', path: p });
  }
}

/** create makes one directory whose parent exists; ENOENT then means the parent takes no entries. */
function create(d: string, what: string): void {
  try {
    mkdirSync(d);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(d).isDirectory()) return; // made by someone else meanwhile (another rank)
    if (code === 'ENOENT') throw unusable(what, e);
    throw e;
  }
}

function unusable(what: string, e: unknown): CliError {
  const err = e as NodeJS.ErrnoException;
  return environmentError(`${what}: not a usable directory (${err.syscall ?? 'mkdir'} ${err.path ?? ''}: ${err.code ?? String(e)})`);
}
