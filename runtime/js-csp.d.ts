// Minimal typings for the parts of js-csp (1.0.1, CommonJS bundle) that runtime/ uses.
// Only runtime/ imports js-csp; everything else sees Chan<T>.
declare module 'js-csp' {
  export interface CspChannel {
    readonly closed: boolean;
    close(): void;
  }
  export interface CspBuffer {}
  export interface AltResult {
    value: unknown;
    channel: CspChannel;
  }
  export type Instruction = unknown;
  interface Csp {
    chan(buf?: CspBuffer | number): CspChannel;
    buffers: { fixed(n: number): CspBuffer };
    offer(ch: CspChannel, value: unknown): boolean;
    poll(ch: CspChannel): unknown;
    alts(ops: CspChannel[], options?: { priority?: boolean; default?: unknown }): Instruction;
    take(ch: CspChannel): Instruction;
    go<R>(gen: () => Generator<Instruction, R, any>): CspChannel;
    takeAsync(ch: CspChannel, cb: (value: unknown) => void): void;
    putAsync(ch: CspChannel, value: unknown, cb?: (ok: boolean) => void): void;
    NO_VALUE: string;
    CLOSED: null;
  }
  const csp: Csp;
  export default csp;
}
