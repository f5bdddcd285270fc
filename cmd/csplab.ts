#!/usr/bin/env node
// csplab: the command-line entry; the command line itself is main.ts's.
import { failed } from './exit.js';
import { VERSION } from './version.js';

/**
 * ownArgs: the arguments after node and the script, as yargs' hideBin reads them, without
 * importing it: yargs' helpers load yargs' parser and ICU data (~12 MiB of RSS).
 */
const ownArgs = (): string[] => process.argv.slice(2);

/**
 * run answers `csplab --version` alone itself: yargs is ~12 MiB of a process's RSS (its layout
 * code touches ICU data), and a bare version query needs none of it (issue 20: start-up memory).
 * Every other command line goes to main, loaded only then.
 */
async function run(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  return (await import('./main.js')).main(argv);
}

// main maps a command's errors itself; one thrown outside its try (building the parser) is
// reported the same way rather than left to Node's unhandled-rejection stack trace.
run(ownArgs()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = failed(e);
  },
);
