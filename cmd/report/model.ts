// model: what the report page draws, built from a run's logs and traces (docs/report.md). Pure
// functions of text already read, so the tests feed them lines; load.ts does the reading. The
// page (web/report.ts) receives a ReportData as JSON and mirrors these types by hand: it is a
// DOM script compiled on its own and cannot import from here.
import type { RankSeries } from '../../runtime/protocol.js';
import { show, type Op, type Outcome, type Value } from '../../check/lin/history.js';
import type { KeyResult, LinResult } from '../../check/lin/index.js';

/** MessageEnd: where a message's arrow ends — its receive, a drop, or nothing seen (the run ended first). */
export interface Message {
  readonly from: number;
  readonly to: number;
  readonly type: string;
  readonly sendMs: number;
  /** recvMs: when the receiver stepped on it; null if no receive was traced. */
  readonly recvMs: number | null;
  readonly round?: number;
  readonly seq?: readonly [number, number];
  readonly size?: number;
}

/** RoleSpan is a stretch of one rank's life in one role and round; `down` before its start and while killed or crashed, `stopped` once done, `up` from a start until its first role. */
export interface RoleSpan {
  readonly rank: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly role: string;
  readonly round: number | null;
}

/** FaultSpan is one fault window (an instant fault has fromMs = toMs); rank null: it hit the network, not one rank. */
export interface FaultSpan {
  readonly kind: string;
  readonly rank: number | null;
  readonly fromMs: number;
  readonly toMs: number;
  readonly note: string;
}

/** DropMark is a message the network lost, drawn as a cross on its sender's lane. */
export interface DropMark {
  readonly from: number;
  readonly to: number;
  readonly atMs: number;
  readonly reason: string;
}

/** RuleView is one checker rule as the page lists it; jumpMs lets the diagram go to an offending commit. */
export interface RuleView {
  /** rule: the instance-log rule's number, or the history check that graded the run (`check --sc`). */
  readonly rule: number | string;
  readonly name: string;
  readonly verdict: 'pass' | 'fail';
  readonly findings: readonly { readonly text: string; readonly where: string; readonly jumpMs: number | null }[];
}

export interface ReportData {
  readonly title: string;
  readonly ranks: number;
  readonly durationMs: number;
  readonly binMs: number;
  /** commits[rank][bin]: commit lines in that bin. */
  readonly commits: readonly (readonly number[])[];
  readonly totalCommits: readonly number[];
  readonly roles: readonly RoleSpan[];
  readonly faults: readonly FaultSpan[];
  readonly messages: readonly Message[];
  readonly drops: readonly DropMark[];
  /** messageCount: messages traced; more than messages.length when the cap cut some. */
  readonly messageCount: number;
  readonly types: readonly string[];
  readonly hasTraces: boolean;
  readonly verdict: 'pass' | 'fail';
  readonly rules: readonly RuleView[];
  readonly notes: readonly string[];
  /** kv: a KV run's client history (history.jsonl) and `check --lin`'s result; null for other runs. */
  readonly kv: KvView | null;
  /** overTime: the protocol's count per rank over the run (Vectory: mastered shards per node), ms after round 0; null if it has none. */
  readonly overTime: RankSeries | null;
}

/** MAX_MESSAGES caps the messages a page carries (about 100 bytes of JSON each): a long run's report stays a few MB. */
export const MAX_MESSAGES = 50_000;

/** TraceEvent is one line of a trace: `t` (ms after round 0), `ev`, and the fields docs/trace.md lists for it. */
export interface TraceEvent {
  readonly t: number;
  readonly ev: string;
  readonly [field: string]: unknown;
}

/** TraceError is a trace line that is not a trace event: the page would silently lie, so the report refuses it. */
export class TraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

/** parseTrace reads one rank's trace; a line that is not a JSON object with numeric `t` and string `ev` is a TraceError naming name:line. */
export function parseTrace(text: string, name: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    const e = v as Partial<TraceEvent> | undefined;
    if (typeof e !== 'object' || e === null || typeof e.t !== 'number' || !Number.isFinite(e.t) || typeof e.ev !== 'string')
      throw new TraceError(`${name}:${i + 1}: not a trace event (want a JSON object with numeric "t" and string "ev", docs/trace.md)`);
    events.push(e as TraceEvent);
  });
  return events;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** binCommits counts commit times (ms) into bins of binMs over [0, durationMs]; times outside land in the first or last bin. */
