// main: the csplab command line as a function: argv in, exit status out, a failure as one line
// on stderr. csplab.ts (the bin) calls it with the process's argv; tests whose subject is a
// flag's message, not the process, call it in-process (cmd/testing/cli.ts: cliInProcess), which
// spares a Node boot and module load per case. Thin: each command lives in its own module under
// cmd/ and exports a yargs CommandModule; errors become one line and an exit status (cmd/exit.ts).
import yargs, { type Argv } from 'yargs';
import { CliError, EXIT, failed, writeStderr } from './exit.js';
import { registerCommands } from './commands.js';
import { VERSION } from './version.js';

/** main parses argv, runs the command it names and returns the exit status; stderr gets a failure's line. */
export async function main(argv: string[], stderr: (text: string) => void = writeStderr): Promise<number> {
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
    return failed(e, stderr);
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
