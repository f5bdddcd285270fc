// ports: free loopback ports for cluster tests, so test files can run in parallel. Rank i of a
// run listens on base-port + 10·i (cmd/flags.ts portOf); a base is usable when every one of its
// ports can be bound right now. (Another process may still take one before the ranks bind it:
// callers retry a run that fails with "address already in use".)
import { createServer, type Server } from 'node:net';
import { portOf } from '../flags.js';

/** BASE_MIN, BASE_MAX: bases are drawn from [BASE_MIN, BASE_MAX). */
const BASE_MIN = 20_000;
const BASE_MAX = 60_000;

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
