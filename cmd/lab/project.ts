// project: a lab's student project made from the reference (`csplab lab init`): the lab's files
// copied with their imports rewritten, the decision functions stubbed (their bodies replaced by
// the contract and a throw), the handout, and the package and TypeScript set-up. Tests make the
// reference itself (no stubs) and planted-bug variants (`patch`) the same way.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { Lab } from '../../runtime/lab.js';
import { usageError } from '../exit.js';
import { LAB_FILE } from './command.js';

export interface ProjectOptions {
  /** reference: leave the decision functions as they are (the grader's own proof). */
  readonly reference?: boolean;
  /** patch: function name (`Class.method`) → a new body, braces included (planted bugs in tests). */
  readonly patch?: Readonly<Record<string, string>>;
}

/** writeProject creates the lab's student project in dir (which must not exist or be empty). */
export function writeProject(lab: Lab, root: string, dir: string, o: ProjectOptions = {}): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw usageError(`${dir}: exists and is not empty`);
  const bodies = new Map<string, string>();
  if (o.reference !== true) for (const s of lab.stubs) bodies.set(`${s.file}:${s.name}`, stubBody(s.name, s.part, s.contract));
  // found: `file:name` of every body replaced (a stub or a patch that names no function is a bug of the lab or test)
  const found = new Set<string>();
  for (const f of lab.files) {
    let text = readFileSync(join(root, f.from), 'utf8');
    for (const [from, to] of Object.entries(lab.rewrite)) text = text.replaceAll(`'${from}'`, `'${to}'`);
    const edits = new Map<string, string>();
    for (const [key, body] of bodies) if (key.startsWith(`${f.to}:`)) edits.set(key.slice(f.to.length + 1), body);
    for (const [name, body] of Object.entries(o.patch ?? {})) edits.set(name, body);
    write(join(dir, f.to), replaceBodies(text, f.to, edits, found));
  }
  for (const key of bodies.keys()) if (!found.has(key)) throw new Error(`lab ${lab.name}: no ${key} to stub`);
  for (const name of Object.keys(o.patch ?? {}))
    if (![...found].some((k) => k.endsWith(`:${name}`))) throw new Error(`lab ${lab.name}: no ${name} to patch`);
  write(join(dir, 'HANDOUT.md'), readFileSync(join(root, lab.handout), 'utf8'));
  write(join(dir, LAB_FILE), `${JSON.stringify({ lab: lab.name }, null, 2)}\n`);
  write(join(dir, 'package.json'), packageJson(lab, root));
  write(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, rootDir: 'src', outDir: 'build' }, include: ['src'] }, null, 2)}\n`,
  );
  write(join(dir, '.gitignore'), 'node_modules/\nbuild/\ngrade-log/\ngrade.json\ngrade.xml\n');
}

/** COMPILER_OPTIONS: csplab's own (tsconfig.json): the grader compiles a student's core with these, whatever its tsconfig says. */
export const COMPILER_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  lib: ['ES2022'],
  types: ['node'],
  strict: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: true,
} as const;

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** packageJson: csplab as a local file: dependency (published: "csplab": "^<version>" from npm). */
function packageJson(lab: Lab, root: string): string {
  const pkg = {
    name: `${lab.name}-lab`,
    private: true,
    type: 'module',
    scripts: { build: 'tsc -p tsconfig.json', grade: 'csplab grade .' },
    devDependencies: { csplab: `file:${root}`, typescript: '5.9.3', '@types/node': '20.19.43' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** stubBody: the body a student fills in: the contract, then a throw naming the function and its part. */
function stubBody(name: string, part: number, contract: string): string {
  const lines = wrap(`Part ${part}: ${contract}`, 96).map((l) => `    // ${l}`);
  return `{\n${lines.join('\n')}\n    throw new Error('not implemented: ${name} (part ${part})');\n  }`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

/** replaceBodies replaces the bodies of the named functions (`Class.method` or `name`) in a source file. */
function replaceBodies(text: string, file: string, edits: ReadonlyMap<string, string>, found: Set<string>): string {
  if (edits.size === 0) return text;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const spans: { start: number; end: number; body: string }[] = [];
  const visit = (node: ts.Node, owner: string | undefined): void => {
    let name: string | undefined;
    if ((ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node)) && ts.isIdentifier(node.name))
      name = `${owner}.${node.name.text}`;
    else if (ts.isFunctionDeclaration(node) && node.name !== undefined) name = node.name.text;
    const body = name !== undefined && ts.isFunctionLike(node) ? (node as ts.FunctionLikeDeclaration).body : undefined;
    const edit = name !== undefined ? edits.get(name) : undefined;
    if (body !== undefined && edit !== undefined) {
      spans.push({ start: body.getStart(source), end: body.getEnd(), body: edit });
      found.add(`${file}:${name}`);
    }
    const inner = ts.isClassDeclaration(node) && node.name !== undefined ? node.name.text : owner;
    ts.forEachChild(node, (c) => visit(c, inner));
  };
  visit(source, undefined);
  let out = text;
  for (const s of spans.sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.body + out.slice(s.end);
  return out;
}
