// Chan: a typed, bounded channel over js-csp. Writes never block (each channel names its
// overflow policy); reads always name a timeout and resolve to a value, TIMEOUT or CLOSED.
import csp from 'js-csp';
import type { CspChannel } from 'js-csp';
import type { Clock } from './clock.js';
import { touch } from './activity.js';
import { defined } from './assert.js';

export const TIMEOUT: unique symbol = Symbol('timeout');
export const CLOSED: unique symbol = Symbol('closed');
export type Timeout = typeof TIMEOUT;
export type Closed = typeof CLOSED;
export type ReadResult<T> = T | Timeout | Closed;

/**
 * Overflow says what a write to a full channel does (it never waits):
 * - drop-newest: the new value is dropped (traffic that is retried anyway);
 * - drop-oldest: the oldest buffered value is dropped to make room;
 * - coalesce: everything buffered and the new value fold into one via merge (state-like
 *   events: a newer commit frontier replaces an older one);
 * - fail: throw ChannelOverflowError (what must never be lost; the processor, and so the
 *   rank, stops loudly).
 */
export type Overflow<T> =
  { type: 'drop-newest' } | { type: 'drop-oldest' } | { type: 'coalesce'; merge: (older: T, newer: T) => T } | { type: 'fail' };

export interface ChanOptions<T> {
  name: string;
  /** capacity is the buffer bound, 1 … 1_000_000 values (a batch counts as one value). */
  capacity: number;
  overflow: Overflow<T>;
}

/**
 * ChanStats are a channel's counters. Invariant: written = read + dropped + coalesced +
 * buffered (every write to an open channel is read, lost to overflow, folded into another
 * value, or still held).
 */
export interface ChanStats {
  name: string;
  /** written counts writes to the open channel, whether or not the value was kept. */
  written: number;
  /** read counts values handed to readers (read, drain, select). */
  read: number;
  /** dropped counts values lost to overflow (drop-newest, drop-oldest, fail). */
  dropped: number;
  /** coalesced counts buffered values folded away by a coalesce merge. */
  coalesced: number;
  /** buffered counts values held, including one handed to a waiting reader not yet resumed. */
  buffered: number;
  capacity: number;
  /** refused counts writes after close (not part of the invariant above). */
  refused: number;
}

/** ChannelOverflowError is thrown by a write to a full `fail` channel. */
export class ChannelOverflowError extends Error {
  constructor(
    readonly channel: string,
    capacity: number,
  ) {
    super(`channel ${channel} overflowed its capacity of ${capacity} (policy: fail)`);
    this.name = 'ChannelOverflowError';
  }
}

/** Chan is the runtime's channel interface; protocol code never sees js-csp. */
export interface Chan<T> {
  readonly name: string;
  /** closed is true from close() on, even while buffered values remain readable. */
  readonly closed: boolean;
  /** write never blocks; false when the value was dropped or the channel is closed. */
  write(value: T): boolean;
  /**
   * read waits at most timeoutMs (finite, ≥ 0) of the injected clock; 0 means do not wait.
   * Buffered values survive close: CLOSED comes only once the channel is closed and empty.
   * Throws RangeError for a bad timeout; rejects if 512 reads already wait on the channel.
   */
  read(timeoutMs: number): Promise<ReadResult<T>>;
  /** drain takes up to max buffered values now, without waiting (batching after a read). */
  drain(max?: number): T[];
  close(): void;
  stats(): ChanStats;
}

const MAX_CAPACITY = 1_000_000;
/**
 * MAX_WAITING_READS bounds concurrent blocked reads per channel. js-csp throws on the 1025th
 * queued take; it purges dead takes (timed out, or lost a select) every 65 enqueues, so with
 * at most 512 live ones the queue stays far below its limit.
 */
const MAX_WAITING_READS = 512;
const NO_VALUE = csp.NO_VALUE;

