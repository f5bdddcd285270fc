// gen-logs: write a run's instance logs without running a cluster — consistent ones, or ones
// broken on purpose in a named way — to benchmark and exercise the checker. A library
// (generateLogs) and a CLI: node dist/scripts/bench/gen-logs.js --dir /tmp/x --commits 100000
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Breakage names one deliberate fault, planted once, at the middle instance:
 * `conflict` rank 1 commits another (generated) key there (rule 3 conflict);
 * `gap` rank 2 has no lines for it (rule 3 gap);
 * `two-values` rank 0 commits a second, different key at that seq (rule 1);
 * `repeat` rank 0 logs the same commit line twice (rule 1; a warning under --lenient);
 * `ungenerated` every rank generates another key than the one all commit (rule 2);
 * `empty-rank` the last rank's log is empty (rule 2);
 * `malformed` rank 0 gets junk lines, a truncated line (fails rule 2: unreadable) and a torn last line (noted).
 */
const BREAKAGES = ['conflict', 'gap', 'two-values', 'repeat', 'ungenerated', 'empty-rank', 'malformed'] as const;
export type Breakage = (typeof BREAKAGES)[number];

export interface GenOptions {
  /** dir receives instancelog<rank>.log, created if needed. */
  readonly dir: string;
  /** ranks: how many logs (default 5). */
  readonly ranks?: number;
  /** commits: instances committed by rank 0; rank i commits a slightly shorter prefix (lagging ranks, as in real runs). */
  readonly commits: number;
  /** roundLength: seqs are `round * roundLength + i`, each round ending early at random, leaving gaps as real runs do (default 10000). */
  readonly roundLength?: number;
  /** format: `ours` (integer microseconds) or `reference` (the Go log prefix and date). */
  readonly format?: 'ours' | 'reference';
  readonly breaks?: readonly Breakage[];
  readonly seed?: number;
}

export interface GenResult {
  readonly files: readonly string[];
  readonly bytes: number;
  /** commitsPerRank: distinct committed seqs per rank, as the checker should count them. */
  readonly commitsPerRank: readonly number[];
  /** brokenSeq: the seq where breakages were planted. */
  readonly brokenSeq: number;
}

const FLUSH_CHARS = 1 << 20;

/** generateLogs writes the logs; deterministic for a given options object. */
export function generateLogs(opts: GenOptions): GenResult {
  const ranks = opts.ranks ?? 5;
  const roundLength = opts.roundLength ?? 10_000;
  const breaks = new Set(opts.breaks ?? []);
  if (!Number.isSafeInteger(ranks) || ranks < 1) throw new RangeError(`ranks must be a positive integer, got ${ranks}`);
  if (!Number.isSafeInteger(opts.commits) || opts.commits < 1)
    throw new RangeError(`commits must be a positive integer, got ${opts.commits}`);
  if (!Number.isSafeInteger(roundLength) || roundLength < 2) throw new RangeError(`roundLength must be an integer ≥ 2, got ${roundLength}`);
  for (const b of breaks)
    if (!BREAKAGES.includes(b)) throw new RangeError(`unknown breakage ${String(b)} (known: ${BREAKAGES.join(', ')})`);
  if (ranks < 3 && (breaks.has('conflict') || breaks.has('gap'))) throw new RangeError('conflict and gap need at least 3 ranks');
  mkdirSync(opts.dir, { recursive: true });

  const rand = mulberry32(opts.seed ?? 1);
  const seqs = seqLayout(opts.commits, roundLength, rand);
  const keys = Array.from({ length: opts.commits }, () => randomKey(rand));
  const other = (j: number): string => keys[(j + 1) % keys.length]!.split('').reverse().join('');
  const mid = Math.floor(opts.commits / 2);
  const line = lineFormat(opts.format ?? 'ours');

  const files: string[] = [];
  const commitsPerRank: number[] = [];
  let bytes = 0;
  for (let rank = 0; rank < ranks; rank++) {
    const file = join(opts.dir, `instancelog${rank}.log`);
    files.push(file);
    const out = new ChunkWriter(file);
    // Lagging ranks commit a prefix, 0.1 % shorter per rank, always past the broken instance
    // (rule 3 compares only seqs below the smaller max seq).
    const count =
      breaks.has('empty-rank') && rank === ranks - 1
        ? 0
        : Math.max(Math.min(mid + 2, opts.commits), opts.commits - Math.floor((opts.commits * rank) / 1000));
    let distinct = 0;
    for (let j = 0; j < count; j++) {
      const seq = seqs[j]!;
      if (j === mid && breaks.has('gap') && rank === 2) continue;
      const committed = j === mid && breaks.has('conflict') && rank === 1 ? other(j) : keys[j]!;
      const generated = j === mid && breaks.has('ungenerated') ? other(j) : committed;
      out.add(line('generate', generated, seq, j));
      out.add(line('commit', committed, seq, j));
      distinct++;
      if (j === mid && rank === 0) {
        if (breaks.has('repeat')) out.add(line('commit', committed, seq, j));
        if (breaks.has('two-values')) out.add(line('generate', other(j), seq, j), line('commit', other(j), seq, j));
      }
    }
    if (breaks.has('malformed') && rank === 0) {
      out.add(
        'debug: not an instance line\n',
        '\n',
        `commit Instance[${keys[0]}] in seq\n`,
        `commit Instance[${keys[0]}] in seq ${seqs[count - 1]! + 1}`,
      );
    }
    bytes += out.close();
    commitsPerRank.push(distinct);
  }
  return { files, bytes, commitsPerRank, brokenSeq: seqs[mid]! };
}

