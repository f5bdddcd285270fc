// Clock: the only source of time for processors, channels and transports. A real clock for
// clusters; a virtual one for tests, where time moves only when the test advances it.
import { activity } from './activity.js';
import { TimedHeap } from './heap.js';

/** Cancel stops a scheduled callback; calling it after the callback fired is harmless. */
export type Cancel = () => void;

/** Clock is injected everywhere; nothing else in csplab reads wall time or sets timers. */
export interface Clock {
  /** nowMs is Unix epoch milliseconds (may be fractional). */
  nowMs(): number;
  /** nowUs is Unix epoch microseconds, an integer (the instance log's `at` field). */
  nowUs(): number;
  /**
   * schedule runs fire once, delayMs from now; never synchronously inside schedule. A
   * negative delay means now; NaN or an infinite delay is a RangeError.
   */
  schedule(delayMs: number, fire: () => void): Cancel;
}

/** RealClock reads the process's high-resolution monotonic clock anchored at its start. */
export class RealClock implements Clock {
  private readonly originMs = performance.timeOrigin;

  nowMs(): number {
    return this.originMs + performance.now();
  }

  nowUs(): number {
    return Math.floor(this.nowMs() * 1000);
  }

  schedule(delayMs: number, fire: () => void): Cancel {
    assertDelay(delayMs);
    // Node's setTimeout counts whole milliseconds on its own clock and can fire up to ~1 ms
    // before `delayMs` has passed on ours; callers compare nowMs() with the deadline they
    // asked for, so an early fire is re-armed for the remainder (a timer never fires early).
    // Delays beyond 2^31 - 1 ms are chained (setTimeout would fire those after 1 ms).
    const dueMs = this.nowMs() + Math.max(0, delayMs);
    let handle: ReturnType<typeof setTimeout>;
    const arm = (): void => {
      const leftMs = dueMs - this.nowMs();
      if (leftMs <= 0) return fire();
      handle = setTimeout(arm, Math.min(Math.ceil(leftMs), MAX_TIMER_MS));
    };
    handle = setTimeout(arm, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    return () => clearTimeout(handle);
  }

  /** sleepMs is for cmd/ start-up alignment only (waiting for --start-at); never for sync. */
  sleepMs(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

/**
 * SkewedClock is a RealClock off by a constant offsetMs (`csplab run --skew`): its nowMs, and
 * so every deadline computed from it, is offsetMs ahead (or behind, if negative) of the
 * machine's. Delays still pass at the real rate: skew, not drift. `base` is the true clock,
 * for what the launcher times in its own clock (the end of a partition, docs/faults.md).
 */
export class SkewedClock extends RealClock {
  readonly base = new RealClock();

  constructor(readonly offsetMs: number) {
    super();
    if (!Number.isFinite(offsetMs)) throw new RangeError(`clock skew must be a finite number of ms, got ${offsetMs}`);
  }

  override nowMs(): number {
    return super.nowMs() + this.offsetMs;
  }
}

/** MAX_TIMER_MS is the longest delay one Node setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

/** assertDelay rejects delays no timer can honour (NaN, ±Infinity). */
function assertDelay(delayMs: number): void {
  if (!Number.isFinite(delayMs)) throw new RangeError(`timer delay must be a finite number of ms, got ${delayMs}`);
}

interface VirtualTimer {
  atMs: number; // due time; ties fire in the order they were scheduled (the heap keeps it)
  fire: () => void;
  live: boolean;
}

/**
 * VirtualClock fires timers in time order as the test advances it. Between timers it lets
 * every runnable processor finish (runUntilIdle), so a test observes exactly what a real run
 * would at that instant, with no real sleeping.
 */
export class VirtualClock implements Clock {
  private now: number;
  private readonly heap = new TimedHeap<VirtualTimer>();
  /** live counts scheduled timers neither fired nor cancelled (heap may hold dead ones). */
  private live = 0;
  /** advancing is true while advance/advanceTo runs; they must not overlap. */
  private advancing = false;

  constructor(startMs = 1_700_000_000_000) {
    if (!Number.isFinite(startMs)) throw new RangeError(`VirtualClock start must be finite, got ${startMs}`);
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  nowUs(): number {
    return Math.floor(this.now * 1000);
  }

  schedule(delayMs: number, fire: () => void): Cancel {
    assertDelay(delayMs);
    const timer: VirtualTimer = { atMs: this.now + Math.max(0, delayMs), fire, live: true };
    this.heap.push(timer);
    this.live++;
    return () => {
      if (!timer.live) return;
      timer.live = false;
      this.live--;
      this.compact();
    };
  }

  /** pendingTimers counts live scheduled timers (for tests and leak checks). */
  pendingTimers(): number {
    return this.live;
  }

  /** nextDueMs is when the earliest live timer is due, or undefined when none is. */
  nextDueMs(): number | undefined {
    return this.peekLive()?.atMs;
  }

  /** advance moves time forward by ms (finite, ≥ 0), firing every due timer in order. */
  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`advance needs a finite ms ≥ 0, got ${ms}`);
    await this.advanceTo(this.now + ms);
  }

  /**
   * advanceTo moves time to targetMs (never backwards: an earlier target only runs what is
   * due now), firing due timers in time order, ties in scheduling order. After each timer it
   * runs until idle, so processors see every instant a real run would.
   */
  async advanceTo(targetMs: number): Promise<void> {
    if (!Number.isFinite(targetMs)) throw new RangeError(`advanceTo needs a finite time, got ${targetMs}`);
    if (this.advancing) throw new Error('VirtualClock: advance called while another advance is running');
    this.advancing = true;
    try {
      await runUntilIdle();
      for (;;) {
        const next = this.peekLive();
        if (next === undefined || next.atMs > targetMs) break;
        this.heap.pop();
        this.now = Math.max(this.now, next.atMs);
        next.live = false;
        this.live--;
        next.fire();
        await runUntilIdle();
      }
      this.now = Math.max(this.now, targetMs);
      await runUntilIdle();
    } finally {
      this.advancing = false;
    }
  }

  /** compact drops cancelled timers once they outnumber live ones (reads that got values). */
  private compact(): void {
    const dead = this.heap.size - this.live;
    if (dead <= 1024 || dead <= this.live) return;
    this.heap.retain((t) => t.live);
  }

  private peekLive(): VirtualTimer | undefined {
    for (let t = this.heap.peek(); t !== undefined && !t.live; t = this.heap.peek()) this.heap.pop();
    return this.heap.peek();
  }
}

const MAX_IDLE_TURNS = 100_000;

/**
 * runUntilIdle yields event-loop turns until two consecutive turns pass with no channel
 * activity: every processor that could run has run and is blocked on a read. This is how
 * virtual-time tests synchronize; it is not a sleep (no wall time is waited on).
 */
export async function runUntilIdle(): Promise<void> {
  let quiet = 0;
  for (let turn = 0; turn < MAX_IDLE_TURNS; turn++) {
    const before = activity.count;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (activity.count === before) {
      if (++quiet >= 2) return;
    } else {
      quiet = 0;
    }
  }
  throw new Error(`runUntilIdle: still busy after ${MAX_IDLE_TURNS} turns (a processor loop that never blocks?)`);
}
