// trace: one rank's trace in the simulator, one JSON object a line (trace<rank>.ndjson,
// docs/trace.md). `t` is simulated ms after round 0, rounded to µs so a line never depends on
// how a float prints.
import type { MessageInfo } from '../protocol.js';

export class Tracer {
  readonly lines: string[] = [];

  constructor(readonly on: boolean) {}

  message(atMs: number, ev: 'send' | 'recv', from: number, to: number, info: MessageInfo): void {
    if (!this.on) return;
    const { type, round, seq, size } = info;
    this.push(atMs, {
      ev,
      from,
      to,
      type,
      ...(round !== undefined ? { round } : {}),
      ...(seq ? { seq } : {}),
      ...(size !== undefined ? { size } : {}),
    });
  }

  drop(atMs: number, from: number, to: number, reason: string): void {
    if (this.on) this.push(atMs, { ev: 'drop', from, to, reason });
  }

  note(atMs: number, fields: Record<string, unknown>): void {
    if (this.on) this.push(atMs, fields);
  }

  private push(atMs: number, fields: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ t: Math.round(atMs * 1000) / 1000, ...fields }));
  }
}
