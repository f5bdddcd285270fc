// report: a CheckResult as the seed's text report (what teachers and run_and_check.sh read) or as
// JSON. A clean run prints exactly the seed's lines; reasons and notes appear only when needed.
import type { CheckResult, FindingGroup, RuleResult } from './result.js';

const BANNER = {
  begin: '----------begin to check------------',
  validity: '---------- check validity ------------',
  safety: '---------- check safety --------------',
  end: '---------- end -----------------------',
} as const;

/** formatReport renders the seed's report: counts per node, then each section's reasons and verdict. */
export function formatReport(result: CheckResult): string {
  const out: string[] = [BANNER.begin];
  for (const rank of result.ranks) {
    out.push(`node ${rank.node} commits ${rank.commits} times`);
    for (const note of rank.notes) out.push(`note: ${note}`);
  }
  for (const note of result.notes) out.push(`note: ${note}`);
  out.push(BANNER.validity, ...section(result.rules.filter((r) => r.section === 'validity')), verdictLine(result.validity));
  out.push(BANNER.safety, ...section(result.rules.filter((r) => r.section === 'safety')), verdictLine(result.safety));
  out.push(BANNER.end);
  return `${out.join('\n')}\n`;
}

/** formatJson renders the result as documented in docs/check-json.md. */
export function formatJson(result: CheckResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function verdictLine(v: 'pass' | 'fail'): string {
  return v === 'pass' ? 'pass' : 'not pass';
}

function section(rules: readonly RuleResult[]): string[] {
  const out: string[] = [];
  for (const r of rules) for (const g of r.groups) out.push(...group(r.rule, g));
  return out;
}

function group(rule: number, g: FindingGroup): string[] {
  const label = g.severity === 'error' ? `rule ${rule}` : `warning (rule ${rule})`;
  const out = [`${label}: ${g.summary}`];
  for (const f of g.examples) out.push(`  ${f.message}`);
  const rest = g.count - g.examples.length;
  if (g.examples.length > 0 && rest > 0) out.push(`  … and ${rest} more`);
  return out;
}
