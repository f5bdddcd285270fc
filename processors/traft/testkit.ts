// testkit: small builders for scripted unit tests of the core: replicas with a given durable
// state, records, and a driver that steps one replica and lets its WAL batches complete.
import { SeededRandom } from '../../runtime/random.js';
import type { Command } from './command.js';
import { defaultTiming, type Config, type Timing } from './config.js';
import type { SnapshotEntry } from './durable.js';
import type { Input, Output } from './io.js';
import { leaderId, type LeaderId } from './leader_id.js';
import type { ElectReply, ElectReq, ForwardReply, ForwardReq, Message } from './messages.js';
import type { LogRecord, Seq } from './record.js';
import { restartReplica, type ReplicaState } from './state.js';
import { step } from './step.js';
import { EMPTY_BITMAP, type TailBitmap } from './tail_bitmap.js';

export const L = leaderId;

/** TraftCore: the core's two entry points; a lab student's compiled core is driven through the same builders. */
export interface TraftCore {
  readonly step: typeof step;
  readonly restartReplica: typeof restartReplica;
}

export const OUR_CORE: TraftCore = { step, restartReplica };
export const TIMING: Timing = defaultTiming(1000);

/** config makes the members 0..n-1. */
function config(n: number): Config {
  return { clusterId: 'test', members: Array.from({ length: n }, (_, i) => i) };
}

/** rec builds a record; deps/overrides default to ∅ / {seq}. */
export function rec(seq: Seq, author: LeaderId, cmd?: Command, extra: { deps?: TailBitmap; overrides?: Seq[] } = {}): LogRecord {
  return {
    seq,
    author,
    kind: cmd ? 'cmd' : 'noop',
    ...(cmd ? { cmd } : {}),
    deps: extra.deps ?? EMPTY_BITMAP,
    overrides: extra.overrides ?? [seq],
    logKey: cmd ? `key${seq}_${author.term}_${author.id}` : '',
  };
}

/**
 * plainRecord is r as a plain object that lists its overrides, for deep comparisons: a
 * CompactRecord (record.ts) keeps its overrides in its own form and reads them through its
 * prototype, so comparing it whole would compare the forms, not the records.
 */
export function plainRecord(r: LogRecord): LogRecord {
  const { seq, author, kind, cmd, logKey } = r;
  return { seq, author, kind, ...(cmd !== undefined ? { cmd } : {}), deps: plainBitmap(r.deps), overrides: [...r.overrides], logKey };
}

/**
 * plain is x with every record and bitmap in it as plain objects (plainRecord, plainBitmap), the
 * rest copied as it is: for deep comparisons of decoded messages, WAL batches and states, whose
 * records and received bitmaps are class instances read through their prototypes.
 */
export function plain<T>(x: T): T {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x)) return x;
  if (Array.isArray(x)) return x.map((v: unknown) => plain(v)) as T;
  if (x instanceof Map) return new Map([...x].map(([k, v]) => [k, plain(v)])) as T;
  const o = x as Record<string, unknown>;
  if (typeof o.seq === 'number' && 'author' in o && 'deps' in o && 'logKey' in o) return plainRecord(o as unknown as LogRecord) as T;
  if (typeof o.offset === 'number' && 'words' in o) return plainBitmap(o as unknown as TailBitmap) as T;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)])) as T;
}

/** plainBitmap is b as a plain object, for deep comparisons: a received one (bitmap_codec.ts) reads its words through its prototype. */
export function plainBitmap(b: TailBitmap): TailBitmap {
  return { offset: b.offset, words: [...b.words] };
}

export const set = (key: string, value: number): Command => ({ op: 'set', key, value });
export const incr = (key: string): Command => ({ op: 'incr', key });

/**
 * replica builds a follower with the given durable state, restarted at nowMs (lease contact
 * = nowMs). Its election timer is off (deadline ∞) so scripted tests decide when it campaigns.
 */
