// master_steps: the reconciler (decision 5, docs/protocols/chain-master.md §4). One
// reconfiguration runs at a time for the whole ring. With none running and the newest
// configuration announced, it compares each range's chain with its target (K1: the next k live,
// non-leaving nodes clockwise from the range's owner) and starts the first step that helps:
// split a range a node landed in (J1), extend a chain at its tail (X1–X4), remove a member
// (J2: Retire first, F6; a head paused first, J3), merge an ownerless range into its successor
// (G2). Each step repeats its message until answered; a pause that outlives pauseMaxMs is
// aborted with Resume and retried later.
import type { ConfigRange, RangeId } from './config.js';
import { headOf, rangeById, tailOf } from './config.js';
import type { ChainMsg } from './messages.js';
import { mergeRanges, posOf, rangeAround, ringOrder, splitRange, successorRange, targetChain } from './master_ring.js';
import { install, liveMembers, nextEpoch, settled, type MasterState, type Step, type StepKind } from './master_state.js';
import type { ChainOut } from './types.js';

type Msg<T extends ChainMsg['type']> = Extract<ChainMsg, { type: T }>;

/** repeatMs: how long a step waits for an answer before sending its message again. */
export function repeatMs(m: MasterState): number {
  return Math.max(m.o.heartbeatMs, m.o.resendAfterMs);
}

/** actMaxMs: how long a step may wait for Ready or Retired before it is abandoned and retried (a transfer that never ends). */
export function actMaxMs(m: MasterState): number {
  return 10 * m.o.failTimeoutMs;
}

/** Plan: a step the reconciler chose, before it starts. */
type Plan = Pick<Step, 'kind' | 'rangeId' | 'node' | 'pauses'> & { readonly other?: RangeId; readonly why: string };

/** reconcile starts the next step if none runs (decision 5). */
export function reconcile(m: MasterState, nowMs: number, out: ChainOut): void {
  if (m.step !== undefined || !settled(m)) return;
  const ring = ringOrder(liveMembers(m));
  if (ring.length === 0) return;
  const plan = planSplit(m, ring, nowMs) ?? planChainFix(m, ring, nowMs) ?? planMerge(m, ring, nowMs);
  if (plan !== undefined) startStep(m, plan, nowMs, out);
}

/**
 * rangeReady: a step may touch r: it is not lost, no aborted pause waits out its back-off, every
 * member is live and runs the announced epoch, and its tail is a full member (X4: a joined tail
 * must reach its handover first, or retiring or pausing around it could strand it, X5).
 */
function rangeReady(m: MasterState, r: ConfigRange, nowMs: number): boolean {
  const tail = tailOf(r);
  if (tail === undefined || !rangeSettled(m, r, nowMs)) return false;
  return !m.joinedTail.has(r.rangeId) && m.nodes.get(tail)?.reports.get(r.rangeId)?.servable !== false;
}

/** rangeSettled: r is not lost, waits out no back-off, and every member is live on the announced epoch. */
function rangeSettled(m: MasterState, r: ConfigRange, nowMs: number): boolean {
  const epoch = m.announced?.epoch ?? 0;
  if (r.chain.length === 0 || (m.retryAtMs.get(r.rangeId) ?? 0) > nowMs) return false;
  return r.chain.every((c) => (m.nodes.get(c)?.epoch ?? -1) >= epoch);
}

/** nodeReady: a node runs the announced epoch (it knows the ring it is asked to join). */
function nodeReady(m: MasterState, rank: number): boolean {
  return (m.nodes.get(rank)?.epoch ?? -1) >= (m.announced?.epoch ?? 0);
}

/** planSplit (J1): a live node that does not end a range splits the range it lands in, first. */
function planSplit(m: MasterState, ring: readonly number[], nowMs: number): Plan | undefined {
  const ranges = m.config?.ranges ?? [];
  for (const j of ring) {
    const r = rangeAround(ranges, posOf(j));
    if (r === undefined || !rangeReady(m, r, nowMs)) continue;
    return {
      kind: 'split',
      rangeId: r.rangeId,
      node: j,
      pauses: [r.rangeId],
      why: `rank ${j} lands inside range ${r.rangeId}: split it there (J1)`,
    };
  }
  return undefined;
}

