// key: the lab's instance KEY: SHA-256 of the value, each byte b as 'a' + b mod 26 (32 letters).
import { createHash } from 'node:crypto';

export function instanceKey(value: Uint8Array | string): string {
  const digest = createHash('sha256').update(value).digest();
  let key = '';
  for (let i = 0; i < digest.length; i++) key += String.fromCharCode(97 + (digest[i]! % 26));
  return key;
}
