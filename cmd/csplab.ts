#!/usr/bin/env node
// csplab: the command-line entry. Thin: each command lives in its own module under cmd/
// and exports a yargs CommandModule; errors become one line and an exit status (cmd/exit.ts).
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError, EXIT } from './exit.js';
import { registerCommands } from './commands.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  let status: number = EXIT.ok;
  const parser: Argv = yargs(argv);
  parser
    .scriptName('csplab')
    .usage('$0 <command> [options]\n\nA CSP actor runtime for consensus labs: run clusters, break them, grade their logs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .middleware((args) => refuseRepeats(args, parser), true)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own validation errors (YError) are usage errors too; anything else is a bug.
      if (err && err.name !== 'YError') throw err;
      // One line: some yargs messages span several ("Invalid values:\n  Argument: …").
      throw new CliError(EXIT.usage, (msg ?? err?.message ?? 'bad usage').replace(/\s*\n\s*/g, ' '));
    })
    .epilog(
      'Exit status: 0 ok, 1 check failed or rank died, 2 usage, 3 environment, 4 corrupt/foreign data or malformed history, 5 unknown within the time or memory limit (check --lin), 70 internal error, 130 interrupted.',
    );
  try {
    await registerCommands(parser, argv);
    const result = await parser.parseAsync();
    const code = (result as { exitStatus?: number }).exitStatus;
    if (typeof code === 'number') status = code;
  } catch (e) {
    return failed(e);
  }
  return status;
}

/**
 * refuseRepeats: yargs turns a scalar flag given twice (`--log-dir a --log-dir b`) into an array,
 * which the commands would misread (as an unusable directory, say); name the flag instead.
 */
function refuseRepeats(argv: Record<string, unknown>, parser: Argv): void {
  // getOptions() is yargs' own (runtime) view of the declared options, absent from its typings;
  // inside a command's middleware it holds that command's options.
  const arrays = new Set((parser as unknown as { getOptions(): { array: string[] } }).getOptions().array);
  // The first repeat found is named as given (yargs sets `log-dir` before its alias `logDir`).
  const repeated = Object.entries(argv).find(([name, value]) => name !== '_' && Array.isArray(value) && !arrays.has(name));
  if (repeated === undefined) return;
  const [name, value] = repeated as [string, unknown[]];
  throw new CliError(EXIT.usage, `${name.length === 1 ? '-' : '--'}${name} was given ${value.length} times; give it once`);
}

/** failed reports an error as one line on stderr (its stack only with CSPLAB_DEBUG) and returns its exit status. */
function failed(e: unknown): number {
  if (e instanceof CliError) {
    process.stderr.write(`csplab: ${e.message}\n`);
    if (e.status === EXIT.usage) process.stderr.write('Try "csplab --help".\n');
    return e.status;
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  process.stderr.write(`csplab: internal error: ${what}\n`);
  if (process.env.CSPLAB_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  return EXIT.internal;
}

// main maps a command's errors itself; one thrown outside its try (building the parser) is
// reported the same way rather than left to Node's unhandled-rejection stack trace.
main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = failed(e);
  },
);
