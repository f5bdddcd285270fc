// Random: seeded, splittable randomness. One seed replays a whole run: each (seed, rank,
// incarnation, stream) gets an independent generator, so ranks and restarted ranks never
// draw the same values. Math.random appears nowhere else.
import { customRandom, urlAlphabet } from 'nanoid';

/** Random is the injected source of randomness. */
export interface Random {
  /** next is uniform in [0, 1). */
  next(): number;
  /** int is uniform (unbiased) in [0, n) for an integer n in 1 … 2^32. */
  int(n: number): number;
  /** between is uniform in [lo, hi) for finite lo ≤ hi (lo when they are equal). */
  between(lo: number, hi: number): number;
  /** bytes fills a new Uint8Array of length n. */
  bytes(n: number): Uint8Array;
  /**
   * fork derives an independent stream named by label (e.g. 'net', 'ids'). It depends only on
   * this stream's name and label, not on how much was drawn: the same label replays the same
   * stream.
   */
  fork(label: string): Random;
  /** id returns a nanoid drawn from this stream (size 1 … 1024 url-safe characters, default 21). */
  id(size?: number): string;
}

const TWO_POW_32 = 4294967296;
const MAX_ID_SIZE = 1024;

/** hash128 folds a string into four 32-bit words (cyrb128), to seed sfc32. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** SeededRandom is sfc32: small, fast, and good enough for simulation (not cryptography). */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private idGen: ((size?: number) => string) | undefined;

  constructor(private readonly label: string) {
    [this.a, this.b, this.c, this.d] = hash128(label);
    for (let i = 0; i < 15; i++) this.nextI32(); // mix the seed in
  }

  /**
   * nextI32 is sfc32's next word as a signed int32; callers read it unsigned with `>>> 0` in
   * their own frame. Returned unsigned, half the words (those ≥ 2^31) are no small integer and
   * each return allocated a heap number wherever the call is not inlined (the ranks run
   * TurboFan without inlining, and the lab load draws 34 words per proposal).
   */
  private nextI32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t;
  }

  next(): number {
    return (this.nextI32() >>> 0) / TWO_POW_32;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`Random.int needs an integer in 1…2^32, got ${n}`);
    }
    // Rejection sampling: draws at or above the largest multiple of n would bias low values.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const u = this.nextI32() >>> 0;
      if (u < limit) return u % n;
    }
  }

  between(lo: number, hi: number): number {
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
      throw new RangeError(`Random.between needs finite lo ≤ hi, got ${lo}, ${hi}`);
    }
    const x = lo + this.next() * (hi - lo);
    return x < hi ? x : lo; // rounding can reach hi when lo and hi are far apart
  }

  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Random.bytes needs an integer ≥ 0, got ${n}`);
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const w = this.nextI32();
      out[i] = w & 255;
      out[i + 1] = (w >>> 8) & 255;
      out[i + 2] = (w >>> 16) & 255;
      out[i + 3] = w >>> 24;
    }
    for (; i < n; i++) out[i] = this.nextI32() & 255;
    return out;
  }

  fork(label: string): Random {
    return new SeededRandom(`${this.label}/${segment(label)}`);
  }

  id(size = 21): string {
    if (!Number.isInteger(size) || size < 1 || size > MAX_ID_SIZE) {
      throw new RangeError(`Random.id size must be an integer in 1…${MAX_ID_SIZE}, got ${size}`);
    }
    // nanoid's own alphabet and custom-random entry, fed by this stream, so ids replay with the seed.
    this.idGen ??= customRandom(urlAlphabet, 21, (n) => this.bytes(n));
    return this.idGen(size);
  }
}

/**
 * rankRandom is the root stream of one rank's incarnation in a seeded run. A numeric seed
 * and its decimal string name the same run.
 */
export function rankRandom(seed: string | number, rank: number, incarnation: number): Random {
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  for (const [what, n] of [
    ['rank', rank],
    ['incarnation', incarnation],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be an integer ≥ 0, got ${n}`);
  }
  return new SeededRandom(`csplab/${segment(String(seed))}/rank${rank}/inc${incarnation}`);
}

/** segment length-prefixes a name part, so no seed or label can spell another path. */
function segment(part: string): string {
  return `${part.length}:${part}`;
}
