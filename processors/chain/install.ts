// install: a node installs a whole configuration (decision 2 of docs/protocols/chain.md). Per
// range it compares its chain in the installed configuration with the new one: F1 (became
// head), F2 (became tail), a new successor (resend all of `sent`: W4 makes duplicates
// harmless, and this is F3 without SetPred/SetSucc), X4 (the old tail gets its joiner), ranges
// built from their parents (J1, G2) and ranges dropped.
import { inRange, positionOf } from './ring.js';
import { predOf, succOf, tailOf, type Config, type ConfigRange } from './config.js';
import { isHead, isTail, newRange, roleIn, type NodeState, type RangeState } from './node_state.js';
import type { ChainOut } from './types.js';
import { answerWaiting, forward, sendHandover } from './write.js';

/**
 * configSummary: one line naming every range as `rangeId:lo:[chain]` (the instance log's config
 * line), whole enough for the log audit to check that the ranges partition the ring (I10).
 */
export function configSummary(c: Config): string {
  return c.ranges.map((r) => `${r.rangeId}:${r.lo}:[${r.chain.join(',')}]`).join(' ');
}

/** installConfig: adopt c if it is newer (epochs never decrease at a node, I7). */
export function installConfig(n: NodeState, c: Config, nowMs: number, out: ChainOut): void {
  if (c.epoch <= n.epoch) return;
  n.config = c;
  n.epoch = c.epoch;
  n.counts.configsInstalled++;
  if (c.nodes.some((x) => x.rank === n.rank)) n.joined = true;
  out.log({ type: 'config', epoch: c.epoch, summary: configSummary(c) });
  const built: RangeState[] = [];
  for (const cr of c.ranges) {
    if (!cr.chain.includes(n.rank)) continue;
    const r = n.ranges.get(cr.rangeId);
    if (r !== undefined && r.role !== 'joining') updateMember(n, r, cr, nowMs, out);
    else if (r !== undefined) joinerInstalled(n, r, cr, out);
    else {
      const b = buildRange(n, c, cr, nowMs, out);
      if (b !== undefined) built.push(b);
    }
  }
  dropRanges(n, c, out);
  for (const b of built) n.ranges.set(b.rangeId, b);
  n.nextHbAtMs = nowMs; // a lease for the new epoch as soon as the master answers (L1)
}

/** place sets a member's chain, neighbours and role from cr. */
function place(n: NodeState, r: RangeState, cr: ConfigRange, out: ChainOut): void {
  const role = roleIn(cr, n.rank);
  if (role !== r.role) out.log({ type: 'role', rangeId: r.rangeId, epoch: n.epoch, role });
  r.chain = cr.chain;
  r.lo = cr.lo;
  r.hi = cr.hi;
  r.role = role;
  r.pred = predOf(cr, n.rank);
  r.succ = succOf(cr, n.rank);
}

/** updateMember: F1, F2, a new successor (or X4's joiner) for a range this node already served. */
function updateMember(n: NodeState, r: RangeState, cr: ConfigRange, nowMs: number, out: ChainOut): void {
  const wasHead = isHead(r, n.rank);
  const wasTail = isTail(r, n.rank);
  const oldSucc = r.succ;
  place(n, r, cr, out);
  if (isHead(r, n.rank) && !wasHead) r.nextSeq = r.lastApplied + 1; // F1: keeps sent
  if (isTail(r, n.rank) && !wasTail) {
    // F2: everything applied here is committed
    r.lastAcked = r.lastApplied;
    r.sent = [];
    if (r.pred !== undefined) out.send(r.pred, { type: 'ack', epoch: n.epoch, rangeId: r.rangeId, upTo: r.lastApplied });
    answerWaiting(n, r, out);
  }
  const snap = r.snapshot;
  if (!isTail(r, n.rank)) r.snapshot = undefined; // only a tail serves a join (X4 took its log above)
  if (r.handover !== undefined && r.handover.to !== r.succ) r.handover = undefined;
  if (r.succ === undefined || r.succ === oldSucc) return;
  r.lastAckAtMs = nowMs;
  if (wasTail && snap !== undefined && snap.joiner === r.succ && !snap.overflow) {
    // X4: the log of updates after s0 is what the joiner lacks; lastAcked stays (they are committed)
    r.sent = snap.transferLog;
    r.handover = { to: r.succ, s1: r.lastApplied };
    sendHandover(n, r, out);
  }
  forward(n, r, r.sent, out);
}

/** joinerInstalled: the joiner becomes a member holding the snapshot at s0; it serves after Handover (X4). */
function joinerInstalled(n: NodeState, r: RangeState, cr: ConfigRange, out: ChainOut): void {
  if (r.joining === undefined || !r.joining.done) {
    // installed without the whole snapshot (not the master's protocol): never serve from a partial copy
    n.ranges.delete(r.rangeId);
    out.log({ type: 'role', rangeId: r.rangeId, epoch: n.epoch, role: 'missing (snapshot incomplete)' });
    return;
  }
  r.joining = undefined;
  place(n, r, cr, out);
}

/**
 * buildRange: a range new to this node: from its parents' stores (keys in (lo, hi]), seq
 * continuing from the largest parent lastApplied (C7), dedup keeping each client's larger reqNo
 * (G2); or empty at the first epoch. A range it cannot build is logged and skipped: a member
 * without the data must not pretend to hold it.
 */
function buildRange(n: NodeState, c: Config, cr: ConfigRange, nowMs: number, out: ChainOut): RangeState | undefined {
  const parents = (cr.parents ?? []).map((id) => n.ranges.get(id));
  const held = parents.filter((p): p is RangeState => p !== undefined && p.role !== 'joining');
  if (held.length !== parents.length || (parents.length === 0 && c.epoch !== 1)) {
    out.log({ type: 'role', rangeId: cr.rangeId, epoch: n.epoch, role: 'missing (no parents held)' });
    return undefined;
  }
  const r = newRange(cr.rangeId, cr.lo, cr.hi, nowMs);
  for (const p of held) {
    for (const [k, v] of p.store) if (inRange(positionOf(k), cr.lo, cr.hi)) r.store.set(k, v);
    for (const d of p.dedup.values()) {
      const had = r.dedup.get(d.clientId);
      if (had === undefined || had.reqNo < d.reqNo) r.dedup.set(d.clientId, d);
    }
    r.lastApplied = Math.max(r.lastApplied, p.lastApplied);
  }
  r.lastAcked = r.lastApplied;
  r.nextSeq = r.lastApplied + 1;
  place(n, r, cr, out);
  return r;
}

/** dropRanges: drop every range this node no longer serves; a pull in progress stays while its tail is still the tail (X5). */
function dropRanges(n: NodeState, c: Config, out: ChainOut): void {
  for (const [id, r] of n.ranges) {
    const cr = c.ranges.find((x) => x.rangeId === id);
    const pulling = r.joining !== undefined && cr !== undefined && tailOf(cr) === r.joining.from;
    if (cr !== undefined && (cr.chain.includes(n.rank) || pulling)) continue;
    n.ranges.delete(id);
    out.log({ type: 'role', rangeId: id, epoch: n.epoch, role: 'dropped' });
  }
}
