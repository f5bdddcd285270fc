// traft.bench: the TRaft lab end to end at its own high pressure, `-o 1 -l 10000 -t 5` (a
// leader keeps up to 10,000 of its records uncommitted; the lab load mixes `set` and `incr`
// over 8 keys, so commits happen out of order and are held back by interference): `csplab run`
// starts 5 rank processes over TCP on this machine, `csplab check` must pass every run.
// Median of 3 of the best rank's commits ÷ -t, per-rank counts, out-of-order and held-back
// counts, CPU and peak RSS per rank; then one 60 s run at the same flags with every rank's RSS
// sampled each 5 s (memory over time; its logs are deleted after). BENCH_TRAFT_LONG=0 skips it.
// Writes the `traft` section of docs/benchmarks.md.
import { median, runCluster, type ClusterRun } from './cluster-run.js';
import { machine, writeSection } from './sections.js';

const FLAGS = ['--protocol', 'traft', '-o', '1', '-l', '10000', '-t', '5'];
const LONG_FLAGS = ['--protocol', 'traft', '-o', '1', '-l', '10000', '-t', '60'];
const RUNS = 3;
const LONG = process.env.BENCH_TRAFT_LONG !== '0';
let nextPort = 24_600; // away from paxos.bench (23 400+) and the defaults

const num = (r: ClusterRun, f: string): number[] => r.ranks.map((x) => Number(x.summary[f] ?? NaN));
const cpu = (r: ClusterRun): number[] => r.ranks.map((x) => ((x.summary.cpuUserMs ?? NaN) + (x.summary.cpuSystemMs ?? NaN)) / 1000);
const rss = (r: ClusterRun): number[] => r.ranks.map((x) => (x.summary.maxRssKiB ?? NaN) / 1024);
const best = (r: ClusterRun, t: number): number => Math.max(...r.ranks.map((x) => x.commits)) / t;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

// EXPLANATION is the written part of the section (kept here so a rerun does not drop it).
const EXPLANATION = `Before / after (same flags and benchmark, run against each build back to back; 1-minute load in brackets).
Before (bb5e2a8): 3328 (4.6), 2765 (5.1), 2969 (5.2) commits/s, median 2969; no run drained to equal counts (e.g.
16639 / 16639 / 15871 / 15871 / 10495); leader CPU ~5.3 s for ~14k commits. After, just after it: 4966 (4.9), 5018 (5.7),
3840 (5.2), median 4966, every run equal on all ranks; leader CPU ~4 s for ~25k commits. The table above is a later run.

What was changed, and why (node --cpu-prof of all 5 ranks, per-input step timings, WAL timings):
- The leader's commit rule rescanned [frontier, len) on every reply and persisted input, building an id list and calling
  isQuorum per position (O(window) allocations per input, O(window²) per window). C1 is now counted a word (32 positions) at a
  time with bit-sliced vote counters, and C2 walks deps minus committed without allocating.
- deps span the whole uncommitted window (~300 words at -l 10000) and a set's overrides list every same-key record above
  the frontier (~1,250 numbers): msgpack packing of these arrays was ~23% of the leader's CPU, and decoding plus validation and
  the WAL's JSON most of a follower's. Bitmaps of ≥ 4 words now travel as one binary field of u32 words (base64 in the WAL's
  JSON), a set's overrides as ovFrom (rebuilt from deps on reading, checked when encoding), each encoded once per record and
  shared by the four peers, resends and the WAL.
- Requests timed out after H = 200 ms, and a follower's WAL group write + fdatasync alone reached ~130 + ~130 ms on this
  shared disk: 150–500 expiries per 5 s run, each resending up to 256 records (about doubling what was sent). The process
  driver now times requests out after E/2 (~5 expiries per run, +30–50% commits/s); the core's default stays H.
- End of run: a follower missing the last appends looked drained, and a leader stopped 2H after its own drain, so followers
  were left short at the cutoff. Ranks now also wait for every position a leader reported committed, and the leader for
  every follower to report its whole log committed; 2E still ends the run if a rank is too far behind.
- Memory: once the frontier passes a record, its in-memory deps become [0, seq) and overrides {seq} (C2 unchanged, same
  apply result; the WAL keeps the record as written, so restart-from-WAL is untouched). Command payloads are kept: a new
  leader's Sync ships committed records to followers that lack them, and they need the command.

What limits throughput now: the ranks mostly wait (consensus loops busy ~20–25% of the time), so the limit is the cycle, not CPU
per record: at most maxInflight 4 × maxBatch 256 records in flight per follower (traft.md 5.3), each request waiting for the
follower's WAL write + fdatasync and then a turn of the leader's event loop. Raising maxInflight to 16 (tried before the E/2 timeout) was not better (more
expiries, high variance), so the spec's limits are kept. The leader's WAL still writes one frame per proposal (one JSON encode
and CRC each). Numbers swing ±25% between runs with the other work on these 2 cores and this disk.
Out-of-order and held-back commits are 0 on loopback TCP: appends go out in position order on one connection and come back
in order, so C1 is reached in position order and no position has its quorum before a lower one. They do happen with a
reordering network (rank.test.ts asserts both > 0 over the in-memory network with 0–3 ms jitter).
Memory is not bounded yet: the log map only grows until snapshots (7.7) exist. After a forced GC a committed (folded) record
costs ~400–500 bytes of heap per rank (in-process, in-memory network). Most of the 60 s RSS is V8 heap slack: a 30 s run with
NODE_OPTIONS=--max-old-space-size=256 completed and passed the check (81,919 commits per rank) with peak RSS 273–372 MiB, against
~550–600 MiB at 30 s uncapped. Each uncommitted record still holds its full deps and overrides (~4 KB at this window) and
its encodings.`;

