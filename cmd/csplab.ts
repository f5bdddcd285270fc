#!/usr/bin/env node
// csplab: the command-line entry. Thin: each command lives in its own module under cmd/
// and exports a yargs CommandModule; errors become one line and an exit status (cmd/exit.ts).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError, EXIT } from './exit.js';
import { registerCommands } from './commands.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  let status: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('csplab')
    .usage('$0 <command> [options]\n\nA CSP actor runtime for consensus labs: run clusters, break them, grade their logs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own validation errors (YError) are usage errors too; anything else is a bug.
      if (err && err.name !== 'YError') throw err;
      // One line: some yargs messages span several ("Invalid values:\n  Argument: …").
      throw new CliError(EXIT.usage, (msg ?? err?.message ?? 'bad usage').replace(/\s*\n\s*/g, ' '));
    })
    .epilog(
      'Exit status: 0 ok, 1 check failed or rank died, 2 usage, 3 environment, 4 corrupt/foreign data or malformed history, 5 unknown within the time limit (check --lin), 70 internal error, 130 interrupted.',
    );
  registerCommands(parser);
  try {
    const result = await parser.parseAsync();
    const code = (result as { exitStatus?: number }).exitStatus;
    if (typeof code === 'number') status = code;
  } catch (e) {
    return failed(e);
  }
  return status;
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
