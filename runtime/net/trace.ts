// trace: the record of what a simulated network did to each message. Two runs with one seed
// and one sequence of sends must produce equal traces; the checker reads traces, not state.

/** DeliveryEvent is what happened to one message copy. */
export type DeliveryEvent = 'deliver' | 'drop' | 'dup';

/** DropReason says why a copy was lost (only on 'drop' entries). */
export type DropReason =
  | 'random' // the dropRate draw
  | 'partition' // sender and receiver on different sides (at send or at delivery)
  | 'down' // the receiving endpoint was closed or never opened
  | 'overflow' // the receiver's inbox was full (drop-newest)
  | 'held-overflow'; // a paused rank's hold queue was full

/** TraceEntry is one event; atMs is milliseconds since the network was created. */
export interface TraceEntry {
  atMs: number;
  from: number;
  to: number;
  event: DeliveryEvent;
  /** msg is the message or its summary (MemNetOptions.summarize). */
  msg: unknown;
  reason?: DropReason;
}

/** TraceLog keeps the first `limit` entries and counts the rest (a bound on memory). */
export class TraceLog {
  private readonly entries: TraceEntry[] = [];
  /** omitted counts entries past the limit that were not kept. */
  omitted = 0;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`traceLimit must be an integer ≥ 0, got ${limit}`);
  }

  add(entry: TraceEntry): void {
    if (this.entries.length < this.limit) this.entries.push(entry);
    else this.omitted++;
  }

  list(): readonly TraceEntry[] {
    return this.entries;
  }
}
