// Chan: a typed, bounded channel over js-csp. Writes never block (each channel names its
// overflow policy); reads always name a timeout and resolve to a value, TIMEOUT or CLOSED.
import csp from 'js-csp';
import type { CspChannel } from 'js-csp';
import type { Clock } from './clock.js';
import { touch } from './activity.js';

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
  | { kind: 'drop-newest' }
  | { kind: 'drop-oldest' }
  | { kind: 'coalesce'; merge: (older: T, newer: T) => T }
  | { kind: 'fail' };

export interface ChanOptions<T> {
  name: string;
  /** capacity is the buffer bound, 1 … 1_000_000 values (a batch counts as one value). */
  capacity: number;
  overflow: Overflow<T>;
}

export interface ChanStats {
  name: string;
  written: number;
  read: number;
  dropped: number;
  coalesced: number;
  buffered: number;
  capacity: number;
}

/** ChannelOverflowError is thrown by a write to a full `fail` channel. */
export class ChannelOverflowError extends Error {
  constructor(readonly channel: string, capacity: number) {
    super(`channel ${channel} overflowed its capacity of ${capacity} (policy: fail)`);
    this.name = 'ChannelOverflowError';
  }
}

/** Chan is the runtime's channel interface; protocol code never sees js-csp. */
export interface Chan<T> {
  readonly name: string;
  readonly closed: boolean;
  /** write never blocks; false when the value was dropped or the channel is closed. */
  write(value: T): boolean;
  /** read waits at most timeoutMs of the injected clock. Buffered values survive close. */
  read(timeoutMs: number): Promise<ReadResult<T>>;
  /** drain takes up to max buffered values now, without waiting (batching after a read). */
  drain(max?: number): T[];
  close(): void;
  stats(): ChanStats;
}

const MAX_CAPACITY = 1_000_000;
const NO_VALUE = csp.NO_VALUE;

/** CspChan implements Chan on a js-csp fixed buffer. */
export class CspChan<T> implements Chan<T> {
  readonly name: string;
  /** raw is the js-csp channel (for select within runtime/ only). */
  readonly raw: CspChannel;
  private readonly capacity: number;
  private readonly overflow: Overflow<T>;
  private buffered = 0;
  private readonly counters = { written: 0, read: 0, dropped: 0, coalesced: 0 };

  constructor(private readonly clock: Clock, options: ChanOptions<T>) {
    const { name, capacity, overflow } = options;
    if (!name) throw new RangeError('channel name must be non-empty');
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`channel ${name}: capacity must be an integer in 1…${MAX_CAPACITY}, got ${capacity}`);
    }
    this.name = name;
    this.capacity = capacity;
    this.overflow = overflow;
    this.raw = csp.chan(csp.buffers.fixed(capacity));
  }

  get closed(): boolean {
    return this.raw.closed;
  }

  write(value: T): boolean {
    if (value === null || value === undefined) throw new TypeError(`channel ${this.name}: cannot write ${value}`);
    if (this.raw.closed) return false;
    touch();
    if (this.offer(value)) return true;
    switch (this.overflow.kind) {
      case 'drop-newest':
        this.counters.dropped++;
        return false;
      case 'drop-oldest':
        if (this.poll() !== NO_VALUE) this.counters.dropped++;
        return this.offer(value);
      case 'coalesce': {
        let merged: T | undefined;
        for (let v = this.poll(); v !== NO_VALUE; v = this.poll()) {
          merged = merged === undefined ? (v as T) : this.overflow.merge(merged, v as T);
          this.counters.coalesced++;
        }
        const next = merged === undefined ? value : this.overflow.merge(merged, value);
        return this.offer(next);
      }
      case 'fail':
        throw new ChannelOverflowError(this.name, this.capacity);
    }
  }

  read(timeoutMs: number): Promise<ReadResult<T>> {
    const v = this.poll();
    if (v !== NO_VALUE) return Promise.resolve(v as T);
    if (this.raw.closed) return Promise.resolve(CLOSED);
    return waitAny([this], timeoutMs, this.clock).then((r) =>
      r === TIMEOUT || r === CLOSED ? r : (r.value as T),
    );
  }

  drain(max = Infinity): T[] {
    const out: T[] = [];
    while (out.length < max) {
      const v = this.poll();
      if (v === NO_VALUE) break;
      out.push(v as T);
    }
    return out;
  }

  close(): void {
    if (!this.raw.closed) {
      touch();
      this.raw.close();
    }
  }

  stats(): ChanStats {
    return { name: this.name, ...this.counters, buffered: this.buffered, capacity: this.capacity };
  }

  /** noteTaken is called when a value left through a blocking take (select/read). */
  noteTaken(): void {
    this.buffered--;
    this.counters.read++;
    touch();
  }

  private offer(value: T): boolean {
    if (!csp.offer(this.raw, value)) return false;
    this.buffered++;
    this.counters.written++;
    return true;
  }

  private poll(): unknown {
    const v = csp.poll(this.raw);
    if (v !== NO_VALUE && v !== null) {
      this.buffered--;
      this.counters.read++;
      touch();
      return v;
    }
    return NO_VALUE;
  }
}

