// drain: the two numbers a driver needs for the lab's leader window and end of run
// (docs/protocols/traft.md §2.2, §2.4).
import type { ReplicaState } from './state.js';
import { bitmapCount, bitmapLen, firstMissing } from './tail_bitmap.js';

/** uncommittedCount: stored positions not yet committed (the leader generates while < `-l`). */
export function uncommittedCount(s: ReplicaState): number {
  return bitmapLen(s.accepted) - bitmapCount(s.committed);
}

/** isDrained: the frontier has reached accepted.len() (exit after this holds for 2H past `-t`). */
export function isDrained(s: ReplicaState): boolean {
  return firstMissing(s.committed) === bitmapLen(s.accepted);
}
