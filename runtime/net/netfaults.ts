// netfaults: a Transport decorator that brings faults of the network itself to a real cluster
// without root: each rank enforces them on what it sends (docs/faults.md). Partitions and
// one-way cuts arrive while the run goes (apply, from `csplab run` over stdin) and last until
// their end time; --delay, its jitter and --dup hold on every link for the whole run. A delay
// without jitter keeps each link FIFO (a per-link queue); jitter delays each message on its
// own, so a link may reorder, which is what TRaft's out-of-order commit needs to be exercised.
// All randomness is the rank's seeded Random, all timing its Clock. Sends to self are never
// cut, delayed or duplicated: a rank's loopback is not a network link.
import type { Clock } from '../clock.js';
import type { Random } from '../random.js';
import type { Transport, TransportStats } from '../transport.js';

/** NetFault: a fault of the network, as `csplab run` sends it to every rank when it fires. */
export type NetFault =
  /** partition: no message crosses between groups (a rank in no group is in a group of its own). */
  | { type: 'partition'; groups: number[][]; fromMs?: number; untilMs: number }
  /** cut: ranks in `from` lose what they send to ranks in `to` (one way). */
  | { type: 'cut'; from: number[]; to: number[]; fromMs?: number; untilMs: number };

export interface LinkFaults {
  /** delayMs: added to every message to another rank. */
  delayMs: number;
  /** jitterMs: each message's delay is uniform in delayMs ± jitterMs (may reorder a link). */
  jitterMs: number;
  /** dupRate: the probability a message to another rank is sent twice. */
  dupRate: number;
}

export const NO_LINK_FAULTS: LinkFaults = { delayMs: 0, jitterMs: 0, dupRate: 0 };

export interface NetFaultTransport<M> extends Transport<M> {
  /** apply adds a partition or cut: it holds from its fromMs (or now) until its untilMs. */
  apply(fault: NetFault): void;
  /** blocked says whether a send to `to` would be lost to a partition or cut right now. */
  blocked(to: number): boolean;
}

/** checkLinkFaults refuses settings no link can have (RangeError, named). */
export function checkLinkFaults(f: LinkFaults): void {
  if (!(f.delayMs >= 0 && Number.isFinite(f.delayMs))) throw new RangeError(`delay must be ≥ 0 ms, got ${f.delayMs}`);
  if (!(f.jitterMs >= 0 && f.jitterMs <= f.delayMs)) throw new RangeError(`jitter must be in [0, delay], got ±${f.jitterMs}`);
  if (!(f.dupRate >= 0 && f.dupRate < 1)) throw new RangeError(`dup rate must be in [0, 1), got ${f.dupRate}`);
}

/** netFaultOf reads a fault as `csplab run` sends it on a rank's stdin (docs/faults.md); undefined if it is not one. */
export function netFaultOf(v: unknown): NetFault | undefined {
  const ranks = (x: unknown): x is number[] => Array.isArray(x) && x.every((r) => Number.isInteger(r));
  if (typeof v !== 'object' || v === null) return undefined;
  const f = v as Record<string, unknown>;
  if (typeof f.untilMs !== 'number' || !(f.fromMs === undefined || typeof f.fromMs === 'number')) return undefined;
  const span = { untilMs: f.untilMs, ...(typeof f.fromMs === 'number' ? { fromMs: f.fromMs } : {}) };
  if (f.type === 'partition' && Array.isArray(f.groups) && f.groups.every(ranks)) return { type: 'partition', groups: f.groups, ...span };
  if (f.type === 'cut' && ranks(f.from) && ranks(f.to)) return { type: 'cut', from: f.from, to: f.to, ...span };
  return undefined;
}

/** isBlocked: whether fault cuts the link from → to (both ranks). */
export function isBlocked(fault: NetFault, from: number, to: number): boolean {
  switch (fault.type) {
    case 'partition': {
      const group = (r: number): number => fault.groups.findIndex((g) => g.includes(r));
      const a = group(from);
      const b = group(to);
      return a !== b || a === -1; // two ranks in no group are alone each
    }
    case 'cut':
      return fault.from.includes(from) && fault.to.includes(to);
  }
}

/** withNetFaults decorates inner with the link faults; apply() adds partitions and cuts. */
export function withNetFaults<M>(inner: Transport<M>, clock: Clock, random: Random, link: LinkFaults): NetFaultTransport<M> {
  checkLinkFaults(link);
  const me = inner.rank;
  let active: NetFault[] = [];
  let cutOff = 0;
  let duplicated = 0;
  const cancels = new Set<() => void>();
  /** queues: per peer, messages delayed without jitter, sent in order as each falls due. */
  const queues = new Map<number, { dueMs: number; msg: M }[]>();

  const blocked = (to: number): boolean => {
    if (to === me || active.length === 0) return false; // the common case costs no clock read
    const now = clock.nowMs();
    active = active.filter((f) => f.untilMs > now);
    return active.some((f) => (f.fromMs ?? -Infinity) <= now && isBlocked(f, me, to));
  };
  const later = (ms: number, fire: () => void): void => {
    const cancel = clock.schedule(ms, () => {
      cancels.delete(cancel);
      fire();
    });
    cancels.add(cancel);
  };
  const pump = (to: number): void => {
    const q = queues.get(to) ?? [];
    const now = clock.nowMs();
    while (q.length > 0 && (q[0]?.dueMs ?? Infinity) <= now) inner.send(to, (q.shift() as { msg: M }).msg);
    const head = q[0];
    if (head) later(head.dueMs - now, () => pump(to));
  };
  const deliver = (to: number, msg: M): void => {
    if (link.delayMs === 0) return inner.send(to, msg);
    if (link.jitterMs > 0)
      return later(random.between(link.delayMs - link.jitterMs, link.delayMs + link.jitterMs), () => inner.send(to, msg));
    const q = queues.get(to) ?? [];
    queues.set(to, q);
    q.push({ dueMs: clock.nowMs() + link.delayMs, msg });
    if (q.length === 1) later(link.delayMs, () => pump(to));
  };
  return {
    rank: me,
    inbox: inner.inbox,
    send(to: number, msg: M): void {
      if (to === me) return inner.send(to, msg);
      if (blocked(to)) {
        cutOff++;
        return;
      }
      deliver(to, msg);
      if (link.dupRate > 0 && random.next() < link.dupRate) {
        duplicated++;
        deliver(to, msg);
      }
    },
    apply(fault: NetFault): void {
      if (fault.untilMs > clock.nowMs()) active.push(fault);
    },
    blocked,
    async close(): Promise<void> {
      for (const c of cancels) c();
      cancels.clear();
      queues.clear();
      await inner.close();
    },
    stats(): TransportStats & { cutOff: number; duplicated: number } {
      const s = inner.stats();
      return { ...s, dropped: s.dropped + cutOff, cutOff, duplicated };
    },
  };
}
