// toy: a small replicated log for the simulator's own tests and the shrink example in
// docs/faults.md. Rank 0 leads forever: every 10 ms while the load lasts it generates the next
// instance (a fresh KEY from its seeded Random), makes it durable, then sends it to every
// follower, which makes it durable and commits it. Instance-log lines are the checker's
// (`generate|commit Instance[KEY] in seq N at T`), so check/ grades a toy run like a real one.
// `sendEarly` plants a bug: the leader sends before its write is durable, so a crash that loses
// the write lets the restarted leader reuse a seq for another KEY — ranks then disagree.
import type { Envelope, Protocol, ProtocolInput, ProtocolOutput, StepInvariants } from '../protocol.js';
import type { Random } from '../random.js';

export interface ToyConfig {
  /** sendEarly: the planted bug (send before the write is durable). */
  readonly sendEarly: boolean;
}

type Entry = { readonly seq: number; readonly key: string };
export type ToyMsg =
  { readonly type: 'entry'; readonly seq: number; readonly key: string } | { readonly type: 'ack'; readonly next: number };
export type ToyBatch = { readonly batchId: number; readonly entry: Entry };
type ToyLog = { readonly event: 'generate' | 'commit'; readonly entry: Entry };

export interface ToyState {
  readonly self: number;
  readonly ranks: number;
  readonly config: ToyConfig;
  readonly loadUntilMs: number;
  readonly random: Random;
  /** next: the seq the leader generates next; a follower's next seq to commit. */
  next: number;
  nextAtMs: number;
  batchId: number;
  /** waiting: the leader's entries written but not yet durable (sent once they are). */
  waiting: { batchId: number; entry: Entry }[];
  /**
   * sent: the leader's entries by seq (an array, seqs being small integers from 0: a restart
   * refills it from every durable entry, cheaper than a Map's), resent from where a follower's
   * ack says it stands.
   */
  readonly sent: Entry[];
  /** unlogged: durable entries a restart found beyond its instance log: committed (and sent) on the first step. */
  unlogged: Entry[];
  /** held: a follower's entries that arrived ahead of the next seq. */
  held: Map<number, Entry>;
  stopAtMs: number;
  ackedAtMs: number;
}

const TICK_MS = 10;
const LINGER_MS = 500;

function output(
  s: ToyState,
  send: Envelope<ToyMsg>[],
  persist: ToyBatch[],
  log: ToyLog[],
  nowMs: number,
): ProtocolOutput<ToyMsg, ToyBatch, ToyLog> {
  return { send, persist, log, trace: [], wakeAtMs: s.self === 0 ? s.nextAtMs : nowMs + 50, stop: nowMs >= s.stopAtMs };
}

function broadcast(s: ToyState, e: Entry): Envelope<ToyMsg>[] {
  s.sent[e.seq] = e;
  return Array.from({ length: s.ranks - 1 }, (_, i) => ({ to: i + 1, msg: { type: 'entry', seq: e.seq, key: e.key } }));
}

/** resend: what a follower that acked `next` lacks (up to 32 entries a time: drops are repaired). */
function resend(s: ToyState, to: number, next: number): Envelope<ToyMsg>[] {
  const out: Envelope<ToyMsg>[] = [];
  for (let seq = next, e = s.sent[seq]; e !== undefined && out.length < 32; e = s.sent[++seq])
    out.push({ to, msg: { type: 'entry', seq, key: e.key } });
  return out;
}

function leaderStep(s: ToyState, input: ProtocolInput<ToyMsg>, nowMs: number): ProtocolOutput<ToyMsg, ToyBatch, ToyLog> {
  const send: Envelope<ToyMsg>[] = [];
  const persist: ToyBatch[] = [];
  const log: ToyLog[] = [];
  for (const entry of s.unlogged) {
    log.push({ event: 'commit', entry });
    send.push(...broadcast(s, entry));
  }
  s.unlogged = [];
  if (input.type === 'message' && input.msg.type === 'ack') send.push(...resend(s, input.from, input.msg.next));
  else if (input.type === 'persisted') {
    for (const w of s.waiting.filter((x) => x.batchId <= input.batchId)) {
      log.push({ event: 'commit', entry: w.entry });
      if (!s.config.sendEarly) send.push(...broadcast(s, w.entry));
    }
    s.waiting = s.waiting.filter((x) => x.batchId > input.batchId);
  } else if (input.type === 'tick' && nowMs >= s.nextAtMs && nowMs < s.loadUntilMs) {
    const entry = { seq: s.next++, key: s.random.id(12) };
    s.nextAtMs = nowMs + TICK_MS;
    log.push({ event: 'generate', entry });
    persist.push({ batchId: ++s.batchId, entry });
    s.waiting.push({ batchId: s.batchId, entry });
    if (s.config.sendEarly) send.push(...broadcast(s, entry));
  } else if (input.type === 'tick' && nowMs >= s.loadUntilMs) {
    // a heartbeat of the last entry, so a follower that missed the end acks and is resent the rest
    const last = s.sent[s.next - 1];
    if (last !== undefined) for (const e of broadcast(s, last)) send.push(e);
    s.nextAtMs = nowMs + TICK_MS;
  }
  return output(s, send, persist, log, nowMs);
}

