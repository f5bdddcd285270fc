// master_state: what the single master (the seed's ECS) keeps, and the installation of a new
// configuration (docs/protocols/chain-master.md §1, §5): every change is a whole Config at a higher
// epoch, persisted first and sent only once durable, so a restarted master never hands out an
// epoch a node has already seen with different contents.
import type { Config, ConfigRange, RangeId } from './config.js';
import type { ChainMsg, RangeReport } from './messages.js';
import { configNodes, sortRanges } from './master_ring.js';
import type { ChainOptions } from './options.js';
import type { ChainOut } from './types.js';

/** NodeInfo: a live node as the master sees it (joined, not declared failed, not stopped). */
export interface NodeInfo {
  /** incarnation: its process's; -1 after a master restart until its first heartbeat says. */
  incarnation: number;
  lastHeardMs: number;
  /** epoch: the epoch its last heartbeat reported. */
  epoch: number;
  /** minEpoch: no config below this reaches it (a restarted rank must not see its old self in a chain). */
  minEpoch: number;
  reports: Map<RangeId, RangeReport>;
}

/** StepKind: the reconciler's steps (§7): extend at the tail, remove a member, split, merge. */
export type StepKind = 'extend' | 'remove' | 'split' | 'merge';

/** Step: the one reconfiguration under way (decision 5). */
export interface Step {
  readonly kind: StepKind;
  /** rangeId: the range it changes (merge: the orphan range). */
  readonly rangeId: RangeId;
  /** other: merge only, the successor range it merges into. */
  readonly other?: RangeId;
  /** node: extend: the joiner; remove: the member; split: the node at the split point. */
  readonly node: number;
  /** pauses: ranges whose heads must report Quiesced before the change (J3). */
  readonly pauses: readonly RangeId[];
  readonly quiesced: Set<RangeId>;
  /** phase: pause (waiting for Quiesced) or act (waiting for Ready or Retired). */
  phase: 'pause' | 'act';
  readonly startedMs: number;
  phaseMs: number;
  sentMs: number;
}

/** Parked: sends that wait for persist batch `batch` to be durable; `config` is announced then. */
interface Parked {
  readonly batch: number;
  readonly config?: Config;
  readonly sends: { readonly to: number; readonly msg: ChainMsg }[];
}

export interface MasterCounts {
  joins: number;
  failures: number;
  leaves: number;
  configs: number;
  extends: number;
  removals: number;
  splits: number;
  merges: number;
  aborts: number;
  stuck: number;
}

export interface MasterState {
  readonly o: ChainOptions;
  readonly ranks: number;
  readonly startAtMs: number;
  /** config: the newest configuration decided (maybe not yet durable); announced: the newest sent. */
  config: Config | undefined;
  announced: Config | undefined;
  /** seenEpoch: the highest epoch a heartbeat reported; a new epoch exceeds it too. */
  seenEpoch: number;
  readonly nodes: Map<number, NodeInfo>;
  readonly failed: Set<number>;
  readonly leaving: Set<number>;
  /** stopped: ranks told to Stop after leaving; a heartbeat from one gets Stop again. */
  readonly stopped: Set<number>;
  /** joinedTail: a range's tail added by X4 that has not reported `servable` yet (X5). */
  readonly joinedTail: Map<RangeId, number>;
  readonly lost: Set<RangeId>;
  step: Step | undefined;
  readonly retryAtMs: Map<RangeId, number>;
  readonly stuck: Map<string, { lastAcked: number; sinceMs: number; logged: boolean }>;
  persists: number;
  durable: number;
  parked: Parked[];
  /** resumeHeads: a restarted master releases any pause its predecessor left (first step). */
  resumeHeads: boolean;
  notes: Set<string>;
  degraded: boolean;
  readonly counts: MasterCounts;
}

/** liveRing: live nodes that are not leaving, the ones K1 places chains on. */
export function liveMembers(m: MasterState): number[] {
  return [...m.nodes.keys()].filter((r) => !m.leaving.has(r));
}

