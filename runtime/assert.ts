// assert: assertNever, the one helper that ends every exhaustive switch (runtime, protocols and
// CLI share it).

/** assertNever compiles only when `x` is `never`; reached at run time (a value the types rule out), it is a bug. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