function followerStep(s: ToyState, input: ProtocolInput<ToyMsg>, nowMs: number): ProtocolOutput<ToyMsg, ToyBatch, ToyLog> {
  const persist: ToyBatch[] = [];
  const log: ToyLog[] = [];
  const send: Envelope<ToyMsg>[] = [];
  for (const entry of s.unlogged) log.push({ event: 'commit', entry }); // durable, but its line was torn off
  s.unlogged = [];
  if (input.type !== 'message' || input.msg.type !== 'entry') return output(s, send, persist, log, nowMs);
  if (input.msg.seq >= s.next) s.held.set(input.msg.seq, { seq: input.msg.seq, key: input.msg.key });
  for (let e = s.held.get(s.next); e !== undefined; e = s.held.get(s.next)) {
    s.held.delete(s.next++);
    persist.push({ batchId: ++s.batchId, entry: e });
    log.push({ event: 'commit', entry: e });
  }
  // A gap asks for a resend, at most every TICK_MS (each resent entry would otherwise ask again).
  if (s.held.size > 0 && nowMs >= s.ackedAtMs + TICK_MS) {
    s.ackedAtMs = nowMs;
    send.push({ to: 0, msg: { type: 'ack', next: s.next } });
  }
  return output(s, send, persist, log, nowMs);
}

const COMMIT_SEQ = /^commit .* in seq (\d+) /;

/** toy is the protocol; D is the durable batches, R the highest logged seq. */
export const toy: Protocol<ToyConfig, ToyState, ToyMsg, ToyBatch, ToyLog, readonly ToyBatch[], number> = {
  name: 'toy',
  init: (o) => {
    const durable = o.durable ?? [];
    const logged = o.logged ?? -1;
    let last = Math.max(-1, logged);
    const unlogged: Entry[] = [];
    for (const { entry } of durable) {
      if (entry.seq > last) last = entry.seq;
      if (entry.seq > logged) unlogged.push(entry);
    }
    // Only the leader resends; a follower's restart does not index a history it never sends.
    const sent: Entry[] = [];
    if (o.self === 0) for (const { entry } of durable) sent[entry.seq] = entry;
    return {
      self: o.self,
      ranks: o.ranks,
      config: o.config,
      loadUntilMs: o.loadUntilMs,
      random: o.rankRandom.fork('keys'),
      next: last + 1,
      nextAtMs: o.nowMs,
      batchId: 0,
      waiting: [],
      sent,
      unlogged,
      held: new Map(),
      stopAtMs: o.loadUntilMs + LINGER_MS,
      ackedAtMs: -Infinity,
    };
  },
  step: (s, input, nowMs) => ({ state: s, out: s.self === 0 ? leaderStep(s, input, nowMs) : followerStep(s, input, nowMs) }),
  validate: (x) => {
    const m = x as { type?: unknown; seq?: unknown; key?: unknown; next?: unknown } | null;
    if (m?.type === 'entry' && Number.isInteger(m.seq) && typeof m.key === 'string') return m as ToyMsg;
    if (m?.type === 'ack' && Number.isInteger(m.next)) return m as ToyMsg;
    throw new Error('not a toy message');
  },
  formatLog: (ev, atUs) => `${ev.event} Instance[${ev.entry.key}] in seq ${ev.entry.seq} at ${Math.floor(atUs)}`,
  recoverLog: (lines, after) => {
    // a fold over the lines, so an earlier reading of an unchanged prefix is read on from
    let last = after?.logged ?? -1;
    for (let i = after?.lines ?? 0; i < lines.length; i++) {
      const seq = COMMIT_SEQ.exec(lines.at(i) as string)?.[1];
      if (seq !== undefined) last = Math.max(last, Number(seq));
    }
    return last;
  },
  storage: {
    open: () => Promise.reject(new Error('the toy runs only in the simulator')),
  },
  // init reads the batches once and keeps none of them, so they are handed over as they are, not copied
  replay: (batches) => batches,
  pollMs: () => 100,
  role: (s) => (s.self === 0 ? 'leader' : 'follower'),
  round: () => 0,
  summary: (s) => ({ commits: s.next, generates: s.self === 0 ? s.next : 0 }),
  invariants: toyInvariants,
};

/**
 * toyInvariants, checked after every step when asked: T1 every commit of a seq, on any rank and
 * incarnation, names the KEY the first one did (the planted bug breaks it at the step that
 * commits the second KEY); T2 a rank's next seq never falls within an incarnation.
 */
function toyInvariants(): StepInvariants<ToyState, ToyMsg, ToyBatch, ToyLog> {
  const chosen = new Map<number, { key: string; rank: number }>();
  let nextBefore = 0;
  return {
    before: (_rank, s) => {
      nextBefore = s.next;
    },
    after: (rank, s, _input, out) => {
      const found: string[] = [];
      if (s.next < nextBefore) found.push(`T2: next seq fell ${nextBefore} → ${s.next}`);
      for (const ev of out.log) {
        if (ev.event !== 'commit') continue;
        const c = chosen.get(ev.entry.seq);
        if (c === undefined) chosen.set(ev.entry.seq, { key: ev.entry.key, rank });
        else if (c.key !== ev.entry.key)
          found.push(`T1: seq ${ev.entry.seq} committed as ${ev.entry.key}, earlier as ${c.key} on rank ${c.rank}`);
      }
      return found;
    },
  };
}
