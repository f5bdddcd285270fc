// parse-jsonl: one line of csplab's own history format (docs/history.md §JSONL):
// {"process": 0, "type": "invoke", "f": "put", "key": "k1", "value": "v3", "time": 1712}.
import { HistoryError, type RawEvent, type Value } from './history.js';
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
  return toEvent(map, line, (k) => `"${k}"`);
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