/** Selected is one value read by select, with the index of the channel it came from. */
export interface Selected<T> {
  index: number;
  value: T;
}

/**
 * select reads the first available value from several channels (earlier channels win ties),
 * waiting at most timeoutMs. It resolves CLOSED only when every channel is closed and empty.
 */
export async function select<T>(chans: readonly Chan<T>[], timeoutMs: number, clock: Clock): Promise<Selected<T> | Timeout | Closed> {
  if (chans.length === 0) throw new RangeError('select needs at least one channel');
  const deadlineMs = clock.nowMs() + timeoutMs;
  for (;;) {
    for (let i = 0; i < chans.length; i++) {
      const got = chans[i]!.drain(1);
      if (got.length > 0) return { index: i, value: got[0]! };
    }
    const open = chans.map((c, index) => ({ c: asCsp(c), index })).filter((x) => !x.c.closed);
    if (open.length === 0) return CLOSED;
    const r = await waitAny(
      open.map((x) => x.c),
      Math.max(0, deadlineMs - clock.nowMs()),
      clock,
    );
    if (r === TIMEOUT) return TIMEOUT;
    // One channel closed while we waited: keep waiting on the rest until the same deadline.
    if (r !== CLOSED) return { index: open[r.index]!.index, value: r.value as T };
  }
}

function asCsp<T>(c: Chan<T>): CspChan<T> {
  if (!(c instanceof CspChan)) throw new TypeError(`select: channel ${c.name} is not a CspChan`);
  return c;
}

/** Waitable is what waitAny needs of a channel, whatever its value type. */
interface Waitable {
  readonly raw: CspChannel;
  noteTaken(): void;
}

/**
 * waitAny blocks (via a js-csp go-process and alts) until one channel yields a value, one is
 * closed, or the clock's timeout fires. The timer closes a private channel, so a timed-out
 * read never consumes a later value (alts commits to at most one operation).
 */
function waitAny(chans: readonly Waitable[], timeoutMs: number, clock: Clock): Promise<Selected<unknown> | Timeout | Closed> {
  if (!(timeoutMs >= 0)) throw new RangeError(`read timeout must be ≥ 0 ms, got ${timeoutMs}`);
  const timer = csp.chan();
  const cancel = clock.schedule(timeoutMs, () => {
    touch();
    timer.close();
  });
  const raws = chans.map((c) => c.raw);
  return new Promise((resolve) => {
    csp.go(function* () {
      const r = (yield csp.alts([...raws, timer], { priority: true })) as { value: unknown; channel: CspChannel };
      cancel();
      if (r.channel === timer) return resolve(TIMEOUT);
      if (r.value === null) return resolve(CLOSED);
      const index = raws.indexOf(r.channel);
      chans[index]!.noteTaken();
      resolve({ index, value: r.value });
    });
  });
}
