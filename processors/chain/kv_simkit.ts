// kv_simkit: what chain's simulated KV tests share (kv_sweep.test.ts, kv_scenarios.test.ts): a
// run of the chain program with simulated clients, graded as `csplab sim --clients` grades it —
// the client history by check/lin's kv model, the instance logs by the program's audit
// (audit.ts) — and the master's configurations read back from its log.
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { SeededRandom } from '../../runtime/random.js';
import type { SimProgram } from '../../runtime/protocol.js';
import {
  rankTarget,
  type SimClientLoad,
  type SimFault,
  type SimLink,
  type SimOptions,
  type SimOutcome,
  type Target,
} from '../../runtime/sim/types.js';
import { simulateChain } from './entry.js';
import { DEFAULT_CHAIN_OPTIONS, type ChainOptions } from './options.js';

/** KvRun: a finished run and its grades. */
export interface KvRun {
  readonly o: SimOutcome;
  readonly verdict: string;
  /** failures: the simulator's problems, the audit's violations, a history that is not linearizable, no op ok. */
  readonly failures: string[];
  readonly ok: number;
  /** configs: the master's configurations in order, each range's chain by its short id. */
  readonly configs: MasterConfig[];
  readonly masterLines: readonly string[];
}

/** MasterConfig: one `config` line of the master's log. */
export interface MasterConfig {
  readonly epoch: number;
  readonly chains: ReadonlyMap<string, readonly number[]>;
}

/** clientLoad: n clients on `keys` keys, 40 % gets, 10 % deletes. */
export function clientLoad(n: number, keys: number, deadlineMs: number): SimClientLoad {
  return {
    clients: n,
    deadlineMs,
    load: { keys, getShare: 0.4, deleteShare: 0.1, read: 'log', valueSize: 0, keyDist: 'uniform', zipfExponent: 1 },
  };
}

/** chainProgram: the chain program (options over the defaults; -l 1024). */
export function chainProgram(over: Partial<ChainOptions> = {}, l = DEFAULT_CHAIN_OPTIONS.maxInFlight): Promise<SimProgram> {
  return simulateChain({ ...DEFAULT_CHAIN_OPTIONS, ...over }, l);
}

/** masterConfigs: the master's `config <epoch> <id>:[a b c]… at <µs>` lines. */
export function masterConfigs(lines: readonly string[]): MasterConfig[] {
  return lines
    .filter((l) => l.startsWith('config '))
    .map((l) => ({
      epoch: Number(l.split(' ')[1]),
      chains: new Map(
        [...l.matchAll(/(\w+):\[([^\]]*)\]/g)].map((m) => [
          m[1] ?? '',
          (m[2] ?? '')
            .split(/[ ,]/)
            .filter((x) => x !== '')
            .map(Number),
        ]),
      ),
    }));
}

/** runKv runs and grades one simulated run. */
export function runKv(program: SimProgram, o: SimOptions): KvRun {
  const out = program.run(o);
  const failures = [...out.problems, ...(program.audit?.(out) ?? [])];
  const lin = checkLinearizable(parseHistoryText(out.history?.toJsonl() ?? '', 'kv'), 'kv');
  if (lin.verdict !== 'linearizable') failures.push(`client history ${lin.verdict}`);
  const ok = out.clientStats?.ok ?? 0;
  if (ok === 0) failures.push('no client op completed');
  const masterLines = out.ranks[0]?.lines ?? [];
  return { o: out, verdict: lin.verdict, failures, ok, configs: masterConfigs(masterLines), masterLines };
}

export const SWEEP_RANKS = 6; // the master and five nodes
export const SWEEP_LOAD_MS = 4000;

/** sweepSchedule: kv_sweep.test.ts's schedule of a seed: seed's faults: a kill each gets its restart before the next kill (at most one rank down). */
export function sweepSchedule(seed: number): Pick<SimOptions, 'faults' | 'link'> {
  const rnd = new SeededRandom(`chain-kv-sweep/${seed}`);
  const faults: SimFault[] = [];
  let downUntil = 0;
  for (let at = rnd.between(200, 800); at < 0.8 * SWEEP_LOAD_MS; at += rnd.between(300, 1200)) {
    const rank = rnd.int(SWEEP_RANKS);
    const durationMs = rnd.between(100, 1200);
    const kind = rnd.int(4);
    if (kind === 0 && at >= downUntil) {
      faults.push({ action: 'kill', target: { type: 'rank', rank }, atMs: at });
      faults.push({ action: 'restart', target: { type: 'rank', rank }, atMs: at + durationMs });
      downUntil = at + durationMs + 10;
    } else if (kind === 1) faults.push({ action: 'pause', target: { type: 'rank', rank }, atMs: at, durationMs });
    else if (kind === 2) {
      const side = Array.from({ length: SWEEP_RANKS }, (_, r) => r).filter(() => rnd.next() < 0.4);
      const rest = Array.from({ length: SWEEP_RANKS }, (_, r) => r).filter((r) => !side.includes(r));
      if (side.length > 0 && rest.length > 0) {
        const groups = [side, rest].map((g) => g.map(rankTarget));
        faults.push({ action: 'partition', groups, atMs: at, durationMs });
      }
    }
  }
  const link = {
    dropRate: rnd.between(0, 0.05),
    dupRate: rnd.between(0, 0.05),
    delayMs: rnd.between(1, 4),
    jitterMs: 1,
    damageRate: 0.001,
  };
  return { faults, link };
}

/**
 * Scenario: one seeded run as `csplab sim --protocol chain --clients …` runs it, so its replay
 * command (replayCommand) reproduces it exactly: the same seed, cluster id, link, faults,
 * client load and chain flags (kv_replay.test.ts holds the two to the same history).
 */
