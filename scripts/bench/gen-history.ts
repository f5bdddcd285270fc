// gen-history: client histories made by running a sequential model (a register, or a kv map)
// under random concurrent clients, so every history is linearizable by construction: each op
// takes effect at one random moment between its invoke and its completion. For the tests and
// `npm run bench lin` (docs/history.md, docs/benchmarks.md).
import { SeededRandom, type Random } from '../../runtime/random.js';

export interface GenHistoryOptions {
  readonly model: 'register' | 'kv';
  readonly format: 'edn' | 'jsonl';
  /** processes: concurrent clients. */
  readonly processes: number;
  /** ops: operations invoked in all. */
  readonly ops: number;
  /** keys: kv keys (default 1); a register has none. */
  readonly keys?: number;
  /** values: written values are drawn from 0..values-1; absent: every written value is unique. */
  readonly values?: number;
  /** shares of the op mix (the rest are reads/gets and writes/puts, half each). */
  readonly cas?: number;
  readonly append?: number;
  readonly delete?: number;
  /** info: share of ops that time out (:info); they took effect or not, at random. */
  readonly info?: number;
  /** fail: share of writes/puts that report :fail and did not take effect. */
  readonly fail?: number;
  /** replace: a process whose op timed out continues under a new id, as Jepsen does. */
  readonly replace?: boolean;
  readonly seed: string;
}

export interface GenHistoryStats {
  /** seenAppends: invoke lines of ok appends that a later ok get observed (altering one breaks the history). */
  readonly seenAppends: number[];
  /** okReads: completion lines of ok reads/gets. */
  readonly okReads: number[];
  readonly lines: number;
}

type F = 'read' | 'write' | 'cas' | 'get' | 'put' | 'append' | 'delete';
type Val = number | string | null | [number, number];

interface Client {
  id: number;
  op?: { f: F; key: number; value: Val; applied: boolean; out: Val; ok: boolean; line: number; timedOut: boolean };
}

/** generateHistory emits each line of a history (without its newline) to `emit`. */
export function generateHistory(o: GenHistoryOptions, emit: (line: string) => void): GenHistoryStats {
  const rnd = new SeededRandom(`gen-history/${o.seed}`);
  const state = new Map<number, string | number | null>();
  const clients: Client[] = Array.from({ length: o.processes }, (_, id) => ({ id }));
  const appendLines = new Map<string, number>();
  const stats = { seenAppends: [] as number[], okReads: [] as number[], lines: 0 };
  let unique = 0;
  let invoked = 0;
  let open = 0;
  const line = (c: Client, type: string, f: F, key: number, value: Val): void => {
    stats.lines++;
    emit(format(o, c.id, type, f, key, value));
  };
  while (invoked < o.ops || open > 0) {
    const c = clients[rnd.int(clients.length)] as Client;
    const op = c.op;
    if (op === undefined) {
      if (invoked >= o.ops) continue;
      invoked++;
      open++;
      const f = pickF(o, rnd);
      const key = o.model === 'kv' ? rnd.int(o.keys ?? 1) : 0;
      const value = argOf(o, f, rnd, () => unique++);
      c.op = { f, key, value, applied: false, out: null, ok: true, line: stats.lines + 1, timedOut: false };
      line(c, 'invoke', f, key, f === 'read' || f === 'get' || f === 'delete' ? null : value);
    } else if (!op.applied) {
      op.applied = true;
      const timedOut = (op.timedOut = rnd.next() < (o.info ?? 0));
      const failed = !timedOut && (op.f === 'write' || op.f === 'put') && rnd.next() < (o.fail ?? 0);
      if (timedOut ? rnd.next() < 0.5 : !failed) apply(o, op, state, appendLines, stats);
      else op.ok = !failed;
      if (failed) op.out = 'failed';
    } else {
      open--;
      c.op = undefined;
      if (op.timedOut) {
        line(c, 'info', op.f, op.key, null);
        if (o.replace) c.id += o.processes;
      } else line(c, op.ok ? 'ok' : 'fail', op.f, op.key, op.f === 'read' || op.f === 'get' ? op.out : op.value);
      if (!op.timedOut && (op.f === 'read' || op.f === 'get')) stats.okReads.push(stats.lines);
    }
  }
  return stats;
}

function pickF(o: GenHistoryOptions, rnd: Random): F {
  const x = rnd.next();
  const cas = o.cas ?? 0,
    app = o.append ?? 0,
    del = o.delete ?? 0;
  if (o.model === 'register') return x < cas ? 'cas' : x < cas + (1 - cas) / 2 ? 'read' : 'write';
  if (x < app) return 'append';
  if (x < app + del) return 'delete';
  return x < app + del + (1 - app - del) / 2 ? 'get' : 'put';
}

function argOf(o: GenHistoryOptions, f: F, rnd: Random, next: () => number): Val {
  const v = (): number => (o.values === undefined ? next() : rnd.int(o.values));
  if (f === 'cas') return [v(), v()];
  if (f === 'append') return `${next()};`;
  if (f === 'put') return `v${v()}`;
  return f === 'write' ? v() : null;
}

/** apply takes the op's effect on the model now, at its linearization point. */
function apply(
  o: GenHistoryOptions,
  op: NonNullable<Client['op']>,
  state: Map<number, string | number | null>,
  appendLines: Map<string, number>,
  stats: { seenAppends: number[] },
): void {
  const cur = state.get(op.key) ?? null;
  switch (op.f) {
    case 'read':
    case 'get':
      op.out = cur;
      if (typeof cur === 'string' && o.model === 'kv' && !op.timedOut)
        for (const piece of cur.split(';').slice(0, -1)) {
          const l = appendLines.get(`${op.key}/${piece};`);
          if (l === undefined) continue;
          stats.seenAppends.push(l);
          appendLines.delete(`${op.key}/${piece};`);
        }
      return;
    case 'write':
    case 'put':
      state.set(op.key, op.value as string | number);
      return;
    case 'cas': {
      const [from, to] = op.value as [number, number];
      op.ok = cur === from;
      if (op.ok) state.set(op.key, to);
      return;
    }
    case 'append':
      state.set(op.key, `${typeof cur === 'string' ? cur : ''}${op.value as string}`);
      appendLines.set(`${op.key}/${op.value as string}`, op.line);
      return;
    case 'delete':
      state.delete(op.key);
      return;
  }
}

function format(o: GenHistoryOptions, process: number, type: string, f: F, key: number, value: Val): string {
  if (o.format === 'jsonl') return JSON.stringify({ process, type, f, ...(o.model === 'kv' ? { key: `k${key}` } : {}), value });
  const v = value === null ? 'nil' : Array.isArray(value) ? `[${value.join(' ')}]` : JSON.stringify(value);
  const k = o.model === 'kv' ? `, :key "k${key}"` : '';
  return `{:process ${process}, :type :${type}, :f :${f}${k}, :value ${v}}`;
}
