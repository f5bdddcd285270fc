// Proves the line parser reads ours and the Go reference's formats, finds the pattern anywhere in a line, and names why a near-miss line is malformed.
import t from 'tap';
import { abbreviate, isBlank, matchInstance } from './parse.js';

const KEY = 'abcdefghijklmnopqrstuvwxyzabcdef';

t.test('our format: integer microseconds after "at"', async (t) => {
  t.same(matchInstance(`generate Instance[${KEY}] in seq 17 at 1763856939612345`, 'generate'), { kind: 'generate', key: KEY, seq: 17 });
  t.same(matchInstance(`commit Instance[${KEY}] in seq 0 at 1`, 'commit'), { kind: 'commit', key: KEY, seq: 0 });
});

t.test('the reference format: a log prefix before, a Go date after "at"', async (t) => {
  const line = `[Consensus log] 2026/11/23 00:15:39.612345 logger.go:86: commit Instance[${KEY}] in seq 20000 at 2026-11-23 00:15:39.612345678 +0000 UTC m=+1.234567890`;
  t.same(matchInstance(line, 'commit'), { kind: 'commit', key: KEY, seq: 20000 });
  t.equal(matchInstance(line, 'generate'), undefined, 'a commit line is no generate line');
});

t.test('a line without the marker is not an instance line of that kind', async (t) => {
  t.equal(matchInstance('round 3 started', 'commit'), undefined);
  t.equal(matchInstance('', 'generate'), undefined);
  t.equal(matchInstance(`generate Instance[${KEY}] in seq 1 at 2`, 'commit'), undefined);
});

t.test('the key is the shortest text that lets the rest match, as the reference regex (.*?) does', async (t) => {
  t.same(matchInstance('commit Instance[a] in seq x] in seq 5 at 9', 'commit'), { kind: 'commit', key: 'a] in seq x', seq: 5 });
  t.same(matchInstance('commit Instance[] in seq 5 at 9', 'commit'), { kind: 'commit', key: '', seq: 5 }, 'an empty key matches (.*?) too');
  t.same(
    matchInstance('commit Instance[k] in seq 5 at 9 commit Instance[j] in seq 6 at 9', 'commit'),
    { kind: 'commit', key: 'k', seq: 5 },
    'the first occurrence wins',
  );
});

t.test('leading zeros, and seqs past 2^31 but within 2^53-1', async (t) => {
  t.same(matchInstance('commit Instance[k] in seq 007 at 1', 'commit'), { kind: 'commit', key: 'k', seq: 7 });
  t.same(matchInstance('commit Instance[k] in seq 4294967296 at 1', 'commit'), { kind: 'commit', key: 'k', seq: 4294967296 });
  t.same(matchInstance(`commit Instance[k] in seq ${Number.MAX_SAFE_INTEGER} at 1`, 'commit'), {
    kind: 'commit',
    key: 'k',
    seq: Number.MAX_SAFE_INTEGER,
  });
});

t.test('a near-miss is malformed, with the reason', async (t) => {
  const cases: [string, RegExp][] = [
    [`commit Instance[${KEY}] in seq 9007199254740992 at 1`, /beyond 2\^53-1/],
    [`commit Instance[${KEY}] in seq ${'9'.repeat(400)} at 1`, /beyond 2\^53-1/],
    [`commit Instance[${KEY}] in seq 12`, /ends after the seq number \(truncated\?\)/],
    [`commit Instance[${KEY}] in seq 12 at `, /nothing after "at"/],
    [`commit Instance[${KEY}] in seq 12 at \t `, /nothing after "at"/],
    [`commit Instance[${KEY}] in seq `, /ends before the seq number/],
    [`commit Instance[${KEY}] in seq -3 at 1`, /no seq number/],
    [`commit Instance[${KEY}] in seq 12 on 1`, /no " at " after the seq number/],
    [`commit Instance[${KEY}] in seq 12 a`, /ends inside " at " \(truncated\?\)/],
    [`commit Instance[${KEY}] in seq 12 `, /ends inside " at " \(truncated\?\)/],
    [`commit Instance[${KEY}`, /no "\] in seq" after "commit Instance\["/],
  ];
  for (const [line, reason] of cases) {
    const m = matchInstance(line, 'commit');
    t.ok(m && 'reason' in m, `malformed: ${abbreviate(line)}`);
    t.match((m as { reason: string }).reason, reason);
  }
});

t.test('a malformed first candidate does not hide a later valid one', async (t) => {
  t.same(matchInstance('commit Instance[a] in seq x] in seq 5 at 1', 'commit'), { kind: 'commit', key: 'a] in seq x', seq: 5 });
});

t.test('binary garbage and control characters neither crash nor match', async (t) => {
  const garbage = String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37) % 256));
  t.equal(matchInstance(garbage, 'commit'), undefined);
  t.same(matchInstance(`\u0000\uFFFDcommit Instance[k\u0001] in seq 3 at \u0002`, 'commit'), { kind: 'commit', key: 'k\u0001', seq: 3 });
});

// The timeout guards against a quadratic scan: of this 1 MB line it takes minutes, a linear one milliseconds.
t.test('a long line with many markers and no tail is handled in linear time', async (t) => {
  const line = 'commit Instance[] in seq x'.repeat(40_000);
  const m = matchInstance(line, 'commit');
  t.ok(m && 'reason' in m, 'malformed');
});

t.test('isBlank and abbreviate', async (t) => {
  t.ok(isBlank(''));
  t.ok(isBlank(' \t '));
  t.notOk(isBlank(' x '));
  t.equal(abbreviate('short'), 'short');
  t.equal(abbreviate('x'.repeat(100), 10), `${'x'.repeat(9)}…(100 chars)`);
});
