// assert: the core's two assertion helpers. A failed assertion is a protocol bug (tier 2 of
// TigerBeetle's error tiers), never expected noise; the driver maps it to exit 70.

/** ProtocolBug is thrown when an invariant the protocol relies on is broken. */
export class ProtocolBug extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolBug';
  }
}

/** assert throws ProtocolBug with `message` when `cond` is false. */
export function assert(cond: boolean, message: string | (() => string)): asserts cond {
  if (!cond) throw new ProtocolBug(typeof message === 'string' ? message : message());
}

/** assertNever ends every exhaustive switch: it only compiles when `x` is `never`. */
export function assertNever(x: never, what = 'value'): never {
  throw new ProtocolBug(`unexpected ${what}: ${JSON.stringify(x)}`);
}