export function replica(
  self: number,
  n: number,
  d: { vote?: LeaderId; committer?: LeaderId | null; records?: LogRecord[]; snapshot?: SnapshotEntry } = {},
  nowMs = 0,
  timing = TIMING,
  core: TraftCore = OUR_CORE,
): ReplicaState {
  const log = new Map((d.records ?? []).map((r) => [r.seq, r] as const));
  const s = core.restartReplica({
    self,
    config: config(n),
    timing,
    nowMs,
    random: new SeededRandom(`testkit/${self}`),
    durable: { vote: d.vote ?? null, committer: d.committer ?? null, log, snapshot: d.snapshot ?? null },
  });
  s.electionDeadlineMs = Infinity;
  return s;
}

/** Driver steps one replica with a fixed Random and records every output. */
export class Driver {
  readonly random: SeededRandom;
  readonly outs: Output[] = [];
  constructor(
    public state: ReplicaState,
    readonly core: TraftCore = OUR_CORE,
  ) {
    this.random = new SeededRandom(`driver/${state.self}`);
  }

  step(input: Input, nowMs: number): Output {
    const { state, out } = this.core.step(this.state, input, nowMs, this.random);
    this.state = state;
    this.outs.push(out);
    return out;
  }

  /** msg delivers a message and, unless told not to, completes every WAL batch (returning sends of both). */
  msg(from: number, m: Message, nowMs: number, persist = true): Output['send'] {
    const out = this.step({ type: 'message', from, msg: m }, nowMs);
    return persist ? [...out.send, ...this.persistAll(nowMs)] : out.send;
  }

  /** persistAll makes every submitted batch durable and returns what that released. */
  persistAll(nowMs: number): Output['send'] {
    if (this.state.lastBatchId === this.state.persistedBatchId) return [];
    return this.step({ type: 'persisted', batchId: this.state.lastBatchId }, nowMs).send;
  }

  tick(nowMs: number): Output['send'] {
    const out = this.step({ type: 'tick' }, nowMs);
    return [...out.send, ...this.persistAll(nowMs)];
  }

  /** logLines lists every instance event so far as `event seq key`. */
  logLines(): string[] {
    return this.outs.flatMap((o) => o.log.map((e) => `${e.event} ${e.seq} ${e.key}`));
  }
}

/** electReq builds an ElectReq. */
export function electReq(candidate: LeaderId, committer: LeaderId | null, accepted: TailBitmap, frontier = 0): ElectReq {
  return { type: 'ElectReq', candidate, committer, accepted, frontier, clusterId: 'test' };
}

/** forward builds a ForwardReq. */
export function forward(
  leader: LeaderId,
  kind: ForwardReq['kind'],
  records: LogRecord[],
  committed: TailBitmap,
  reqId: number,
  extra: Partial<ForwardReq> = {},
): ForwardReq {
  return { type: 'ForwardReq', leader, kind, records, committed, reqId, ...extra };
}

/** replies filters sent messages of one type. */
export function sentOf<T extends Message['type']>(
  sends: Output['send'],
  type: T,
): Array<{ to: number; msg: Extract<Message, { type: T }> }> {
  return sends.filter((e) => e.msg.type === type) as Array<{ to: number; msg: Extract<Message, { type: T }> }>;
}

export type { ElectReply, ForwardReply };

/** grant builds a granted ElectReply from an empty follower. */
export function grant(cand: LeaderId, extra: Partial<ElectReply> = {}): ElectReply {
  return {
    type: 'ElectReply',
    candidate: cand,
    granted: true,
    vote: cand,
    committer: null,
    accepted: EMPTY_BITMAP,
    committed: EMPTY_BITMAP,
    records: [],
    ...extra,
  };
}

/** ack builds an ok ForwardReply from a follower synced to `leader`. */
export function ack(leader: LeaderId, accepted: TailBitmap, reqId = 0, committed: TailBitmap = EMPTY_BITMAP): ForwardReply {
  return { type: 'ForwardReply', leader, ok: true, vote: leader, committer: leader, accepted, committed, reqId };
}

/**
 * electedLeader makes replica 0 of an n-member empty cluster campaign at t=0 and win with
 * grants from 1..n-1; its merge batch is durable, so it is established (tail no-op at 0).
 */
export function electedLeader(n: number, timing = TIMING): { d: Driver; id: LeaderId } {
  const d = new Driver(replica(0, n, {}, -10_000, timing));
  d.state.electionDeadlineMs = 0;
  d.tick(0);
  const id = d.state.vote;
  for (let p = 1; p < n; p++) d.msg(p, grant(id), 1);
  if (d.state.leader === null) throw new Error('electedLeader: not established');
  return { d, id };
}

