// read: stream a history file into a History. The format is recognised from the first event
// line's content (`{"` starts JSONL, `{:` EDN); blank lines and `;` comments are skipped.
import { readLinesSync } from '../lines.js';
import { HistoryBuilder, HistoryError, type History, type ModelName, type RawEvent } from './history.js';
import { parseEdnLine } from './parse-edn.js';
import { parseJsonLine } from './parse-jsonl.js';

export type HistoryFormat = 'edn' | 'jsonl';

/** LineParser turns a history's text lines into a History, one line at a time. */
export class LineParser {
  private format: HistoryFormat | undefined;
  private readonly builder: HistoryBuilder;

  constructor(model?: ModelName) {
    this.builder = new HistoryBuilder(model);
  }

  line(text: string, lineNo: number): void {
    const t = text.trim();
    if (t === '' || t.startsWith(';')) return;
    this.format ??= /^\{\s*"/.test(t) ? 'jsonl' : 'edn';
    const ev: RawEvent = this.format === 'jsonl' ? parseJsonLine(t, lineNo) : parseEdnLine(t, lineNo);
    // Jepsen's nemesis (faults it injects) is not a client: its ops are no register's.
    if (ev.process === ':nemesis') return;
    this.builder.add(ev, lineNo);
  }

  finish(): History & { format: HistoryFormat | undefined } {
    return { ...this.builder.finish(), format: this.format };
  }
}

/** parseHistoryText parses a whole history held in memory (tests, the library API). */
export function parseHistoryText(text: string, model?: ModelName): History {
  const p = new LineParser(model);
  text.split('\n').forEach((l, i) => p.line(l, i + 1));
  return p.finish();
}

/**
 * readHistory streams the file at path (one fixed buffer, check/lines.ts); errors name the line.
 * It reads synchronously — the checker does nothing else meanwhile, and a hundred small files
 * would otherwise spend most of their time waiting for the thread pool — but keeps a promise
 * so that callers need not change should it read asynchronously again.
 */
export async function readHistory(path: string, model?: ModelName): Promise<History & { format: HistoryFormat | undefined }> {
  const p = new LineParser(model);
  readLinesSync(path, {
    line: (text, lineNo) => p.line(text, lineNo),
    overlong: (lineNo) => {
      throw new HistoryError(lineNo, 'line longer than 1 MiB');
    },
  });
  return p.finish();
}
