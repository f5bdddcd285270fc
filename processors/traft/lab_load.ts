// lab_load: the lab's client load for TRaft (docs/protocols/traft.md §2.2): an established leader
// proposes a mix of `set k=v` (overrides earlier sets of k) and `incr k` (never overrides, so it
// really holds commits back by interference) over `keys` keys, while fewer than `window` of its
// records are uncommitted. Values and logKeys come from the injected Random.
import type { Random } from '../../runtime/random.js';
import type { Command } from './command.js';

export interface LabLoadOptions {
  keys: number;
  /** setShare: the fraction of commands that are `set` (the rest `incr`). */
  setShare: number;
}

export interface Proposal {
  cmd: Command;
  logKey: string;
}

const LOG_KEY_LENGTH = 32;
const A = 'a'.charCodeAt(0);

/** LabLoad draws proposals; counts what it made for the run summary. */
export class LabLoad {
  made = 0;
  private readonly codes: number[] = new Array<number>(LOG_KEY_LENGTH).fill(0);
  /**
   * keyNames: `k<i>` by i, made once per key: each command's key is kept with its record until the
   * snapshot floor passes it, and a string per command was one more object per record (the key
   * index holds every drawn key anyway).
   */
  private readonly keyNames: string[] = [];

  constructor(
    private readonly random: Random,
    private readonly o: LabLoadOptions,
  ) {
    if (!Number.isInteger(o.keys) || o.keys < 1) throw new RangeError(`keys must be an integer ≥ 1, got ${o.keys}`);
    if (!(o.setShare >= 0 && o.setShare <= 1)) throw new RangeError(`setShare must be in [0, 1], got ${o.setShare}`);
  }

  next(): Proposal {
    const key = this.keyName(this.random.int(this.o.keys));
    const cmd: Command = this.random.next() < this.o.setShare ? { op: 'set', key, value: this.random.int(1_000_000) } : { op: 'incr', key };
    // one flat string from its codes: appending a letter at a time made a rope of 32 strings per
    // proposal, and a proposal is made on every leader turn's every free window slot
    for (let i = 0; i < LOG_KEY_LENGTH; i++) this.codes[i] = A + this.random.int(26);
    const logKey = String.fromCharCode.apply(null, this.codes);
    this.made++;
    return { cmd, logKey };
  }

  private keyName(i: number): string {
    return (this.keyNames[i] ??= `k${i}`);
  }
}
