// instance_log: the lab's instance-log lines (docs/protocols/traft.md §2.3) and the restart scan
// for loggedUpTo. The driver appends lines; the core only emits InstanceEvents.
import { defined } from '../../runtime/assert.js';
import type { InstanceEvent } from './io.js';

const COMMIT_LINE = /commit Instance\[([^\]]*)\] in seq (\d+) at (\d+)/;

/** formatInstanceLine renders `generate|commit Instance[KEY] in seq N at T` (T: epoch µs). */
export function formatInstanceLine(e: InstanceEvent, atUs: number): string {
  return `${e.event} Instance[${e.key}] in seq ${e.seq} at ${Math.floor(atUs)}`;
}

/**
 * loggedUpToFrom is the highest commit seq in existing lines (-1 if none), the restart's
 * `loggedUpTo`. A torn last line (no trailing newline) is ignored: the driver ends it first.
 */
export function loggedUpToFrom(lines: readonly string[]): number {
  return keysFromLines(lines).length - 1;
}

/**
 * keysFromLines is the restart's key index: the KEY of each commit line by seq ('' where a
 * position has none: a no-op, or not logged yet), up to the highest commit seq, so its length
 * is loggedUpTo + 1 (a driver that needs both scans once).
 */
export function keysFromLines(lines: readonly string[]): string[] {
  const keys: string[] = [];
  for (const line of lines) {
    const m = COMMIT_LINE.exec(line);
    if (m === null) continue;
    const seq = Number(m[2]);
    while (keys.length <= seq) keys.push('');
    keys[seq] = defined(m[1], 'the KEY group of COMMIT_LINE takes part in every match');
  }
  return keys;
}
