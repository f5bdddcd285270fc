// commands: the registry of csplab subcommands; each is a yargs CommandModule in its own file.
// A command handler reports its exit status by setting argv.exitStatus (see csplab.ts).
import type { CommandModule } from 'yargs';
import { checkCommand } from './check.js';
import { rankCommand } from './rank.js';
import { runCommand } from './run/command.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [runCommand, rankCommand, checkCommand];
