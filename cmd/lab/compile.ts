// compile: a student's core compiled with csplab's own TypeScript and options (project.ts's
// COMPILER_OPTIONS), whatever the project's tsconfig says, into a build directory the grader's
// child process loads by path.
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
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
  const program = ts.createProgram(files, options, hostWithPackagesOf(root, options));
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
    // Node resolves a bare import from the importing file's directory up: the build gets csplab's packages.
    if (!existsSync(join(build, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
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

/**
 * hostWithPackagesOf: a compiler host that resolves a package the student's project lacks (it is
 * not npm-installed when graded) as csplab would: the reference's own packages (TRaft's msgpackr)
 * come from csplab's node_modules, as at run time (the build's node_modules link).
 */
function hostWithPackagesOf(root: string, options: ts.CompilerOptions): ts.CompilerHost {
  const host = withDeclarationsShared(ts.createCompilerHost(options));
  const fromRoot = join(root, 'package.json');
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, file) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(file, literal, opts);
      const own = ts.resolveModuleName(literal.text, containingFile, opts, host, undefined, redirected, mode);
      if (own.resolvedModule !== undefined || literal.text.startsWith('.')) return own;
      return ts.resolveModuleName(literal.text, fromRoot, opts, host, undefined, redirected, mode);
    });
  return host;
}

/**
 * declarations: the declaration files under node_modules (TypeScript's lib.*.d.ts, @types/node,
 * the packages') parsed by any compile of this process. A process that compiles several
 * projects (the labs' proof tests: a planted bug per project) parses them once; they are half
 * the cost of a compile, and nothing a student writes changes them.
 */
const declarations = new Map<string, ts.SourceFile>();

function withDeclarationsShared(host: ts.CompilerHost): ts.CompilerHost {
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version, onError, fresh) => {
    if (fresh === true || !fileName.endsWith('.d.ts') || !fileName.includes(`${sep}node_modules${sep}`))
      return parse(fileName, version, onError, fresh);
    const key =
      typeof version === 'object' ? `${fileName}|${version.languageVersion}|${version.impliedNodeFormat}` : `${fileName}|${version}`;
    let file = declarations.get(key);
    if (file === undefined) {
      file = parse(fileName, version, onError, fresh);
      if (file !== undefined) declarations.set(key, file);
    }
    return file;
  };
  return host;
}
