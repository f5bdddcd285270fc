// sim.bench: the deterministic simulator (`csplab sim`, runtime/sim/) under `--nemesis default`.
// An *event* is one input fed to a protocol's step (a message, a tick, a durability report, a
// turn). Two measurements per protocol that can be simulated, each through the built CLI:
// - one long run, `sim -o 1 -l 10000 -t 600 --nemesis default --no-trace` (TRaft's target: ≤ 20 s
//   wall), its events and simulated seconds per wall second (events from run.json);
// - a sweep of 1,000 seeds at the sweep test's settings (`-o 0.5 -l 20 -t 4 --rate 200`; target ≤ 5 min).
// BENCH_SIM_T=<s> shortens the long run, BENCH_SIM_SEEDS=<n> the sweep. Writes the `sim` section
// of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nemesis } from '../../cmd/sim/nemesis.js';
import { simulate } from '../../cmd/sim/once.js';
import { protocols } from '../../processors/registry.js';
import { simProgram } from '../../runtime/sim/bind.js';
import { toy } from '../../runtime/sim/toy.js';
import { machine, writeSection } from './sections.js';

const T = Number(process.env.BENCH_SIM_T ?? 600);
const SEEDS = Number(process.env.BENCH_SIM_SEEDS ?? 1000);
const CLI = 'dist/cmd/csplab.js';

/** timed runs the CLI and returns its wall seconds and stdout. */
function timed(args: string[]): { wallS: number; stdout: string; status: number | null } {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { wallS: Number(process.hrtime.bigint() - started) / 1e9, stdout: r.stdout, status: r.status };
}

/** LONG_L: -l of the long run; Paxos's -l is instances per round (1 s), so 10,000 would be 10,000 commits/s, not a window. */
const LONG_L: Record<string, string> = { traft: '10000', paxos: '1000' };

function longRun(protocol: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-simbench-'));
  try {
    const l = LONG_L[protocol] ?? '1000';
    const args = ['sim', '--protocol', protocol, '-o', '1', '-l', l, '-t', String(T), '--nemesis', 'default', '--seed', '1'];
    const r = timed([...args, '--no-trace', '--quiet', '--log-dir', dir]);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { events: number; simMs: number; verdict: string };
    const eps = run.events / r.wallS;
    return `| \`csplab ${args.join(' ')}\` | ${r.wallS.toFixed(1)} s | ${run.events} | ${Math.round(eps).toLocaleString('en')} | ${(run.simMs / 1000 / r.wallS).toFixed(1)} | ${run.verdict} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sweep(protocol: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'csplab-simbench-'));
  try {
    const args = [
      'sim',
      '--protocol',
      protocol,
      '-o',
      '0.5',
      '-l',
      '20',
      '-t',
      '4',
      '--rate',
      '200',
      '--nemesis',
      'default',
      '--seeds',
      `1..${SEEDS}`,
    ];
    const r = timed([...args, '--quiet', '--log-dir', dir]);
    const m = /(\d+) seeds: (\d+) pass, (\d+) fail.*; (\d+) events, ([\d.]+) simulated s/.exec(r.stdout);
    const events = Number(m?.[4] ?? NaN);
    const simS = Number(m?.[5] ?? NaN);
    const verdict = m ? `${m[2]} pass, ${m[3]} fail` : 'no summary';
    return `| \`csplab ${args.join(' ')}\` | ${r.wallS.toFixed(1)} s | ${events} | ${Math.round(events / r.wallS).toLocaleString('en')} | ${(simS / r.wallS).toFixed(1)} | ${verdict} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * engine: the simulator's own ceiling, in process: the toy log (runtime/sim/toy.ts), whose step
 * costs next to nothing, 5 ranks for T simulated seconds under the default nemesis.
 */
function engine(): string {
  const started = process.hrtime.bigint();
  const g = simulate({
    program: simProgram(toy, { sendEarly: false }),
    ranks: 5,
    t: T,
    seed: '1',
    ratePerSec: 1000,
    schedule: nemesis('1', 5, T),
    trace: false,
  });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const { events, simMs } = g.outcome;
  const verdict = g.failures.length === 0 ? 'pass' : 'fail';
  return `| the toy log (runtime/sim/toy.ts), 5 ranks, -t ${T}, in process | ${wallS.toFixed(1)} s | ${events} | ${Math.round(events / wallS).toLocaleString('en')} | ${(simMs / 1000 / wallS).toFixed(1)} | ${verdict} |`;
}

async function main(): Promise<void> {
  const rows: string[] = [engine()];
  for (const p of protocols) {
    const flags = p.flags(
      Object.fromEntries(Object.entries(p.options).map(([k, o]) => [k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), o.default])),
      (_n, v) => Number(v),
      (m) => new Error(m),
    );
    if (flags.simulate === undefined) {
      rows.push(`| ${p.name}: does not run on the simulator yet | | | | | |`);
      continue;
    }
    rows.push(longRun(p.name));
    rows.push(sweep(p.name));
  }
  writeSection(
    'sim',
    [
      `Measured ${machine()}. An event is one input fed to a protocol's step. Targets (issue 14): ≥ 500k events/s; the TRaft long run ≤ 20 s wall; 1,000 seeds ≤ 5 min.`,
      '',
      '| command | wall | events | events/s | simulated s per wall s | verdict |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

await main();
