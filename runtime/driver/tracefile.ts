// tracefile: a real rank's trace (`csplab run --trace`), trace<rank>.ndjson beside its instance
// log, in docs/trace.md's format (lines built by runtime/trace.ts, as the simulator's are).
// Lines collect in memory and go to the file 64 KiB at a time (no syscall per event), so a
// SIGKILL loses at most the unflushed tail. A byte budget caps the file: past it, message
// lines (send, recv) and persists are dropped, announced by one `truncated` line, while the
// rank's state lines (start, role, commit, stop) go on; past a hard limit a second
// `truncated` line ends the trace.
import type { MessageInfo } from '../protocol.js';
import { messageFields, traceLine } from '../trace.js';
import type { LogSink } from './logsink.js';

/** TRACE_BUDGET_BYTES: per rank, so five ranks' traces of `-o 1 -l 10000 -t 5` stay under 50 MB (docs/trace.md). */
export const TRACE_BUDGET_BYTES = 8 * 1024 * 1024;

const FLUSH_BYTES = 64 * 1024;

/** TraceFile writes one rank's trace; `t` is ms after round 0 (the run's start). */
export class TraceFile {
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private bytes = 0;
  /** level: 0 writes every line, 1 drops messages and persists, 2 writes nothing more. */
  private level = 0;
  /** lines: the instance log's length, so a commit line can say it (docs/trace.md). */
  lines: number;

  constructor(
    private readonly out: LogSink,
    readonly startAtMs: number,
    o: { linesBefore?: number; budgetBytes?: number } = {},
  ) {
    this.lines = o.linesBefore ?? 0;
    this.budget = o.budgetBytes ?? TRACE_BUDGET_BYTES;
  }

  private readonly budget: number;

  message(atMs: number, ev: 'send' | 'recv', from: number, to: number, info: MessageInfo): void {
    if (this.level === 0) this.push(atMs, messageFields(ev, from, to, info), true);
  }

  persist(atMs: number, batches: [unknown, unknown]): void {
    if (this.level === 0) this.push(atMs, { ev: 'persist', batches }, true);
  }

  /** note: a state line (start, role, commit, stop), kept past the budget until the hard limit. */
  note(atMs: number, fields: Record<string, unknown>): void {
    if (this.level < 2) this.push(atMs, fields, false);
  }

  close(): void {
    this.flush();
    this.out.close();
  }

  private push(atMs: number, fields: Record<string, unknown>, isMessage: boolean): void {
    const t = atMs - this.startAtMs;
    if (isMessage && this.bytes >= this.budget) {
      this.level = 1;
      this.add(traceLine(t, { ev: 'truncated', dropping: ['send', 'recv', 'persist'], bytes: this.bytes }));
      return;
    }
    if (this.bytes >= this.budget + this.budget / 4) {
      this.level = 2;
      this.add(traceLine(t, { ev: 'truncated', dropping: 'all', bytes: this.bytes }));
      return;
    }
    this.add(traceLine(t, fields));
  }

  private add(line: string): void {
    this.buffered.push(line);
    this.bufferedBytes += line.length + 1;
    this.bytes += line.length + 1;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.buffered.length === 0) return;
    this.out.write(Buffer.from(this.buffered.join('\n') + '\n', 'utf8'));
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}
