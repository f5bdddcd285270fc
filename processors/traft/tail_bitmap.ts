// TailBitmap: a set of log positions stored as a full prefix [0, offset) plus 32-bit words
// (docs/protocols/traft.md §3.4). Values are immutable; every operation returns a new bitmap in
// normal form: words[0] is never all ones (full leading words fold into offset) and no trailing
// word is 0.

/** WORD_BITS is the word size W; offsets are multiples of it. */
export const WORD_BITS = 32;
const ALL_ONES = 0xffffffff;

/** TailBitmap is S = [0, offset) ∪ { offset + 32·i + b : bit b of words[i] }. */
export type TailBitmap = { readonly offset: number; readonly words: readonly number[] };

/** EMPTY_BITMAP is ∅. */
export const EMPTY_BITMAP: TailBitmap = { offset: 0, words: [] };

/** normalize is the bitmap of these words in normal form; `copy`: in an array of its own even when words already is. */
function normalize(offset: number, words: number[], copy = false): TailBitmap {
  let start = 0;
  while (start < words.length && words[start] === ALL_ONES) start++;
  let end = words.length;
  while (end > start && words[end - 1] === 0) end--;
  return { offset: offset + start * WORD_BITS, words: !copy && start === 0 && end === words.length ? words : words.slice(start, end) };
}

/**
 * wordAt is the 32 membership bits of [base, base + 32) for an aligned base, as a signed 32-bit
 * integer (all ones is -1); callers only combine it bitwise. Signed, because a rank's V8 inlines
 * no function (entry.ts rankNodeFlags): a word above 2^31 returned as stored would be a fresh
 * heap number per call, and small integers are not (~4% of a follower's allocated bytes, by
 * firstFailing alone, in a sampled allocation profile).
 */
function wordAt(b: TailBitmap, base: number): number {
  if (base < b.offset) return -1;
  const i = (base - b.offset) / WORD_BITS;
  return i < b.words.length ? (b.words[i] as number) | 0 : 0;
}

/** endOf is the first aligned position past the stored words. */
function endOf(b: TailBitmap): number {
  return b.offset + b.words.length * WORD_BITS;
}

function alignDown(x: number): number {
  return x - (x % WORD_BITS);
}

function checkSeq(x: number): void {
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`TailBitmap position must be a non-negative safe integer, got ${x}`);
}

/**
 * PREFIX_WORDS: the words of [0, n) above its aligned offset, by n mod 32, shared by every
 * bitmap createBitmap makes (bitmaps are immutable; addSeq copies): every folded record's deps
 * is one, kept until the next snapshot, one array fewer per record.
 */
const PREFIX_WORDS: readonly (readonly number[])[] = Array.from({ length: WORD_BITS }, (_, r) => (r === 0 ? [] : [((1 << r) - 1) >>> 0]));

/** createBitmap is [0, n) ∪ xs; n need not be aligned. */
export function createBitmap(n: number, ...xs: number[]): TailBitmap {
  checkSeq(n);
  const offset = alignDown(n);
  // already normal: the one word is neither all ones nor zero
  let b: TailBitmap = { offset, words: PREFIX_WORDS[n - offset] as readonly number[] };
  for (const x of xs) b = addSeq(b, x);
  return b;
}

/** bitmapOf is the set of the listed positions (any order), built in one pass. */
export function bitmapOf(xs: Iterable<number>): TailBitmap {
  const list = Array.isArray(xs) ? (xs as number[]) : [...xs];
  if (list.length === 0) return EMPTY_BITMAP;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of list) {
    checkSeq(x);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo > 0) lo = alignDown(lo);
  else lo = 0;
  const words = new Array<number>(Math.floor((hi - lo) / WORD_BITS) + 1).fill(0);
  for (const x of list) {
    const rel = x - lo;
    const i = Math.floor(rel / WORD_BITS);
    words[i] = ((words[i] as number) | (1 << (rel % WORD_BITS))) >>> 0;
  }
  if (lo === 0) return normalize(0, words);
  // positions below lo are absent: express them as leading zero words from offset 0
  const lead = new Array<number>(lo / WORD_BITS).fill(0);
  return normalize(0, lead.concat(words));
}

/** hasSeq is x ∈ S. */
export function hasSeq(b: TailBitmap, x: number): boolean {
  if (x < b.offset) return true;
  const rel = x - b.offset;
  const i = Math.floor(rel / WORD_BITS);
  if (i >= b.words.length) return false;
  return (((b.words[i] as number) >>> (rel % WORD_BITS)) & 1) === 1;
}

/** addSeq is S ∪ {x}. */
export function addSeq(b: TailBitmap, x: number): TailBitmap {
  checkSeq(x);
  if (hasSeq(b, x)) return b;
  const rel = x - b.offset;
  const i = Math.floor(rel / WORD_BITS);
  const words = b.words.slice();
  while (words.length <= i) words.push(0);
  words[i] = ((words[i] as number) | (1 << (rel % WORD_BITS))) >>> 0;
  return normalize(b.offset, words);
}

