// values: the leader's proposed values, 1000 random bytes each in the lab, on the hot path: each
// PROPOSE batch takes a 16-byte AES-128 key from the seeded stream and expands it with native
// AES-CTR instead of drawing every byte from the PRNG (docs/protocols/paxos.md §12). Values stay a
// pure function of the seed (a replayed run proposes the same values) and are as random as the lab
// needs.
import { createCipheriv } from 'node:crypto';
import type { Random } from '../../runtime/random.js';

const IV = Buffer.alloc(16);
let zeros = Buffer.alloc(0);

/** randomValues returns count values of size bytes each (views of one fresh buffer). */
export function randomValues(random: Random, count: number, size: number): Uint8Array[] {
  const total = count * size;
  if (zeros.length < total) zeros = Buffer.alloc(total);
  const cipher = createCipheriv('aes-128-ctr', random.bytes(16), IV);
  // CTR is a stream: update returns every byte and final none, so no second copy of the batch
  // (a 64 KiB Buffer per PROPOSE batch is external memory the collector frees late; issue 20).
  const block = cipher.update(zeros.subarray(0, total));
  cipher.final();
  return Array.from({ length: count }, (_, i) => block.subarray(i * size, (i + 1) * size));
}
