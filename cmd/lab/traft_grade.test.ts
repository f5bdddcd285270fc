// traft_grade.test: the TRaft lab's proof. The skeleton scores 0 with "not implemented"; the
// reference scores full marks (one whole grade: its sweeps and its one real 5-process run);
// planted-bug variants of the reference fail exactly the unit tests of the parts declared to
// catch them, the failing unit test naming the rule. Runs the built CLI: `npx tsc -p tsconfig.json` first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { csplabRoot } from './command.js';
import { grade, labKit } from './testkit.js';

const { work, project, unitFailures } = await labKit('traft', (fn) => t.teardown(fn));

t.test('the skeleton scores 0, each test naming what is not implemented', async (t) => {
  const json = join(work, 'skeleton.json');
  const r = grade(project('skeleton'), '--json', json);
  t.equal(r.status, 1, 'below full marks: exit 1');
  t.match(r.out, /total\s+0\/100/);
  for (const part of [1, 2, 3]) t.match(r.out, new RegExp(`FAIL part ${part} unit: .*not implemented: \\w+ \\(part \\d\\)`));
  const g = JSON.parse(readFileSync(json, 'utf8')) as { score: number; maxScore: number; parts: { points: number }[] };
  t.same([g.score, g.maxScore, g.parts.map((p) => p.points)], [0, 100, [0, 0, 0, 0]]);
});

// The whole grade of the reference, its one real 5-process run included (flock
// /tmp/csplab-heavy.lock when run by hand beside other cluster tests).
t.test('the reference scores full marks', async (t) => {
  const json = join(work, 'reference.json');
  const r = grade(project('reference', { reference: true }), '--json', json);
  t.equal(r.status, 0, r.out);
  t.match(r.out, /total\s+100\/100/);
  const g = JSON.parse(readFileSync(json, 'utf8')) as { score: number; parts: { tests: { name: string }[] }[] };
  const names = g.parts.flatMap((p) => p.tests.map((x) => x.name));
  t.ok(names.includes('sim nemesis: seed 2'), 'the nemesis sweep ran its published seeds');
  t.ok(names.includes('real: run_and_check, 5 processes'), 'the real cluster ran');
});

// Planted bugs: each a reference with one decision replaced, and the parts that must catch it.
const variants: { name: string; parts: number[]; patch: Record<string, string>; rule?: RegExp }[] = [
  {
    name: 'a voter counts its vote before the WAL write (the grant leaves at once)',
    parts: [1],
    patch: { handleElectReq: grantBeforeWal() },
    rule: /^voter answers a grant only once its vote is durable: WAL before vote \(§8\.2\)/,
  },
  {
    name: 'a follower ignores InstallSnapshot',
    parts: [3],
    patch: { handleInstallSnapshot: '{}' },
  },
  {
    name: 'a voter grants a candidate below its vote (V1 dropped: two leaders of one ballot)',
    parts: [1],
    patch: { refusal: withoutStaleBallot() },
    rule: /^voter refuses a stale ballot: V1/,
  },
];

// The failures are read here, not through `csplab grade`: a unit test's message is what the
// grader prints after `FAIL part <n> unit: ` (the skeleton's test above proves that path), and a
// grade would compile each variant a second time.
for (const v of variants)
  t.test(`planted bug: ${v.name}`, async (t) => {
    const failures = await unitFailures(project(v.name.replace(/\W+/g, '-'), { reference: true, patch: v.patch }));
    t.same([...new Set(failures.map((f) => f.part))], v.parts, `fails exactly part(s) ${v.parts.join(', ')}`);
    const rule = v.rule;
    if (rule !== undefined)
      t.ok(
        failures.some((f) => rule.test(f.failure)),
        `the failing unit test names the rule (${rule.source}): ${failures.map((f) => f.failure).join(' | ')}`,
      );
  });

/** grantBeforeWal: the reference's handleElectReq with its replies sent at once, not after the vote is durable. */
function grantBeforeWal(): string {
  const text = readFileSync(join(csplabRoot, 'processors', 'traft', 'voter.ts'), 'utf8');
  const m = /export function handleElectReq\([^)]*\): void (\{[\s\S]*?\n\})/.exec(text);
  if (m?.[1] === undefined) throw new Error('voter.ts has handleElectReq');
  const body = m[1].replace('fx.afterPersist.push(', 'fx.send.push(');
  if (body === m[1]) throw new Error('handleElectReq no longer parks its replies in fx.afterPersist: update the variant');
  return body;
}

/** withoutStaleBallot: the reference's refusal with V1 (never vote below one's vote) left out. */
function withoutStaleBallot(): string {
  const text = readFileSync(join(csplabRoot, 'processors', 'traft', 'voter.ts'), 'utf8');
  const m = /function refusal\([^)]*\): ElectReplyReason \| null (\{[\s\S]*?\n\})/.exec(text);
  if (m?.[1] === undefined) throw new Error('voter.ts has refusal');
  const body = m[1].replace(/\n.*return 'stale-ballot'.*/, '');
  if (body === m[1]) throw new Error('refusal no longer returns stale-ballot: update the variant');
  return body;
}

t.test('bad input: --part out of range for the traft lab', async (t) => {
  t.match(grade(project('range', { reference: true }), '--part', '5'), { status: 2, out: /--part 5: the traft lab has parts 1\.\.4/ });
});