/** Route is one message in flight in a MiniNet. */
export type Route = { readonly from: number; readonly to: number; readonly msg: Message };

/**
 * MiniNet wires Drivers together synchronously for scripted scenarios: `run` delivers queued
 * messages (each step's WAL batch completes at once) until none is left; `allow` decides which
 * are delivered (the rest are dropped). Crashed ranks drop everything sent to them.
 */
export class MiniNet {
  readonly drivers = new Map<number, Driver>();
  readonly queue: Route[] = [];
  nowMs = 0;

  constructor(
    replicas: ReplicaState[],
    readonly core: TraftCore = OUR_CORE,
  ) {
    for (const r of replicas) this.drivers.set(r.self, new Driver(r, core));
  }

  d(rank: number): Driver {
    const d = this.drivers.get(rank);
    if (d === undefined) throw new Error(`rank ${rank} is down`);
    return d;
  }

  private enqueue(from: number, sends: Output['send']): void {
    for (const e of sends) this.queue.push({ from, to: e.to, msg: e.msg });
  }

  /** campaign makes `rank` start an election now. */
  campaign(rank: number): void {
    const d = this.d(rank);
    d.state.electionDeadlineMs = this.nowMs;
    this.enqueue(rank, d.tick(this.nowMs));
    d.state.electionDeadlineMs = Infinity;
  }

  propose(rank: number, cmd: Command, logKey: string): void {
    const d = this.d(rank);
    const out = d.step({ type: 'propose', cmd, logKey }, this.nowMs);
    this.enqueue(rank, [...out.send, ...d.persistAll(this.nowMs)]);
  }

  /** tick wakes every live rank at the current time (heartbeats, retries). */
  tickAll(): void {
    for (const [rank, d] of this.drivers) {
      const keep = d.state.electionDeadlineMs;
      this.enqueue(rank, d.tick(this.nowMs));
      d.state.electionDeadlineMs = keep;
    }
  }

  private readonly crashed = new Map<number, ReplicaState>();

  /** crash stops a rank; every batch it submitted was durable (MiniNet persists at once). */
  crash(rank: number): void {
    this.crashed.set(rank, this.d(rank).state);
    this.drivers.delete(rank);
  }

  /** restart recovers a crashed rank from its durable fields, as after a WAL replay. */
  restart(rank: number): void {
    const old = this.crashed.get(rank);
    if (old === undefined) throw new Error(`rank ${rank} did not crash`);
    const s = this.core.restartReplica({
      self: rank,
      config: old.config,
      timing: old.timing,
      nowMs: this.nowMs,
      random: new SeededRandom(`restart/${rank}`),
      durable: { vote: old.vote, committer: old.committer, log: new Map(old.log), snapshot: null },
      loggedUpTo: old.loggedUpTo,
    });
    s.electionDeadlineMs = Infinity;
    this.drivers.set(rank, new Driver(s, this.core));
  }

  /** settle runs `rounds` of: advance half a heartbeat, wake everyone, deliver everything. */
  settle(rounds = 4, allow: (r: Route) => boolean = () => true): void {
    for (let i = 0; i < rounds; i++) {
      this.nowMs += TIMING.heartbeatIntervalMs / 2;
      this.tickAll();
      this.run(allow);
    }
  }

  /** run delivers allowed messages until the queue is empty; returns how many were delivered. */
  run(allow: (r: Route) => boolean = () => true, maxSteps = 10_000): number {
    let n = 0;
    while (n < maxSteps) {
      const r = this.queue.shift();
      if (r === undefined) break; // the queue is empty
      const d = this.drivers.get(r.to);
      if (d === undefined || !allow(r)) continue;
      this.nowMs += 0.01;
      const keep = d.state.electionDeadlineMs;
      this.enqueue(r.to, d.msg(r.from, r.msg, this.nowMs));
      d.state.electionDeadlineMs = keep === Infinity ? Infinity : d.state.electionDeadlineMs;
      n++;
    }
    return n;
  }
}

/** among allows only messages between the listed ranks. */
export function among(...ranks: number[]): (r: Route) => boolean {
  return (r) => ranks.includes(r.from) && ranks.includes(r.to);
}
