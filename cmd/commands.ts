// commands: the registry of csplab subcommands; each is a yargs CommandModule in its own file.
// A command handler reports its exit status by setting argv.exitStatus (see csplab.ts).
import type { Argv } from 'yargs';

/**
 * registerCommands adds the subcommands to parser. One call each, not a loop over an array:
 * each module keeps its own argument type, which an array of them would have to erase to any.
 * `csplab check …` loads only the check command: its start-up is part of what a grader times
 * (a hundred histories in one call, docs/benchmarks.md), and run and rank bring the cluster
 * machinery. yargs parses `check`'s flags the same either way; `csplab --help` lists all.
 */
export async function registerCommands(parser: Argv, argv: readonly string[]): Promise<void> {
  const { checkCommand } = await import('./check.js');
  if (argv[0] === 'check') {
    parser.command(checkCommand);
    return;
  }
  if (argv[0] === 'report') {
    const { reportCommand } = await import('./report/command.js');
    parser.command(reportCommand);
    return;
  }
  const [{ runCommand }, { rankCommand }, { simCommand }, { reportCommand }, { kvCommand }, { labCommand, gradeCommand }] =
    await Promise.all([
      import('./run/command.js'),
      import('./rank.js'),
      import('./sim/command.js'),
      import('./report/command.js'),
      import('./kv/command.js'),
      import('./lab/command.js'),
    ]);
  parser.command(runCommand).command(rankCommand).command(simCommand).command(checkCommand).command(reportCommand).command(kvCommand);
  parser.command(labCommand).command(gradeCommand);
}
