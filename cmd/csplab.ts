#!/usr/bin/env node
// csplab: the command-line entry; the command line itself is main.ts's.
import { hideBin } from 'yargs/helpers';
import { failed } from './exit.js';
import { main } from './main.js';

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
