// timeline: when each rank committed, read back from its instance log (`commit Instance[KEY] in
// seq N at T`, T in epoch microseconds). The checker grades what was committed; scenario tests
// also need when, to tell "kept committing after the kill" from "committed before it".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const COMMIT = /^commit Instance\[[a-z]{32}\] in seq (\d+) at (\d+)$/;

/** Commit is one commit line: its estround and when it was written (epoch ms, fractional). */
export interface Commit {
  seq: number;
  atMs: number;
}

/** commitsOf reads rank's commit lines from dir/instancelog<rank>.log, in file order. */
export function commitsOf(dir: string, rank: number): Commit[] {
  const out: Commit[] = [];
  for (const line of readFileSync(join(dir, `instancelog${rank}.log`), 'utf8').split('\n')) {
    const m = COMMIT.exec(line);
    if (m) out.push({ seq: Number(m[1]), atMs: Number(m[2]) / 1000 });
  }
  return out;
}

/** countBetween counts commits written in [fromMs, toMs). */
export function countBetween(commits: readonly Commit[], fromMs: number, toMs = Infinity): number {
  let n = 0;
  for (const c of commits) if (c.atMs >= fromMs && c.atMs < toMs) n++;
  return n;
}

/** median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
