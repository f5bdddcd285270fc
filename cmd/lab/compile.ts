// compile: a student's core compiled with csplab's own TypeScript and options (project.ts's
// COMPILER_OPTIONS), whatever the project's tsconfig says, into a build directory the grader's
// child process loads by path.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { COMPILER_OPTIONS } from './project.js';

export interface Compiled {
  /** errors: the TypeScript diagnostics, formatted as tsc prints them (empty: it compiled). */
  readonly errors: string;
  readonly count: number;
}

/** compileProject compiles dir/src/**.ts into build (nothing is written when a file has errors). */
export function compileProject(dir: string, build: string, root: string): Compiled {
  const files = sources(join(dir, 'src'));
  const converted = ts.convertCompilerOptionsFromJson(COMPILER_OPTIONS, dir);
  const options: ts.CompilerOptions = {
    ...converted.options,
    rootDir: join(dir, 'src'),
    outDir: build,
    typeRoots: [join(root, 'node_modules', '@types')],
    noEmitOnError: true,
    incremental: false,
  };
  const program = ts.createProgram(files, options);
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => dir,
    getNewLine: () => '\n',
  };
  if (diagnostics.length === 0) {
    mkdirSync(build, { recursive: true });
    writeFileSync(join(build, 'package.json'), '{ "type": "module" }\n');
  }
  return { errors: ts.formatDiagnostics(diagnostics, host), count: diagnostics.length };
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}