/** nextEpoch: above every epoch decided or reported (a restarted master bumps past what nodes hold). */
export function nextEpoch(m: MasterState): number {
  return Math.max(m.config?.epoch ?? 0, m.seenEpoch) + 1;
}

/** persistSets: persist the record (failed and leaving changed, or a new config); returns the batch number. */
export function persistRecord(m: MasterState, out: ChainOut): number {
  if (m.config === undefined) return m.persists;
  const incarnations = [...m.nodes].filter(([, n]) => n.incarnation >= 0).map(([r, n]) => [r, n.incarnation] as const);
  out.persist({
    config: m.config,
    failed: [...m.failed].sort((a, b) => a - b),
    leaving: [...m.leaving].sort((a, b) => a - b),
    incarnations,
  });
  return ++m.persists;
}

/** describeChains: a configuration's ranges as `hi8:[head … tail]`, the form every log line uses. */
export function describeChains(c: Config): string {
  return c.ranges.map((r) => `${r.hi.slice(0, 8)}:[${r.chain.join(' ')}]`).join(' ');
}

/**
 * install decides configuration `epoch` with `ranges`: persisted now, sent to every live node
 * (and to `removed`, the members it drops) once durable. A config travels whole (decision 2).
 */
export function install(
  m: MasterState,
  epoch: number,
  ranges: readonly ConfigRange[],
  removed: readonly number[],
  why: string,
  out: ChainOut,
): void {
  const sorted = sortRanges(ranges);
  const config: Config = { epoch, k: m.o.k, nodes: configNodes(sorted), ranges: sorted };
  m.config = config;
  m.counts.configs++;
  for (const [id, j] of [...m.joinedTail]) {
    const r = sorted.find((x) => x.rangeId === id);
    if (r?.chain[r.chain.length - 1] !== j) m.joinedTail.delete(id); // the joiner left the range, or the range is gone
  }
  const batch = persistRecord(m, out);
  const to = new Set([...m.nodes].filter(([, n]) => n.minEpoch <= epoch).map(([r]) => r));
  for (const r of removed) to.add(r);
  // Addressed to the incarnation the master knows now: a later process of the rank ignores it (it
  // names the old one in chains). One of unknown incarnation (a restored record) asks by GetConfig.
  const sends = [...to]
    .sort((a, b) => a - b)
    .flatMap((r) => {
      const incarnation = m.nodes.get(r)?.incarnation ?? -1;
      return incarnation < 0 ? [] : [{ to: r, msg: { type: 'config', config, incarnation } as const }];
    });
  m.parked.push({ batch, config, sends });
  out.log({ type: 'master', epoch, what: why });
  out.log({ type: 'config', epoch, summary: describeChains(config) });
}

/** onPersisted: batches up to `batchId` (the master's own count, docs/protocols/chain-master.md §5) are durable: release what waited. */
export function onPersisted(m: MasterState, batchId: number, out: ChainOut): void {
  m.durable = Math.max(m.durable, Math.min(batchId, m.persists));
  const ready = m.parked.filter((p) => p.batch <= m.durable);
  m.parked = m.parked.filter((p) => p.batch > m.durable);
  for (const p of ready) {
    if (p.config !== undefined) m.announced = p.config;
    for (const s of p.sends) out.send(s.to, s.msg);
  }
}

/** settled: the newest decided configuration is the one announced (no install waits for the disk). */
export function settled(m: MasterState): boolean {
  return m.config !== undefined && m.config === m.announced;
}

/** note logs a master line once per distinct text until forget (waiting, stalled, degraded reasons). */
export function noteOnce(m: MasterState, what: string, out: ChainOut): void {
  if (m.notes.has(what)) return;
  m.notes.add(what);
  out.log({ type: 'master', epoch: m.config?.epoch ?? 0, what });
}
