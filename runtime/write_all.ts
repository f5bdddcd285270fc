// write_all: a whole buffer to a file, synchronously. writeSync may write fewer bytes than asked,
// so every synchronous writer of the runtime and the protocols loops through this one.
import { writeSync } from 'node:fs';
import { assert } from './assert.js';

/**
 * writeAll writes b's first n bytes to fd, at `position` in the file or, without one, at the
 * descriptor's own offset; a write that makes no progress fails the assertion instead of looping.
 */
export function writeAll(fd: number, b: Uint8Array, n: number = b.length, position?: number): void {
  for (let off = 0; off < n;) {
    const wrote = writeSync(fd, b, off, n - off, position === undefined ? null : position + off);
    assert(wrote > 0, () => `a write of ${n - off} bytes to descriptor ${fd} made no progress`);
    off += wrote;
  }
}
