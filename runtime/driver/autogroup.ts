// autogroup: a child started in a session of its own (spawn's `detached`, so that its process
// group can be killed whole; Playwright starts a browser so too) leaves its parent's CPU share.
// With kernel.sched_autogroup_enabled=1 Linux shares the CPU between sessions, each session's
// autogroup weighted by its nice value, and a new session starts at nice 0 whatever its parent's
// was. A test session reniced with `echo -19 > /proc/self/autogroup` (as this project's
// measurements do) then outweighs each such child ~70 to 1, and two CPU-bound processes in it
// starve a detached cluster's boot (docs/benchmarks.md, "The suite under load in its own
// session"). So the child's new autogroup is given the parent's nice: the child competes for
// the CPU as the rest of the session's work does, no more, no less.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RealClock, type Clock } from '../clock.js';

/** parseAutogroup reads /proc/<pid>/autogroup ("/autogroup-14 nice -19\n") into its nice value. */
export function parseAutogroup(text: string): number | undefined {
  const m = /\snice\s+(-?\d+)\s*$/.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** autogroupNice is pid's autogroup's nice, or undefined without autogroups (another OS, or the sysctl off). */
export function autogroupNice(pid: number | 'self' = 'self'): number | undefined {
  try {
    return parseAutogroup(readFileSync(`/proc/${pid}/autogroup`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** errno: a system error's code (EAGAIN, EPERM, ENOENT …), or undefined. */
function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** ATTEMPTS: without CAP_SYS_ADMIN the kernel takes one autogroup change per 100 ms machine-wide (EAGAIN otherwise). */
const ATTEMPTS = 30;

/**
 * shareAutogroup gives the autogroup of pid (a child that made a session of its own) this
 * process's nice. It resolves undefined once they match, or says why they do not: no
 * autogroups, the child gone, or no permission (a negative nice needs CAP_SYS_NICE or an
 * RLIMIT_NICE; a parent that has it passes it on, one that has not was given it). Either way the
 * child runs: at worst at nice 0 in its own autogroup, as before this existed.
 */
export async function shareAutogroup(pid: number, clock: Clock = new RealClock()): Promise<string | undefined> {
  const ours = autogroupNice();
  if (ours === undefined) return 'no autogroup here';
  for (let attempt = 1; ; attempt++) {
    try {
      if (autogroupNice(pid) === ours) return undefined;
      writeFileSync(`/proc/${pid}/autogroup`, String(ours));
      return undefined;
    } catch (e) {
      if (errno(e) !== 'EAGAIN' || attempt === ATTEMPTS) return `autogroup of pid ${pid} left as it is: ${errno(e) ?? String(e)}`;
    }
    await new Promise<void>((resolve) => clock.schedule(100, resolve));
  }
}

/**
 * inOurAutogroup returns an executable that runs `executable` with its session's autogroup at
 * this process's nice, for a program another library spawns detached (Playwright's browser):
 * a shell script in dir that sets its own autogroup, then execs it. With no autogroup, or one at
 * nice 0 (what a new session gets anyway), it returns executable itself.
 */
export function inOurAutogroup(executable: string, dir: string): string {
  const ours = autogroupNice();
  if (ours === undefined || ours === 0) return executable;
  const quoted = `'${executable.replaceAll("'", `'\\''`)}'`;
  const script = join(dir, 'in-autogroup.sh');
  // Retried as shareAutogroup does (EAGAIN); a write that keeps failing (no permission) leaves
  // the autogroup at nice 0, and the program runs anyway.
  const set = `i=0; until echo ${ours} > /proc/self/autogroup 2>/dev/null || [ $i -ge 10 ]; do i=$((i + 1)); sleep 0.1; done`;
  writeFileSync(script, `#!/bin/sh\n${set}\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  return script;
}
