// testkit: what the labs' proof tests (grade.test.ts, traft_grade.test.ts) share: projects of one
// lab made in a temporary directory, `csplab grade` through the built CLI, and the parts whose
// unit tests fail on a project's compiled core (in this process: no grader, no time limits).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../runtime/lab.js';
import { protocolNamed } from '../../processors/registry.js';
import { CLI } from '../../scripts/repo.js';
import { compileProject } from './compile.js';
import { csplabRoot } from './command.js';
import { writeProject, type ProjectOptions } from './project.js';

export interface UnitFailure {
  readonly part: number;
  readonly failure: string;
}

export interface LabKit {
  readonly lab: Lab;
  /** work: the temporary directory every project of this kit is made in (removed at teardown). */
  readonly work: string;
  /** project makes the lab's student project work/name: the skeleton, or the reference (patched) as o says. */
  readonly project: (name: string, o?: ProjectOptions) => string;
  /**
   * unitFailures compiles a project's core and runs every part's unit tests on it, here: each
   * failure as `<test>: <message>`, the line the grader prints after `FAIL part <n> unit: `.
   */
  readonly unitFailures: (dir: string) => Promise<UnitFailure[]>;
  /** failingParts: the parts whose unit tests fail on a project's compiled core, in order. */
  readonly failingParts: (dir: string) => Promise<number[]>;
}

/** labKit: the kit of the lab named so; teardown is the test's (t.teardown), to remove the projects. */
export async function labKit(name: string, teardown: (fn: () => void) => void): Promise<LabKit> {
  const lab = await protocolNamed(name)?.lab?.();
  if (lab === undefined) throw new Error(`${name} has a lab`);
  const work = mkdtempSync(join(tmpdir(), `csplab-${name}-lab-test-`));
  teardown(() => rmSync(work, { recursive: true, force: true }));
  const project = (dir: string, o: ProjectOptions = {}): string => {
    writeProject(lab, csplabRoot, join(work, dir), o);
    return join(work, dir);
  };
  const unitFailures = async (dir: string): Promise<UnitFailure[]> => {
    const build = join(dir, 'build');
    const c = compileProject(dir, build, csplabRoot);
    if (c.count > 0) throw new Error(c.errors);
    const failures: UnitFailure[] = [];
    for (const p of lab.parts)
      for (const unit of p.unit)
        await lab.unitTest(unit, build).catch((e: unknown) => {
          failures.push({ part: p.part, failure: `${unit}: ${e instanceof Error ? e.message : String(e)}` });
        });
    return failures;
  };
  const failingParts = async (dir: string): Promise<number[]> =>
    [...new Set((await unitFailures(dir)).map((f) => f.part))].sort((a, b) => a - b);
  return { lab, work, project, unitFailures, failingParts };
}

/** csplab runs the built CLI; its status and its stdout and stderr as one text. */
export function csplab(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** grade runs `csplab grade` with args. */
export const grade = (...args: string[]): { status: number | null; out: string } => csplab('grade', ...args);

/**
 * gradeBeside starts `csplab grade` with args and lets the test go on: a grade that mostly
 * waits (a hung core's time limit) waits beside the tests that follow. Its result once it exits.
 */
export function gradeBeside(...args: string[]): Promise<{ status: number | null; out: string }> {
  const p = spawn(process.execPath, [CLI, 'grade', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let [stdout, stderr] = ['', ''];
  p.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  p.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done) => {
    p.on('error', (e) => done({ status: null, out: e.message }));
    p.on('close', (status) => done({ status, out: stdout + stderr }));
  });
}
