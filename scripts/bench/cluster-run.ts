// cluster-run: one `csplab run` of a 5-rank cluster over TCP into a temp dir, graded by
// `csplab check`, with the per-rank numbers of its summary.json, and optionally each rank's
// RSS sampled from /proc while it runs (memory over a long run). Shared by the cluster benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));

/**
 * beforeCli: with BENCH_BEFORE=<another checkout, built>, that build's CLI, which a benchmark
 * runs back to back with this one (old vs new under the same load); undefined without it.
 */
export function beforeCli(): string | undefined {
  const dir = process.env.BENCH_BEFORE;
  if (dir === undefined || dir === '') return undefined;
  const cli = join(dir, 'dist', 'cmd', 'csplab.js');
  if (!existsSync(cli)) throw new Error(`BENCH_BEFORE=${dir}: no ${cli} (build that checkout first: npx tsc -p tsconfig.json)`);
  return cli;
}

export interface RankResult {
  rank: number;
  commits: number;
  /** summary: the rank's own summary event (counts, CPU, RSS, protocol extras). */
  summary: Record<string, unknown> & { cpuUserMs?: number; cpuSystemMs?: number; maxRssKiB?: number };
}

export interface ClusterRun {
  /** load: the 1-minute load average just before the run; loadAfter just after it. */
  load: number;
  loadAfter: number;
  /** check: `csplab check`'s exit status (0 = pass); its logs are kept in keptDir on failure. */
  check: number | null;
  keptDir?: string;
  ranks: RankResult[];
  /** rssSamples: [seconds since launch, RSS MiB of every rank process found] every sampleMs. */
  rssSamples: Array<[number, number[]]>;
}

/** median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function children(pid: number): number[] {
  const out: number[] = [];
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return out;
  for (const tid of readdirSync(dir)) {
    try {
      for (const c of readFileSync(`${dir}/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      /* exited */
    }
  }
  return out;
}

function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * runCluster runs `csplab run <args>` then `csplab check`; logs are removed unless the check fails.
 * env is added to the environment of `csplab run` (and so of its rank processes), not of the check.
 * inspect, if given, reads the run's directory (logs, run.json) before it is removed.
 * cli is the build to run (default this one; beforeCli for an older one).
 */
export async function runCluster(
  name: string,
  args: string[],
  basePort: number,
  sampleMs = 0,
  env: Record<string, string> = {},
  inspect?: (dir: string) => void,
  cli: string = CLI,
): Promise<ClusterRun> {
  const dir = mkdtempSync(join(tmpdir(), `csplab-bench-${name}-`));
  let keep = false;
  try {
    const load = loadavg()[0]!;
    const started = Date.now();
    const child = spawn(process.execPath, [cli, 'run', ...args, '--log-dir', dir, '--base-port', String(basePort), '--quiet', '--clean'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const rssSamples: Array<[number, number[]]> = [];
    const timer =
      sampleMs > 0
        ? setInterval(() => {
            const ranks = children(child.pid!)
              .flatMap((p) => [p, ...children(p)])
              .map(rssMiB)
              .filter((x): x is number => x !== null && x > 40);
            rssSamples.push([(Date.now() - started) / 1000, ranks]);
          }, sampleMs)
        : undefined;
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    if (timer) clearInterval(timer);
    if (status !== 0) throw new Error(`csplab run ${args.join(' ')} exited ${status}: ${stderr}`);
    const check = spawnSync(process.execPath, [cli, 'check', '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (check.status !== 0) {
      keep = true;
      process.stderr.write(
        `bench ${name}: CHECK FAILED (exit ${check.status}) for ${args.join(' ')}; logs kept in ${dir}\n${check.stdout.slice(-3000)}\n`,
      );
    }
    const ranks = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ranks: RankResult[] }).ranks.map((r) => ({
      rank: r.rank,
      commits: r.commits,
      summary: r.summary ?? {},
    }));
    ranks.sort((a, b) => a.rank - b.rank);
    inspect?.(dir);
    return { load, loadAfter: loadavg()[0]!, check: check.status, ...(keep ? { keptDir: dir } : {}), ranks, rssSamples };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
