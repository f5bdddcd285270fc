// roundstore: the one fact a Paxos rank keeps durable besides its instance log: the highest
// round it has entered. Every message a rank sends in round r (GATHER, ACK, READ, IMPOSE,
// PROPOSE) is sent after the rank entered r, and the msg processor saves r before any core
// hears of it, so the bound covers every promise, acceptance and leadership of the rank. A
// restarted rank votes in no round up to it (docs/protocols/paxos.md §8).
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { ForeignStateError } from '../../runtime/errors.js';
import { writeAll } from '../../runtime/write_all.js';

export interface RoundStore {
  /** votedThrough: the highest round saved (-1: none). */
  readonly votedThrough: number;
  /** save records round if it is higher; it is durable (as the instance log is) on return. */
  save(round: number): void;
  close(): void;
}

/** MemoryRoundStore survives a simulated restart by being handed to the next incarnation. */
export class MemoryRoundStore implements RoundStore {
  votedThrough = -1;
  save(round: number): void {
    if (round > this.votedThrough) this.votedThrough = round;
  }
  close(): void {}
}

const WIDTH = 20; // one fixed-width record, rewritten in place: "<round padded>\n"

/**
 * FileRoundStore keeps the bound in `<log-dir>/.paxos-round<rank>`, one write per round
 * entered (no fsync, like the instance log, §8: a SIGKILL loses nothing written). A fresh rank
 * creates it; a restarted rank must find it intact, or it cannot know which rounds to sit out.
 */
export class FileRoundStore implements RoundStore {
  votedThrough = -1;
  private fd: number;

  constructor(
    readonly path: string,
    fresh: boolean,
  ) {
    if (!fresh) this.votedThrough = readBound(path);
    this.fd = openSync(path, fresh ? 'w' : 'r+');
    if (fresh) this.write(-1);
  }

  save(round: number): void {
    if (round <= this.votedThrough) return;
    this.votedThrough = round;
    this.write(round);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private write(round: number): void {
    const buf = Buffer.from(`${String(round).padStart(WIDTH - 1)}\n`, 'latin1');
    writeAll(this.fd, buf, buf.length, 0);
  }
}

function readBound(path: string): number {
  if (!existsSync(path)) throw new ForeignStateError(`${path} is missing: cannot restart without the highest round this rank answered in`);
  const text = readFileSync(path, 'latin1');
  const m = /^ *(-1|0|[1-9][0-9]{0,15})\n$/.exec(text);
  if (text.length !== WIDTH || m?.[1] === undefined)
    throw new ForeignStateError(`${path} is corrupt: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(m[1]);
}
