// assert: the assertion helpers every layer shares. A failed assertion is a bug (tier 2 of
// TigerBeetle's error tiers), never expected noise: it is thrown, stops the rank's processors,
// and the process exits 70 (`internal`, cmd/exit.ts). Expected noise is ignored through named
// checks instead, never through these.

/** InvariantError is thrown when an invariant the code relies on is broken. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** assert throws InvariantError with `message` when `cond` is false; a function message is built only then. */
export function assert(cond: boolean, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof message === 'string' ? message : message());
}

/**
 * defined returns `value` when it is not undefined, and otherwise throws InvariantError naming
 * `why` — the invariant that promised a value (e.g. 'every live follower has progress'). It
 * replaces a bare `!`, which would turn a broken invariant into a TypeError far from its cause.
 */
export function defined<T>(value: T | undefined, why: string): T {
  if (value === undefined) throw new InvariantError(`missing value: ${why}`);
  return value;
}

/** assertNever ends every exhaustive switch: it compiles only when `x` is `never`; reached at run time (a value the types rule out), it is a bug. */
export function assertNever(x: never, what = 'value'): never {
  throw new InvariantError(`unexpected ${what}: ${JSON.stringify(x)}`);
}