async function main(): Promise<void> {
  const rows: string[] = [];
  const runs: ClusterRun[] = [];
  let failed = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await runCluster('traft', FLAGS, (nextPort += 100));
    runs.push(r);
    if (r.check !== 0) failed++;
    const commits = r.ranks.map((x) => x.commits);
    process.stderr.write(`bench traft: run ${i + 1}: ${best(r, 5).toFixed(0)} commits/s, commits ${commits.join('/')}, load ${r.load.toFixed(1)}→${r.loadAfter.toFixed(1)}\n`);
    rows.push(`| #${i + 1} | ${r.load.toFixed(1)} → ${r.loadAfter.toFixed(1)} | ${r.check === 0 ? 'pass' : `**FAIL (${r.check})**`} | **${best(r, 5).toFixed(0)}** | ${commits.join(' / ')} | ${sum(num(r, 'outOfOrderCommits'))} | ${sum(num(r, 'heldBackCommits'))} | ${cpu(r).map((x) => x.toFixed(1)).join(' / ')} | ${rss(r).map((x) => x.toFixed(0)).join(' / ')} |`);
  }
  let long = '';
  if (LONG) {
    const r = await runCluster('traft-long', LONG_FLAGS, (nextPort += 100), 5000);
    if (r.check !== 0) failed++;
    const samples = r.rssSamples.filter(([, xs]) => xs.length > 0).map(([t, xs]) => `${t.toFixed(0)} s: ${Math.max(...xs).toFixed(0)}`);
    process.stderr.write(`bench traft: 60 s run: ${best(r, 60).toFixed(0)} commits/s, peak RSS ${Math.max(...rss(r)).toFixed(0)} MiB, load ${r.load.toFixed(1)}→${r.loadAfter.toFixed(1)}\n`);
    long = `60 s run (\`csplab run ${LONG_FLAGS.join(' ')}\`, load ${r.load.toFixed(1)} → ${r.loadAfter.toFixed(1)}, check ${r.check === 0 ? 'pass' : `**FAIL (${r.check})**`}):
best rank ${best(r, 60).toFixed(0)} commits/s, commits ${r.ranks.map((x) => x.commits).join(' / ')}, out-of-order ${sum(num(r, 'outOfOrderCommits'))},
held back ${sum(num(r, 'heldBackCommits'))}; CPU s ${cpu(r).map((x) => x.toFixed(1)).join(' / ')}; **peak RSS per rank ${rss(r).map((x) => x.toFixed(0)).join(' / ')} MiB**.
Largest rank RSS over time (MiB, sampled from /proc every 5 s): ${samples.join(', ')}. Logs deleted after.`;
  }
  const bests = runs.map((r) => best(r, 5));
  writeSection('traft', `## TRaft lab, 5 ranks over TCP (\`traft\`)

Command: \`npm run bench traft\` (scripts/bench/traft.bench.ts): each run is \`csplab run ${FLAGS.join(' ')} --log-dir <tmp>
--base-port <24700+> --quiet --clean\`, then \`csplab check --dir <tmp>\`, which must exit 0. TRaft's high-pressure flags: E = 1 s,
a leader keeps up to 10,000 records uncommitted, 5 s of load (8 keys, half \`set\`, half \`incr\`). commits/s = the best rank's
commit lines ÷ 5. Out-of-order = commits marked above a gap in the frontier (all ranks); held back = positions the leader
found quorum-accepted but not yet interference-free (C1 without C2, once per position). CPU = user + system per rank,
RSS = peak per rank, from summary.json. Load = 1-minute load average just before → just after the run (2 cores shared
with other work). Machine: ${machine()}.

Median of ${RUNS}: **${median(bests).toFixed(0)} commits/s** (${bests.map((b) => b.toFixed(0)).join(', ')}).

| run | load | check | best commits/s | commits per rank (0–4) | out-of-order | held back | CPU s per rank | peak RSS MiB per rank |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${long}

${EXPLANATION}
`);
  if (failed > 0) {
    process.stderr.write(`bench traft: ${failed} run(s) failed the checker\n`);
    process.exitCode = 1;
  }
}

await main();
