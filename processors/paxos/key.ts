// key: the lab's instance KEY: SHA-256 of the value, each byte b as 'a' + b mod 26 (32 letters).
// The leader computes one per instance, so this is on the hot path: crypto.hash (Node ≥ 20.12)
// skips the Hash object createHash needs, and a latin1 digest string skips allocating a Buffer
// per call (docs/protocols/paxos.md §9.1, §12).
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array | string, encoding: 'latin1') => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
const scratch = Buffer.allocUnsafe(32);

export function instanceKey(value: Uint8Array | string): string {
  if (oneShot !== undefined) {
    // Each char of a latin1 digest string is one digest byte (code 0…255).
    const d = oneShot('sha256', value, 'latin1');
    for (let i = 0; i < 32; i++) scratch[i] = 97 + (d.charCodeAt(i) % 26);
    return scratch.toString('latin1', 0, 32);
  }
  const digest = createHash('sha256').update(value).digest();
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- a sha256 digest has 32 bytes
  for (let i = 0; i < 32; i++) scratch[i] = 97 + (digest[i]! % 26);
  return scratch.toString('latin1', 0, 32);
}