/**
 * TakeHandler is js-csp's handler protocol for Channel.take (the one alts uses): a take
 * committed through a shared flag, so one read commits to at most one of its channels.
 * Using it directly avoids a go-process (and an event-loop turn) per read.
 */
interface TakeHandler {
  isActive(): boolean;
  isBlockable(): boolean;
  commit(): (value: unknown) => void;
}

/** RawChannel is the part of js-csp's Channel class that CspChan uses beyond the typings. */
interface RawChannel {
  readonly closed: boolean;
  close(): void;
  take(handler: TakeHandler): { value: unknown } | null;
  readonly buf: { count(): number };
}

/** fold merges older values and the newest one, oldest first. */
function fold<T>(merge: (older: T, newer: T) => T, older: readonly T[], newest: T): T {
  if (older.length === 0) return newest;
  let acc = older[0] as T;
  for (let i = 1; i < older.length; i++) acc = merge(acc, older[i] as T);
  return merge(acc, newest);
}

/** assertTimeout rejects what cannot be a read timeout (negative, NaN, infinite). */
function assertTimeout(timeoutMs: number): void {
  if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new RangeError(`read timeout must be a finite number ≥ 0 ms, got ${timeoutMs}`);
  }
}

/**
 * CspChan implements Chan on a js-csp fixed buffer. js-csp's poll sees nothing on a closed
 * channel even with values buffered, so close() only marks the Chan closed and the js-csp
 * channel is closed once its buffer is empty (raw.closed ⇔ closed and drained).
 */
export class CspChan<T> implements Chan<T> {
  readonly name: string;
  /** raw is the js-csp channel (for select within runtime/ only). */
  readonly raw: CspChannel;
  private readonly capacity: number;
  private readonly overflow: Overflow<T>;
  private isClosed = false;
  private buffered = 0;
  /** waiting counts blocked reads (read or select) registered on this channel. */
  private waiting = 0;
  private readonly counters = { written: 0, read: 0, dropped: 0, coalesced: 0, refused: 0 };

