// seq_log: the records a replica stores (ReplicaState.log), indexed by seq. Positions at or
// above the floor are dense (a leader appends at its tail; a follower stores what its leader
// sends, below the leader's tail), so a slot per position costs a word where a Map entry costs
// three words and a hash of the seq, and every lookup on the step path is an array read. The
// positions a snapshot compacts are dropped from the front (docs/protocols/traft.md §7).
import { assert, InvariantError } from '../../runtime/assert.js';
import type { LogRecord, Seq } from './record.js';

/** RecordLookup is what readers of a log need: the record at a seq, if stored (a SeqLog, or any Map of them). */
export type RecordLookup = { get(seq: Seq): LogRecord | undefined };

/** TRIM_AFTER: free slots kept at the front before they are cut away (one move of the rest per cut). */
const TRIM_AFTER = 4096;

/**
 * SeqLog maps seq → LogRecord like a Map, iterated in ascending seq. slots[i] is the record at
 * base + i for head ≤ i < end; every other slot is empty. sizes[i] is a size measured for
 * slots[i] (sizeOf), 0 until measured. A cut moves the slots in use down within the arrays,
 * which keep their length: sliced to the slots in use, they grew again by copies (each a
 * snapshot interval's slots, long-lived, so promoted) after every snapshot.
 */
export class SeqLog {
  private slots: (LogRecord | undefined)[] = [];
  private sizes: number[] = [];
  private base = 0;
  private head = 0;
  private end = 0;
  private count = 0;

  /** of builds a log holding `records` (any order). */
  static of(records: Iterable<LogRecord>): SeqLog {
    const log = new SeqLog();
    for (const r of records) log.set(r.seq, r);
    return log;
  }

  get size(): number {
    return this.count;
  }

  get(seq: Seq): LogRecord | undefined {
    const i = seq - this.base;
    return i >= this.head && i < this.end ? this.slots[i] : undefined;
  }

  has(seq: Seq): boolean {
    return this.get(seq) !== undefined;
  }

  /** set stores `rec` at `seq` (its own seq), replacing what was there. */
  set(seq: Seq, rec: LogRecord): this {
    // thrown without assert's message function: a closure made on every store of every record
    if (!(Number.isSafeInteger(seq) && seq >= 0 && rec.seq === seq))
      throw new InvariantError(`a record stored at ${seq} holds seq ${rec.seq}`);
    if (this.count === 0) this.reset(seq);
    else if (seq < this.base + this.head) this.growDown(seq);
    const i = seq - this.base;
    const { slots, sizes } = this;
    // undefined pushed, never a hole: the array stays packed, and a gap never makes it a dictionary
    while (slots.length < i) {
      slots.push(undefined);
      sizes.push(0);
    }
    if (i === slots.length) {
      slots.push(rec);
      sizes.push(0);
      this.count++;
    } else {
      if (slots[i] === undefined) this.count++;
      slots[i] = rec;
      sizes[i] = 0;
    }
    if (i >= this.end) this.end = i + 1;
    return this;
  }

  delete(seq: Seq): boolean {
    const i = seq - this.base;
    if (i < this.head || i >= this.end || this.slots[i] === undefined) return false;
    this.slots[i] = undefined;
    this.sizes[i] = 0;
    this.count--;
    if (this.count === 0) this.reset(0);
    else if (i === this.head) this.trimFront();
    return true;
  }

  /**
   * sizeOf is measure(rec), measured once while rec is the record stored at its seq (a leader
   * sizes each record for every follower it sends it to; measure must be a pure function of
   * the record), and measured afresh for a record not stored here.
   */
  sizeOf(rec: LogRecord, measure: (rec: LogRecord) => number): number {
    const i = rec.seq - this.base;
    if (i < this.head || i >= this.end || this.slots[i] !== rec) return measure(rec);
    const known = this.sizes[i] as number;
    if (known > 0) return known;
    const n = measure(rec);
    assert(n > 0, 'a measured size is positive');
    this.sizes[i] = n;
    return n;
  }

  clear(): void {
    this.reset(0);
  }

  /**
   * entries walks the stored seqs in ascending order. It steps by seq, not by slot, and reads the
   * bounds afresh each time, so, as a Map's, it survives a change to the log under it: a delete
   * that cuts the front away, or a set below the base, moves the slots but not the seqs.
   */
  *entries(): IterableIterator<[Seq, LogRecord]> {
    for (let seq = this.base + this.head; seq < this.base + this.end; seq++) {
      const r = this.get(seq);
      if (r !== undefined) yield [seq, r];
    }
  }

  *keys(): IterableIterator<Seq> {
    for (const [seq] of this.entries()) yield seq;
  }

  *values(): IterableIterator<LogRecord> {
    for (const [, r] of this.entries()) yield r;
  }

  [Symbol.iterator](): IterableIterator<[Seq, LogRecord]> {
    return this.entries();
  }

  forEach(f: (rec: LogRecord, seq: Seq) => void): void {
    for (const [seq, r] of this.entries()) f(r, seq);
  }

  /** reset empties the log, its next record expected at `seq` (the arrays kept, emptied). */
  private reset(seq: Seq): void {
    if (this.count > 0) {
      this.slots.fill(undefined, this.head, this.end);
      this.sizes.fill(0, this.head, this.end);
    }
    this.base = seq;
    this.head = 0;
    this.end = 0;
    this.count = 0;
  }

  /** growDown makes room for `seq` below the first slot in use (a Sync may fill a hole below every stored record). */
  private growDown(seq: Seq): void {
    const from = seq - this.base;
    if (from >= 0) {
      this.head = from;
      return;
    }
    const front: (LogRecord | undefined)[] = [];
    for (let p = seq; p < this.base + this.head; p++) front.push(undefined);
    this.slots = front.concat(this.slots.slice(this.head, this.end));
    this.sizes = front.map(() => 0).concat(this.sizes.slice(this.head, this.end));
    this.base = seq;
    this.end = this.slots.length;
    this.head = 0;
  }

  /** trimFront moves head past empty slots, and cuts them away once they outnumber the slots in use. */
  private trimFront(): void {
    const { slots, sizes, head, end } = this;
    let h = head;
    while (h < end && slots[h] === undefined) h++;
    this.head = h;
    if (h < TRIM_AFTER || h * 2 < end) return;
    const n = end - h;
    slots.copyWithin(0, h, end);
    sizes.copyWithin(0, h, end);
    slots.fill(undefined, n, end);
    sizes.fill(0, n, end);
    this.base += h;
    this.head = 0;
    this.end = n;
  }
}
