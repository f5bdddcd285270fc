// testkit: small builders for scripted unit tests of the core: replicas with a given durable
// state, records, and a driver that steps one replica and lets its WAL batches complete.
import { SeededRandom } from '../../runtime/random.js';
import type { Command } from './command.js';
import { defaultTiming, type Config, type Timing } from './config.js';
import type { Input, Output } from './io.js';
import { leaderId, type LeaderId } from './leader_id.js';
import type { ElectReply, ElectReq, ForwardReply, ForwardReq, Message } from './messages.js';
import type { LogRecord, Seq } from './record.js';
import { restartReplica, type ReplicaState } from './state.js';
import { step } from './step.js';
import { createBitmap, EMPTY_BITMAP, type TailBitmap } from './tail_bitmap.js';

export const L = leaderId;
export const TIMING: Timing = defaultTiming(1000);

/** config makes the members 0..n-1. */
export function config(n: number): Config {
  return { clusterId: 'test', members: Array.from({ length: n }, (_, i) => i) };
}

/** rec builds a record; deps/overrides default to ∅ / {seq}. */
export function rec(seq: Seq, author: LeaderId, cmd?: Command, extra: { deps?: TailBitmap; overrides?: TailBitmap } = {}): LogRecord {
  return {
    seq, author, kind: cmd ? 'cmd' : 'noop', ...(cmd ? { cmd } : {}),
    deps: extra.deps ?? EMPTY_BITMAP, overrides: extra.overrides ?? createBitmap(0, seq),
    logKey: cmd ? `key${seq}_${author.term}_${author.id}` : '',
  };
}

export const set = (key: string, value: number): Command => ({ op: 'set', key, value });
export const incr = (key: string): Command => ({ op: 'incr', key });

/**
 * replica builds a follower with the given durable state, restarted at nowMs (lease contact
 * = nowMs). Its election timer is off (deadline ∞) so scripted tests decide when it campaigns.
 */
export function replica(self: number, n: number, d: { vote?: LeaderId; committer?: LeaderId | null; records?: LogRecord[] } = {}, nowMs = 0, timing = TIMING): ReplicaState {
  const log = new Map((d.records ?? []).map((r) => [r.seq, r] as const));
  const s = restartReplica({
    self, config: config(n), timing, nowMs, random: new SeededRandom(`testkit/${self}`),
    durable: { vote: d.vote ?? null, committer: d.committer ?? null, log },
  });
  s.electionDeadlineMs = Infinity;
  return s;
}

/** Driver steps one replica with a fixed Random and records every output. */
export class Driver {
  readonly random: SeededRandom;
  readonly outs: Output[] = [];
  constructor(public state: ReplicaState) {
    this.random = new SeededRandom(`driver/${state.self}`);
  }

  step(input: Input, nowMs: number): Output {
    const { state, out } = step(this.state, input, nowMs, this.random);
    this.state = state;
    this.outs.push(out);
    return out;
  }

  /** msg delivers a message and, unless told not to, completes every WAL batch (returning sends of both). */
  msg(from: number, m: Message, nowMs: number, persist = true): Output['send'] {
    const out = this.step({ kind: 'message', from, msg: m }, nowMs);
    return persist ? [...out.send, ...this.persistAll(nowMs)] : out.send;
  }

  /** persistAll makes every submitted batch durable and returns what that released. */
  persistAll(nowMs: number): Output['send'] {
    if (this.state.lastBatchId === this.state.persistedBatchId) return [];
    return this.step({ kind: 'persisted', batchId: this.state.lastBatchId }, nowMs).send;
  }

  tick(nowMs: number): Output['send'] {
    const out = this.step({ kind: 'tick' }, nowMs);
    return [...out.send, ...this.persistAll(nowMs)];
  }

  /** logLines lists every instance event so far as `event seq key`. */
  logLines(): string[] {
    return this.outs.flatMap((o) => o.log.map((e) => `${e.event} ${e.seq} ${e.key}`));
  }
}

/** electReq builds an ElectReq. */
export function electReq(candidate: LeaderId, committer: LeaderId | null, accepted: TailBitmap): ElectReq {
  return { type: 'ElectReq', candidate, committer, accepted, clusterId: 'test' };
}

/** forward builds a ForwardReq. */
export function forward(leader: LeaderId, kind: ForwardReq['kind'], records: LogRecord[], committed: TailBitmap, reqId: number, extra: Partial<ForwardReq> = {}): ForwardReq {
  return { type: 'ForwardReq', leader, kind, records, committed, reqId, ...extra };
}

/** replies filters sent messages of one type. */
export function sentOf<T extends Message['type']>(sends: Output['send'], type: T): Array<{ to: number; msg: Extract<Message, { type: T }> }> {
  return sends.filter((e) => e.msg.type === type) as Array<{ to: number; msg: Extract<Message, { type: T }> }>;
}

export type { ElectReply, ForwardReply };
