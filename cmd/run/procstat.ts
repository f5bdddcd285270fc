// procstat: what Linux says of a rank process that is slow to come up, so that the message of a
// boot given up tells a starved rank (runnable, waiting for a CPU) from a busy one (using its CPU)
// and from a blocked one (asleep, using none). Read from /proc; elsewhere there is nothing to say.
import { readdirSync, readFileSync } from 'node:fs';

/** ProcStat: one process's scheduler view. */
export interface ProcStat {
  /** state: its main thread's one-letter state: R runnable, S sleeping, D in I/O, T stopped, Z exited. */
  state: string;
  /** cpuMs: user + system CPU of the whole process (every thread), in ms. */
  cpuMs: number;
  /**
   * waitMs: how long its threads were runnable but not running (queued for a CPU), summed over
   * them, if known. Summed, since a main thread asleep waiting on a starved helper thread (V8's
   * compiler or collector) is held back by that thread's wait.
   */
  waitMs?: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat's CPU times; 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** parseStat reads /proc/<pid>/stat's text (the command name may hold spaces and parentheses). */
export function parseStat(text: string): { state: string; cpuMs: number } | undefined {
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
  // after "pid (comm) ": state is field 3 of proc(5), utime 14 and stime 15
  const [state, utime, stime] = [fields[0], Number(fields[11]), Number(fields[12])];
  if (state === undefined || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { state, cpuMs: ((utime + stime) * 1000) / USER_HZ };
}

/** parseSchedstat reads /proc/<pid>/schedstat ("run ns, runqueue wait ns, timeslices") into the wait in ms. */
export function parseSchedstat(text: string): number | undefined {
  const waitNs = Number(text.trim().split(' ')[1]);
  return Number.isFinite(waitNs) ? waitNs / 1e6 : undefined;
}

/** procStat is pid's state now, or undefined where /proc cannot say (another OS, a process gone). */
export function procStat(pid: number): ProcStat | undefined {
  let stat: ReturnType<typeof parseStat>;
  try {
    stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
  if (stat === undefined) return undefined;
  const waitMs = threadsWaitMs(pid);
  return waitMs === undefined ? stat : { ...stat, waitMs };
}

/** threadsWaitMs sums the queue waits of pid's threads; undefined if the kernel keeps none (no schedstat). */
function threadsWaitMs(pid: number): number | undefined {
  let sum = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += parseSchedstat(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1')) ?? 0;
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw e; // a thread that ended since the listing had its say
      }
    }
  } catch {
    return undefined;
  }
  return sum;
}

function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** describeStat: "1.2 s of CPU, 95.0 s of its threads' time waiting for a CPU, runnable now" (seconds, one decimal). */
export function describeStat(s: ProcStat): string {
  const states: Record<string, string> = { R: 'runnable', S: 'asleep', D: 'in disk I/O', T: 'stopped', Z: 'exited' };
  const wait = s.waitMs === undefined ? '' : `, ${(s.waitMs / 1000).toFixed(1)} s of its threads' time waiting for a CPU`;
  return `${(s.cpuMs / 1000).toFixed(1)} s of CPU${wait}, ${states[s.state] ?? `state ${s.state}`} now`;
}
