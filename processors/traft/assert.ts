// assert: the core's assertion helper. A failed assertion is a protocol bug (tier 2 of
// TigerBeetle's error tiers), never expected noise; the driver maps it to exit 70. Exhaustive
// switches end with the shared assertNever (runtime/assert.ts).

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
