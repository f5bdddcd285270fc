// logcount: how many commit lines a rank's instance log holds, read in fixed-size chunks (a
// long run's logs are hundreds of MB). The end-of-run table uses it because a rank's last
// progress report is stale for a rank that was killed, and per-incarnation for a restarted one.
import { closeSync, openSync, readSync } from 'node:fs';

const NEEDLE = Buffer.from('\ncommit ');

/** countCommitLines counts lines that begin with "commit " (0 if the file is missing). */
export function countCommitLines(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    const chunk = Buffer.alloc(1 << 20);
    // Keep the last few bytes of each chunk so a needle split across chunks is still found;
    // a leading '\n' stands in for the start of the file.
    let carry = Buffer.from('\n');
    let count = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const buf = Buffer.concat([carry, chunk.subarray(0, n)]);
      for (let i = buf.indexOf(NEEDLE); i >= 0; i = buf.indexOf(NEEDLE, i + 1)) count++;
      carry = Buffer.from(buf.subarray(Math.max(0, buf.length - (NEEDLE.length - 1))));
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/**
 * countCommitsIn counts, per window [fromUs, untilUs), the commit lines whose `at` (epoch µs,
 * the rank's clock) falls in it: what each rank committed while a partition or cut held.
 */
export function countCommitsIn(path: string, windows: readonly { fromUs: number; untilUs: number }[]): number[] {
  const counts = windows.map(() => 0);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return counts;
  }
  try {
    const chunk = Buffer.alloc(1 << 20);
    let rest = '';
    const line = (text: string): void => {
      if (!text.startsWith('commit ')) return;
      const at = Number(text.slice(text.lastIndexOf(' at ') + 4));
      windows.forEach((w, i) => {
        if (at >= w.fromUs && at < w.untilUs) counts[i] = (counts[i] ?? 0) + 1;
      });
    };
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const lines = (rest + chunk.toString('latin1', 0, n)).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(line);
    }
    line(rest);
    return counts;
  } finally {
    closeSync(fd);
  }
}
