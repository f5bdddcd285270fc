// oncelog: log a recurring problem once. A misconfigured peer redials forever; its first
// refusal is news, the thousandth is noise (stats still count every one).

/** MAX_KEYS bounds memory: past it, new keys are logged once more each (never silently lost). */
const MAX_KEYS = 1024;

export class OnceLog {
  private readonly seen = new Set<string>();

  constructor(private readonly sink: (line: string) => void) {}

  /** line writes text unless key was logged before. */
  line(key: string, text: string): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= MAX_KEYS) this.seen.clear();
    this.seen.add(key);
    this.sink(text);
  }
}
