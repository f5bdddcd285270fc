// history: the events of a client history (Jepsen EDN or csplab JSONL, docs/history.md) folded
// into operations: each op's arguments from its invoke, its outcome and output from its
// completion, and its place in real time. Events arrive one line at a time (streamed).

/** Value is the subset of values a history carries: integers, strings, nil and [from to] vectors. */
export type Value = null | number | string | Keyword | Value[];

/** Keyword is an EDN keyword used as a value (Jepsen writes `:timed-out` on :info completions). */
export class Keyword {
  constructor(readonly name: string) {}
  toJSON(): string {
    return `:${this.name}`;
  }
}

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export const EVENT_TYPES: readonly EventType[] = ['invoke', 'ok', 'fail', 'info'];

/**
 * Stamp: a place in a store's one global write order, ordered by version then shard — an ok
 * write's `vts` and an ok read's `at` (docs/history.md; `check --sc` orders the history by them).
 */
export type Stamp = { readonly version: number; readonly shard: number };

/** compareStamp orders stamps by version, then shard. */
export function compareStamp(a: Stamp, b: Stamp): number {
  return a.version - b.version || a.shard - b.shard;
}

/** RawEvent is one line of a history, before pairing. */
export interface RawEvent {
  readonly process: number | string;
  readonly type: EventType;
  readonly f: string;
  /** key: absent for a single register. */
  readonly key?: Value;
  readonly value: Value;
  readonly time?: number;
  /** result: what an ok put or delete reports it did (docs/history.md `result`). */
  readonly result?: string;
  /** vts: an ok write's place in the store's global write order (JSONL only). */
  readonly vts?: Stamp;
  /** at: the applied prefix an ok read saw (JSONL only). */
  readonly at?: Stamp;
  /** read: how a get was asked to read (JSONL only; `local` promises sequential consistency only). */
  readonly read?: string;
}

/** WriteResult: a put created or updated its key; a delete deleted it or found it absent. */
export type WriteResult = 'created' | 'updated' | 'deleted' | 'notFound';
const WRITE_RESULTS: Readonly<Partial<Record<OpF, readonly WriteResult[]>>> = {
  put: ['created', 'updated'],
  delete: ['deleted', 'notFound'],
};

export type RegisterF = 'read' | 'write' | 'cas';
export type KvF = 'get' | 'put' | 'append' | 'delete';
export type OpF = RegisterF | KvF;
export type ModelName = 'register' | 'kv';
export const REGISTER_FS: readonly OpF[] = ['read', 'write', 'cas'];
export const KV_FS: readonly OpF[] = ['get', 'put', 'append', 'delete'];

/** Outcome: `open` is an invoke never completed by the end of the history (treated as :info). */
export type Outcome = 'ok' | 'fail' | 'info' | 'open';

/** Op is one operation: invoke and completion joined. Ordinals order events in real time. */
export interface Op {
  /** id is the op's index in its history, in invoke order. */
  readonly id: number;
  readonly process: number | string;
  readonly f: OpF;
  /** key is the canonical text of the key (`""` for a register without keys). */
  readonly key: string;
  readonly arg: Value;
  outcome: Outcome;
  /** output is the completion's value for an ok read/get; null otherwise. */
  output: Value;
  /** result: what an ok put or delete reported it did, if the history says (the kv model checks it). */
  result?: WriteResult;
  /** vts (ok writes) and at (ok reads): their stamps, when the store orders writes globally. */
  vts?: Stamp;
  at?: Stamp;
  /** local: a get asked as a local read (Vectory): sequentially consistent only, so --lin leaves it out. */
  readonly local?: boolean;
  readonly invokeOrd: number;
  /** completeOrd is Infinity for :info and open ops: they may take effect any time after invoke. */
  completeOrd: number;
  readonly invokeLine: number;
  completeLine?: number;
  readonly invokeTime?: number;
  completeTime?: number;
}

/** History is a file's ops, with the model they belong to. */
export interface History {
  readonly ops: Op[];
  readonly model: ModelName;
  /** events counts the lines that were events (not blank or comments). */
  readonly events: number;
}

/** HistoryError is a malformed history: the message names the line (exit 4, cmd/exit.ts). */
export class HistoryError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'HistoryError';
  }
}

/** canon is the text that decides equality of two values (3 and "3" differ; nil is null). */
export function canon(v: Value): string {
  return JSON.stringify(v);
}