  constructor(
    private readonly clock: Clock,
    options: ChanOptions<T>,
  ) {
    const { name, capacity, overflow } = options;
    if (!name) throw new RangeError('channel name must be non-empty');
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`channel ${name}: capacity must be an integer in 1…${MAX_CAPACITY}, got ${capacity}`);
    }
    const kinds = ['drop-newest', 'drop-oldest', 'coalesce', 'fail'];
    if (!overflow || !kinds.includes(overflow.type)) {
      throw new RangeError(`channel ${name}: overflow must be one of ${kinds.join(', ')}`);
    }
    if (overflow.type === 'coalesce' && typeof overflow.merge !== 'function') {
      throw new TypeError(`channel ${name}: coalesce needs a merge function`);
    }
    this.name = name;
    this.capacity = capacity;
    this.overflow = overflow;
    this.raw = csp.chan(csp.buffers.fixed(capacity));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** exhausted is true once the channel is closed and every value has been taken. */
  get exhausted(): boolean {
    return this.raw.closed;
  }

  write(value: T): boolean {
    if (value === null || value === undefined) throw new TypeError(`channel ${this.name}: cannot write ${String(value)}`);
    if (this.isClosed) {
      this.counters.refused++;
      return false;
    }
    touch();
    this.counters.written++;
    if (this.offer(value)) return true;
    switch (this.overflow.type) {
      case 'drop-newest':
        this.counters.dropped++;
        return false;
      case 'drop-oldest':
        if (this.takeNow() !== NO_VALUE) this.counters.dropped++;
        return this.offer(value);
      case 'coalesce': {
        const older = this.takeAll();
        let merged: T;
        try {
          merged = fold(this.overflow.merge, older, value);
          if (merged === null || merged === undefined) throw new TypeError(`channel ${this.name}: merge returned ${String(merged)}`);
        } catch (error) {
          this.counters.dropped += older.length + 1; // a throwing merge loses what it was given
          throw error;
        }
        this.counters.coalesced += older.length;
        return this.offer(merged);
      }
      case 'fail':
        this.counters.dropped++;
        throw new ChannelOverflowError(this.name, this.capacity);
    }
  }

  read(timeoutMs: number): Promise<ReadResult<T>> {
    assertTimeout(timeoutMs);
    const v = this.takeForReader();
    if (v !== NO_VALUE) return Promise.resolve(v as T);
    if (this.raw.closed) return Promise.resolve(CLOSED);
    if (timeoutMs === 0) return Promise.resolve(TIMEOUT);
    return waitAny([this], timeoutMs, this.clock).then((r) => (r === TIMEOUT || r === CLOSED ? r : (r.value as T)));
  }

  drain(max = Infinity): T[] {
    if (!(max >= 0) || (max !== Infinity && !Number.isInteger(max))) {
      throw new RangeError(`channel ${this.name}: drain max must be an integer ≥ 0, got ${max}`);
    }
    const out: T[] = [];
    while (out.length < max) {
      const v = this.takeForReader();
      if (v === NO_VALUE) break;
      out.push(v as T);
    }
    return out;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    touch();
    this.closeRawIfDrained();
  }

  stats(): ChanStats {
    const { written, read, dropped, coalesced, refused } = this.counters;
    return { name: this.name, written, read, dropped, coalesced, buffered: this.buffered, capacity: this.capacity, refused };
  }

  /** takeForReader takes one buffered value for a reader (counted as read), or NO_VALUE. */
  takeForReader(): unknown {
    const v = this.takeNow();
    if (v !== NO_VALUE) {
      this.counters.read++;
      touch();
    }
    return v;
  }

  /**
   * register queues a blocking take that commits through handler; it returns the value at
   * once (CLOSED as null) when the take completes immediately, else NO_VALUE.
   */
  register(handler: TakeHandler): unknown {
    if (this.waiting >= MAX_WAITING_READS) {
      throw new Error(`channel ${this.name}: more than ${MAX_WAITING_READS} concurrent blocked reads`);
    }
    const box = (this.raw as unknown as RawChannel).take(handler);
    if (box === null) {
      this.waiting++;
      return NO_VALUE;
    }
    return this.afterTake(box.value);
  }

  /** settleWait is called once per register that queued, when its read ends. */
  settleWait(): void {
    this.waiting--;
  }

  /** afterTake accounts a value (or null: closed) delivered by a blocking take. */
  afterTake(value: unknown): unknown {
    if (value === null) return null;
    this.buffered--;
    this.assertBuffered();
    this.counters.read++;
    this.closeRawIfDrained();
    return value;
  }

  private offer(value: T): boolean {
    if (!csp.offer(this.raw, value)) return false;
    this.buffered++;
    return true;
  }

  /** takeNow removes one buffered value without waiting (not counted), or NO_VALUE. */
  private takeNow(): unknown {
    const v = csp.poll(this.raw);
    if (v === NO_VALUE || v === null) return NO_VALUE;
    this.buffered--;
    this.assertBuffered();
    this.closeRawIfDrained();
    return v;
  }

  private takeAll(): T[] {
    const out: T[] = [];
    for (let v = this.takeNow(); v !== NO_VALUE; v = this.takeNow()) out.push(v as T);
    return out;
  }

  /** assertBuffered checks the handoff accounting: never more values out than in. */
  private assertBuffered(): void {
    if (this.buffered < 0) throw new Error(`channel ${this.name}: buffered count went negative (accounting bug)`);
  }

  /** closeRawIfDrained closes the js-csp channel once the Chan is closed and empty. */
  private closeRawIfDrained(): void {
    if (this.isClosed && !this.raw.closed && (this.raw as unknown as RawChannel).buf.count() === 0) this.raw.close();
  }
}

