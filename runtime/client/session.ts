// session: one key-value client's retry logic, the same for every replicated store, as a pure
// state machine the caller drives with replies and timeouts (a TCP client in runtime/client/tcp.ts,
// a simulated one in tests). One operation is outstanding at a time. A retry repeats the
// request unchanged — same reqNo — so the store runs it at most once (exactly once with
// (clientId, reqNo): docs/protocols/traft.md §9.4); it follows not-leader hints, waits out
// elections, and gives up at the deadline with an unknown outcome (`info` in the history).
import type { ClientReply, ClientRequest, KvOp, ReadMode } from './wire.js';

/** Op is one operation a client performs. */
export type Op = { readonly f: KvOp; readonly key: string; readonly value?: string; readonly read?: ReadMode };

/** Outcome: ok with the output, fail (the store refused before running it), or info (unknown: it may have run). */
export type Outcome =
  { readonly type: 'ok'; readonly result: string | null } | { readonly type: 'fail'; readonly why: string } | { readonly type: 'info' };

/** Action tells the driver what to do next: send and wait for a reply until `untilMs`, wait, or record the outcome. */
export type Action =
  | { readonly type: 'send'; readonly rank: number; readonly req: ClientRequest; readonly untilMs: number }
  | { readonly type: 'wait'; readonly untilMs: number }
  | { readonly type: 'done'; readonly outcome: Outcome };

export interface SessionOptions {
  readonly client: string;
  readonly ranks: number;
  /** deadlineMs: how long one operation may take before its outcome is unknown. */
  readonly deadlineMs: number;
  /** attemptMs: how long to wait for one reply before trying another rank. */
  readonly attemptMs: number;
  /** backoffMs: the pause after `electing` or a not-leader without a hint. */
  readonly backoffMs: number;
}

type Current = { readonly req: ClientRequest; readonly deadlineAtMs: number; target: number; attempts: number };

/** ClientSession: call begin, then onReply / onTimeout as the driver's events come, until `done`. */
export class ClientSession {
  /** guess: the rank we believe leads (hints move it). */
  guess = 0;
  private reqNo = 0;
  private current: Current | null = null;
  /** retries: requests sent again (same reqNo) after the first attempt. */
  retries = 0;

  constructor(readonly o: SessionOptions) {
    if (!(o.ranks >= 1 && o.deadlineMs > 0 && o.attemptMs > 0 && o.backoffMs >= 0)) throw new RangeError('session options out of range');
  }

  get busy(): boolean {
    return this.current !== null;
  }

  begin(op: Op, nowMs: number): Action {
    if (this.current !== null) throw new Error(`client ${this.o.client} has an operation outstanding`);
    const req: ClientRequest = {
      type: 'client-req',
      client: this.o.client,
      reqNo: ++this.reqNo,
      op: op.f,
      key: op.key,
      ...(op.value !== undefined ? { value: op.value } : {}),
      ...(op.read !== undefined ? { read: op.read } : {}),
    };
    this.current = { req, deadlineAtMs: nowMs + this.o.deadlineMs, target: this.guess, attempts: 0 };
    return this.send(nowMs);
  }

  /** onReply: a reply for another (older) request is ignored (null). */
  onReply(reply: ClientReply, nowMs: number): Action | null {
    const c = this.current;
    if (c === null || reply.client !== this.o.client || reply.reqNo !== c.req.reqNo) return null;
    switch (reply.status) {
      case 'ok':
        this.guess = c.target;
        return this.finish({ type: 'ok', result: reply.result });
      case 'refused':
        return this.finish({ type: 'fail', why: reply.why });
      case 'not-leader':
        if (reply.hint !== null && reply.hint !== c.target && reply.hint < this.o.ranks) {
          c.target = reply.hint;
          return this.send(nowMs);
        }
        c.target = (c.target + 1) % this.o.ranks;
        return this.pause(nowMs);
      case 'electing':
        return this.pause(nowMs);
    }
  }

  /** onTimeout: the wait of the last action ended without a reply: the next rank, or unknown past the deadline. */
  onTimeout(nowMs: number, lastWasSend: boolean): Action {
    const c = this.current;
    if (c === null) throw new Error('onTimeout without an operation');
    if (lastWasSend) c.target = (c.target + 1) % this.o.ranks;
    return this.send(nowMs);
  }

  private pause(nowMs: number): Action {
    const c = this.current as Current;
    if (nowMs + this.o.backoffMs >= c.deadlineAtMs) return this.finish({ type: 'info' });
    return { type: 'wait', untilMs: nowMs + this.o.backoffMs };
  }

  private send(nowMs: number): Action {
    const c = this.current as Current;
    if (nowMs >= c.deadlineAtMs)
      return this.finish(c.attempts === 0 ? { type: 'fail', why: 'deadline before any attempt' } : { type: 'info' });
    if (c.attempts++ > 0) this.retries++;
    this.guess = c.target;
    return { type: 'send', rank: c.target, req: c.req, untilMs: Math.min(nowMs + this.o.attemptMs, c.deadlineAtMs) };
  }

  private finish(outcome: Outcome): Action {
    this.current = null;
    return { type: 'done', outcome };
  }
}