/** planChainFix: per range, extend with a missing target member first (copies never drop below k), then remove a surplus one. */
function planChainFix(m: MasterState, ring: readonly number[], nowMs: number): Plan | undefined {
  for (const r of m.config?.ranges ?? []) {
    // A member that retired (its step lost to a master restart) blocks the chain: it goes first, even from a tail.
    const retired = r.chain.find((c) => m.nodes.get(c)?.reports.get(r.rangeId)?.retired === true);
    if (retired !== undefined && r.chain.length > 1 && rangeSettled(m, r, nowMs))
      return {
        kind: 'remove',
        rangeId: r.rangeId,
        node: retired,
        pauses: [],
        why: `rank ${retired} reports range ${r.rangeId} retired (a Retire whose step was lost): remove it`,
      };
    if (!rangeReady(m, r, nowMs)) continue;
    const target = targetChain(ring, r, m.o.k);
    const add = target.find((t) => !r.chain.includes(t));
    if (add !== undefined) {
      if (!nodeReady(m, add)) continue;
      return {
        kind: 'extend',
        rangeId: r.rangeId,
        node: add,
        pauses: [],
        why: `range ${r.rangeId} [${r.chain.join(' ')}] lacks rank ${add} of its target [${target.join(' ')}]: extend at the tail (X1)`,
      };
    }
    // Heads last: removing one needs a pause, removing a tail or middle does not (J2).
    const surplus = r.chain.filter((c) => !target.includes(c)).sort((a, b) => (a === headOf(r) ? 1 : b === headOf(r) ? -1 : 0));
    const rem = surplus[0];
    if (rem === undefined || r.chain.length < 2) continue;
    const pauses = rem === headOf(r) ? [r.rangeId] : [];
    return {
      kind: 'remove',
      rangeId: r.rangeId,
      node: rem,
      pauses,
      why: `range ${r.rangeId} [${r.chain.join(' ')}] holds rank ${rem}, not in its target [${target.join(' ')}]: retire it (J2)`,
    };
  }
  return undefined;
}

/** planMerge (G2): a range whose upper end is no live node merges into its successor once both have the same members. */
function planMerge(m: MasterState, ring: readonly number[], nowMs: number): Plan | undefined {
  const ranges = m.config?.ranges ?? [];
  const ends = new Set(ring.map(posOf));
  for (const r of ranges) {
    const s = successorRange(ranges, r);
    if (ends.has(r.hi) || s === undefined) continue;
    const same = r.chain.length === s.chain.length && r.chain.every((c) => s.chain.includes(c));
    if (!same || !rangeReady(m, r, nowMs) || !rangeReady(m, s, nowMs)) continue;
    return {
      kind: 'merge',
      rangeId: r.rangeId,
      other: s.rangeId,
      node: -1,
      pauses: [r.rangeId, s.rangeId],
      why: `range ${r.rangeId} has no live owner and the members of ${s.rangeId}: merge them (G2)`,
    };
  }
  return undefined;
}

function startStep(m: MasterState, p: Plan, nowMs: number, out: ChainOut): void {
  const phase = p.pauses.length > 0 ? 'pause' : 'act';
  m.step = { ...p, quiesced: new Set(), phase, startedMs: nowMs, phaseMs: nowMs, sentMs: nowMs };
  out.log({
    type: 'master',
    epoch: m.config?.epoch ?? 0,
    what: `step ${p.kind}: ${p.why}${phase === 'pause' ? '; pausing first (J3)' : ''}`,
  });
  sendStep(m, out);
}

