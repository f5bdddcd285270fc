// invariants: docs/protocols/chain.md §12's I1–I8 and I10 as pure functions over node states,
// apply logs (log.ts's H8 lines) and configurations, shared by unit tests and (later) the
// simulator. Each returns the violations it found, one sentence each; empty means it holds.
//
// Lines of a node the master declared failed may fork (I3, I6): a head that applied a write it
// never forwarded is fenced by its lease, and that write was never acked. Callers pass such
// nodes in `failed` so only the survivors' logs are held to it.
import { inRange } from './ring.js';
import { rangeOfKey, tailOf, type Config } from './config.js';
import type { ApplyLine } from './log.js';
import { hasLease, isTail, servable, type NodeState, type RangeState } from './node_state.js';
import type { ChainLogEvent } from './types.js';

type Member = { readonly n: NodeState; readonly r: RangeState };

/** members: each node's state for rangeId, by rank. */
function members(nodes: readonly NodeState[], rangeId: string): Map<number, Member> {
  const m = new Map<number, Member>();
  for (const n of nodes) {
    const r = n.ranges.get(rangeId);
    if (r !== undefined) m.set(n.rank, { n, r });
  }
  return m;
}

/** neighbours: each (node, succ) pair that agree on the epoch and the chain (a settled view). */
function linked(nodes: readonly NodeState[]): { a: Member; b: Member }[] {
  const pairs: { a: Member; b: Member }[] = [];
  const ids = new Set(nodes.flatMap((n) => [...n.ranges.keys()]));
  for (const id of ids) {
    const m = members(nodes, id);
    for (const a of m.values()) {
      const b = a.r.succ === undefined ? undefined : m.get(a.r.succ);
      if (b === undefined || a.r.retired || b.r.retired || a.n.epoch !== b.n.epoch) continue;
      if (a.r.chain.join() === b.r.chain.join()) pairs.push({ a, b });
    }
  }
  return pairs;
}

/** I1 Propagation: within a chain and epoch, lastApplied(succ) ≤ lastApplied(node). */
export function checkPropagation(nodes: readonly NodeState[]): string[] {
  return linked(nodes)
    .filter(({ a, b }) => b.r.lastApplied > a.r.lastApplied)
    .map(({ a, b }) => `I1: range ${a.r.rangeId}: node ${b.n.rank} applied ${b.r.lastApplied} > its pred ${a.n.rank}'s ${a.r.lastApplied}`);
}

/** I2 In-process: every seq in (lastApplied(tail), lastApplied(i)] is in sent(i). */
export function checkInProcess(nodes: readonly NodeState[]): string[] {
  const out: string[] = [];
  const ids = new Set(nodes.flatMap((n) => [...n.ranges.keys()]));
  for (const id of ids) {
    const m = members(nodes, id);
    for (const { n, r } of m.values()) {
      const tail = m.get(r.chain[r.chain.length - 1] ?? -1);
      if (tail === undefined || r.retired || tail.n.epoch !== n.epoch || tail.r.chain.join() !== r.chain.join()) continue;
      const sent = new Set(r.sent.map((u) => u.seq));
      for (let s = tail.r.lastApplied + 1; s <= r.lastApplied; s++) {
        if (!sent.has(s)) {
          out.push(`I2: range ${id}: node ${n.rank} applied ${s} beyond tail ${tail.n.rank}'s ${tail.r.lastApplied} but it is not in sent`);
          break;
        }
      }
    }
  }
  return out;
}

/** I3 No fork: every node that applied seq of a range applied the same update, across epochs. */
export function checkNoFork(lines: readonly ApplyLine[], failed: ReadonlySet<number> = new Set()): string[] {
  const first = new Map<string, ApplyLine>();
  const out: string[] = [];
  for (const a of lines) {
    if (failed.has(a.node)) continue;
    const id = `${a.rangeId}#${a.seq}`;
    const f = first.get(id);
    if (f === undefined) first.set(id, a);
    else if (f.key !== a.key || f.op !== a.op || f.clientId !== a.clientId || f.reqNo !== a.reqNo)
      out.push(
        `I3: range ${a.rangeId} seq ${a.seq}: node ${f.node} applied ${f.clientId}/${f.reqNo}, node ${a.node} ${a.clientId}/${a.reqNo}`,
      );
  }
  return out;
}

/** AckedWrite: a write the client saw `ok`, with the seq and key it was applied at (from the apply lines). */
export interface AckedWrite {
  readonly key: string;
  readonly seq: number;
  readonly op: 'put' | 'delete';
}

/**
 * I4: an ok write is in the store of its key's tail in config c until a later seq overwrites
 * it: the tail applied it, and holds the key at a seq ≥ it (a put), or a later delete removed
 * the key (`lines` name the deletes), or (a delete) the key is absent or rewritten later.
 */
export function checkAckedDurable(
  acked: readonly AckedWrite[],
  c: Config,
  nodes: readonly NodeState[],
  lines: readonly ApplyLine[],
): string[] {
  const out: string[] = [];
  for (const w of acked) {
    const cr = rangeOfKey(c, w.key);
    const tail = cr === undefined ? undefined : tailOf(cr);
    const r = nodes.find((n) => n.rank === tail)?.ranges.get(cr?.rangeId ?? '');
    if (r === undefined) continue; // the range is lost (C6) or its tail is not given
    const held = r.store.get(w.key);
    const laterDelete = lines.some((a) => a.key === w.key && a.op === 'delete' && a.seq > w.seq);
    const ok =
      r.lastApplied >= w.seq &&
      (w.op === 'put' ? (held !== undefined && held.seq >= w.seq) || laterDelete : held === undefined || held.seq > w.seq);
    if (!ok)
      out.push(
        `I4: key ${JSON.stringify(w.key)}: ok ${w.op} at seq ${w.seq} is not at tail ${tail ?? '-'} (lastApplied ${r.lastApplied}, holds seq ${held?.seq ?? 'none'})`,
      );
  }
  return out;
}

