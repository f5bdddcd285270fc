// stream.test: the grading thread gives the verdict checkLogs gives the same lines, however the
// ranks' lines are cut into pieces and interleaved — conflicts, gaps, repeats, keys never
// generated, malformed and CRLF lines, torn tails — and says when its reading cannot stand.
// A failing seed replays with: STREAM_SEED=<seed> node_modules/.bin/tap check/stream.test.ts
import t from 'tap';
import { SeededRandom, type Random } from '../runtime/random.js';
import { checkLogs } from './index.js';
import { StreamingCheck } from './stream.js';

const gen = (k: string, seq: number): string => `generate Instance[${k}] in seq ${seq} at 1763856939000000`;
const com = (k: string, seq: number): string => `commit Instance[${k}] in seq ${seq} at 1763856939000001`;

/** logs: ranks that mostly agree, with every kind of finding sprinkled in by the seed. */
function logs(random: Random, ranks: number): string[][] {
  const out: string[][] = [];
  for (let rank = 0; rank < ranks; rank++) {
    const lines: string[] = [];
    for (let seq = 0; seq < 300; seq++) {
      const roll = random.int(400);
      const key = roll === 0 ? `other${rank}` : `k${seq}`;
      if (rank === 0 || roll === 1) lines.push(gen(key, seq));
      if (roll === 2) continue; // a gap
      lines.push(com(roll === 3 ? `never${seq}` : key, seq));
      if (roll === 4) lines.push(com(key, seq)); // repeated
      if (roll === 5) lines.push(`${com(key, seq)}\r`);
      if (roll === 6) lines.push('commit Instance[x] in seq'); // malformed
      if (roll === 7) lines.push('');
      if (roll === 8) lines.push('a note, not an instance line');
    }
    if (random.int(2) === 0) lines.push('commit Instance[k9] in s'); // a torn tail
    out.push(lines);
  }
  return out;
}

/** shared: bytes on a SharedArrayBuffer, as a simulated log's chunks are. */
function shared(lines: readonly string[]): Uint8Array {
  const text = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1');
  const bytes = new Uint8Array(new SharedArrayBuffer(text.length));
  bytes.set(text);
  return bytes;
}

/** streamed grades the logs on the thread, each rank cut into random pieces, the pieces interleaved. */
function streamed(random: Random, ranks: readonly string[][], unterminated: readonly boolean[]) {
  const check = new StreamingCheck(ranks.map((_, rank) => ({ name: `instancelog${rank}.log`, node: rank })));
  const next = ranks.map(() => 0);
  const restAt = ranks.map((lines) => lines.length - random.int(Math.min(lines.length, 20)));
  while (next.some((at, rank) => at < (restAt[rank] as number))) {
    const rank = random.int(ranks.length);
    const at = next[rank] as number;
    const to = Math.min(restAt[rank] as number, at + 1 + random.int(60));
    if (to <= at) continue;
    check.feed(rank, shared((ranks[rank] as string[]).slice(at, to)), to - at);
    next[rank] = to;
  }
  return check.finish(
    ranks.map((lines, rank) => ({ ...restOf(lines, next[rank] as number), unterminated: unterminated[rank] as boolean })),
  );
}

function restOf(lines: readonly string[], from: number): { bytes: Uint8Array; lines: number } {
  return { bytes: shared(lines.slice(from)), lines: lines.length - from };
}

const first = Number(process.env.STREAM_SEED ?? 1);
const last = process.env.STREAM_SEED !== undefined ? first : 12;
for (let seed = first; seed <= last; seed++) {
  t.test(`seed ${seed}: the thread's verdict is checkLogs's`, async (t) => {
    const random = new SeededRandom(`stream-test-${seed}`);
    const ranks = logs(random, 2 + random.int(5));
    const unterminated = ranks.map((lines) => lines.at(-1)?.endsWith(' in s') === true);
    const expected = checkLogs(
      ranks.map((lines, rank) => ({ name: `instancelog${rank}.log`, node: rank, lines, unterminated: unterminated[rank] })),
    );
    const got = streamed(random, ranks, unterminated);
    const replay = `replay: STREAM_SEED=${seed} node_modules/.bin/tap check/stream.test.ts`;
    t.not(got, undefined, `the thread answered (${replay})`);
    t.same(got, expected, replay);
  });
}

t.test('findings name the first commit in rank order, whichever rank was fed first', async (t) => {
  const ranks = [[com('stray', 0)], [com('stray', 0)], [gen('stray', 0), com('stray', 0)]];
  const check = new StreamingCheck(ranks.map((_, rank) => ({ name: `log${rank}`, node: rank })));
  check.feed(1, shared(ranks[1] as string[]), 1);
  const got = check.finish(
    ranks.map((lines, rank) => (rank === 1 ? { ...restOf([], 0), unterminated: false } : { ...restOf(lines, 0), unterminated: false })),
  );
  const expected = checkLogs(ranks.map((lines, rank) => ({ name: `log${rank}`, node: rank, lines })));
  t.same(got, expected);
  t.equal(got?.verdict, 'pass', 'the key was generated (by rank 2)');
  const never = [[com('lost', 0)], [com('lost', 0)]];
  const c2 = new StreamingCheck(never.map((_, rank) => ({ name: `log${rank}`, node: rank })));
  c2.feed(1, shared(never[1] as string[]), 1);
  const r2 = c2.finish([
    { ...restOf(never[0] as string[], 0), unterminated: false },
    { ...restOf([], 0), unterminated: false },
  ]);
  t.match(r2?.rules[1]?.groups[0]?.examples[0]?.message, /committed by node 0 at log0:1 was never generated/);
});

t.test('a reading that cannot stand is no verdict', async (t) => {
  const names = [{ name: 'a', node: 0 }];
  const unfed = new StreamingCheck(names);
  t.equal(unfed.finish([{ bytes: new Uint8Array(0), lines: 0, unterminated: false }]), undefined, 'nothing fed: grade in process');
  const miscounted = new StreamingCheck(names);
  miscounted.feed(0, shared([com('a', 0), com('b', 1)]), 1);
  t.equal(miscounted.finish([{ bytes: new Uint8Array(0), lines: 0, unterminated: false }]), undefined, 'two lines where one was written');
  const retracted = new StreamingCheck(names);
  retracted.feed(0, shared([com('a', 0)]), 1);
  t.equal(retracted.finish([undefined]), undefined, 'a rank whose log took back a line handed over');
  t.throws(() => new StreamingCheck(names, { examples: -1 }), RangeError);
});

t.test('the thread makes spare chunks, their pages touched, once it runs', async (t) => {
  const names = [{ name: 'a', node: 0 }];
  const none = new StreamingCheck(names);
  none.feed(0, shared([com('a', 0)]), 1);
  none.finish([{ bytes: new Uint8Array(0), lines: 0, unterminated: false }]);
  t.equal(none.spare(), undefined, 'no spare size: no spares');
  const check = new StreamingCheck(names, {}, 4096);
  t.equal(check.spare(), undefined, 'no thread yet: no spare');
  check.feed(0, shared([com('a', 0)]), 1);
  const verdict = check.finish([{ bytes: new Uint8Array(0), lines: 0, unterminated: false }]);
  t.equal(verdict?.verdict, 'fail', 'graded (a key never generated)');
  // the thread posts its spares before it answers, so they are queued by now
  const spare = check.spare();
  t.equal(spare?.length, 4096);
  t.ok(spare?.buffer instanceof SharedArrayBuffer, 'on shared memory');
  t.throws(() => new StreamingCheck(names, {}, -1), RangeError);
});