/** union is a ∪ b. */
export function union(a: TailBitmap, b: TailBitmap): TailBitmap {
  if (b.words.length === 0 && b.offset <= a.offset) return a;
  if (a.words.length === 0 && a.offset <= b.offset) return b;
  const base = Math.max(a.offset, b.offset);
  const end = Math.max(endOf(a), endOf(b));
  const words: number[] = [];
  for (let w = base; w < end; w += WORD_BITS) words.push((wordAt(a, w) | wordAt(b, w)) >>> 0);
  return normalize(base, words);
}

/** intersect is a ∩ b; null stands for ∅. */
export function intersect(a: TailBitmap | null, b: TailBitmap | null): TailBitmap {
  if (a === null || b === null) return EMPTY_BITMAP;
  const base = Math.min(a.offset, b.offset);
  const end = Math.min(Math.max(endOf(a), base), Math.max(endOf(b), base));
  const words: number[] = [];
  for (let w = base; w < end; w += WORD_BITS) words.push((wordAt(a, w) & wordAt(b, w)) >>> 0);
  return normalize(base, words);
}

/** forEachIn calls fn on the members of (a \ minusB) in [lo, hi), ascending. */
function forEachIn(a: TailBitmap, minusB: TailBitmap | null, lo: number, hi: number, fn: (x: number) => void): void {
  const top = Math.min(hi, bitmapLen(a));
  for (let w = alignDown(Math.max(lo, 0)); w < top; w += WORD_BITS) {
    let d = wordAt(a, w);
    if (minusB !== null) d = (d & ~wordAt(minusB, w)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const x = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      if (x >= lo && x < top) fn(x);
    }
  }
}

/**
 * minus is the sorted list {x ∈ a \ b : lo ≤ x < hi}, at most `limit` of them (the smallest). It
 * is a list on purpose: a difference has no full prefix, so returning it as a TailBitmap invites
 * the prototype's Diff bug (§12.9).
 */
export function minus(a: TailBitmap, b: TailBitmap, lo: number, hi: number, limit = Infinity): number[] {
  const out: number[] = [];
  const top = Math.min(hi, bitmapLen(a));
  for (let w = alignDown(Math.max(lo, 0)); w < top && out.length < limit; w += WORD_BITS) {
    let d = (wordAt(a, w) & ~wordAt(b, w)) >>> 0;
    while (d !== 0 && out.length < limit) {
      const low = (d & -d) >>> 0;
      const x = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      if (x >= lo && x < top) out.push(x);
    }
  }
  return out;
}

/**
 * withSeqs is S ∪ every listed position, in one pass over S's words: cheaper than a bitmap per
 * list, which for positions far from 0 has no full prefix and costs x/32 words.
 */
export function withSeqs(b: TailBitmap, lists: Iterable<readonly number[]>): TailBitmap {
  let end = endOf(b);
  let any = false;
  for (const xs of lists)
    for (const x of xs) {
      checkSeq(x);
      if (x >= b.offset) any = true;
      if (x >= end) end = alignDown(x) + WORD_BITS;
    }
  if (!any) return b;
  const words = new Array<number>((end - b.offset) / WORD_BITS).fill(0);
  for (let i = 0; i < b.words.length; i++) words[i] = b.words[i] as number;
  for (const xs of lists)
    for (const x of xs) {
      if (x < b.offset) continue;
      const rel = x - b.offset;
      const i = Math.floor(rel / WORD_BITS);
      words[i] = ((words[i] as number) | (1 << (rel % WORD_BITS))) >>> 0;
    }
  return normalize(b.offset, words);
}

/** members is the sorted list of members in [lo, hi) (the design's `iterate`). */
export function members(b: TailBitmap, lo: number, hi: number): number[] {
  const out: number[] = [];
  forEachIn(b, null, lo, hi, (x) => out.push(x));
  return out;
}

/** bitmapLen is max(S) + 1, or offset when the tail is empty: the "log length", not a count. */
export function bitmapLen(b: TailBitmap): number {
  if (b.words.length === 0) return b.offset;
  const last = b.words[b.words.length - 1] as number;
  return b.offset + (b.words.length - 1) * WORD_BITS + (32 - Math.clz32(last));
}

/** firstMissing is min(ℕ \ S): the contiguous frontier. */
export function firstMissing(b: TailBitmap): number {
  if (b.words.length === 0) return b.offset;
  const inv = ~(b.words[0] as number) >>> 0;
  const low = (inv & -inv) >>> 0;
  return b.offset + 31 - Math.clz32(low);
}

function popcount(w: number): number {
  let x = w >>> 0;
  let n = 0;
  while (x !== 0) {
    x = (x & (x - 1)) >>> 0;
    n++;
  }
  return n;
}

/** bitmapCount is |S|. */
export function bitmapCount(b: TailBitmap): number {
  let n = b.offset;
  // indexed: words above 2^30 are doubles, and an iterator boxes each one (this runs on every leader turn)
  for (let i = 0; i < b.words.length; i++) n += popcount(b.words[i] as number);
  return n;
}

