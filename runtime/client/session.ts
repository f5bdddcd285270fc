// session: one key-value client's retry logic, the same for every replicated store, as a pure
// state machine the caller drives with replies and timeouts (over TCP in runner.ts, on the
// simulator's clock in runtime/sim/clients.ts). One operation is outstanding at a time. A retry repeats the
// request unchanged — same reqNo — so the store runs it at most once (exactly once with
// (clientId, reqNo): docs/protocols/traft.md §9.4); it follows not-leader hints, waits out
// elections, and gives up at the deadline with an unknown outcome (`info` in the history).
import {
  BadClientFrame,
  writeResult,
  type ClientReply,
  type ClientRequest,
  type KvOp,
  type ReadMode,
  type Vts,
  type WriteResult,
} from './wire.js';

/** Op is one operation a client performs. */
export type Op = { readonly f: KvOp; readonly key: string; readonly value?: string; readonly read?: ReadMode };

/**
 * Outcome: ok with the output (and, if the store reports it, what a put or delete did), fail
 * (the store refused before running it), or info (unknown: it may have run).
 */
export type Outcome =
  | {
      readonly type: 'ok';
      readonly result: string | null;
      readonly wrote?: WriteResult;
      /** vts (a write's) and at (a read's): its place in the store's global order, when it has one. */
      readonly vts?: Vts;
      readonly at?: Vts;
    }
  | { readonly type: 'fail'; readonly why: string }
  | { readonly type: 'info' };

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
  /**
   * routing: 'leader' (default) keeps one guess of the rank that leads, for a store with one
   * leader (TRaft); 'per-key' keeps a guess per route — (read or write, key) — for a store whose
   * keys live on different ranks (a chain: writes at the key's head, reads at its tail);
   * 'spread-reads' is per-key for writes; a read asks the store for every rank that may answer
   * it (`members`) and then rotates among them in turns of `turnMs` (CRAQ, see readTarget).
   */
  readonly routing?: Routing;
  /**
   * routes: a per-key routing table to share with other sessions of the same driver, so one
   * not-leader hint moves every client's first try of that route (a hint is only a guess: a stale
   * one costs a retry with the same reqNo, never a second write). Default: this session's own.
   */
  readonly routes?: Map<string, number>;
  /**
   * members: spread-reads' table of the ranks that may answer each key's reads, shared like
   * `routes` (one answer teaches every session). Default: this session's own.
   */
  readonly members?: Map<string, readonly number[]>;
  /** turnMs: spread-reads' rotation: every read of one chain sent within one turn goes to the same member (default 1). */
  readonly turnMs?: number;
  /**
   * shardOf: the shard a key lives in, for per-shard routing (Vectory: writes and master reads
   * go to the shard's master, local reads to the session's home rank, `guess`).
   */
  readonly shardOf?: (key: string) => number;
  /**
   * carryAfter: keep the largest vts/at the store has answered and send it as `after` on every
   * request, so each operation sorts after the session's previous ones (Vectory's session rule).
   */
  readonly carryAfter?: boolean;
}

/**
 * Routing: one leader guess; one guess per (read|write, key), reads' guesses shared or not
 * (spread-reads); or one guess per shard for writes and master reads, with local reads at the
 * session's home rank (per-shard).
 */
export type Routing = 'leader' | 'per-key' | 'spread-reads' | 'per-shard';

/** routeOf: the route an op takes under per-key routing — gets read, everything else writes. */
export function routeOf(op: Pick<Op, 'f' | 'key'>): string {
  return `${op.f === 'get' ? 'read' : 'write'}:${op.key}`;
}

/** laterVts: the larger of two stamps, by version then shard. */
export function laterVts(a: Vts | undefined, b: Vts | undefined): Vts | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (a.version - b.version || a.shard - b.shard) >= 0 ? a : b;
}

type Current = {
  readonly req: ClientRequest;
  readonly route: string;
  /** table: the routes this op's guess lives in (undefined: leader routing). */
  readonly table: Map<string, number> | undefined;
  readonly deadlineAtMs: number;
  target: number;
  attempts: number;
};

/** ClientSession: call begin, then onReply / onTimeout as the driver's events come, until `done`. */
export class ClientSession {
  /** guess: the rank we believe leads (hints move it); under per-key routing, the first try of a route not yet seen. */
  guess = 0;
  /** routes: per-key routing's guess per route (routeOf); empty under leader routing. */
  readonly routes: Map<string, number>;
  /** members: spread-reads' ranks that may answer each key's reads. */
  readonly members: Map<string, readonly number[]>;
  private reqNo = 0;
  private current: Current | null = null;
  /** retries: requests sent again (same reqNo) after the first attempt. */
  retries = 0;
  /** badReplies: ok replies whose result cannot be the op's (ignored, as a bad frame is). */
  badReplies = 0;
  /** after: the largest vts/at answered so far (carryAfter). */
  after: Vts | undefined;

