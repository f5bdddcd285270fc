// ports: free loopback ports for cluster tests, so test files can run in parallel. Rank i of a
// run listens on base-port + 10·i (cmd/flags.ts portOf); a base is usable when every one of its
// ports can be bound right now. (Another process may still take one before the ranks bind it:
// callers retry a run that fails with "address already in use".)
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { portOf } from '../flags.js';

/**
 * ephemeralLow: the first port the kernel hands out for outgoing connections (Linux's
 * ip_local_port_range). Bases stay below it: with test files running side by side, another run's
 * client sockets take ephemeral ports all the time, and one of them took a rank's port between
 * the probe and the listen.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 21_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** BASE_MIN, BASE_MAX: bases are drawn from [BASE_MIN, BASE_MAX), below the ephemeral ports. */
const BASE_MIN = 20_000;
const BASE_MAX = Math.min(60_000, ephemeralLow());

/** canListen binds host:port briefly; true when that worked. */
function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** freeBasePort picks a random base port whose `ranks` ports are all free (at most `attempts` draws). */
export async function freeBasePort(ranks: number, host = '127.0.0.1', attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const base = BASE_MIN + Math.floor(Math.random() * (BASE_MAX - BASE_MIN - portOf(0, ranks - 1)));
    let free = true;
    for (let r = 0; r < ranks && free; r++) free = await canListen(portOf(base, r), host);
    if (free) return base;
  }
  throw new Error(`no base port with ${ranks} free ports in ${attempts} tries`);
}

/** occupy listens on host:port (0: any free port) until the returned server is closed. */
export function occupy(port = 0, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('occupy: no port bound'));
      resolve({ server, port: addr.port });
    });
  });
}
