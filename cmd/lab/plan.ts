// plan: the tests of one part of a lab, by name, in the order the child runs them. The grader
// (grade.ts) and its child (child.ts) both read it, so a test the child never reported (it hung
// and was killed, or crashed) is still named, and failed, in the score.
import type { Lab, LabPart, LabSweep } from '../../runtime/lab.js';

export type PlannedTest =
  | { readonly kind: 'unit'; readonly name: string }
  | { readonly kind: 'sweep'; readonly name: string; readonly sweep: LabSweep; readonly seed: number; readonly hidden: boolean }
  | { readonly kind: 'real'; readonly name: string };

/** Seeds: the teacher's hidden seeds (added to every sweep that names no seeds of its own), or one seed to replay. */
export interface Seeds {
  readonly hidden: readonly number[];
  readonly only?: number;
}

export function planPart(lab: Lab, part: LabPart, seeds: Seeds): PlannedTest[] {
  const tests: PlannedTest[] = [];
  if (seeds.only === undefined) for (const name of part.unit) tests.push({ kind: 'unit', name: `unit: ${name}` });
  for (const sweep of part.sweeps) {
    const published = sweep.seeds ?? lab.seeds;
    const hidden = sweep.seeds === undefined ? seeds.hidden.filter((s) => !published.includes(s)) : [];
    const all = [...published.map((seed) => ({ seed, hidden: false })), ...hidden.map((seed) => ({ seed, hidden: true }))];
    for (const { seed, hidden: h } of seeds.only === undefined ? all : [{ seed: seeds.only, hidden: false }])
      tests.push({ kind: 'sweep', name: `sim ${sweep.name}: ${h ? 'hidden seed' : 'seed'} ${seed}`, sweep, seed, hidden: h });
  }
  if (part.real !== undefined && seeds.only === undefined) tests.push({ kind: 'real', name: `real: ${part.real.name}` });
  return tests;
}

/** TestResult: one line the child writes per test (NDJSON on its stdout). */
export interface TestResult {
  readonly name: string;
  readonly pass: boolean;
  readonly message?: string;
  /** replay: the command that replays a failing seed; report: the page to open after it. */
  readonly replay?: string;
  readonly report?: string;
}