  constructor(readonly o: SessionOptions) {
    if (!(o.ranks >= 1 && o.deadlineMs > 0 && o.attemptMs > 0 && o.backoffMs >= 0)) throw new RangeError('session options out of range');
    if (o.routing === 'per-shard' && o.shardOf === undefined) throw new RangeError('per-shard routing needs shardOf');
    this.routes = o.routes ?? new Map<string, number>();
    this.members = o.members ?? new Map<string, readonly number[]>();
  }

  get busy(): boolean {
    return this.current !== null;
  }

  begin(op: Op, nowMs: number): Action {
    if (this.current !== null) throw new Error(`client ${this.o.client} has an operation outstanding`);
    const spread = this.o.routing === 'spread-reads' && op.f === 'get';
    const members = spread ? this.members.get(op.key) : undefined;
    const req: ClientRequest = {
      type: 'client-req',
      client: this.o.client,
      reqNo: ++this.reqNo,
      op: op.f,
      key: op.key,
      ...(op.value !== undefined ? { value: op.value } : {}),
      ...(op.read !== undefined ? { read: op.read } : {}),
      ...(this.o.carryAfter === true && this.after !== undefined ? { after: this.after } : {}),
      ...(spread && members === undefined ? { members: true as const } : {}),
    };
    const { route, table } = this.routeFor(op);
    const target = members !== undefined ? readTarget(members, nowMs, this.o.turnMs ?? 1) : (table?.get(route) ?? this.guess);
    this.current = { req, route, table, deadlineAtMs: nowMs + this.o.deadlineMs, target, attempts: 0 };
    return this.send(nowMs);
  }

  /** onReply: a reply for another (older) request is ignored (null). */
  onReply(reply: ClientReply, nowMs: number): Action | null {
    const c = this.current;
    if (c === null || reply.client !== this.o.client || reply.reqNo !== c.req.reqNo) return null;
    switch (reply.status) {
      case 'ok':
        return this.ok(c, reply);
      case 'refused':
        return this.finish({ type: 'fail', why: reply.why });
      case 'not-leader':
        this.learnMembers(c, reply.members);
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
    this.remember(c);
    return { type: 'send', rank: c.target, req: c.req, untilMs: Math.min(nowMs + this.o.attemptMs, c.deadlineAtMs) };
  }

  private ok(c: Current, reply: ClientReply & { status: 'ok' }): Action | null {
    const { result, vts, at } = reply;
    let wrote: WriteResult | undefined;
    try {
      wrote = writeResult(c.req.op, result);
    } catch (e) {
      if (!(e instanceof BadClientFrame)) throw e;
      this.badReplies++;
      return null; // untrusted: the op waits out its attempt and retries
    }
    this.remember(c);
    if (reply.members !== undefined) this.learnMembers(c, reply.members);
    if (this.o.carryAfter === true) this.after = laterVts(laterVts(this.after, vts), at);
    const stamps = { ...(vts !== undefined ? { vts } : {}), ...(at !== undefined ? { at } : {}) };
    return this.finish(wrote === undefined ? { type: 'ok', result, ...stamps } : { type: 'ok', result, wrote, ...stamps });
  }

  /**
   * routeFor: the table this op's guess lives in and its route there; no table for the
   * session's own guess (the leader, or a per-shard session's home rank for local reads).
   */
  private routeFor(op: Op): { route: string; table: Map<string, number> | undefined } {
    switch (this.o.routing) {
      case 'per-key':
      case 'spread-reads': // a read with known members goes by readTarget instead (begin)
        return { route: routeOf(op), table: this.routes };
      case 'per-shard':
        if (op.f === 'get' && op.read === 'local') return { route: '', table: undefined };
        return { route: `shard:${this.o.shardOf?.(op.key) ?? 0}`, table: this.routes };
      case 'leader':
      case undefined:
        return { route: '', table: undefined };
    }
  }

  /**
   * learnMembers: a spread read's members as the store named them; a not-leader without them
   * means the table's list is stale (a reconfiguration), so the key's next read asks again.
   */
  private learnMembers(c: Current, members: readonly number[] | undefined): void {
    if (this.o.routing !== 'spread-reads' || c.req.op !== 'get') return;
    if (members !== undefined) this.members.set(c.req.key, members);
    else this.members.delete(c.req.key);
  }

  /** remember: the rank this op now goes to is the best guess for its route (or the leader). */
  private remember(c: Current): void {
    if (c.table !== undefined) c.table.set(c.route, c.target);
    else this.guess = c.target;
  }

  private finish(outcome: Outcome): Action {
    this.current = null;
    return { type: 'done', outcome };
  }
}

/**
 * readTarget: the member a spread read goes to: the same for every read of one chain (one list
 * of members) within one turn of turnMs, the next one the next turn. A member then answers a
 * burst of reads per wake-up, as a lone tail does, instead of a third of every burst: on a busy
 * machine each wake-up costs about as much as the reads it answers (docs/benchmarks.md, CRAQ).
 * The list's sum shifts the rotation so that chains sharing members do not all pick the same rank.
 */
export function readTarget(members: readonly number[], nowMs: number, turnMs: number): number {
  let sum = 0;
  for (const m of members) sum += m;
  return members[(Math.floor(nowMs / turnMs) + sum) % members.length] as number;
}