export function binCommits(times: readonly { atMs: number; n: number }[], durationMs: number, binMs: number): number[] {
  const bins = new Array<number>(Math.max(1, Math.ceil(durationMs / binMs))).fill(0);
  for (const { atMs, n } of times) {
    const i = Math.min(bins.length - 1, Math.max(0, Math.floor(atMs / binMs)));
    bins[i] = (bins[i] ?? 0) + n;
  }
  return bins;
}

/** binFor picks a bin width that gives 50–200 points over the run, at a round number of ms. */
export function binFor(durationMs: number): number {
  for (const b of [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000]) if (durationMs / b <= 200) return b;
  return 60_000;
}

/** roleSpans turns one rank's start/role/kill/stop events into spans up to endMs. */
export function roleSpans(rank: number, events: readonly TraceEvent[], endMs: number): RoleSpan[] {
  const spans: RoleSpan[] = [];
  let cur: { fromMs: number; role: string; round: number | null } = { fromMs: 0, role: 'down', round: null };
  const open = (atMs: number, role: string, round: number | null): void => {
    if (atMs > cur.fromMs) spans.push({ rank, ...cur, toMs: atMs });
    cur = { fromMs: atMs, role, round };
  };
  for (const e of events) {
    if (e.ev === 'role') open(e.t, typeof e.role === 'string' ? e.role : '?', num(e.round) ?? null);
    else if (e.ev === 'start') open(e.t, 'up', null);
    else if (e.ev === 'stop') open(e.t, 'stopped', null);
    else if (e.ev === 'crash' || (e.ev === 'fault' && e.fault === 'kill')) open(e.t, 'down', null);
  }
  open(Math.max(endMs, cur.fromMs), cur.role, null);
  return spans;
}

/**
 * withKills adds to a rank's trace the kills the schedule applied to it, when the trace has none:
 * a real rank killed by SIGKILL cannot write its own death (the simulator traces it), and its
 * role lane would otherwise stay in its last role until the restart.
 */
export function withKills(rank: number, events: readonly TraceEvent[], resolved: readonly ResolvedFault[]): TraceEvent[] {
  if (events.some((e) => e.ev === 'crash' || (e.ev === 'fault' && e.fault === 'kill'))) return [...events];
  const kills = resolved
    .filter((f) => f.action === 'kill' && f.rank === rank && f.ignored !== true)
    .map((f): TraceEvent => ({ t: f.appliedAtMs ?? f.atMs ?? 0, ev: 'fault', fault: 'kill' }));
  // Stable: a kill at the same ms as a traced event goes after it.
  return [...events, ...kills].sort((a, b) => a.t - b.t);
}

/** isRankMessage: both ends are ranks; a KV store's clients (ids far above the ranks) have the history lanes instead. */
export function isRankMessage(e: TraceEvent, ranks: number): boolean {
  if (e.ev !== 'send' && e.ev !== 'recv') return true;
  const inRange = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v < ranks;
  return inRange(e.from) && inRange(e.to);
}

/** messageKey pairs a send with its receive: the same sender, receiver, type, round and seq range. */
function messageKey(e: TraceEvent): string {
  return `${String(e.from)}>${String(e.to)}|${String(e.type)}|${String(e.round)}|${JSON.stringify(e.seq ?? null)}`;
}

/**
 * pairMessages matches each traced send with the first later receive of the same key, in send
 * order (a link delivers a key's copies in order; a reordering link may pair two of them the
 * other way round, which the diagram cannot tell apart). Receives without a send (duplicates)
 * are left out and counted.
 */
export function pairMessages(traces: readonly (readonly TraceEvent[])[]): { messages: Message[]; drops: DropMark[]; unpaired: number } {
  const sends: TraceEvent[] = [];
  const recvs: TraceEvent[] = [];
  const drops: DropMark[] = [];
  for (const events of traces)
    for (const e of events) {
      if (e.ev === 'send') sends.push(e);
      else if (e.ev === 'recv') recvs.push(e);
      else if (e.ev === 'drop') drops.push({ from: num(e.from) ?? -1, to: num(e.to) ?? -1, atMs: e.t, reason: String(e.reason) });
    }
  sends.sort((a, b) => a.t - b.t);
  recvs.sort((a, b) => a.t - b.t);
  const waiting = new Map<string, { e: TraceEvent; recvMs: number | null }[]>();
  const out = sends.map((e) => {
    const m = { e, recvMs: null as number | null };
    const k = messageKey(e);
    const q = waiting.get(k);
    if (q) q.push(m);
    else waiting.set(k, [m]);
    return m;
  });
  let unpaired = 0;
  for (const r of recvs) {
    const q = waiting.get(messageKey(r));
    const m = q?.[0];
    if (q && m && m.e.t <= r.t) {
      m.recvMs = r.t;
      q.shift();
    } else unpaired++;
  }
  return { messages: out.map(({ e, recvMs }) => toMessage(e, recvMs)), drops, unpaired };
}

