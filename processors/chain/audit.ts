// audit: the log invariants (invariants.ts I3, I5, I6) over a finished simulated run's
// instance logs — what the simulator grades chain by, beside its clients' history (the lab's
// commit-line checker has nothing to read: chain logs apply lines, log.ts).
//
// A rank's log holds every life of that rank: a restart is a new node (C6) and so is a node the
// master removed (it drops its ranges and joins again). A life ends at a restart (the new
// incarnation's number is its start time, which the master logs when it joins) or at the
// `dropped (removed)` lines; a range's seqs restart wherever a life took it up (a snapshot),
// so I5 is held within one life and one holding of a range (until a `dropped` role line).
// I3 and I6 exclude every rank that was killed or declared failed: a fenced head may have
// applied a write it never forwarded (invariants.ts).
import { checkGapFree, checkNoFork, checkOneSeq } from './invariants.js';
import { parseApplyLine, type ApplyLine } from './log.js';
import { MASTER_RANK } from './types.js';

/** RankLog: one rank's instance log lines. */
export interface RankLog {
  readonly rank: number;
  readonly lines: readonly string[];
}

const JOINED_RE = /^master \d+ rank (\d+) joined \(incarnation (\d+)\)/;
const FAILED_RE = /^master \d+ no heartbeat from ranks? ([\d, ]+) for/;
const DROPPED_RE = /^role (\S+) \d+ dropped/;
const AT_RE = / at (\d+)$/;

/** MasterView: what the master's log says of each rank: its incarnations (µs of their start) and whether it ever failed. */
interface MasterView {
  readonly starts: Map<number, number[]>;
  readonly failed: Set<number>;
}

function masterView(lines: readonly string[]): MasterView {
  const starts = new Map<number, number[]>();
  const failed = new Set<number>();
  for (const line of lines) {
    const j = JOINED_RE.exec(line);
    if (j !== null) {
      const rank = Number(j[1]);
      const us = Number(j[2]) * 1000;
      const xs = starts.get(rank) ?? [];
      if (!xs.includes(us)) xs.push(us);
      starts.set(rank, xs);
    }
    const f = FAILED_RE.exec(line);
    if (f !== null) for (const r of (f[1] ?? '').split(',')) failed.add(Number(r.trim()));
  }
  return { starts, failed };
}

/**
 * holdings: rank's apply lines, each `node` renumbered per holding of a range — rank·10⁶ +
 * holding — so checkGapFree sees one consecutive run per holding.
 */
function holdings(rank: number, lines: readonly string[], starts: readonly number[]): ApplyLine[] {
  const out: ApplyLine[] = [];
  const held = new Map<string, number>(); // rangeId → holding number
  let next = 0;
  let life = 0;
  const lifeStarts = [...starts].sort((a, b) => a - b).slice(1); // the first life needs no boundary
  for (const line of lines) {
    const at = Number(AT_RE.exec(line)?.[1] ?? NaN);
    if (life < lifeStarts.length && at >= (lifeStarts[life] ?? Infinity)) {
      life++;
      held.clear(); // a new incarnation holds nothing it held before
    }
    const dropped = DROPPED_RE.exec(line);
    if (dropped !== null) held.delete(dropped[1] ?? '');
    const a = parseApplyLine(line, rank);
    if (a === undefined) continue;
    let h = held.get(a.rangeId);
    if (h === undefined) held.set(a.rangeId, (h = next++));
    out.push({ ...a, node: rank * 1_000_000 + h });
  }
  return out;
}

/** auditChainLogs: every violation of I3, I5 and I6 in a run's logs (empty: they hold). */
export function auditChainLogs(ranks: readonly RankLog[], killed: ReadonlySet<number>): string[] {
  const view = masterView(ranks.find((r) => r.rank === MASTER_RANK)?.lines ?? []);
  const all: ApplyLine[] = [];
  for (const r of ranks) {
    if (r.rank === MASTER_RANK) continue;
    all.push(...holdings(r.rank, r.lines, view.starts.get(r.rank) ?? []));
  }
  const gaps = checkGapFree(all).map((v) => v.replace(/node (\d+)/g, (_, n: string) => `rank ${Math.floor(Number(n) / 1_000_000)}`));
  const survivors = all.filter((a) => {
    const rank = Math.floor(a.node / 1_000_000);
    return !killed.has(rank) && !view.failed.has(rank);
  });
  const plain = survivors.map((a) => ({ ...a, node: Math.floor(a.node / 1_000_000) }));
  return [...checkNoFork(plain), ...checkOneSeq(plain), ...gaps];
}