/** bitmapEq is set equality (structural equality of normal forms). */
export function bitmapEq(a: TailBitmap, b: TailBitmap): boolean {
  if (a.offset !== b.offset || a.words.length !== b.words.length) return false;
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return false;
  return true;
}

/** isSubset is a ⊆ b. */
export function isSubset(a: TailBitmap, b: TailBitmap): boolean {
  return minus(a, b, b.offset, bitmapLen(a)).length === 0; // everything below b.offset is in b
}

/** isNormal says whether b is in normal form (for tests and wire validation). */
export function isNormal(b: TailBitmap): boolean {
  if (b.offset % WORD_BITS !== 0) return false;
  if (b.words.length > 0 && (b.words[0] === ALL_ONES || b.words[b.words.length - 1] === 0)) return false;
  return b.words.every((w) => Number.isInteger(w) && w >= 0 && w <= ALL_ONES);
}

/** wordOf is the 32 membership bits of [base, base + 32) for an aligned base (word-level scans), signed as wordAt's. */
export function wordOf(b: TailBitmap, base: number): number {
  return wordAt(b, base);
}

/**
 * everyIn: does pred hold for every member of (a \ minusB) in [lo, hi)? Ascending, stops at
 * the first failure, allocates nothing (C2's check, called per commit candidate).
 */
export function everyIn(a: TailBitmap, minusB: TailBitmap, lo: number, hi: number, pred: (x: number) => boolean): boolean {
  return firstFailing(a, minusB, lo, hi, pred) === -1;
}

/**
 * firstFailing is the least member of (a \ minusB) in [lo, hi) for which pred fails, or -1. `ctx`
 * is handed to pred, so a hot caller passes a plain function and its data rather than a closure
 * allocated per call (record.ts firstUnresolved).
 */
export function firstFailing<C = undefined>(
  a: TailBitmap,
  minusB: TailBitmap,
  lo: number,
  hi: number,
  pred: (x: number, ctx: C) => boolean,
  ctx?: C,
): number {
  const top = Math.min(hi, bitmapLen(a));
  for (let w = alignDown(Math.max(lo, 0)); w < top; w += WORD_BITS) {
    let d = (wordAt(a, w) & ~wordAt(minusB, w)) >>> 0;
    while (d !== 0) {
      const low = (d & -d) >>> 0;
      const x = w + 31 - Math.clz32(low);
      d = (d ^ low) >>> 0;
      if (x >= top) return -1;
      if (x >= lo && !pred(x, ctx as C)) return x;
    }
  }
  return -1;
}

/**
 * DraftBitmap is a bitmap being built by many adds: its words are written in place (a TailBitmap
 * is immutable, so addSeq copies every word per add). It reads like a TailBitmap while built
 * (hasSeq, wordOf, everyIn accept it: it need not be in normal form); settle ends it.
 */
export type DraftBitmap = { readonly offset: number; readonly words: number[] };

/** draftOf starts a draft holding b. */
export function draftOf(b: TailBitmap): DraftBitmap {
  return { offset: b.offset, words: b.words.slice() };
}

/** draftAdd adds x to the draft in place. */
export function draftAdd(d: DraftBitmap, x: number): void {
  checkSeq(x);
  if (x < d.offset) return;
  const rel = x - d.offset;
  const i = Math.floor(rel / WORD_BITS);
  while (d.words.length <= i) d.words.push(0);
  d.words[i] = ((d.words[i] as number) | (1 << (rel % WORD_BITS))) >>> 0;
}

/** settle is the draft's set in normal form; the draft must not be used after. */
export function settle(d: DraftBitmap): TailBitmap {
  return normalize(d.offset, d.words);
}

/**
 * settleExact is settle with the words in an array of their exact length, for a bitmap kept
 * long: a draft's array keeps the spare room its pushes grew (up to half again), and a record's
 * deps live until the snapshot floor passes the record, most of them in the old generation.
 */
export function settleExact(d: DraftBitmap): TailBitmap {
  return normalize(d.offset, d.words, true);
}

/**
 * draftUnion adds every member of b to the draft in place (one pass over b's words, no copy of
 * the draft): a leader's deps union several keys' bitmaps of ~window/32 words per proposal.
 */
export function draftUnion(d: DraftBitmap, b: TailBitmap): void {
  const end = endOf(b);
  for (let w = d.offset, i = 0; w < end; w += WORD_BITS, i++) {
    const bits = wordAt(b, w);
    if (bits === 0) continue;
    while (d.words.length <= i) d.words.push(0);
    d.words[i] = ((d.words[i] as number) | bits) >>> 0;
  }
}

/**
 * membersAre: are the members of b in [lo, hi) exactly list[0 … n)? One pass (firstFailing's)
 * that stops at the first difference (members would build the list only to compare it).
 */
export function membersAre(b: TailBitmap, lo: number, hi: number, list: readonly number[], n: number): boolean {
  let k = 0;
  return firstFailing(b, EMPTY_BITMAP, lo, hi, (x) => k < n && list[k++] === x) === -1 && k === n;
}
