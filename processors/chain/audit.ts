// audit: the log invariants (invariants.ts I3, I5, I6, I7, I10) over a finished simulated run's
// instance logs — what the simulator grades chain by, beside its clients' history (the lab's
// commit-line checker has nothing to read: chain logs apply lines, log.ts).
//
// A rank's log holds every life of that rank: a restart is a new node (C6) and so is a node the
// master removed (it drops its ranges and joins again). A life ends at a restart (the new
// incarnation's number is its start time, which the master logs when it joins) or at the
// `dropped (removed)` lines; a range's seqs restart wherever a life took it up (a snapshot),
// so I5 is held within one life and one holding of a range (until a `dropped` role line), and
// I7 (epochs rise) within one process. I3 and I6 exclude every rank that was killed or declared
// failed: a fenced head may have applied a write it never forwarded (invariants.ts). I10 holds
// every configuration a node installed: its ranges partition the ring, its chains name distinct
// nodes, and every node that installed an epoch installed the same configuration.
import { checkEpochsRise, checkGapFree, checkNoFork, checkOneSeq, checkPartition } from './invariants.js';
import { parseApplyLine, parseConfigLine, type ApplyLine } from './log.js';
import { MASTER_RANK, type ChainLogEvent } from './types.js';

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

/** lives: rank's log cut where each later incarnation starts (its µs from the master's log): one process each. */
function lives(lines: readonly string[], starts: readonly number[]): string[][] {
  const bounds = [...starts].sort((a, b) => a - b).slice(1); // the first life needs no boundary
  const out: string[][] = [[]];
  for (const line of lines) {
    const at = Number(AT_RE.exec(line)?.[1] ?? NaN);
    while (out.length - 1 < bounds.length && at >= (bounds[out.length - 1] ?? Infinity)) out.push([]);
    out[out.length - 1]?.push(line);
  }
  return out;
}

/**
 * holdings: one life's apply lines, each `node` renumbered per holding of a range — rank·10⁶ +
 * holding — so checkGapFree sees one consecutive run per holding. `next` numbers holdings across
 * the rank's lives.
 */
function holdings(rank: number, life: readonly string[], next: { n: number }): ApplyLine[] {
  const out: ApplyLine[] = [];
  const held = new Map<string, number>(); // rangeId → holding number; a new life holds nothing it held before
  for (const line of life) {
    const dropped = DROPPED_RE.exec(line);
    if (dropped !== null) held.delete(dropped[1] ?? '');
    const a = parseApplyLine(line, rank);
    if (a === undefined) continue;
    let h = held.get(a.rangeId);
    if (h === undefined) held.set(a.rangeId, (h = next.n++));
    out.push({ ...a, node: rank * 1_000_000 + h });
  }
  return out;
}

/** epochsRise: I7 over one life: config epochs rise strictly, apply epochs never fall. */
function epochsRise(rank: number, life: readonly string[]): string[] {
  const events = life.flatMap((line): ChainLogEvent[] => {
    const c = parseConfigLine(line, rank);
    if (c !== undefined) return [{ type: 'config', epoch: c.config.epoch, summary: '' }];
    const a = parseApplyLine(line, rank);
    return a === undefined ? [] : [{ type: 'apply', ...a }];
  });
  return checkEpochsRise(rank, events);
}

/** auditConfigs: I10 over every node's config lines, and one configuration per epoch across nodes. */
export function auditConfigs(ranks: readonly RankLog[], masters: readonly number[] = [MASTER_RANK]): string[] {
  const out: string[] = [];
  const byEpoch = new Map<number, { rank: number; text: string }>();
  for (const r of ranks) {
    if (masters.includes(r.rank)) continue;
    for (const line of r.lines) {
      const c = parseConfigLine(line, r.rank);
      if (c === undefined) continue;
      const text = line.slice(0, line.lastIndexOf(' at '));
      const seen = byEpoch.get(c.config.epoch);
      if (seen === undefined) {
        byEpoch.set(c.config.epoch, { rank: r.rank, text });
        out.push(...checkPartition(c.config));
      } else if (seen.text !== text)
        out.push(`I10: epoch ${c.config.epoch}: nodes ${seen.rank} and ${r.rank} installed different configurations`);
    }
  }
  return out;
}

/**
 * auditChainLogs: every violation of I3, I5, I6, I7 and I10 in a run's logs (empty: they hold).
 * With a replicated master (`masters`: its ranks) each leader logs the joins and failures it
 * saw, so the view is read from all of their logs together.
 */
export function auditChainLogs(
  ranks: readonly RankLog[],
  killed: ReadonlySet<number>,
  masters: readonly number[] = [MASTER_RANK],
): string[] {
  const view = masterView(ranks.filter((r) => masters.includes(r.rank)).flatMap((r) => r.lines));
  const all: ApplyLine[] = [];
  const epochs: string[] = [];
  for (const r of ranks) {
    if (masters.includes(r.rank)) continue;
    const next = { n: 0 };
    for (const life of lives(r.lines, view.starts.get(r.rank) ?? [])) {
      all.push(...holdings(r.rank, life, next));
      epochs.push(...epochsRise(r.rank, life));
    }
  }
  const gaps = checkGapFree(all).map((v) => v.replace(/node (\d+)/g, (_, n: string) => `rank ${Math.floor(Number(n) / 1_000_000)}`));
  const survivors = all.filter((a) => {
    const rank = Math.floor(a.node / 1_000_000);
    return !killed.has(rank) && !view.failed.has(rank);
  });
  const plain = survivors.map((a) => ({ ...a, node: Math.floor(a.node / 1_000_000) }));
  return [...checkNoFork(plain), ...checkOneSeq(plain), ...gaps, ...epochs, ...auditConfigs(ranks, masters)];
}