/** show renders a value as the history wrote it (EDN-like), for reports. */
export function show(v: Value): string {
  if (v === null) return 'nil';
  if (v instanceof Keyword) return `:${v.name}`;
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** HistoryBuilder pairs events into ops as they stream in, checking each line's shape. */
export class HistoryBuilder {
  private readonly ops: Op[] = [];
  private readonly pending = new Map<number | string, Op>();
  private ord = -1;
  private lastTime: number | undefined;
  private events = 0;
  private model: ModelName | undefined;

  constructor(private readonly fixedModel?: ModelName) {
    this.model = fixedModel;
  }

  /** add takes one event of line `line`; it throws HistoryError for a malformed one. */
  add(ev: RawEvent, line: number): void {
    // Equal :time on consecutive events makes them concurrent: they share one ordinal.
    const concurrent = ev.time !== undefined && this.lastTime !== undefined && ev.time === this.lastTime;
    this.ord = concurrent ? this.ord : this.events;
    this.lastTime = ev.time;
    this.events++;
    const f = this.opF(ev.f, line);
    if (ev.type === 'invoke') this.invoke(ev, f, line);
    else this.complete(ev, f, line);
  }

  /** finish closes the history: ops still pending stay open to its end (as :info). */
  finish(): History {
    this.pending.clear();
    return { ops: this.ops, model: this.model ?? 'register', events: this.events };
  }

  private opF(f: string, line: number): OpF {
    const model: ModelName | undefined = REGISTER_FS.includes(f as OpF) ? 'register' : KV_FS.includes(f as OpF) ? 'kv' : undefined;
    if (model === undefined)
      throw new HistoryError(line, `unknown :f ${JSON.stringify(f)} (register: read, write, cas; kv: get, put, append, delete)`);
    if (this.model === undefined) this.model = model;
    else if (model !== this.model) {
      const why = this.fixedModel ? `--model ${this.fixedModel}` : `earlier ops are ${this.model} ops`;
      throw new HistoryError(line, `:f ${f} is a ${model} op but ${why}`);
    }
    return f as OpF;
  }

  private invoke(ev: RawEvent, f: OpF, line: number): void {
    const open = this.pending.get(ev.process);
    if (open)
      throw new HistoryError(
        line,
        `process ${String(ev.process)} invokes ${f} while its ${open.f} of line ${open.invokeLine} has not completed`,
      );
    checkArg(f, ev, line);
    const op: Op = {
      id: this.ops.length,
      process: ev.process,
      f,
      key: ev.key === undefined ? '' : keyText(ev.key, line),
      arg: f === 'read' || f === 'get' || f === 'delete' ? null : ev.value,
      outcome: 'open',
      output: null,
      invokeOrd: this.ord,
      completeOrd: Infinity,
      invokeLine: line,
      ...(ev.time === undefined ? {} : { invokeTime: ev.time }),
      ...(f === 'get' && ev.read === 'local' ? { local: true } : {}),
    };
    if ((f === 'get' || f === 'put' || f === 'append' || f === 'delete') && ev.key === undefined)
      throw new HistoryError(line, `${f} needs a key`);
    this.ops.push(op);
    this.pending.set(ev.process, op);
  }

  private complete(ev: RawEvent, f: OpF, line: number): void {
    const op = this.pending.get(ev.process);
    if (!op) throw new HistoryError(line, `:${ev.type} ${f} from process ${String(ev.process)} without an invoke`);
    if (op.f !== f) throw new HistoryError(line, `:${ev.type} ${f} completes the ${op.f} invoked at line ${op.invokeLine}`);
    this.pending.delete(ev.process);
    op.outcome = ev.type === 'invoke' ? 'open' : ev.type;
    op.completeLine = line;
    if (ev.time !== undefined) op.completeTime = ev.time;
    if (ev.type === 'info') return; // the op stays open to the end of the history
    op.completeOrd = this.ord;
    if (ev.type === 'ok' && ev.result !== undefined) op.result = writeResult(f, ev.result, line);
    if (ev.type === 'ok') stamps(op, ev, line);
    if (ev.type === 'ok' && (f === 'read' || f === 'get')) {
      if (!isScalar(ev.value)) throw new HistoryError(line, `${f} returned ${show(ev.value)}, not an integer, string or nil`);
      op.output = ev.value;
    }
  }
}

/** stamps keeps an ok completion's vts (a write's) or at (a read's); the other field is malformed. */
function stamps(op: Op, ev: RawEvent, line: number): void {
  const read = op.f === 'read' || op.f === 'get';
  if (ev.vts !== undefined) {
    if (read) throw new HistoryError(line, `a ${op.f} carries no vts (its stamp is at)`);
    op.vts = ev.vts;
  }
  if (ev.at !== undefined) {
    if (!read) throw new HistoryError(line, `a ${op.f} carries no at (its stamp is vts)`);
    op.at = ev.at;
  }
}

/** writeResult: a completion's result must be one its op can report (put: created, updated; delete: deleted, notFound). */
function writeResult(f: OpF, result: string, line: number): WriteResult {
  const allowed = WRITE_RESULTS[f] ?? [];
  if (!allowed.includes(result as WriteResult))
    throw new HistoryError(
      line,
      allowed.length === 0
        ? `${f} reports no result, got ${JSON.stringify(result)}`
        : `${f}'s result must be ${allowed.join(' or ')}, got ${JSON.stringify(result)}`,
    );
  return result as WriteResult;
}

function isScalar(v: Value): v is null | number | string {
  return v === null || typeof v === 'number' || typeof v === 'string';
}

function keyText(k: Value, line: number): string {
  if (typeof k === 'number' || typeof k === 'string') return String(k);
  if (k instanceof Keyword) return `:${k.name}`;
  throw new HistoryError(line, `key ${show(k)} is not an integer, string or keyword`);
}

/** checkArg refuses an invoke whose value cannot be an argument of f. */
function checkArg(f: OpF, ev: RawEvent, line: number): void {
  const v = ev.value;
  switch (f) {
    case 'read':
    case 'get':
    case 'delete':
      return; // no argument; Jepsen writes nil
    case 'write':
    case 'put':
    case 'append':
      if (typeof v === 'number' || typeof v === 'string') return;
      throw new HistoryError(line, `${f} of ${show(v)}: the value must be an integer or a string`);
    case 'cas':
      if (Array.isArray(v) && v.length === 2 && v.every(isScalar)) return;
      throw new HistoryError(line, `cas of ${show(v)}: the value must be a vector [from to]`);
  }
}
