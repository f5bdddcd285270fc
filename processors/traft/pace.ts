// pace: the lab load's rate in the simulator (`csplab sim --rate`, commands per simulated
// second per leader), so simulated time means something; a real run (`csplab run`) leaves it
// off and keeps the leader's window full. A token bucket filled while the rank leads, holding
// at most one turn's proposals, so a leader never bursts after a quiet spell.

/** Pace: proposals allowed so far and when it was last filled. */
export class Pace {
  private tokens = 0;
  private lastMs: number | undefined;

  constructor(
    private readonly perMs: number,
    private readonly burst: number,
  ) {}

  /** allow: how many of `want` proposals the rate admits now (only while leading: a new leader starts empty). */
  allow(want: number, nowMs: number, leading: boolean): number {
    if (!leading) {
      this.lastMs = undefined;
      this.tokens = 0;
      return 0;
    }
    this.tokens = Math.min(this.burst, this.tokens + (this.lastMs === undefined ? 0 : (nowMs - this.lastMs) * this.perMs));
    this.lastMs = nowMs;
    return Math.min(want, Math.floor(this.tokens));
  }

  /** spend takes n proposals made. */
  spend(n: number): void {
    this.tokens -= n;
  }

  /** nextAtMs: when a batch of up to `want` proposals (at least one) will be admitted. */
  nextAtMs(want: number, nowMs: number): number {
    const need = Math.max(1, Math.min(want, 16)) - this.tokens;
    return nowMs + Math.max(0, Math.ceil(need / this.perMs));
  }
}