/** Selected is one value read by select, with the index of the channel it came from. */
export interface Selected<T> {
  index: number;
  value: T;
}

/**
 * select reads the first available value from several channels (earlier channels win ties),
 * waiting at most timeoutMs (finite, ≥ 0; 0 means do not wait). A channel that closes while
 * others are open only leaves the select; it resolves CLOSED only when every channel is
 * closed and empty.
 */
export function select<T>(chans: readonly Chan<T>[], timeoutMs: number, clock: Clock): Promise<Selected<T> | Timeout | Closed> {
  if (chans.length === 0) throw new RangeError('select needs at least one channel');
  assertTimeout(timeoutMs);
  const cs = chans.map(asCsp);
  return selectUntil(cs, clock.nowMs() + timeoutMs, clock);
}

async function selectUntil<T>(cs: readonly CspChan<T>[], deadlineMs: number, clock: Clock): Promise<Selected<T> | Timeout | Closed> {
  for (;;) {
    for (const [index, c] of cs.entries()) {
      const v = c.takeForReader();
      if (v !== NO_VALUE) return { index, value: v as T };
    }
    const open: CspChan<T>[] = [];
    const openIndex: number[] = [];
    for (const [index, c] of cs.entries()) {
      if (c.exhausted) continue;
      open.push(c);
      openIndex.push(index);
    }
    if (open.length === 0) return CLOSED;
    const remainingMs = deadlineMs - clock.nowMs();
    if (remainingMs <= 0) return TIMEOUT;
    const r = await waitAny(open, remainingMs, clock);
    if (r === TIMEOUT) return TIMEOUT;
    // One channel closed while we waited: keep waiting on the rest until the same deadline.
    if (r !== CLOSED)
      return { index: defined(openIndex[r.index], 'waitAny answers with the index of a channel it was given'), value: r.value as T };
  }
}

function asCsp<T>(c: Chan<T>): CspChan<T> {
  if (!(c instanceof CspChan)) throw new TypeError(`select: channel ${c.name} is not a CspChan`);
  return c as CspChan<T>;
}

/** Waitable is what waitAny needs of a channel, whatever its value type. */
interface Waitable {
  register(handler: TakeHandler): unknown;
  afterTake(value: unknown): unknown;
  settleWait(): void;
}

/**
 * waitAny blocks until one channel yields a value, one is closed and drained (CLOSED), or the
 * clock's timeout fires. Every take shares one flag, so the read commits to exactly one
 * outcome: a timed-out read leaves its takes inactive and never consumes a later value.
 * Callers have already found every channel empty.
 */
function waitAny(chans: readonly Waitable[], timeoutMs: number, clock: Clock): Promise<Selected<unknown> | Timeout | Closed> {
  return new Promise((resolve) => {
    let live = true;
    const queued: Waitable[] = [];
    const settle = (r: Selected<unknown> | Timeout | Closed): void => {
      cancel();
      for (const c of queued) c.settleWait();
      touch();
      resolve(r);
    };
    const outcome = (index: number, value: unknown): Selected<unknown> | Closed => (value === null ? CLOSED : { index, value });
    // Scheduled first so every exit can cancel it; a clock never fires a timer synchronously.
    const cancel = clock.schedule(timeoutMs, () => {
      if (!live) return;
      live = false;
      settle(TIMEOUT);
    });
    for (const [index, c] of chans.entries()) {
      const handler: TakeHandler = {
        isActive: () => live,
        isBlockable: () => true,
        commit: () => {
          live = false;
          return (value) => settle(outcome(index, c.afterTake(value)));
        },
      };
      let now: unknown;
      try {
        now = c.register(handler);
      } catch (error) {
        live = false; // withdraw the takes already queued; the read rejects
        cancel();
        for (const q of queued) q.settleWait();
        throw error;
      }
      if (now !== NO_VALUE) return settle(outcome(index, now));
      queued.push(c);
    }
  });
}
