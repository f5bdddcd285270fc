// time-cli: runs the built CLI once under /usr/bin/time, for the benchmarks that measure a whole
// process (start-up included): wall and CPU seconds, peak RSS, exit status and stdout.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** TIME is GNU time, which reports a process's peak RSS (Debian package `time`). */
export const TIME = '/usr/bin/time';
const CLI = fileURLToPath(new URL('../../cmd/csplab.js', import.meta.url));
const MARK = 'csplab-bench-rusage';

export interface Measure {
  readonly wallS: number;
  /** cpuS is user + system CPU time: less sensitive than wall time to other work on the machine. */
  readonly cpuS: number;
  readonly maxRssMiB: number;
  readonly status: number | null;
  readonly stdout: string;
}

/** timeCli runs `node dist/cmd/csplab.js ...args` once and measures it. */
export function timeCli(args: readonly string[]): Measure {
  const r = spawnSync(TIME, ['-f', `${MARK} %e %U %S %M`, process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stderr.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`no resource usage from ${TIME}: ${r.stderr.slice(0, 500)}`);
  const [, wall, user, sys, rssKiB] = line.split(' ');
  return { wallS: Number(wall), cpuS: Number(user) + Number(sys), maxRssMiB: Number(rssKiB) / 1024, status: r.status, stdout: r.stdout };
}