/** sendStep sends (or repeats) what the running step waits for. */
function sendStep(m: MasterState, out: ChainOut): void {
  const s = m.step;
  const c = m.config;
  if (s === undefined || c === undefined) return;
  const epoch = c.epoch;
  if (s.phase === 'pause') {
    for (const id of s.pauses) {
      const r = rangeById(c, id);
      const head = r === undefined ? undefined : headOf(r);
      if (!s.quiesced.has(id) && head !== undefined) out.send(head, { type: 'pause', epoch, rangeId: id });
    }
    return;
  }
  const r = rangeById(c, s.rangeId);
  const tail = r === undefined ? undefined : tailOf(r);
  if (s.kind === 'extend' && tail !== undefined) out.send(s.node, { type: 'join-as-tail', epoch, rangeId: s.rangeId, from: tail });
  if (s.kind === 'remove') out.send(s.node, { type: 'retire', epoch, rangeId: s.rangeId });
}

/** stepTimers: repeat the step's message, or abort a pause over pauseMaxMs (J3) or a wait over actMaxMs. */
export function stepTimers(m: MasterState, nowMs: number, out: ChainOut): void {
  const s = m.step;
  if (s === undefined) return;
  if (s.phase === 'pause' && nowMs - s.phaseMs >= m.o.pauseMaxMs)
    return abortStep(m, `the pause outlived pauseMaxMs ${m.o.pauseMaxMs} ms`, nowMs, out);
  if (s.phase === 'act' && s.kind === 'extend' && nowMs - s.phaseMs >= actMaxMs(m))
    return abortStep(m, `no Ready within ${actMaxMs(m)} ms`, nowMs, out);
  if (nowMs - s.sentMs < repeatMs(m)) return;
  s.sentMs = nowMs;
  sendStep(m, out);
}

/** stepDeadline: when stepTimers next has something to do. */
export function stepDeadline(m: MasterState): number {
  const s = m.step;
  if (s === undefined) return Infinity;
  return Math.min(s.sentMs + repeatMs(m), s.phaseMs + (s.phase === 'pause' ? m.o.pauseMaxMs : actMaxMs(m)));
}

/**
 * retireSent: the step has sent Retire. A node never takes a Retire back (it serves and forwards
 * nothing for the range from then on, F6), so such a step is never abandoned: it repeats Retire
 * (at the newest epoch) until the member answers or is itself declared failed.
 */
export function retireSent(m: MasterState): boolean {
  return m.step?.kind === 'remove' && m.step.phase === 'act';
}

/** interruptStep: a failure's configuration comes first; the running step is aborted unless Retire went out for a member still live. */
export function interruptStep(m: MasterState, failed: readonly number[], nowMs: number, out: ChainOut): void {
  const s = m.step;
  if (s === undefined) return;
  if (retireSent(m) && !failed.includes(s.node)) {
    s.sentMs = -Infinity; // repeat at once, at the failure configuration's epoch
    return;
  }
  abortStep(m, failed.includes(s.node) ? `rank ${s.node} failed` : 'a node failed', nowMs, out);
}

/** abortStep ends the running step unfinished: paused heads resume (J3), its ranges wait pauseMaxMs before the next try. */
export function abortStep(m: MasterState, why: string, nowMs: number, out: ChainOut): void {
  const s = m.step;
  if (s === undefined) return;
  m.step = undefined;
  m.counts.aborts++;
  const c = m.config;
  const epoch = c?.epoch ?? 0;
  for (const id of s.pauses) {
    const r = c === undefined ? undefined : rangeById(c, id);
    const head = r === undefined ? undefined : headOf(r);
    if (head !== undefined && m.nodes.has(head)) out.send(head, { type: 'resume', epoch, rangeId: id });
    m.retryAtMs.set(id, nowMs + m.o.pauseMaxMs);
  }
  if (s.pauses.length === 0) m.retryAtMs.set(s.rangeId, nowMs + m.o.pauseMaxMs);
  out.log({
    type: 'master',
    epoch,
    what: `step ${s.kind} of ${s.rangeId} aborted: ${why}${s.pauses.length > 0 ? '; paused heads resume' : ''}`,
  });
}

