// command: the lab's key-value commands and the predicate the state machine declares for R5
// (docs/protocols/traft.md §3.3): which commands subsume others. Interference (R3: set/incr on one
// key interfere, incr with incr does not) is built into deps.ts's per-key index.

/** Command is a lab command: `set key=value`, or `incr key` (returns nothing in the lab). */
export type Command = { readonly op: 'set'; readonly key: string; readonly value: number } | { readonly op: 'incr'; readonly key: string };

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
