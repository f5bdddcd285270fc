// instance_log.test: the restart scan reads commit lines by hand; it must agree with the
// COMMIT_LINE regex it replaced on any line, well-formed, torn or odd.
import t from 'tap';
import { SeededRandom } from '../../runtime/random.js';
import { LineLog } from '../../runtime/sim/line_log.js';
import { decimal, formatInstanceLine, keyTableFromLines, keysFromLines } from './instance_log.js';

const COMMIT_LINE = /commit Instance\[([^\]]*)\] in seq (\d+) at (\d+)/;

function referenceKeys(lines: readonly string[]): string[] {
  const keys: string[] = [];
  for (const line of lines) {
    const m = COMMIT_LINE.exec(line);
    if (m === null) continue;
    const seq = Number(m[2]);
    while (keys.length <= seq) keys.push('');
    keys[seq] = m[1] ?? '';
  }
  return keys;
}

const ODD = [
  'commit Instance[a]b] in seq 3 at 9',
  'commit Instance[k] in seq  3 at 9',
  'commit Instance[k] in seq 3 at x',
  'commit Instance[k] in seq 3 at ',
  'commit Instance[k] in seq at 5',
  'xx commit Instance[k] in seq 4 at 5',
  'commit Instance[k] in seq x commit Instance[j] in seq 6 at 7',
  'commit Instance[] in seq 2 at 1',
  'generate Instance[k] in seq 8 at 1',
  '',
];

t.test('property: keysFromLines equals the regex scan', async (t) => {
  const seed = 'instance-log-scan';
  const r = new SeededRandom(seed);
  let mismatches = 0;
  for (let i = 0; i < 300; i++) {
    const lines: string[] = [];
    for (let k = r.int(40); k > 0; k--) {
      const event = r.int(3) === 0 ? 'generate' : 'commit';
      const line = formatInstanceLine({ event, key: `n${r.int(5)}-${r.int(100)}`, seq: r.int(60) }, 1.7e15 + r.int(1e6));
      const pick = r.int(10);
      lines.push(pick === 0 ? line.slice(0, r.int(line.length + 1)) : pick === 1 ? (ODD[r.int(ODD.length)] ?? '') : line);
    }
    if (JSON.stringify(keysFromLines(lines)) !== JSON.stringify(referenceKeys(lines))) mismatches++;
  }
  t.equal(mismatches, 0, `replay: npx tap processors/traft/instance_log.test.ts (seed '${seed}')`);
  t.same(keysFromLines(ODD), referenceKeys(ODD), 'the odd lines alone');
  t.same(keysFromLines(['commit Instance[x] in seq 2 at 5']), ['', '', 'x']);
});

t.test('property: keyTableFromLines holds what keysFromLines reads, from scratch and from a prefix reading', async (t) => {
  const seed = 'instance-log-table';
  const r = new SeededRandom(seed);
  let mismatches = 0;
  for (let i = 0; i < 300; i++) {
    const lines: string[] = [];
    // ascending seqs as a rank logs them, and in one log of three a seq that comes again (the strings fallback)
    let seq = 0;
    for (let k = r.int(40); k > 0; k--) {
      seq += r.int(3);
      const event = r.int(3) === 0 ? 'generate' : 'commit';
      const key = r.int(8) === 0 ? `é${r.int(9)}` : `n${r.int(5)}-${r.int(100)}`;
      const line = formatInstanceLine({ event, key, seq: i % 3 === 0 && r.int(6) === 0 ? r.int(seq + 1) : seq }, 1.7e15 + r.int(1e6));
      lines.push(r.int(12) === 0 ? (ODD[r.int(ODD.length)] ?? '') : line);
    }
    const want = JSON.stringify(referenceKeys(lines));
    if (JSON.stringify(keyTableFromLines(lines).slice(0)) !== want) mismatches++;
    const cut = r.int(lines.length + 1);
    const table = keyTableFromLines(lines.slice(0, cut));
    const before = JSON.stringify(table.slice(0));
    if (JSON.stringify(keyTableFromLines(lines, { table, lines: cut }).slice(0)) !== want) mismatches++;
    if (JSON.stringify(table.slice(0)) !== before) mismatches++; // the earlier reading is left as it was
    // the simulator's log, read on as slices of its text
    const log = new LineLog();
    for (const line of lines) log.push(line);
    if (JSON.stringify(keyTableFromLines(log, { table, lines: cut }).slice(0)) !== want) mismatches++;
  }
  t.equal(mismatches, 0, `replay: npx tap processors/traft/instance_log.test.ts (seed '${seed}')`);
  const first = keyTableFromLines(['commit Instance[a] in seq 0 at 5']);
  t.throws(() => keyTableFromLines([], { table: first, lines: 1 }), RangeError, 'a reading longer than the log is refused');
});

t.test('formatInstanceLine renders T as the integer part of atUs, alike for runs of equal and changing times', async (t) => {
  const r = new SeededRandom('instance-log-format');
  const times = [1.7e15, 1.7e15, 1_700_000_001_263_859.5, 0, -0, 12.9, 1.7e15 + 0.25, 1.7e15 + 0.25, 1.7e15];
  for (let i = 0; i < 200; i++) times.push(r.int(3) === 0 ? (times.at(-1) ?? 0) : 1.7e15 + r.int(1e9) / 8);
  const wrong = times.filter((atUs, i) => {
    const e = { event: i % 2 === 0 ? 'generate' : 'commit', key: `k${i}`, seq: i } as const;
    return formatInstanceLine(e, atUs) !== `${e.event} Instance[${e.key}] in seq ${e.seq} at ${Math.floor(atUs)}`;
  });
  t.same(wrong, [], 'every line as the plain template renders it');
  t.equal(
    formatInstanceLine({ event: 'commit', key: 'x', seq: 7 }, 1_700_000_001_263_859.75),
    'commit Instance[x] in seq 7 at 1700000001263859',
  );
});

t.test('decimal renders a safe integer as String does, on both sides of the nine-digit split', (t) => {
  const cases = [
    0,
    7,
    999_999_999,
    1e9,
    1e9 + 1,
    1_700_000_000_000_000,
    1_700_000_000_000_042,
    1_700_000_123_456_789,
    Number.MAX_SAFE_INTEGER,
  ];
  for (const u of cases) t.equal(decimal(u), String(u), String(u));
  t.end();
});
