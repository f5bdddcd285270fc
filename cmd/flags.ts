// flags: validation shared by csplab commands. Every flag is checked once, up front, and a
// bad one becomes a usage error (exit 2) that quotes it.
import { defined } from '../runtime/assert.js';
import { usageError } from './exit.js';

/**
 * numeric declares a numeric yargs option. Not `type: 'number'`: that turns "abc" into NaN and
 * loses what was typed. Without a type yargs still parses number-like text as a number and
 * leaves the rest as text, which numberFlag then quotes; a flag given without a value is a
 * usage error (requiresArg).
 */
export function numeric(describe: string, defaultValue?: number): { requiresArg: true; describe: string; default?: number } {
  return defaultValue === undefined ? { requiresArg: true, describe } : { requiresArg: true, describe, default: defaultValue };
}

/** numberFlag reads a finite number in [min, max]; integer when asked. */
export function numberFlag(name: string, value: unknown, min: number, max: number, integer = false): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw usageError(`${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export interface HostPort {
  host: string;
  port: number;
}

/** hostPort parses host:port (IPv6 in brackets: [::1]:10000). */
export function hostPort(flag: string, text: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(text.trim());
  if (!m) throw usageError(`${flag}: expected host:port, got ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw usageError(`${flag}: port must be 1..65535, got ${port}`);
  const host = defined(m[1], 'the host group of the pattern is not optional');
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

/** portOf is where rank i listens by default: base + 10·i (as the lab's scripts space them). */
export function portOf(basePort: number, rank: number): number {
  return basePort + 10 * rank;
}

/** hostFlag reads --host: a host name or address to listen on; empty would mean every interface. */
export function hostFlag(text: string): string {
  if (text.trim() === '') throw usageError('--host must not be empty (give an address, e.g. 127.0.0.1, or 0.0.0.0 for every interface)');
  if (/\s/.test(text)) throw usageError(`--host: expected a host name or address, got ${JSON.stringify(text)}`);
  return text;
}

/** MAX_CLUSTER_ID_BYTES keeps the id well inside the connection handshake (runtime/net/handshake.ts HELLO_MAX_BYTES). */
export const MAX_CLUSTER_ID_BYTES = 256;

/** clusterIdFlag reads --cluster-id: non-empty and short enough to send in every handshake. */
export function clusterIdFlag(text: string): string {
  if (text === '') throw usageError('--cluster-id must not be empty');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CLUSTER_ID_BYTES) throw usageError(`--cluster-id must be at most ${MAX_CLUSTER_ID_BYTES} bytes, got ${bytes}`);
  return text;
}
