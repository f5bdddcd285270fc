// commands: the registry of csplab subcommands; each is a yargs CommandModule in its own file.
// A command handler reports its exit status by setting argv.exitStatus (see csplab.ts).
import type { Argv } from 'yargs';
import { checkCommand } from './check.js';
import { rankCommand } from './rank.js';
import { runCommand } from './run/command.js';

/**
 * registerCommands adds every subcommand to parser. One call each, not a loop over an array:
 * each module keeps its own argument type, which an array of them would have to erase to any.
 */
export function registerCommands(parser: Argv): void {
  parser.command(runCommand).command(rankCommand).command(checkCommand);
}
