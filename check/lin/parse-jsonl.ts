// parse-jsonl: one line of csplab's own history format (docs/history.md §JSONL):
// {"process": 0, "type": "invoke", "f": "put", "key": "k1", "value": "v3", "time": 1712}.
import { HistoryError, type RawEvent, type Stamp, type Value } from './history.js';
import { toEvent } from './parse-edn.js';

/** parseJsonLine reads one op object; it throws HistoryError naming `line` and what was wrong. */
export function parseJsonLine(text: string, line: number): RawEvent {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new HistoryError(line, `bad JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new HistoryError(line, 'expected a JSON object');
  const map = new Map<string, Value>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (!['process', 'type', 'f', 'key', 'value', 'time', 'result'].includes(k)) continue; // other fields are ignored
    map.set(k, jsonValue(v, k, line));
  }
  const o = obj as Record<string, unknown>;
  const vts = stampOf(o.vts, 'vts', line);
  const at = stampOf(o.at, 'at', line);
  if (o.read !== undefined && typeof o.read !== 'string')
    throw new HistoryError(line, `"read" must be a string, got ${JSON.stringify(o.read)}`);
  const read = o.read;
  const ev = toEvent(map, line, (k) => `"${k}"`);
  if (vts === undefined && at === undefined && read === undefined) return ev;
  return { ...ev, ...(vts !== undefined ? { vts } : {}), ...(at !== undefined ? { at } : {}), ...(read !== undefined ? { read } : {}) };
}

/** stampOf reads an optional {version, shard} field (docs/history.md `vts`, `at`). */
function stampOf(v: unknown, field: string, line: number): Stamp | undefined {
  if (v === undefined) return undefined;
  const o = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  const ok = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!ok(o.version) || !ok(o.shard))
    throw new HistoryError(line, `"${field}" must be {"version": n, "shard": n}, integers ≥ 0, got ${JSON.stringify(v)}`);
  return { version: o.version, shard: o.shard };
}

function jsonValue(v: unknown, field: string, line: number): Value {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (field !== 'time' && !Number.isSafeInteger(v)) throw new HistoryError(line, `"${field}": ${v} is not an integer`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => jsonValue(x, field, line));
  throw new HistoryError(line, `"${field}": ${JSON.stringify(v)} is not an integer, string, null or array`);
}
