// trace: one rank's trace in the simulator, one JSON object a line (trace<rank>.ndjson,
// docs/trace.md), kept in memory; its lines are built by runtime/trace.ts, as a real rank's are.
import type { MessageInfo } from '../protocol.js';
import { messageFields, traceLine } from '../trace.js';

export class Tracer {
  readonly lines: string[] = [];

  constructor(readonly on: boolean) {}

  message(atMs: number, ev: 'send' | 'recv', from: number, to: number, info: MessageInfo): void {
    if (this.on) this.lines.push(traceLine(atMs, messageFields(ev, from, to, info)));
  }

  drop(atMs: number, from: number, to: number, reason: string): void {
    if (this.on) this.lines.push(traceLine(atMs, { ev: 'drop', from, to, reason }));
  }

  note(atMs: number, fields: Record<string, unknown>): void {
    if (this.on) this.lines.push(traceLine(atMs, fields));
  }
}
