// parse-edn: one Jepsen history line, `{:process 0, :type :invoke, :f :write, :value 3}`. Exactly
// the subset of EDN histories use (docs/history.md §Jepsen EDN): a map with keyword keys whose
// values are integers, strings, nil, keywords or vectors of those. Anything else is an error.
import { EVENT_TYPES, HistoryError, Keyword, type EventType, type RawEvent, type Value } from './history.js';

/** parseEdnLine reads one op map; it throws HistoryError naming `line` and what was wrong. */
export function parseEdnLine(text: string, line: number): RawEvent {
  const p = new EdnReader(text, line);
  const map = p.map();
  p.end();
  return toEvent(map, line, (k) => `:${k}`);
}

/** toEvent checks the fields every history format shares (docs/history.md). */
export function toEvent(map: Map<string, Value>, line: number, name: (k: string) => string): RawEvent {
  const process = map.get('process');
  if (typeof process !== 'number' && typeof process !== 'string' && !(process instanceof Keyword))
    throw new HistoryError(
      line,
      `${name('process')} must be an integer or a name, got ${process === undefined ? 'nothing' : JSON.stringify(process)}`,
    );
  const type = word(map.get('type'));
  if (!EVENT_TYPES.includes(type as EventType))
    throw new HistoryError(line, `${name('type')} must be invoke, ok, fail or info, got ${JSON.stringify(type ?? null)}`);
  const f = word(map.get('f'));
  if (f === undefined) throw new HistoryError(line, `${name('f')} is missing`);
  const time = map.get('time');
  if (time !== undefined && time !== null && typeof time !== 'number') throw new HistoryError(line, `${name('time')} must be a number`);
  const key = map.get('key');
  const result = map.get('result') ?? null;
  const resultName = result === null ? undefined : word(result);
  if (result !== null && resultName === undefined)
    throw new HistoryError(line, `${name('result')} must be a name (created, updated, deleted, notFound), got ${JSON.stringify(result)}`);
  return {
    process: process instanceof Keyword ? `:${process.name}` : process,
    type: type as EventType,
    f,
    ...(key === undefined ? {} : { key }),
    value: map.get('value') ?? null,
    ...(typeof time === 'number' ? { time } : {}),
    ...(resultName !== undefined ? { result: resultName } : {}),
  };
}

function word(v: Value | undefined): string | undefined {
  if (v instanceof Keyword) return v.name;
  return typeof v === 'string' ? v : undefined;
}

// Character classes by code, not by regex: the reader tests every character of every line.
const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x2c || (c >= 0x09 && c <= 0x0d) || (c > 0x7f && /\s/.test(String.fromCharCode(c)));
/** ends a symbol: whitespace, comma, a bracket or a quote. */
const isSymbolEnd = (c: number): boolean =>
  isSpace(c) || c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x28 || c === 0x29 || c === 0x22;

/** KEYWORDS: every line repeats the same few (:process, :type, :invoke, :ok, :f, :read…); one object each. */
const KEYWORDS = new Map<string, Keyword>();
const KEYWORDS_MAX = 1024;

function keyword(name: string): Keyword {
  let k = KEYWORDS.get(name);
  if (k === undefined) {
    k = new Keyword(name);
    if (KEYWORDS.size < KEYWORDS_MAX) KEYWORDS.set(name, k);
  }
  return k;
}

/** EdnReader is a recursive-descent reader over one line. */
class EdnReader {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly line: number,
  ) {}

  private fail(what: string): never {
    throw new HistoryError(this.line, `bad EDN at column ${this.i + 1}: ${what}`);
  }

  private skip(): void {
    while (this.i < this.s.length && isSpace(this.s.charCodeAt(this.i))) this.i++;
  }

  end(): void {
    this.skip();
    if (this.i < this.s.length) this.fail('text after the map');
  }

  map(): Map<string, Value> {
    this.skip();
    if (this.s.charAt(this.i) !== '{') this.fail('expected an op map {…}');
    this.i++;
    const m = new Map<string, Value>();
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) this.fail('unterminated map');
      if (this.s.charAt(this.i) === '}') {
        this.i++;
        return m;
      }
      const k = this.value();
      if (!(k instanceof Keyword)) this.fail('map keys must be keywords');
      this.skip();
      if (this.s.charAt(this.i) === '}' || this.i >= this.s.length) this.fail(`no value for :${k.name}`);
      if (m.has(k.name)) this.fail(`duplicate key :${k.name}`);
      m.set(k.name, this.value());
    }
  }

  private value(): Value {
    this.skip();
    const c = this.s.charAt(this.i);
    if (c === '"') return this.string();
    if (c === '[') return this.vector();
    if (c === ':') return keyword(this.symbol(1));
    const tok = this.symbol(0);
    if (tok === 'nil') return null;
    if (/^[-+]?[0-9]+N?$/.test(tok)) {
      const n = Number(tok.replace(/N$/, ''));
      if (!Number.isSafeInteger(n)) this.fail(`integer ${tok} is out of range`);
      return n;
    }
    if (tok === '') this.fail(c === '' ? 'unexpected end of line' : `unexpected ${JSON.stringify(c)}`);
    return this.fail(`${JSON.stringify(tok)} is not an integer, string, nil, keyword or vector`);
  }

  private symbol(from: number): string {
    const start = this.i + from;
    let j = start;
    while (j < this.s.length && !isSymbolEnd(this.s.charCodeAt(j))) j++;
    if (from === 1 && j === start) this.fail('empty keyword');
    this.i = j;
    return this.s.slice(start, j);
  }

  private vector(): Value[] {
    this.i++;
    const out: Value[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) this.fail('unterminated vector');
      if (this.s.charAt(this.i) === ']') {
        this.i++;
        return out;
      }
      out.push(this.value());
    }
  }

  private string(): string {
    let out = '';
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s.charAt(j);
      if (c === '"') {
        this.i = j + 1;
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s.charAt(++j);
      const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      const r = map[e];
      if (r === undefined) {
        this.i = j;
        this.fail(`unknown string escape \\${e}`);
      }
      out += r;
    }
    return this.fail('unterminated string');
  }
}
