// logtext: a turn's instance-log lines built straight into latin1 bytes for the sink. A
// catch-up turn holds tens of thousands of lines; concatenating them into one string left a
// rope the sink had to flatten and encode again, the largest cost after GC of a Paxos rank
// catching up (docs/protocols/paxos.md §12). Instance-log text is ASCII by construction.

/** LogText collects lines (each written with its newline) into one reused buffer. */
export class LogText {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  /** add appends line and a newline. */
  add(line: string): void {
    // latin1 writes one byte per UTF-16 unit, so line.length + 1 bytes always suffice.
    if (this.at + line.length + 1 > this.buf.length) this.grow(line.length + 1);
    this.at += this.buf.write(line, this.at, 'latin1');
    this.buf[this.at++] = 10;
  }

  /**
   * fill lets a protocol write its lines as bytes itself (no string per line): `write` gets the
   * buffer and the offset to write at, with at least `max` bytes free there, and returns the
   * offset after its last byte.
   */
  fill(max: number, write: (buf: Buffer, at: number) => number): void {
    if (this.at + max > this.buf.length) this.grow(max);
    const end = write(this.buf, this.at);
    if (!(end >= this.at && end <= this.at + max))
      throw new RangeError(`LogText.fill: wrote to ${end}, room was [${this.at}, ${this.at + max}]`);
    this.at = end;
  }

  get empty(): boolean {
    return this.at === 0;
  }

  /**
   * take returns the bytes added since the last take; they stay valid only until the next add
   * (the sink writes them synchronously, so the buffer is reused instead of reallocated).
   */
  take(): Uint8Array {
    const bytes = this.buf.subarray(0, this.at);
    this.at = 0;
    return bytes;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + need));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}
