// every: a repeating timer on the injected Clock (progress reports, heartbeats).
import type { Cancel, Clock } from './clock.js';

/** every calls fire each periodMs until the returned Cancel is called. */
export function every(clock: Clock, periodMs: number, fire: () => void): Cancel {
  if (!(periodMs > 0)) throw new RangeError(`every: period must be > 0 ms, got ${periodMs}`);
  let cancel: Cancel = () => {};
  let live = true;
  const arm = (): void => {
    cancel = clock.schedule(periodMs, () => {
      if (!live) return;
      fire();
      arm();
    });
  };
  arm();
  return () => {
    live = false;
    cancel();
  };
}