/** I5 Gap-free: a node applies a range's seqs consecutively (from wherever it started: epoch 1, a snapshot, or its parents). */
export function checkGapFree(lines: readonly ApplyLine[]): string[] {
  const last = new Map<string, number>();
  const out: string[] = [];
  for (const a of lines) {
    const id = `${a.node}@${a.rangeId}`;
    const l = last.get(id);
    if (l !== undefined && a.seq !== l + 1) out.push(`I5: node ${a.node} range ${a.rangeId}: applied ${a.seq} after ${l}`);
    last.set(id, a.seq);
  }
  return out;
}

/** I6: each (clientId, reqNo) gets at most one seq per range. */
export function checkOneSeq(lines: readonly ApplyLine[], failed: ReadonlySet<number> = new Set()): string[] {
  const seqOf = new Map<string, number>();
  const out: string[] = [];
  for (const a of lines) {
    if (failed.has(a.node)) continue;
    const id = `${a.rangeId}#${a.clientId}#${a.reqNo}`;
    const s = seqOf.get(id);
    if (s === undefined) seqOf.set(id, a.seq);
    else if (s !== a.seq) out.push(`I6: range ${a.rangeId}: ${a.clientId}/${a.reqNo} applied at seq ${s} and ${a.seq}`);
  }
  return out;
}

/** I7: epochs never decrease at a node: its config lines rise strictly, its apply lines never fall. */
export function checkEpochsRise(rank: number, events: readonly ChainLogEvent[]): string[] {
  let config = 0;
  let applied = 0;
  const out: string[] = [];
  for (const ev of events) {
    if (ev.type === 'config') {
      if (ev.epoch <= config) out.push(`I7: node ${rank} installed epoch ${ev.epoch} after ${config}`);
      config = Math.max(config, ev.epoch);
    } else if (ev.type === 'apply') {
      if (ev.epoch < applied) out.push(`I7: node ${rank} applied in epoch ${ev.epoch} after ${applied}`);
      applied = Math.max(applied, ev.epoch);
    }
  }
  return out;
}

/** overlaps: two ring ranges (lo, hi] share a position (the shared part's top is one of their tops). */
function overlaps(a: RangeState, b: RangeState): boolean {
  return inRange(a.hi, b.lo, b.hi) || inRange(b.hi, a.lo, a.hi);
}

/** I8: at any instant at most one node serves tail reads for any part of the ring (lease, F6, X4). */
export function checkOneReader(nodes: readonly NodeState[], nowMs: number): string[] {
  const serving: Member[] = [];
  for (const n of nodes) {
    if (n.stopped || !hasLease(n, nowMs)) continue;
    for (const r of n.ranges.values()) if (isTail(r, n.rank) && servable(r)) serving.push({ n, r });
  }
  const out: string[] = [];
  for (let i = 0; i < serving.length; i++) {
    for (let j = i + 1; j < serving.length; j++) {
      const a = serving[i];
      const b = serving[j];
      if (a !== undefined && b !== undefined && a.n.rank !== b.n.rank && overlaps(a.r, b.r))
        out.push(`I8: nodes ${a.n.rank} (${a.r.rangeId}) and ${b.n.rank} (${b.r.rangeId}) both serve reads at ${nowMs} ms`);
    }
  }
  return out;
}

/**
 * I10: the ranges partition the ring (sorted by hi, each starts where the previous ends; one
 * range with lo === hi is the whole ring), each chain names distinct nodes of the config, and
 * with `settled` each chain has min(k, N) members.
 */
export function checkPartition(c: Config, settled = false): string[] {
  const out: string[] = [];
  const rs = [...c.ranges].sort((a, b) => (a.hi < b.hi ? -1 : a.hi > b.hi ? 1 : 0));
  if (rs.length === 0) out.push(`I10: epoch ${c.epoch} has no ranges`);
  if (rs.length === 1 && rs[0] !== undefined && rs[0].lo !== rs[0].hi)
    out.push(`I10: epoch ${c.epoch}: one range that is not the whole ring`);
  for (let i = 0; rs.length > 1 && i < rs.length; i++) {
    const r = rs[i];
    const prev = rs[(i + rs.length - 1) % rs.length];
    if (r !== undefined && prev !== undefined && r.lo !== prev.hi)
      out.push(`I10: epoch ${c.epoch}: range ${r.rangeId} starts at ${r.lo}, not at ${prev.hi}`);
  }
  const ranks = new Set(c.nodes.map((n) => n.rank));
  const want = Math.min(c.k, c.nodes.length);
  for (const r of c.ranges) {
    if (new Set(r.chain).size !== r.chain.length) out.push(`I10: epoch ${c.epoch}: range ${r.rangeId} names a node twice`);
    if (r.chain.some((x) => !ranks.has(x))) out.push(`I10: epoch ${c.epoch}: range ${r.rangeId} names a node not in the config`);
    if (settled && r.chain.length !== want)
      out.push(`I10: epoch ${c.epoch}: range ${r.rangeId} has ${r.chain.length} members, not ${want}`);
  }
  return out;
}