function toMessage(e: TraceEvent, recvMs: number | null): Message {
  const seq = Array.isArray(e.seq) && e.seq.length === 2 ? ([Number(e.seq[0]), Number(e.seq[1])] as const) : undefined;
  const round = num(e.round);
  const size = num(e.size);
  return {
    from: num(e.from) ?? -1,
    to: num(e.to) ?? -1,
    type: typeof e.type === 'string' ? e.type : '?',
    sendMs: e.t,
    recvMs,
    ...(round !== undefined ? { round } : {}),
    ...(seq ? { seq } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}

/** capMessages keeps every k-th message so at most max remain, spread over the whole run rather than its first seconds. */
export function capMessages<T>(messages: readonly T[], max: number): T[] {
  if (messages.length <= max) return [...messages];
  const step = messages.length / max;
  return Array.from({ length: max }, (_, i) => messages[Math.floor(i * step)] as T);
}

/** ResolvedFault is a fault as run.json's `resolved` records it (real runs: appliedAtMs, resumedAtMs; the simulator: atMs). */
export interface ResolvedFault {
  readonly action: string;
  readonly rank?: number | null;
  readonly atMs?: number;
  readonly appliedAtMs?: number;
  readonly resumedAtMs?: number;
  readonly untilMs?: number;
  readonly ignored?: boolean;
  readonly groups?: readonly (readonly number[])[];
  readonly from?: readonly number[];
  readonly to?: readonly number[];
}

/** faultSpans turns the resolved schedule into windows: a kill lasts until that rank's next restart (or the end), a pause until it resumed. */
export function faultSpans(resolved: readonly ResolvedFault[], endMs: number): FaultSpan[] {
  const at = (f: ResolvedFault): number => f.appliedAtMs ?? f.atMs ?? 0;
  const live = resolved.filter((f) => f.ignored !== true && f.action !== 'restart' && f.action !== 'start' && f.action !== 'resume');
  return live.map((f) => {
    const fromMs = at(f);
    const rank = f.rank ?? null;
    let toMs = f.untilMs ?? f.resumedAtMs;
    const until = (action: string): number => {
      const g = resolved.find((x) => x.action === action && x.rank === rank && at(x) >= fromMs);
      return g === undefined ? endMs : at(g);
    };
    if (f.action === 'kill') toMs = until('restart');
    if (toMs === undefined && f.action === 'pause') toMs = until('resume');
    const note = f.groups
      ? f.groups.map((g) => g.join(',')).join(' | ')
      : f.from && f.to
        ? `${f.from.join(',')} ↛ ${f.to.join(',')}`
        : rank === null
          ? ''
          : `rank ${rank}`;
    return { kind: f.action, rank, fromMs, toMs: Math.max(fromMs, toMs ?? fromMs), note };
  });
}

/** COMMIT_AT reads the time of a commit line: `commit Instance[KEY] in seq N at T`, T in integer µs since the epoch. */
const COMMIT_AT = /commit Instance\[.*\] in seq \d+ at (\d+)\s*$/;
/** GO_COMMIT_AT reads the Go reference's `at 2026-11-23 00:15:39.612345678 +0000 UTC m=+1.23` (Go's time.Time String). */
const GO_COMMIT_AT = /commit Instance\[.*\] in seq \d+ at (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d\d)(\d\d)/;

/** atUsOf reads a commit line's time in µs since the epoch, in our format or the Go reference's; undefined for any other line. */
function atUsOf(line: string): number | undefined {
  const m = COMMIT_AT.exec(line);
  if (m?.[1] !== undefined) return Number(m[1]);
  const g = GO_COMMIT_AT.exec(line);
  if (g === null) return undefined;
  const [, day, time, frac, zh, zm] = g;
  const ms = Date.parse(`${day}T${time}${zh}:${zm}`);
  // Date.parse stops at ms; the fraction's first six digits are the µs.
  return Number.isFinite(ms) ? ms * 1000 + Number((frac ?? '').padEnd(6, '0').slice(0, 6)) : undefined;
}

/** commitTimes reads the µs timestamps of a log's commit lines; lines without a readable time give no point. */
export function commitTimes(lines: readonly string[]): { lineNo: number; atUs: number }[] {
  const out: { lineNo: number; atUs: number }[] = [];
  lines.forEach((l, i) => {
    const atUs = atUsOf(l);
    if (atUs !== undefined) out.push({ lineNo: i + 1, atUs });
  });
  return out;
}

/** ClientOp is one client op as the history lanes draw it: invoke to completion, in ms after round 0. */
export interface ClientOp {
  readonly process: string;
  readonly f: string;
  readonly key: string;
  /** value: the put's value, or what an ok get returned. */
  readonly value: string;
  readonly outcome: Outcome;
  readonly invokeMs: number;
  /** completeMs: null for an op that never completed (open); an :info op ends at its :info line. */
  readonly completeMs: number | null;
  /** failing: in the checker's failing set of a key that is not linearizable. */
  readonly failing: boolean;
}

/** LinKeyView is a key `check --lin` did not find linearizable, with the window its failing ops span (the page jumps there). */
export interface LinKeyView {
  readonly key: string;
  readonly verdict: KeyResult['verdict'];
  readonly ops: number;
  readonly failing: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** tab: the id of the radio input that shows this key in the embedded checker view. */
  readonly tab: string | null;
}

/** KvView is a KV run's client history and its `check --lin` result. */
export interface KvView {
  readonly file: string;
  readonly verdict: LinResult['verdict'];
  readonly processes: readonly string[];
  /** ops: at most MAX_CLIENT_OPS, evenly sampled, plus every failing op; opCount counts them all. */
  readonly ops: readonly ClientOp[];
  readonly opCount: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly keyCount: number;
  readonly badKeys: readonly LinKeyView[];
}

/** MAX_CLIENT_OPS caps the client ops a page carries (about 120 bytes of JSON each). */
export const MAX_CLIENT_OPS = 50_000;

/** byProcess orders client lanes numerically when both are numbers. */
function byProcess(a: string, b: string): number {
  const na = Number(a),
    nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/** plain shows a value as the history wrote it: a string without quotes (the hover labels it). */
const plain = (v: Value): string => (typeof v === 'string' ? v : show(v));

/** clientOp places one op on the run's time axis; undefined when the history line had no `time`. */
function clientOp(o: Op, failing: boolean): ClientOp | undefined {
  if (o.invokeTime === undefined) return undefined;
  const read = o.f === 'get' || o.f === 'read';
  return {
    process: String(o.process),
    f: o.f,
    key: o.key,
    value: read ? (o.outcome === 'ok' ? plain(o.output) : '') : plain(o.arg),
    outcome: o.outcome,
    invokeMs: o.invokeTime,
    completeMs: o.completeTime ?? null,
    failing,
  };
}

/**
 * kvView builds the history lanes and the verdict from a checked history: tabs maps a key to
 * its tab in the embedded checker view. A key's window is its failing ops' span (all its ops'
 * when the checker could not name them); an op with no completion ends at endMs.
 */
export function kvView(
  file: string,
  ops: readonly Op[],
  r: LinResult,
  tabs: ReadonlyMap<string, string>,
  endMs: number,
  max = MAX_CLIENT_OPS,
): KvView {
  const failing = new Set(r.keys.flatMap((k) => k.failing.map((o) => o.id)));
  const placed = ops.flatMap((o) => clientOp(o, failing.has(o.id)) ?? []);
  const kept = capMessages(placed, max);
  if (kept.length < placed.length) kept.push(...placed.filter((o) => o.failing && !kept.includes(o)));
  const outcomes: Record<Outcome, number> = { ok: 0, fail: 0, info: 0, open: 0 };
  for (const o of ops) outcomes[o.outcome]++;
  const badKeys = r.keys
    .filter((k) => k.verdict !== 'linearizable')
    .map((k) => {
      const named = k.failing.length > 0 ? k.failing : ops.filter((o) => o.key === k.key);
      let fromMs = Infinity,
        toMs = -Infinity;
      for (const o of named) {
        fromMs = Math.min(fromMs, o.invokeTime ?? Infinity);
        toMs = Math.max(toMs, o.completeTime ?? endMs);
      }
      return {
        key: k.key,
        verdict: k.verdict,
        ops: k.ops,
        failing: k.failing.length,
        fromMs: Number.isFinite(fromMs) ? fromMs : 0,
        toMs: Number.isFinite(toMs) ? toMs : endMs,
        tab: tabs.get(k.key) ?? null,
      };
    });
  return {
    file,
    verdict: r.verdict,
    processes: [...new Set(ops.map((o) => String(o.process)))].sort(byProcess),
    ops: kept,
    opCount: ops.length,
    outcomes,
    keyCount: r.keys.length,
    badKeys,
  };
}
