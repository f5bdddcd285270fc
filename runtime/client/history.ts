// history: the client history in docs/history.md's JSONL format, written by every store's load
// generator and graded by `csplab check --lin` (check/lin/). Real time is line order, so events
// are appended in the order they happen; `time` is ms since the run's start.
import type { Op, Outcome } from './session.js';
import type { Vts, WriteResult } from './wire.js';

/** HistoryEvent is one line of the history. */
export type HistoryEvent = {
  readonly process: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: string;
  readonly key: string;
  readonly value: string | null;
  readonly time: number;
  /** result: what an ok put or delete did, when the store reports it (docs/history.md). */
  readonly result?: WriteResult;
  /** read: on a get's invoke, Vectory's read mode (local or master). */
  readonly read?: 'local' | 'master';
  /** vts (an ok write's) and at (an ok get's): their place in the store's global order, if it has one. */
  readonly vts?: Vts;
  readonly at?: Vts;
};

/** History collects a run's events in order. */
export class History {
  readonly events: HistoryEvent[] = [];

  invoke(process: number, op: Op, time: number): void {
    // Vectory's read modes are recorded: a local get promises sequential consistency only, and
    // `check --lin` leaves it out (docs/history.md).
    const read = op.f === 'get' && (op.read === 'local' || op.read === 'master') ? { read: op.read } : {};
    this.events.push({ process, type: 'invoke', f: op.f, key: op.key, value: op.value ?? null, time, ...read });
  }

  /** complete records the outcome of the process's outstanding op: a get's output, a write's argument again. */
  complete(process: number, op: Op, outcome: Outcome, time: number): void {
    const value = outcome.type === 'ok' && op.f === 'get' ? outcome.result : (op.value ?? null);
    const done: HistoryEvent = { process, type: outcome.type, f: op.f, key: op.key, value, time };
    if (outcome.type !== 'ok') {
      this.events.push(done);
      return;
    }
    // Only the stamp the op's kind carries: a history with a get's vts is malformed (docs/history.md).
    const { wrote, vts, at } = outcome;
    this.events.push({
      ...done,
      ...(wrote !== undefined ? { result: wrote } : {}),
      ...(op.f !== 'get' && vts !== undefined ? { vts } : {}),
      ...(op.f === 'get' && at !== undefined ? { at } : {}),
    });
  }

  /** counts: completions by outcome. */
  counts(): { ok: number; fail: number; info: number } {
    const n = { ok: 0, fail: 0, info: 0 };
    for (const e of this.events) if (e.type !== 'invoke') n[e.type]++;
    return n;
  }

  toJsonl(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }
}
