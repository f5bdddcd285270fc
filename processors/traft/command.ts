// command: the lab's key-value commands and the two predicates the state machine declares (R3, R5;
// docs/protocols/traft.md §3.3): which commands interfere (must not be reordered) and which subsume
// others.

/** Command is a lab command: `set key=value`, or `incr key` (returns nothing in the lab). */
export type Command =
  | { readonly op: 'set'; readonly key: string; readonly value: number }
  | { readonly op: 'incr'; readonly key: string };

/**
 * interferes is symmetric: two commands on one key interfere unless both are `incr` (those
 * commute and return nothing, so their order is invisible).
 */
export function interferes(a: Command, b: Command): boolean {
  return a.key === b.key && !(a.op === 'incr' && b.op === 'incr');
}

/**
 * subsumes(r, q): r blindly overwrites every write of q, q returns nothing, and every command
 * interfering with q interferes with r. True for `set k` after `set k` or `incr k`; an `incr`
 * never subsumes (it reads the value), so interference really holds its commit back.
 */
export function subsumes(r: Command, q: Command): boolean {
  return r.op === 'set' && q.key === r.key;
}

/** formatCommand renders `set k=v` / `incr k`. */
export function formatCommand(c: Command): string {
  return c.op === 'set' ? `set ${c.key}=${c.value}` : `incr ${c.key}`;
}