/** seqLayout gives instance j its estround: rounds of roundLength seqs, each used up to a random point. */
function seqLayout(commits: number, roundLength: number, rand: () => number): Float64Array {
  const seqs = new Float64Array(commits);
  let j = 0;
  for (let round = 0; j < commits; round++) {
    const used = Math.max(1, Math.floor(roundLength * (0.3 + 0.7 * rand())));
    for (let i = 0; i < used && j < commits; i++) seqs[j++] = round * roundLength + i;
  }
  return seqs;
}

type LineFormat = (kind: 'generate' | 'commit', key: string, seq: number, j: number) => string;

const T0_US = 1_763_856_939_000_000;

function lineFormat(format: 'ours' | 'reference'): LineFormat {
  if (format === 'ours') return (kind, key, seq, j) => `${kind} Instance[${key}] in seq ${seq} at ${T0_US + j * 150}\n`;
  // The Go reference: log.Logger prefix, date and file:line; time.Time's String() after "at".
  return (kind, key, seq, j) => {
    const us = String(612_345 + ((j * 150) % 1_000_000)).padStart(6, '0');
    return `[Consensus log] 2026/11/23 00:15:39.${us} logger.go:${kind === 'commit' ? 86 : 62}: ${kind} Instance[${key}] in seq ${seq} at 2026-11-23 00:15:39.${us}123 +0000 UTC m=+1.${us}001\n`;
  };
}

/** ChunkWriter batches lines into ~1 MB writes. */
class ChunkWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private chars = 0;
  private bytes = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  add(...lines: string[]): void {
    for (const l of lines) {
      this.parts.push(l);
      this.chars += l.length;
    }
    if (this.chars >= FLUSH_CHARS) this.flush();
  }

  close(): number {
    this.flush();
    closeSync(this.fd);
    return this.bytes;
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.bytes += writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.chars = 0;
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** randomKey mimics a log key: 32 lowercase letters. */
function randomKey(rand: () => number): string {
  let k = '';
  for (let i = 0; i < 32; i++) k += LETTERS[Math.floor(rand() * 26)];
  return k;
}

/** mulberry32: a small seeded PRNG, so one seed rewrites the same logs. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function main(argv: string[]): number {
  const usage =
    'usage: gen-logs --dir DIR [--ranks 5] [--commits 100000] [--round 10000] [--format ours|reference] [--break kind,…] [--seed 1]';
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        ranks: { type: 'string', default: '5' },
        commits: { type: 'string', default: '100000' },
        round: { type: 'string', default: '10000' },
        format: { type: 'string', default: 'ours' },
        break: { type: 'string', default: '' },
        seed: { type: 'string', default: '1' },
      },
    });
    if (!values.dir) throw new RangeError('--dir is required');
    if (values.format !== 'ours' && values.format !== 'reference')
      throw new RangeError(`--format must be ours or reference, got ${values.format}`);
    const started = process.hrtime.bigint();
    const r = generateLogs({
      dir: values.dir,
      ranks: Number(values.ranks),
      commits: Number(values.commits),
      roundLength: Number(values.round),
      format: values.format,
      breaks: values.break ? (values.break.split(',') as Breakage[]) : [],
      seed: Number(values.seed),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(
      `gen-logs: ${r.files.length} logs in ${values.dir}, ${(r.bytes / 2 ** 20).toFixed(1)} MiB, commits per rank ${r.commitsPerRank.join(' / ')}, broken seq ${r.brokenSeq}, ${ms.toFixed(0)} ms\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`gen-logs: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
