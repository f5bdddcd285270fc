// score: a grade as the table `csplab grade` prints (a part's points only when all its tests
// pass), each failure with its replay command and page, and as JUnit XML for course CI.
import type { LabPart } from '../../runtime/lab.js';
import type { TestResult } from './plan.js';

export interface PartGrade {
  readonly part: LabPart;
  readonly results: readonly TestResult[];
}

export function formatTable(grades: readonly PartGrade[]): string {
  const rows = grades.map((g) => {
    const passed = g.results.filter((r) => r.pass).length;
    const points = passed === g.results.length ? g.part.points : 0;
    return [`${g.part.part}  ${g.part.title}`, `${passed}/${g.results.length}`, `${points}/${g.part.points}`];
  });
  const score = grades.reduce((s, g) => s + (g.results.every((r) => r.pass) ? g.part.points : 0), 0);
  const max = grades.reduce((s, g) => s + g.part.points, 0);
  rows.push(['total', '', `${score}/${max}`]);
  const head = ['part', 'tests passed', 'points'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [line(head), ...rows.map(line)];
  for (const g of grades)
    for (const r of g.results.filter((x) => !x.pass)) {
      lines.push(`FAIL part ${g.part.part} ${r.name}: ${r.message ?? 'failed'}`);
      if (r.replay !== undefined) lines.push(`  replay: ${r.replay}`);
      if (r.report !== undefined) lines.push(`  report: ${r.report}`);
    }
  return `${lines.join('\n')}\n`;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(grades: readonly PartGrade[]): string {
  const suites = grades.map((g) => {
    const failures = g.results.filter((r) => !r.pass).length;
    const cases = g.results.map((r) => {
      const open = `    <testcase classname="part${g.part.part}" name="${xml(r.name)}"`;
      if (r.pass) return `${open}/>`;
      const body = [r.message ?? '', r.replay !== undefined ? `replay: ${r.replay}` : ''].filter((x) => x !== '').join('\n');
      return `${open}>\n      <failure message="${xml(r.message ?? 'failed')}">${xml(body)}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="part ${g.part.part}: ${xml(g.part.title)}" tests="${g.results.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}
