// simkit: what Vectory's simulated tests share (sim.test.ts, sweep.test.ts): a run of the node
// program on runtime/sim graded as `csplab sim --protocol vectory` grades it — the instance logs
// by the audit (invariants.ts), the client history by check/lin's kv model (writes and master
// reads, S8) and by check/sc (the whole history, local reads too, S9) — and mastership over
// time read back from the logs (the balance you can watch).
import { checkLinearizable, HistoryError, parseHistoryText, type History } from '../../check/lin/index.js';
import { checkSequential } from '../../check/sc/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { rankTarget, type SimFault, type SimOptions, type SimOutcome } from '../../runtime/sim/types.js';
import { vectoryConfig, type VectoryConfig } from './config.js';
import { simulateVectory } from './entry.js';
import { parseLine } from './log.js';

/** Graded: a finished run and everything wrong with it. */
export type Graded = { readonly o: SimOutcome; readonly failures: string[]; readonly ok: number };

/** runGraded runs one simulated cluster and grades it. */
export async function runGraded(over: Partial<VectoryConfig>, o: SimOptions): Promise<Graded> {
  const program = await simulateVectory(vectoryConfig(over));
  const out = program.run(o);
  const failures = [...out.problems, ...(program.audit?.(out) ?? [])];
  if (o.clients !== undefined) {
    const history = parseHistoryText(out.history?.toJsonl() ?? '', 'kv');
    const lin = checkLinearizable(history, 'kv');
    if (lin.verdict !== 'linearizable') failures.push(`client history ${lin.verdict}`);
    failures.push(...sequentialFailures(history));
  }
  return { o: out, failures, ok: out.clientStats?.ok ?? 0 };
}

/** sequentialFailures: S9 as `csplab check --sc` grades it; an unstamped ok op is the store's bug too. */
function sequentialFailures(history: History): string[] {
  try {
    return checkSequential(history).violations.map((v) => `client history not sequentially consistent (${v.kind}: ${v.text})`);
  } catch (e) {
    if (e instanceof HistoryError) return [`client history not gradable by --sc: ${e.message}`];
    throw e;
  }
}

/** Mastery: each shard's master over time, from the nodes' master and stepdown lines. */
export type Change = { readonly atMs: number; readonly shard: number; readonly node: number | null };

/** masterChanges: every master and stepdown line of every node, in time order. */
export function masterChanges(logs: readonly (readonly string[])[]): Change[] {
  const out: Change[] = [];
  logs.forEach((ls, node) => {
    for (const t of ls) {
      const l = parseLine(t);
      if (l?.words[0] === 'master') out.push({ atMs: l.atUs / 1000, shard: Number(l.words[1]), node });
      if (l?.words[0] === 'stepdown') out.push({ atMs: l.atUs / 1000, shard: Number(l.words[1]), node: -1 - node });
    }
  });
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** masteredOverTime: after each change, how many shards each node masters (a stepdown clears only its own). */
export function masteredOverTime(changes: readonly Change[], nodes: number, shards: number): { atMs: number; counts: number[] }[] {
  const master: (number | null)[] = Array.from({ length: shards }, () => null);
  return changes.map((c) => {
    if (c.node !== null && c.node >= 0) master[c.shard] = c.node;
    else if (c.node !== null && master[c.shard] === -1 - c.node) master[c.shard] = null;
    const counts = Array.from({ length: nodes }, (_, n) => master.filter((m) => m === n).length);
    if (master.some((m) => m === null)) counts.push(-1); // a shard without a master: not balanced yet
    return { atMs: c.atMs, counts };
  });
}

/** sweepFaults: a seed's faults over loadMs — crashes each restarted before the next (at most one node down), pauses, partitions — and a lossy link. */
export function sweepFaults(seed: number, ranks: number, loadMs: number): Pick<SimOptions, 'faults' | 'link'> {
  const rnd = new SeededRandom(`vectory-sweep/${seed}`);
  const faults: SimFault[] = [];
  let downUntil = 0;
  for (let at = rnd.between(300, 900); at < 0.7 * loadMs; at += rnd.between(300, 1200)) {
    const rank = rnd.int(ranks);
    const durationMs = rnd.between(100, 1000);
    const kind = rnd.int(3);
    if (kind === 0 && at >= downUntil) {
      faults.push({ action: 'kill', target: { type: 'rank', rank }, atMs: at });
      faults.push({ action: 'restart', target: { type: 'rank', rank }, atMs: at + durationMs });
      downUntil = at + durationMs + 10;
    } else if (kind === 1) faults.push({ action: 'pause', target: { type: 'rank', rank }, atMs: at, durationMs });
    else {
      const side = Array.from({ length: ranks }, (_, r) => r).filter(() => rnd.next() < 0.4);
      const rest = Array.from({ length: ranks }, (_, r) => r).filter((r) => !side.includes(r));
      if (side.length > 0 && rest.length > 0)
        faults.push({
          action: 'partition',
          groups: [side, rest].map((g) => g.map(rankTarget)),
          atMs: at,
          durationMs,
        });
    }
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return {
    faults,
    link: { dropRate: rnd.between(0, 0.05), dupRate: rnd.between(0, 0.05), delayMs: rnd.between(1, 4), jitterMs: 1, damageRate: 0.001 },
  };
}
