// exclusive: one real cluster at a time across every test process on this machine. The suite
// runs two test files at a time (scripts/test.sh); two real clusters side by side on two shared
// cores starve each other's timers, which is a test of the machine, not of the protocol. A
// simulator test beside a cluster is fine: it keeps one core, and the cluster has the other.
// The lock is flock(1) on a file in the temp directory, held by a child that exits when this
// process closes its input (or dies), so a crashed test never leaves it held.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** CLUSTER_LOCK: the file every real-cluster run in a test takes an exclusive flock on. */
export const CLUSTER_LOCK = join(tmpdir(), 'csplab-test-cluster.lock');

/** holdExclusive waits for the lock and returns the function that releases it (resolved once the holder has exited). */
export function holdExclusive(path = CLUSTER_LOCK): Promise<() => Promise<void>> {
  const holder = spawn('flock', ['-x', path, 'sh', '-c', 'echo held; exec cat > /dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  const release = (): Promise<void> => {
    holder.stdin.end();
    return exited;
  };
  holder.stdin.on('error', () => {});
  return new Promise((resolve, reject) => {
    holder.once('error', (e) => reject(new Error(`cannot take ${path} with flock(1): ${e.message}`)));
    holder.once('exit', (code) => reject(new Error(`flock ${path} ended (exit ${code}) before the lock was held`)));
    holder.stdout.once('data', () => resolve(release));
  });
}
