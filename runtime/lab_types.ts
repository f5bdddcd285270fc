// lab_types: the shapes of csplab's protocol interface a lab's core uses (runtime/protocol.ts and
// runtime/random.ts), without the rest of the runtime. Every lab's `lab init` gives it to the
// students as src/lib/types.ts: their core is loaded by path and run on csplab's driver, which
// passes these shapes in and reads them back. One file for every lab, so they cannot drift apart.

/** Envelope: a message and the rank it goes to. */
export type Envelope<M> = { readonly to: number; readonly msg: M };

/** ProtocolInput: what one step is given. */
export type ProtocolInput<M> =
  /** message: `from` is the rank at the other end of the connection, never a field of msg. */
  | { readonly type: 'message'; readonly from: number; readonly msg: M }
  /** tick: a deadline the core asked for (wakeAtMs) passed, or no input came for a slot. */
  | { readonly type: 'tick' }
  /** persisted: every batch the core asked to persist, up to batchId, is durable. */
  | { readonly type: 'persisted'; readonly batchId: number }
  /** turn: every input that was waiting has been stepped. */
  | { readonly type: 'turn' };

/** ProtocolOutput: everything one step asks the driver to do. */
export interface ProtocolOutput<M, P, L> {
  readonly send: readonly Envelope<M>[];
  /** persist: batches to make durable, in order; each comes back as `persisted`. */
  readonly persist: readonly P[];
  /** log: instance-log events, in order. */
  readonly log: readonly L[];
  /** trace: for tests and debugging; the driver does not read it. */
  readonly trace: readonly unknown[];
  /** wakeAtMs: step (a `tick`) no later than this. */
  readonly wakeAtMs: number;
  /** stop: the rank has done its part; the driver stops it. */
  readonly stop?: boolean;
}

/** Random: the seeded random stream the driver hands a rank (one seed replays a whole run). */
export interface Random {
  next(): number;
  int(n: number): number;
  between(lo: number, hi: number): number;
  bytes(n: number): Uint8Array;
  fork(label: string): Random;
  id(size?: number): string;
}
