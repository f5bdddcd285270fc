// activity: a process-wide counter of channel events, so runUntilIdle can tell when every
// runnable processor has settled. Incremented on each write, read and delivery.
export const activity = { count: 0 };

/** touch records one unit of runtime activity. */
export function touch(): void {
  activity.count++;
}
