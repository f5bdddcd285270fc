// grade.test: the Paxos lab's proof. The skeleton scores 0 with "not implemented"; the reference
// scores full marks, a hidden seed and the real 5-process run included; planted-bug variants of
// the reference fail exactly the unit tests of the parts declared to catch them (lock-step
// proposing: part 4's throughput sweep); a hung core fails its part at the time limit; bad input
// gets its exit status. Runs the built CLI: `npx tsc -p tsconfig.json` first.
import { existsSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { csplabRoot } from './command.js';
import { csplab, grade, gradeBeside, labKit } from './testkit.js';

const { work, project, failingParts } = await labKit('paxos', (fn) => t.teardown(fn));

// A core that hangs (its test below): blocked, not spinning (the grader cannot tell them apart, and
// a spin would burn a core for the whole limit). Started first, its grade waits out part 1's 30 s
// limit beside the other tests instead of after them.
const hang = '{\n    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n  }';
const hung = gradeBeside(project('hangs', { reference: true, patch: { 'Leader.onGather': hang } }), '--part', '1');

t.test('the skeleton scores 0, each test naming what is not implemented', async (t) => {
  const json = join(work, 'skeleton.json');
  const r = grade(project('skeleton'), '--json', json);
  t.equal(r.status, 1, 'below full marks: exit 1');
  t.match(r.out, /total\s+0\/100/);
  for (const part of [1, 2, 3])
    t.match(r.out, new RegExp(`FAIL part ${part} unit: .*not implemented: (Follower|Leader)\\.\\w+ \\(part \\d\\)`));
  const g = JSON.parse(readFileSync(json, 'utf8')) as { score: number; maxScore: number; parts: { points: number }[] };
  t.same([g.score, g.maxScore, g.parts.map((p) => p.points)], [0, 100, [0, 0, 0, 0]]);
});

// The whole grade of the reference, a real 5-process run included (flock /tmp/csplab-heavy.lock
// when run by hand beside other cluster tests): about a minute and a half on two shared cores.
t.test('the reference scores full marks, hidden seeds included', async (t) => {
  const dir = project('reference', { reference: true });
  const hidden = join(work, 'hidden.json');
  writeFileSync(hidden, '{"seeds": [77]}\n');
  const [json, junit] = [join(work, 'reference.json'), join(work, 'reference.xml')];
  const r = grade(dir, '--hidden', hidden, '--json', json, '--junit', junit);
  t.equal(r.status, 0, r.out);
  t.match(r.out, /total\s+100\/100/);
  const g = JSON.parse(readFileSync(json, 'utf8')) as { score: number; parts: { tests: { name: string; pass: boolean }[] }[] };
  t.equal(g.score, 100);
  const names = g.parts.flatMap((p) => p.tests.map((x) => x.name));
  t.ok(names.includes('sim nemesis: hidden seed 77'), 'the teacher’s hidden seed ran in the nemesis sweep');
  t.ok(names.includes('real: run_and_check, 5 processes'), 'the real cluster ran');
  t.match(readFileSync(junit, 'utf8'), /<testsuite name="part 4: throughput" tests="2" failures="0">/);
  // the planted bugs' baseline: every unit test passes on the reference (as the grader ran them)
  const units = g.parts.flatMap((p) => p.tests.filter((x) => x.name.startsWith('unit: ')));
  t.same([units.length, units.every((x) => x.pass)], [9, true], 'every unit test passes');
});

// Planted bugs: each a reference with one decision replaced, and the parts that must catch it.
const variants: { name: string; parts: number[]; patch: Record<string, string> }[] = [
  {
    name: 'the leader commits without waiting for the sync (DECIDE at the first ACK)',
    parts: [2],
    patch: {
      'Leader.onSyncAck': `{
    if (this.phase !== 'imposing') return;
    this.syncAcks.add(from);
    this.phase = 'proposing';
    this.retryAtMs = Infinity;
    this.broadcast({ type: 'decide', from: this.cfg.rank, round: this.round });
    this.proposeMore();
  }`,
    },
  },
  { name: 'the leader skips the catch-up of a rank that missed the sync', parts: [3], patch: { 'Leader.onLate': '{}' } },
  {
    name: 'a restarted rank votes in rounds it may have voted in before',
    parts: [3],
    patch: { 'Follower.mayNotVote': '{ return false; }' },
  },
];

for (const v of variants)
  t.test(`planted bug: ${v.name}`, async (t) => {
    const dir = project(v.name.replace(/\W+/g, '-'), { reference: true, patch: v.patch });
    t.same(await failingParts(dir), v.parts, `fails exactly part(s) ${v.parts.join(', ')}`);
  });

t.test('planted bug: the leader proposes in lock-step (one instance per round trip) loses part 4 only', async (t) => {
  const dir = project('lock-step', { reference: true, patch: { 'Leader.proposeMore': lockStep() } });
  t.same(await failingParts(dir), [], 'every unit test passes');
  const r = grade(dir, '--part', '4', '--seed', '1');
  t.equal(r.status, 1, r.out);
  t.match(r.out, /FAIL part 4 sim throughput: seed 1: the best rank committed \d+, under the 6000/);
  t.match(r.out, new RegExp(`replay: csplab grade ${dir} --part 4 --seed 1`));
  t.match(r.out, /report: .*grade-log\/part4-seed1\/report\.html/);
  t.ok(existsSync(join(dir, 'grade-log', 'part4-seed1', 'report.html')), 'the replay wrote the report');
});

/** lockStep: the reference's proposeMore with a window of one, whatever --window says. */
function lockStep(): string {
  const text = readFileSync(join(csplabRoot, 'processors', 'paxos', 'leader.ts'), 'utf8');
  const m = /private proposeMore\(\): void (\{[\s\S]*?\n {2}\})/.exec(text);
  if (m?.[1] === undefined) throw new Error('leader.ts has proposeMore');
  const body = m[1].replace('this.commitSeq + 1 + this.cfg.pipelineWindow', 'this.commitSeq + 2');
  if (body === m[1]) throw new Error('proposeMore no longer limits by commitSeq + 1 + pipelineWindow: update the variant');
  return body;
}

t.test('a core that hangs fails the part at its time limit; the grader goes on', async (t) => {
  const r = await hung;
  t.equal(r.status, 1, r.out);
  t.match(r.out, /1 {2}sync\s+1\/3/, 'the test before the hang passed, the two from it on failed');
  t.match(r.out, /FAIL part 1 unit: leader imposes after a quorum and the grace: not run: part 1's time limit \(30 s\) passed/);
  t.match(r.out, /total\s+0\/25/);
});

t.test('bad input', async (t) => {
  const broken = project('broken', { reference: true });
  appendFileSync(join(broken, 'src', 'leader.ts'), '\nexport const oops: number = "not a number";\n');
  const r = grade(broken, '--part', '1');
  t.equal(r.status, 1, 'a core that does not compile: exit 1');
  t.match(r.out, /leader\.ts.*error TS2322/);
  t.match(r.out, /total\s+0\/25/);
  const missing = project('missing', { reference: true });
  rmSync(join(missing, 'src', 'follower.ts'));
  t.match(grade(missing), { status: 2, out: /missing src\/follower\.ts/ });
  const wrong = project('wrong', { reference: true });
  writeFileSync(join(wrong, '.csplab-lab.json'), '{"lab": "raft"}\n');
  t.match(grade(wrong), { status: 2, out: /no lab named "raft"/ });
  t.match(grade(missing, '--part', '9'), { status: 2 });
  t.match(grade(project('range', { reference: true }), '--part', '9'), { status: 2, out: /--part 9: the paxos lab has parts 1\.\.4/ });
  t.match(grade(join(work, 'nowhere')), { status: 2, out: /no such directory/ });
  t.equal(csplab('lab', 'init', 'nolab', join(work, 'x')).status, 2, 'lab init of an unknown lab: exit 2');
  t.match(csplab('lab', 'init', 'paxos', broken), { status: 2, out: /exists and is not empty/ }, 'lab init over a project: exit 2');
  t.match(grade(broken, '--seed', '3'), { status: 2, out: /--seed replays one seed of one part: give --part too/ });
});
