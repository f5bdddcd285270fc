// Processors: named single-threaded loops that own their state and talk only through
// channels. A ProcessorGroup is one rank's set: it creates their channels, starts them,
// stops them (closing every channel so each loop exits within one read timeout) and turns
// the first crash into a clear, named failure of the whole group (fail fast).
import { CspChan, type Chan, type ChanOptions, type ChanStats } from './chan.js';
import type { Clock } from './clock.js';

/** Crash names the processor that threw and what it threw. */
export interface Crash {
  processor: string;
  error: unknown;
}

/** GroupOutcome is how a group ended: cleanly stopped, or taken down by a crash. */
export type GroupOutcome = { type: 'stopped' } | { type: 'crashed'; crash: Crash };

/**
 * crashMessage renders one line naming the group and processor and what was thrown: never a
 * stack trace, never a line break (a multi-line message is folded), and it cannot throw.
 */
export function crashMessage(group: string, crash: Crash): string {
  return oneLine(`${group}: processor ${crash.processor} crashed: ${describe(crash.error)}`);
}

/** describe renders a thrown value as `Name: message`, surviving hostile values. */
function describe(e: unknown): string {
  try {
    if (e instanceof Error) return e.message ? `${e.name}: ${e.message}` : e.name;
    if (typeof e === 'string') return e;
    const json = JSON.stringify(e);
    return json === undefined ? String(e) : json;
  } catch {
    try {
      return String(e); // a circular object or a bigint
    } catch {
      return Object.prototype.toString.call(e);
    }
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * ProcessorGroup owns one rank's processors and channels. Fail fast: the first processor to
 * throw is recorded and stops the group; done reports it once every processor has exited.
 */
export class ProcessorGroup {
  private readonly chans: Chan<unknown>[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private crash: Crash | undefined;
  private stopping = false;
  private resolveDone!: (o: GroupOutcome) => void;
  /** done resolves once every processor has exited after stop() or a crash. */
  readonly done: Promise<GroupOutcome>;

  constructor(
    readonly name: string,
    readonly clock: Clock,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** chan creates a channel owned by this group: stop() closes it. */
  chan<T>(options: ChanOptions<T>): Chan<T> {
    const c = new CspChan<T>(this.clock, options);
    this.chans.push(c);
    return c;
  }

  /** adopt registers a channel made elsewhere (a transport's inbox) so stop() closes it. */
  adopt<T>(c: Chan<T>): Chan<T> {
    this.chans.push(c);
    return c;
  }

  /** spawn starts a processor. Its body must return when its reads see CLOSED. */
  spawn(name: string, body: () => Promise<void>): void {
    if (this.running.has(name)) throw new Error(`${this.name}: processor ${name} already exists`);
    if (this.stopping) throw new Error(`${this.name}: cannot spawn ${name} after stop`);
    const run = Promise.resolve()
      .then(body)
      .catch((error: unknown) => {
        if (this.crash === undefined) this.crash = { processor: name, error };
        this.stop();
      })
      .finally(() => {
        this.running.delete(name);
        if (this.running.size === 0 && this.stopping) this.finish();
      });
    this.running.set(name, run);
  }

  /** stop closes every channel; processors drain what is buffered and exit. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of this.chans) c.close();
    if (this.running.size === 0) this.finish();
  }

  /** processors lists the names still running. */
  processors(): string[] {
    return [...this.running.keys()];
  }

  stats(): ChanStats[] {
    return this.chans.map((c) => c.stats());
  }

  private finish(): void {
    this.resolveDone(this.crash ? { type: 'crashed', crash: this.crash } : { type: 'stopped' });
  }
}
