// grade: `csplab grade [dir]`: compiles the student's core with our TypeScript, runs each part's
// tests in a child process killed at the part's time limit (child.ts), and prints the score
// table, each failure with the command that replays it and the page to open. A part earns its
// points only when all its tests pass. Exit 0 at full marks, 1 below, 2 bad input.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealClock } from '../../runtime/clock.js';
import { shareAutogroup } from '../../runtime/driver/autogroup.js';
import type { Lab, LabPart } from '../../runtime/lab.js';
import { EXIT, usageError } from '../exit.js';
import { planPart, type Seeds, type TestResult } from './plan.js';
import { LAB_FILE, labNamed } from './command.js';
import { formatTable, junitXml, type PartGrade } from './score.js';

export interface GradeOptions {
  readonly dir: string;
  readonly root: string;
  readonly part?: number;
  readonly json?: string;
  readonly junit?: string;
  readonly seed?: number;
  readonly hidden?: string;
}

export async function gradeProject(o: GradeOptions): Promise<number> {
  const dir = resolve(o.dir);
  const lab = await projectLab(dir);
  const parts = pickParts(lab, o);
  const seeds: Seeds = { hidden: o.hidden !== undefined ? hiddenSeeds(o.hidden) : [], ...(o.seed !== undefined ? { only: o.seed } : {}) };
  // Loaded once the input is known good: the compiler is most of the grader's start-up.
  const { compileProject } = await import('./compile.js');
  const build = mkdtempSync(join(tmpdir(), 'csplab-grade-'));
  try {
    const compiled = compileProject(dir, build, o.root);
    let grades: PartGrade[];
    if (compiled.count > 0) {
      process.stdout.write(`${compiled.errors}\nthe core does not compile (${compiled.count} errors): every part scores 0\n`);
      const message = `does not compile: ${compiled.count} TypeScript errors`;
      grades = parts.map((p) => ({ part: p, results: [{ name: 'compiles', pass: false, message }] }));
    } else {
      grades = [];
      for (const p of parts) grades.push({ part: p, results: await runPart(lab, p, { dir, build, seeds }) });
    }
    report(grades, o);
    return grades.every((g) => g.results.every((r) => r.pass)) ? EXIT.ok : EXIT.checkFailed;
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

/** projectLab: the lab a project was made for (its LAB_FILE), every file the lab needs present. */
async function projectLab(dir: string): Promise<Lab> {
  if (!existsSync(dir)) throw usageError(`${dir}: no such directory`);
  const file = join(dir, LAB_FILE);
  if (!existsSync(file)) throw usageError(`${dir}: not a lab project (no ${LAB_FILE}; create one with csplab lab init <lab> <dir>)`);
  let name: unknown;
  try {
    name = (JSON.parse(readFileSync(file, 'utf8')) as { lab?: unknown }).lab;
  } catch (e) {
    throw usageError(`${file}: ${(e as Error).message}`);
  }
  const lab = await labNamed(String(name));
  const missing = lab.files.map((f) => f.to).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0)
    throw usageError(`${dir}: missing ${missing.join(', ')} (the ${lab.name} lab's files; csplab lab init makes them)`);
  return lab;
}

function pickParts(lab: Lab, o: GradeOptions): readonly LabPart[] {
  const n = lab.parts.length;
  if (o.part !== undefined && !lab.parts.some((p) => p.part === o.part))
    throw usageError(`--part ${o.part}: the ${lab.name} lab has parts 1..${n}`);
  if (o.seed !== undefined && o.part === undefined) throw usageError('--seed replays one seed of one part: give --part too');
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0)) throw usageError(`--seed ${o.seed}: a seed is an integer ≥ 0`);
  return o.part === undefined ? lab.parts : lab.parts.filter((p) => p.part === o.part);
}

/** hiddenSeeds reads the teacher's file: {"seeds": [integers]}. */
function hiddenSeeds(path: string): number[] {
  let x: unknown;
  try {
    x = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw usageError(`--hidden ${path}: ${(e as Error).message}`);
  }
  const seeds = (x as { seeds?: unknown } | null)?.seeds;
  if (!Array.isArray(seeds) || !seeds.every((s) => Number.isInteger(s) && (s as number) >= 0))
    throw usageError(`--hidden ${path}: expected {"seeds": [integers ≥ 0]}`);
  return seeds as number[];
}

/** runPart runs one part's tests in a child process and names every planned test's result. */
async function runPart(lab: Lab, part: LabPart, ctx: { dir: string; build: string; seeds: Seeds }): Promise<TestResult[]> {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'csplab.js');
  const job = {
    lab: lab.name,
    part: part.part,
    build: ctx.build,
    dir: ctx.dir,
    logDir: join(ctx.dir, 'grade-log'),
    cli,
    hidden: ctx.seeds.hidden,
  };
  const child = join(dirname(fileURLToPath(import.meta.url)), 'child.js');
  const out = await runChild(
    child,
    JSON.stringify({ ...job, ...(ctx.seeds.only !== undefined ? { only: ctx.seeds.only } : {}) }),
    part.timeLimitSec,
  );
  const got = new Map(out.results.map((r) => [r.name, r]));
  const why = out.timedOut
    ? `not run: part ${part.part}'s time limit (${part.timeLimitSec} s) passed; a hung core?`
    : `not run: the test process exited (${out.status}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return planPart(lab, part, ctx.seeds).map((t) => got.get(t.name) ?? { name: t.name, pass: false, message: why });
}

interface ChildOut {
  results: TestResult[];
  timedOut: boolean;
  status: number | string | null;
  stderr: string;
}

/** runChild runs the child in a process group of its own, killed whole (a real run's ranks too) at the limit. */
function runChild(script: string, arg: string, limitSec: number): Promise<ChildOut> {
  const p = spawn(process.execPath, [script, arg], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // its own session: scheduled with the grader's CPU share, not a fresh autogroup's (runtime/driver/autogroup.ts)
  if (p.pid !== undefined) void shareAutogroup(p.pid);
  const out: ChildOut = { results: [], timedOut: false, status: null, stderr: '' };
  let pending = '';
  p.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('{')) out.results.push(JSON.parse(line) as TestResult);
    }
  });
  p.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr = (out.stderr + chunk).slice(-4000);
  });
  const cancel = new RealClock().schedule(limitSec * 1000, () => {
    out.timedOut = true;
    if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
  });
  return new Promise((done) =>
    p.on('close', (code, signal) => {
      cancel();
      out.status = code ?? signal;
      done(out);
    }),
  );
}

function report(grades: readonly PartGrade[], o: GradeOptions): void {
  process.stdout.write(formatTable(grades));
  const score = grades.reduce((s, g) => s + (g.results.every((r) => r.pass) ? g.part.points : 0), 0);
  const maxScore = grades.reduce((s, g) => s + g.part.points, 0);
  if (o.json !== undefined) {
    const parts = grades.map((g) => ({
      part: g.part.part,
      title: g.part.title,
      points: g.results.every((r) => r.pass) ? g.part.points : 0,
      maxPoints: g.part.points,
      passed: g.results.filter((r) => r.pass).length,
      tests: g.results,
    }));
    writeFileSync(o.json, `${JSON.stringify({ score, maxScore, parts }, null, 2)}\n`);
  }
  if (o.junit !== undefined) writeFileSync(o.junit, junitXml(grades));
}
