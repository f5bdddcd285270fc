// command: `csplab lab init <lab> <dir>` (a student project, project.ts) and `csplab grade
// [dir]` (grade.ts). A lab is a protocol's (its registry entry's `lab`); docs/labs/README.md.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Lab } from '../../runtime/lab.js';
import { protocolNamed, protocols } from '../../processors/registry.js';
import { EXIT, usageError } from '../exit.js';

/** LAB_FILE: the project file naming its lab (what `csplab grade` reads first). */
export const LAB_FILE = '.csplab-lab.json';

/** csplabRoot: the csplab checkout or package this file runs from (dist/cmd/lab/ or, under tests, cmd/lab/). */
export const csplabRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'processors'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..', '..');
  }
}

/** labNamed: the lab of that name, or the usage error listing the labs there are. */
export async function labNamed(name: string): Promise<Lab> {
  const lab = await protocolNamed(name)?.lab?.();
  if (lab !== undefined) return lab;
  const names = protocols.filter((p) => p.lab !== undefined).map((p) => p.name);
  throw usageError(`no lab named ${JSON.stringify(name)}; the labs: ${names.join(', ')}`);
}

interface InitArgs {
  lab: string;
  dir: string;
}

export const labCommand: CommandModule<object, InitArgs> = {
  command: 'lab init <lab> <dir>',
  describe: 'create a student project for a lab: the handout, the core with its decisions stubbed, package.json, tsconfig.json',
  builder: (y: Argv) =>
    y
      .positional('lab', { type: 'string', demandOption: true, describe: 'the lab (paxos, traft)' })
      .positional('dir', { type: 'string', demandOption: true, describe: 'the new project’s directory' }),
  handler: async (argv: ArgumentsCamelCase<InitArgs>) => {
    const lab = await labNamed(argv.lab);
    const { writeProject } = await import('./project.js'); // here, not at the top: it loads the TypeScript compiler
    writeProject(lab, csplabRoot, argv.dir);
    process.stdout.write(
      `${argv.dir}: the ${lab.name} lab (${lab.stubs.length} functions to write); read ${argv.dir}/HANDOUT.md, grade with csplab grade ${argv.dir}\n`,
    );
    argv.exitStatus = EXIT.ok;
  },
};

interface GradeArgs {
  dir: string;
  part?: number;
  json?: string;
  junit?: string;
  seed?: number;
  hidden?: string;
}

export const gradeCommand: CommandModule<object, GradeArgs> = {
  command: 'grade [dir]',
  describe: 'grade a lab project: unit tests, seeded simulator sweeps and a real cluster per part; exit 0 only at full marks',
  builder: (y: Argv) =>
    y
      .positional('dir', { type: 'string', default: '.', describe: 'the project (made by csplab lab init)' })
      .option('part', { type: 'number', requiresArg: true, describe: 'grade this part only' })
      .option('json', { type: 'string', requiresArg: true, describe: 'write the grade as JSON: {score, maxScore, parts}' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'write the grade as JUnit XML (course CI)' })
      .option('seed', {
        type: 'number',
        requiresArg: true,
        describe: 'replay this seed of --part’s sweeps: logs and report.html in <dir>/grade-log',
      })
      .option('hidden', {
        type: 'string',
        requiresArg: true,
        describe: 'the teacher’s hidden seeds: a JSON file {"seeds": [..]}',
      }),
  handler: async (argv: ArgumentsCamelCase<GradeArgs>) => {
    const { gradeProject } = await import('./grade.js'); // loads the TypeScript compiler only to compile
    argv.exitStatus = await gradeProject({
      dir: argv.dir,
      root: csplabRoot,
      ...(argv.part !== undefined ? { part: argv.part } : {}),
      ...(argv.json !== undefined ? { json: argv.json } : {}),
      ...(argv.junit !== undefined ? { junit: argv.junit } : {}),
      ...(argv.seed !== undefined ? { seed: argv.seed } : {}),
      ...(argv.hidden !== undefined ? { hidden: argv.hidden } : {}),
    });
  },
};
