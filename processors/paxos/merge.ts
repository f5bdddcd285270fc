// merge: the leader's sync decision (Paxos phase 1 over a whole history). From a quorum of
// GATHERs it computes the decided log above its own commit frontier:
// - an entry any gatherer committed is decided (all committed logs are prefixes of one log);
// - an estround at or below a gatherer's frontier that the gatherer lacks is decided absent
//   (its committed log is a prefix of the decided log, gaps included);
// - otherwise the value accepted in the highest round wins, where a gatherer that accepted
//   round rs's IMPOSE implicitly accepted "absent" in round rs for every estround below rs·L
//   it does not hold. Dropping that rule would let a stale acceptance resurrect an estround
//   that later rounds skipped, committing it below entries already committed: a hole.
import { COMMITTED, type Entry, type Held } from './messages.js';

export interface Gathered {
  from: number;
  frontier: number;
  syncRound: number;
  held: readonly Held[];
}

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

/** mergeGathers returns the entries above leaderFrontier that the next IMPOSE must carry. */
export function mergeGathers(gathers: readonly Gathered[], leaderFrontier: number, interval: number): Entry[] {
  const byRank = gathers.map((g) => {
    const m = new Map<number, Held>();
    for (const h of g.held) if (h[0] > leaderFrontier) m.set(h[0], h);
    return { g, m };
  });
  const estrounds = new Set<number>();
  for (const { m } of byRank) for (const e of m.keys()) estrounds.add(e);
  const out: Entry[] = [];
  for (const e of [...estrounds].sort((a, b) => a - b)) {
    const chosen = decide(e, byRank, interval);
    if (chosen !== undefined) out.push([e, chosen]);
  }
  return out;
}

function decide(e: number, byRank: { g: Gathered; m: Map<number, Held> }[], interval: number): string | undefined {
  let committedKey: string | undefined;
  let decidedAbsentBy: number | undefined;
  let bestRound = -Infinity;
  let bestKey: string | undefined; // undefined with a finite bestRound: absent wins so far
  for (const { g, m } of byRank) {
    const h = m.get(e);
    if (h !== undefined) {
      if (h[2] === COMMITTED) {
        if (committedKey !== undefined && committedKey !== h[1]) {
          throw new SafetyViolation(`estround ${e} committed as ${committedKey} and ${h[1]}`);
        }
        committedKey = h[1];
      } else if (h[2] > bestRound) {
        bestRound = h[2];
        bestKey = h[1];
      }
    } else if (e <= g.frontier) {
      decidedAbsentBy = g.from;
    } else if (e < g.syncRound * interval && g.syncRound > bestRound) {
      bestRound = g.syncRound;
      bestKey = undefined;
    }
  }
  if (committedKey !== undefined) {
    if (decidedAbsentBy !== undefined) {
      throw new SafetyViolation(`estround ${e} committed as ${committedKey} but absent below rank ${decidedAbsentBy}'s frontier`);
    }
    return committedKey;
  }
  if (decidedAbsentBy !== undefined) return undefined;
  return bestKey;
}