/** onQuiesced (J3): a paused head drained its `sent`; once every paused head has, the step acts. */
export function onQuiesced(m: MasterState, from: number, msg: Msg<'quiesced'>, nowMs: number, out: ChainOut): void {
  const s = m.step;
  const c = m.config;
  if (s?.phase !== 'pause' || c === undefined || msg.epoch !== c.epoch || !s.pauses.includes(msg.rangeId)) return;
  const r = rangeById(c, msg.rangeId);
  if (r === undefined || headOf(r) !== from) return;
  s.quiesced.add(msg.rangeId);
  if (s.quiesced.size < s.pauses.length) return;
  if (s.kind === 'remove') {
    s.phase = 'act';
    s.phaseMs = nowMs;
    s.sentMs = nowMs;
    return sendStep(m, out);
  }
  finish(m, s.kind, out, s);
}

/** onReady (X3 → X4): the joiner holds the snapshot: install [..., T, J]. */
export function onReady(m: MasterState, from: number, msg: Msg<'ready'>, out: ChainOut): void {
  const s = m.step;
  if (s?.kind !== 'extend' || s.phase !== 'act' || s.node !== from || s.rangeId !== msg.rangeId || msg.epoch !== m.config?.epoch) return;
  finish(m, 'extend', out, s);
}

/** onRetired (F6): the member is fenced for the range: the configuration without it may reach the others. */
export function onRetired(m: MasterState, from: number, msg: Msg<'retired'>, out: ChainOut): void {
  const s = m.step;
  if (s?.kind !== 'remove' || s.phase !== 'act' || s.node !== from || s.rangeId !== msg.rangeId || msg.epoch !== m.config?.epoch) return;
  finish(m, 'remove', out, s);
}

/** finish installs the step's change in the next epoch and ends the step. */
function finish(m: MasterState, kind: StepKind, out: ChainOut, s: Step): void {
  const c = m.config;
  if (c === undefined) return;
  const epoch = nextEpoch(m);
  const r = rangeById(c, s.rangeId);
  if (r === undefined) return;
  m.step = undefined;
  let ranges = c.ranges.filter((x) => x.rangeId !== s.rangeId && x.rangeId !== s.other);
  let removed: number[] = [];
  if (kind === 'extend') {
    ranges.push({ ...r, chain: [...r.chain, s.node] });
    m.joinedTail.set(r.rangeId, s.node);
    m.counts.extends++;
  } else if (kind === 'remove') {
    if (r.chain.length < 2) {
      out.log({
        type: 'master',
        epoch: c.epoch,
        what: `range ${r.rangeId}: retired rank ${s.node} is its only member; kept, and the range serves nothing (C6: not recreated empty)`,
      });
      return;
    }
    ranges.push({ ...r, chain: r.chain.filter((x) => x !== s.node) });
    removed = [s.node];
    m.counts.removals++;
  } else if (kind === 'split') {
    ranges = [...ranges, ...splitRange(r, posOf(s.node), epoch)];
    m.counts.splits++;
  } else {
    const succ = rangeById(c, s.other ?? '');
    if (succ === undefined) return;
    ranges.push(mergeRanges(r, succ, epoch));
    m.counts.merges++;
  }
  install(m, epoch, ranges, removed, describeFinish(kind, s, r), out);
}

function describeFinish(kind: StepKind, s: Step, r: ConfigRange): string {
  switch (kind) {
    case 'extend':
      return `rank ${s.node} is ready with range ${r.rangeId}: it becomes the tail after ${tailOf(r) ?? '?'} (X4)`;
    case 'remove':
      return `rank ${s.node} retired from range ${r.rangeId}: the configuration without it is safe to send (F6)`;
    case 'split':
      return `range ${r.rangeId} quiesced: split at rank ${s.node} (J1)`;
    case 'merge':
      return `ranges ${r.rangeId} and ${s.other ?? '?'} quiesced: merged (G2)`;
  }
}
