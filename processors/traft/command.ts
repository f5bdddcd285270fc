// command: the lab's key-value commands (lab_machine.ts is their state machine) and the R5
// predicate the invariant checks hold the applier to (docs/protocols/traft.md §3.3).
import type { SmCommand } from './state_machine.js';

/** Command is a lab command: `set key=value`, or `incr key` (returns nothing in the lab). */
export type Command = { readonly op: 'set'; readonly key: string; readonly value: number } | { readonly op: 'incr'; readonly key: string };

/**
 * subsumes(r, q): r blindly overwrites every write of q, q returns nothing, and every command
 * interfering with q interferes with r. True for `set k` after `set k` or `incr k`; an `incr`
 * never subsumes (it reads the value), so interference really holds its commit back.
 */
export function subsumes(r: SmCommand, q: SmCommand): boolean {
  return r.op === 'set' && q.key === r.key;
}

/** formatCommand renders `set k=v` / `incr k`. */
export function formatCommand(c: SmCommand): string {
  if (c.op === 'set' && typeof c.key === 'string' && typeof c.value === 'number') return `set ${c.key}=${c.value}`;
  return c.op === 'incr' && typeof c.key === 'string' ? `incr ${c.key}` : JSON.stringify(c);
}
