// load: the key-value op mix every client load draws from — `csplab kv run`'s clients over TCP
// (runner.ts) and the simulator's clients (runtime/sim/clients.ts) — so a scenario found in
// one replays in the other. Gets, puts and deletes in the given shares; every put writes a
// value unique in the run (client and its op count), padded to a size, because the checker's
// fast path and a reader's evidence both rest on unique values (docs/history.md); keys uniform
// or Zipf-skewed (a few hot keys, as YCSB's). Every draw comes from the injected Random.
import type { Random } from '../random.js';
import type { Op } from './session.js';
import type { ReadMode } from './wire.js';

/** KeyDist: every key equally likely, or key i with probability ∝ 1/(i+1)^s. */
export type KeyDist = 'uniform' | 'zipf';

export interface LoadOptions {
  readonly keys: number;
  /** getShare, deleteShare: fractions of gets and deletes; the rest are puts. */
  readonly getShare: number;
  readonly deleteShare: number;
  /** read: how gets are answered; 'mix' draws Vectory's local or master per get, half each. */
  readonly read: ReadMode | 'mix';
  /** valueSize: pad each put's value to this many characters (0: no padding; a longer unique value is kept whole). */
  readonly valueSize: number;
  readonly keyDist: KeyDist;
  /** zipfExponent: s of the Zipf distribution (ignored for uniform). */
  readonly zipfExponent: number;
}

/** MAX_VALUE_SIZE: a value must fit a client frame's text field (runtime/client/wire.ts). */
export const MAX_VALUE_SIZE = 4096;

/** DEFAULT_ZIPF_EXPONENT: YCSB's skew (0.99): the hottest of 1,000 keys gets about 13% of the ops. */
export const DEFAULT_ZIPF_EXPONENT = 0.99;

/** loadProblem: why options cannot make a load (the CLI turns it into a usage error), or undefined. */
export function loadProblem(o: LoadOptions): string | undefined {
  if (!(Number.isSafeInteger(o.keys) && o.keys >= 1)) return `keys must be an integer ≥ 1, got ${o.keys}`;
  if (!(o.getShare >= 0 && o.deleteShare >= 0 && o.getShare + o.deleteShare <= 1))
    return `the get share (${o.getShare}) and delete share (${o.deleteShare}) must be ≥ 0 and add up to at most 1`;
  if (!(Number.isSafeInteger(o.valueSize) && o.valueSize >= 0 && o.valueSize <= MAX_VALUE_SIZE))
    return `the value size must be an integer in 0…${MAX_VALUE_SIZE}, got ${o.valueSize}`;
  if (!(o.zipfExponent > 0 && o.zipfExponent <= 10)) return `the Zipf exponent must be in (0, 10], got ${o.zipfExponent}`;
  return undefined;
}

/** KvLoad draws one client load's ops; next(c) is client c's next op. */
export class KvLoad {
  /** cdf: the Zipf distribution's cumulative probabilities by key (undefined: uniform). */
  private readonly cdf: Float64Array | undefined;
  private readonly puts: number[] = [];

  constructor(
    readonly o: LoadOptions,
    private readonly random: Random,
  ) {
    const problem = loadProblem(o);
    if (problem !== undefined) throw new RangeError(problem);
    this.cdf = o.keyDist === 'zipf' ? zipfCdf(o.keys, o.zipfExponent) : undefined;
  }

  /** key draws a key index (uniform: one int; Zipf: one uniform number through the CDF). */
  keyIndex(): number {
    if (this.cdf === undefined) return this.random.int(this.o.keys);
    const u = this.random.next();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  next(client: number): Op {
    const key = `k${this.keyIndex()}`;
    const u = this.random.next();
    // A 'mix' costs one more draw per get; other loads draw exactly what they always drew.
    if (u < this.o.getShare)
      return { f: 'get', key, read: this.o.read === 'mix' ? (this.random.int(2) === 0 ? 'local' : 'master') : this.o.read };
    if (u < this.o.getShare + this.o.deleteShare) return { f: 'delete', key };
    const n = (this.puts[client] ?? 0) + 1;
    this.puts[client] = n;
    return { f: 'put', key, value: `c${client}.${n}`.padEnd(this.o.valueSize, '.') };
  }
}

/** zipfCdf: P(key ≤ i) for key i drawn with probability ∝ 1/(i+1)^s; the last entry is exactly 1. */
function zipfCdf(keys: number, s: number): Float64Array {
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let i = 0; i < keys; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < keys; i++) cdf[i] = (cdf[i] as number) / sum;
  cdf[keys - 1] = 1;
  return cdf;
}
