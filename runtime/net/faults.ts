// faults: the one options object for a simulated network's misbehaviour (drop, duplicate,
// delay) and the partition map, each validated once where it is set.

/** Faults are the per-message fault rates of a MemNet; they may change while it runs. */
export interface Faults {
  /** dropRate is the probability in [0, 1] that a message between two ranks is lost. */
  dropRate: number;
  /** dupRate is the probability in [0, 1] that a delivered message arrives twice. */
  dupRate: number;
  /**
   * delayMs is the inclusive range [minMs, maxMs] of whole-millisecond delivery delays,
   * drawn per copy; a range wider than one value reorders messages.
   */
  delayMs: readonly [number, number];
}

export const NO_FAULTS: Faults = { dropRate: 0, dupRate: 0, delayMs: [0, 0] };

/** MAX_DELAY_MS bounds a simulated delay (an hour): beyond it a test is surely wrong. */
const MAX_DELAY_MS = 3_600_000;

/** mergeFaults applies a partial update to faults, validating the result. */
export function mergeFaults(base: Faults, update: Partial<Faults>): Faults {
  const next: Faults = { ...base, ...update };
  checkRate('dropRate', next.dropRate);
  checkRate('dupRate', next.dupRate);
  const [minMs, maxMs] = next.delayMs;
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs) || minMs < 0 || maxMs < minMs || maxMs > MAX_DELAY_MS) {
    throw new RangeError(`faults.delayMs must be whole ms with 0 ≤ min ≤ max ≤ ${MAX_DELAY_MS}, got [${minMs}, ${maxMs}]`);
  }
  return { ...next, delayMs: [minMs, maxMs] };
}

function checkRate(name: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`faults.${name} must be in [0, 1], got ${rate}`);
}

/**
 * partitionGroups maps each rank to a group number from a list of disjoint rank sets.
 * Ranks listed nowhere get a group of their own: a partition names every side that can
 * still talk, so an unlisted rank is cut off from everyone.
 */
export function partitionGroups(groups: readonly (readonly number[])[], ranks: number): Int32Array {
  const groupOf = new Int32Array(ranks).fill(-1);
  groups.forEach((members, g) => {
    for (const r of members) {
      if (!Number.isInteger(r) || r < 0 || r >= ranks) throw new RangeError(`partition: rank ${r} is not in 0…${ranks - 1}`);
      if (groupOf[r] !== -1) throw new RangeError(`partition: rank ${r} is in more than one group`);
      groupOf[r] = g;
    }
  });
  let next = groups.length;
  for (let r = 0; r < ranks; r++) if (groupOf[r] === -1) groupOf[r] = next++;
  return groupOf;
}
