// commands: the registry of csplab subcommands; each is a yargs CommandModule in its own file.
// A command handler reports its exit status by setting argv.exitStatus (see csplab.ts).
import type { Argv } from 'yargs';

/**
 * registerCommands adds the subcommands to parser. One call each, not a loop over an array:
 * each module keeps its own argument type, which an array of them would have to erase to any.
 * A command named first loads only its own module: `csplab check`'s start-up is part of what a
 * grader times (a hundred histories in one call, docs/benchmarks.md), and every rank process of
 * a `csplab run` is a `csplab rank`, so the others' modules (the simulator, the report, kv) would
 * be CPU spent at each boot, which a busy machine turns into seconds before the rank listens.
 * yargs parses a command's flags the same either way; `csplab --help` (no command) lists all.
 */
export async function registerCommands(parser: Argv, argv: readonly string[]): Promise<void> {
  switch (argv[0] ?? '') {
    case '--version': // yargs answers it before any command would run: no command module is needed
      return;
    case 'check':
      parser.command((await import('./check.js')).checkCommand);
      return;
    case 'report':
      parser.command((await import('./report/command.js')).reportCommand);
      return;
    case 'rank':
      parser.command((await import('./rank.js')).rankCommand);
      return;
    case 'run':
      parser.command((await import('./run/command.js')).runCommand);
      return;
    case 'sim':
      parser.command((await import('./sim/command.js')).simCommand);
      return;
    case 'kv':
      parser.command((await import('./kv/command.js')).kvCommand);
      return;
    case 'lab':
    case 'grade': {
      const { labCommand, gradeCommand } = await import('./lab/command.js');
      parser.command(labCommand).command(gradeCommand);
      return;
    }
    default: // no command, or one to recommend a spelling for: all of them
  }
  const [
    { runCommand },
    { rankCommand },
    { simCommand },
    { checkCommand },
    { reportCommand },
    { kvCommand },
    { labCommand, gradeCommand },
  ] = await Promise.all([
    import('./run/command.js'),
    import('./rank.js'),
    import('./sim/command.js'),
    import('./check.js'),
    import('./report/command.js'),
    import('./kv/command.js'),
    import('./lab/command.js'),
  ]);
  parser.command(runCommand).command(rankCommand).command(simCommand).command(checkCommand).command(reportCommand).command(kvCommand);
  parser.command(labCommand).command(gradeCommand);
}
