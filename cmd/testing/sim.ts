// sim: what the simulator's tests share: a registry entry bound at its default flags, and one
// hash of a graded run's traces and logs (same seed and flags, same hash).
import { createHash } from 'node:crypto';
import type { ProtocolEntry, SimProgram } from '../../runtime/protocol.js';
import { usageError } from '../exit.js';
import { numberFlag } from '../flags.js';
import type { Graded } from '../sim/once.js';

/** programFor binds a registry entry with its flags at their defaults (and `over`) for `common`'s -o -l -t, or undefined if it cannot be simulated. */
export async function programFor(
  entry: ProtocolEntry,
  common: { readonly o: number; readonly l: number; readonly t: number },
  over: Record<string, unknown> = {},
): Promise<SimProgram | undefined> {
  const camel = (k: string): string => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const args = { ...Object.fromEntries(Object.entries(entry.options).map(([k, o]) => [camel(k), o.default])), ...over };
  const flags = entry.flags(args, numberFlag, usageError);
  return flags.simulate?.(common);
}

/** hashOf: one hash of every rank's trace and instance log, in rank order. */
export function hashOf(g: Graded): string {
  const h = createHash('sha256');
  for (const r of g.outcome.ranks) {
    for (const line of r.trace) h.update(`${line}\n`);
    for (const line of r.lines) h.update(`${line}\n`);
  }
  return h.digest('hex');
}