export interface Scenario {
  readonly seed: string;
  readonly ranks: number;
  /** tSec: -t, the seconds of load. */
  readonly tSec: number;
  readonly faults?: readonly SimFault[];
  /** link: drops, duplicates, damage and delay ± jitter (default: the CLI's 1±0.5 ms, nothing lost). */
  readonly link?: Partial<Pick<SimLink, 'dropRate' | 'dupRate' | 'damageRate' | 'delayMs' | 'jitterMs'>>;
  readonly clients: number;
  readonly keys: number;
  readonly getShare: number;
  readonly deleteShare: number;
  readonly deadlineSec: number;
  /** l: the head's window (maxInFlight, W2; -l). */
  readonly l?: number;
  readonly leaves?: readonly (readonly [number, number])[];
  readonly stopBelowMin?: boolean;
  /** craq: CRAQ reads at every member (R3; --craq). */
  readonly craq?: boolean;
  /** zipf: keys drawn Zipf-skewed with this exponent (--key-dist zipf --zipf-exponent; default uniform). */
  readonly zipf?: number;
}

/** scenarioLoad: the scenario's clients as the CLI builds them from its flags (gets through the log, uniform keys unless zipf). */
function scenarioLoad(s: Scenario): SimClientLoad {
  return {
    clients: s.clients,
    deadlineMs: s.deadlineSec * 1000,
    load: {
      keys: s.keys,
      getShare: s.getShare,
      deleteShare: s.deleteShare,
      read: 'log',
      valueSize: 0,
      keyDist: s.zipf === undefined ? 'uniform' : 'zipf',
      zipfExponent: s.zipf ?? 0.99,
    },
  };
}

/** scenarioOptions: the SimOptions `csplab sim` builds for the scenario's replay command (cmd/sim/once.ts). */
export function scenarioOptions(s: Scenario): SimOptions {
  const link: SimLink = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0.5, damageRate: 0, ...s.link };
  return {
    seed: s.seed,
    ranks: s.ranks,
    clusterId: `sim-${s.seed}`,
    loadMs: s.tSec * 1000,
    ratePerSec: 1000,
    faults: [...(s.faults ?? [])].sort((a, b) => a.atMs - b.atMs),
    link,
    trace: false,
    clients: scenarioLoad(s),
  };
}

function rankOf(t: Target): string {
  return t.type === 'rank' ? String(t.rank) : t.type === 'leader' ? 'leader' : 'killed';
}

/** faultFlag: one fault in docs/faults.md's flag syntax. */
function faultFlag(f: SimFault): string[] {
  const at = f.atMs / 1000;
  switch (f.action) {
    case 'kill':
    case 'start':
    case 'restart':
      return [`--${f.action}`, `${rankOf(f.target)}@${at}`];
    case 'pause':
      return ['--pause', `${rankOf(f.target)}@${at}:${f.durationMs / 1000}`];
    case 'partition':
      return ['--partition', `${f.groups.map((g) => g.map(rankOf).join(',')).join('|')}@${at}:${f.durationMs / 1000}`];
    case 'cut':
      return ['--cut', `${f.from.map(rankOf).join(',')}>${f.to.map(rankOf).join(',')}@${at}:${f.durationMs / 1000}`];
    case 'starve':
      return ['--starve', `${f.ranks.map(rankOf).join(',')}@${at}:${f.durationMs / 1000}`];
  }
}

/** replayArgs: the `csplab sim` arguments that run the scenario. */
export function replayArgs(s: Scenario): string[] {
  const o = scenarioOptions(s);
  const args = ['sim', '--protocol', 'chain', '--seed', s.seed, '--ranks', String(s.ranks), '-t', String(s.tSec)];
  if (s.l !== undefined) args.push('-l', String(s.l));
  for (const [rank, at] of s.leaves ?? []) args.push('--leave', `${rank}@${at}`);
  if (s.stopBelowMin === true) args.push('--stop-below-min');
  if (s.craq === true) args.push('--craq');
  args.push('--clients', String(s.clients), '--kv-keys', String(s.keys), '--get-share', String(s.getShare));
  args.push('--delete-share', String(s.deleteShare), '--read', 'log', '--deadline', String(s.deadlineSec));
  if (s.zipf !== undefined) args.push('--key-dist', 'zipf', '--zipf-exponent', String(s.zipf));
  if (o.link.dropRate > 0) args.push('--drop', String(o.link.dropRate));
  if (o.link.dupRate > 0) args.push('--dup', String(o.link.dupRate));
  if (o.link.damageRate > 0) args.push('--damage', String(o.link.damageRate));
  if (o.link.delayMs !== 1 || o.link.jitterMs !== 0.5) args.push('--delay', `${o.link.delayMs}±${o.link.jitterMs}`);
  for (const f of o.faults) args.push(...faultFlag(f));
  return args;
}

/** replayCommand: the one command that replays the scenario (after `npx tsc -p tsconfig.json`). */
export function replayCommand(s: Scenario): string {
  return ['node dist/cmd/csplab.js', ...replayArgs(s).map((a) => (/^[\w@.,:/=-]+$/.test(a) ? a : `'${a}'`))].join(' ');
}

/** runScenario runs and grades the scenario as its replay command would. */
export async function runScenario(s: Scenario): Promise<KvRun> {
  const over = {
    ...(s.leaves !== undefined ? { leaves: s.leaves } : {}),
    ...(s.stopBelowMin === true ? { stopBelowMin: true } : {}),
    ...(s.craq === true ? { craq: true } : {}),
  };
  const program = await chainProgram(over, s.l);
  return runKv(program, scenarioOptions(s));
}
