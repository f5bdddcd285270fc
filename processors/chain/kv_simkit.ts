// kv_simkit: what chain's simulated KV tests share (kv_sweep.test.ts, kv_scenarios.test.ts): a
// run of the chain program with simulated clients, graded as `csplab sim --clients` grades it —
// the client history by check/lin's kv model, the instance logs by the program's audit
// (audit.ts) — and the master's configurations read back from its log.
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { SeededRandom } from '../../runtime/random.js';
import type { SimProgram } from '../../runtime/protocol.js';
import type { SimClientLoad, SimFault, SimOptions, SimOutcome } from '../../runtime/sim/types.js';
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
export function chainProgram(over: Partial<ChainOptions> = {}): Promise<SimProgram> {
  return simulateChain({ ...DEFAULT_CHAIN_OPTIONS, ...over }, 1024);
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
        const groups = [side, rest].map((g) => g.map((r) => ({ type: 'rank' as const, rank: r })));
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
