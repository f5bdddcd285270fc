// trace: the record-building every trace writer shares (the simulator's, runtime/sim/trace.ts,
// and a real rank's, runtime/driver/tracefile.ts), so both write exactly docs/trace.md. `t` is
// ms after round 0, rounded to µs so a line never depends on how a float prints.
import type { MessageInfo } from './protocol.js';

/** traceLine is one trace line (no newline). */
export function traceLine(atMs: number, fields: Record<string, unknown>): string {
  return JSON.stringify({ t: Math.round(atMs * 1000) / 1000, ...fields });
}

/** messageFields: a send or recv line's fields, leaving out what the protocol's describe did not give. */
export function messageFields(ev: 'send' | 'recv', from: number, to: number, info: MessageInfo): Record<string, unknown> {
  const { type, round, seq, size } = info;
  return {
    ev,
    from,
    to,
    type,
    ...(round !== undefined ? { round } : {}),
    ...(seq ? { seq } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}

/** describeByType: a message's `type` field, for a protocol without describe. */
export function describeByType(msg: unknown): MessageInfo {
  const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  return { type: typeof type === 'string' ? type : 'message' };
}

/** batchRange: the first and last batchId of a persist (the batches' own ids, when they carry them). */
export function batchRange(batches: readonly unknown[]): [unknown, unknown] {
  const id = (b: unknown): unknown => (typeof b === 'object' && b !== null ? (b as { batchId?: unknown }).batchId : undefined);
  return [id(batches[0]), id(batches[batches.length - 1])];
}
