// state_machine: the interface TRaft replicates (docs/protocols/traft.md §3.3). The core treats a
// command as an opaque JSON object: which commands interfere (R3), which subsume which (R5),
// how a command changes the state and what it returns are the state machine's. The lab load's
// set/incr (lab_machine.ts) and the clients' key-value store (kv_machine.ts) are two of them;
// any protocol may import this file (eslint.config.js exportedModules); the chain KV's replicated
// master imports TRaft's core too, an edge eslint.config.js names in crossProtocolAllowed.

/** Json is what a command, a result and a snapshot image are made of (they travel and persist as such). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** SmCommand is one command of a state machine: a JSON object whose shape the machine defines. */
export type SmCommand = { readonly [k: string]: Json };

/**
 * Access is how a command touches one interference key (R3). Two commands interfere iff they
 * share a key that not both `commute` on. `overwrite` replaces the key's whole value and returns
 * nothing: it subsumes (R5) every earlier `overwrite` or `commute` command that touched that key
 * alone; a machine whose commands all return results (clients wait for them) never says it.
 */
export type Access = { readonly key: string; readonly mode: 'write' | 'commute' | 'overwrite' };

/** StateMachine is one replica's deterministic state: every replica applies the same commands in an interference-respecting order. */
export interface StateMachine {
  /** apply runs a committed command and returns its result; total: a malformed command must still give the same answer everywhere. */
  apply(cmd: SmCommand): Json;
  /** query answers a read from the current state without changing it (ReadIndex, §9.4). */
  query(q: SmCommand): Json;
  /** image is the snapshot of the whole state (restore reads it back). */
  image(): Json;
  /** describe renders the state canonically, for equality checks and messages. */
  describe(): string;
}

/** MachineKind is a state machine's type: its pure functions over commands and its constructors. */
export interface MachineKind {
  readonly name: string;
  create(): StateMachine;
  /** restore rebuilds a machine from an image; null if the image is not one of this machine's. */
  restore(image: Json): StateMachine | null;
  /** access: the keys a command (or a query) touches and how (R3/R5); pure. */
  access(cmd: SmCommand): readonly Access[];
  /** checkCommand / checkImage name what is wrong with a decoded command / image (wire and WAL input), or null. */
  checkCommand(x: unknown): string | null;
  checkImage(x: unknown): string | null;
}

/** interferes is R3 over two commands' accesses. */
export function interferes(kind: MachineKind, a: SmCommand, b: SmCommand): boolean {
  const bs = kind.access(b);
  return kind.access(a).some((x) => bs.some((y) => y.key === x.key && !(x.mode === 'commute' && y.mode === 'commute')));
}

/** isJson: x is a plain JSON value (what a decoded message or WAL entry may carry as a command or image). */
export function isJson(x: unknown, depth = 0): x is Json {
  if (depth > 32) return false;
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (typeof x !== 'object') return false;
  if (Array.isArray(x)) return x.every((e) => isJson(e, depth + 1));
  // a loop over the own enumerable keys, not every() over Object.values: a follower checks each
  // received record's command, and the values array, the closure and its context were a few
  // percent of its allocated bytes (sampled allocation profile, -t 5)
  const o = x as Record<string, unknown>;
  for (const k in o) if (Object.hasOwn(o, k) && !isJson(o[k], depth + 1)) return false;
  return true;
}

/** isCommandShape: a JSON object (not an array). */
export function isCommandShape(x: unknown): x is SmCommand {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && isJson(x);
}
