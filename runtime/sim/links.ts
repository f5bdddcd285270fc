// links: the simulated network between ranks. A message is judged when it is sent, as the
// real ranks' fault decorator judges it (runtime/net/netfaults.ts): a partition or cut that
// holds then drops it, else it may be lost, duplicated, delayed (with jitter: reordered) or
// arrive as a damaged frame; what is already on the wire when a partition starts still arrives.
import type { Random } from '../random.js';
import type { SimLink } from './types.js';

type Window = { readonly untilMs: number; readonly blocks: (from: number, to: number) => boolean };

/** Copy is one copy of a sent message: when it arrives and whether it arrives damaged. */
export type Copy = { readonly atMs: number; readonly damaged: boolean };

/** LinkChange: the link faults a scripted test may change mid-run (not the skew, fixed at a rank's start). */
export type LinkChange = Partial<Pick<SimLink, 'dropRate' | 'dupRate' | 'delayMs' | 'jitterMs' | 'damageRate'>>;

export class Links {
  drops = 0;
  private windows: Window[] = [];

  constructor(
    private readonly ranks: number,
    private link: SimLink,
    private readonly random: Random,
  ) {}

  /** retune changes every link's faults from now on (a scripted test's lossy phase, then a clean one). */
  retune(change: LinkChange): void {
    this.link = { ...this.link, ...change };
  }

  /** partition holds until untilMs; ranks in no group form one more group together. It returns the groups as they hold. */
  partition(groups: readonly (readonly number[])[], untilMs: number): number[][] {
    const groupOf = new Int32Array(this.ranks).fill(-1);
    const out: number[][] = [];
    for (const g of groups) {
      const members = g.filter((r) => groupOf[r] === -1);
      for (const r of members) groupOf[r] = out.length;
      if (members.length > 0) out.push(members);
    }
    const rest = Array.from({ length: this.ranks }, (_, r) => r).filter((r) => groupOf[r] === -1);
    for (const r of rest) groupOf[r] = out.length;
    if (rest.length > 0) out.push(rest);
    this.windows.push({ untilMs, blocks: (from, to) => groupOf[from] !== groupOf[to] });
    return out;
  }

  /** heal ends every partition and cut now (a scripted test's heal; scheduled ones end by their duration). */
  heal(): void {
    this.windows = [];
  }

  /** cut drops what the `from` ranks send the `to` ranks until untilMs (one way). */
  cut(from: readonly number[], to: readonly number[], untilMs: number): void {
    const f = new Set(from);
    const t = new Set(to);
    this.windows.push({ untilMs, blocks: (a, b) => f.has(a) && t.has(b) });
  }

  /** copies: the copies of a message sent now from → to, or why it is lost. */
  copies(from: number, to: number, nowMs: number): Copy[] | 'partition' | 'drop' {
    if (this.windows.length > 0) {
      this.windows = this.windows.filter((w) => w.untilMs > nowMs);
      if (this.windows.some((w) => w.blocks(from, to))) {
        this.drops++;
        return 'partition';
      }
    }
    const { dropRate, dupRate, delayMs, jitterMs, damageRate } = this.link;
    const rnd = this.random;
    if (dropRate > 0 && rnd.next() < dropRate) {
      this.drops++;
      return 'drop';
    }
    const n = dupRate > 0 && rnd.next() < dupRate ? 2 : 1;
    const out: Copy[] = [];
    for (let i = 0; i < n; i++) {
      const atMs = nowMs + (jitterMs > 0 ? rnd.between(delayMs - jitterMs, delayMs + jitterMs) : delayMs);
      out.push({ atMs, damaged: damageRate > 0 && rnd.next() < damageRate });
    }
    return out;
  }
}
