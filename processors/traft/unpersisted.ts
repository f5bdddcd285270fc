// unpersisted: the positions whose record sits in a WAL batch not yet durable (state.ts
// `unpersisted`); self counts such a position toward C1 only once its batch is durable
// (docs/protocols/traft.md §6.4, §8.2). Every step stores records in one batch whose id only
// grows, and a durability report releases every batch up to an id: so the positions form a
// queue in batch order, released from the front. A Map of seq → batch grew and shrank by a
// batch's records on every report, and its deletes rehashed the table each time.
import { assert } from '../../runtime/assert.js';
import type { Seq } from './record.js';

/** DROPPED marks a queue slot whose position was deleted (a truncated or compacted record) before its batch was durable. */
const DROPPED = -1;
/** COMPACT_AT: released slots kept at the front before the rest is moved down (one copy of the rest per move). */
const COMPACT_AT = 1024;

/**
 * Unpersisted is a set of positions, each with the batch its record was stored in: slots
 * [head, end) of seqs and batches, batches ascending. A position is in one slot at most.
 */
export class Unpersisted {
  private readonly seqs: Seq[] = [];
  private readonly batches: number[] = [];
  private head = 0;
  private end = 0;
  private count = 0;

  /** size: the positions held. */
  get size(): number {
    return this.count;
  }

  /**
   * add holds `seq`, stored in batch `batchId` (no smaller than any held). `seq` must not be
   * held: a record replaced before its batch was durable is dropped first (store.ts), so that
   * every add is not a scan.
   */
  add(seq: Seq, batchId: number): void {
    assert(this.end === this.head || batchId >= (this.batches[this.end - 1] as number), 'batches are stored in id order');
    if (this.end === this.seqs.length) {
      this.seqs.push(seq);
      this.batches.push(batchId);
    } else {
      this.seqs[this.end] = seq;
      this.batches[this.end] = batchId;
    }
    this.end++;
    this.count++;
  }

  /** has: `seq` is held (a scan: the held positions are a few batches' records). */
  has(seq: Seq): boolean {
    for (let i = this.head; i < this.end; i++) if (this.seqs[i] === seq) return true;
    return false;
  }

  /** release forgets every position whose batch is ≤ persisted (durable now). */
  release(persisted: number): void {
    let i = this.head;
    for (; i < this.end && (this.batches[i] as number) <= persisted; i++) if (this.seqs[i] !== DROPPED) this.count--;
    this.head = i;
    if (i === this.end) this.head = this.end = 0;
    else if (i >= COMPACT_AT && 2 * i >= this.end) this.compact();
  }

  /** drop forgets the positions in [from, to) (records deleted before they became durable). */
  drop(from: Seq, to: Seq): void {
    for (let i = this.head; i < this.end; i++) {
      const seq = this.seqs[i] as Seq;
      if (seq >= from && seq < to) {
        this.seqs[i] = DROPPED;
        this.count--;
      }
    }
  }

  /** forEach calls `f` with every held position (in batch order). */
  forEach(f: (seq: Seq) => void): void {
    for (let i = this.head; i < this.end; i++) {
      const seq = this.seqs[i] as Seq;
      if (seq !== DROPPED) f(seq);
    }
  }

  /** compact moves the held slots down to the front, so a queue that never empties keeps its arrays bounded. */
  private compact(): void {
    const n = this.end - this.head;
    this.seqs.copyWithin(0, this.head, this.end);
    this.batches.copyWithin(0, this.head, this.end);
    this.head = 0;
    this.end = n;
  }
}
