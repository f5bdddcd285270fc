// load: reads a log directory (instance logs, traces, run.json, summary.json), runs the checker
// on it, and builds the ReportData the page draws. Bad input throws CliError (cmd/exit.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkDir, type CheckResult } from '../../check/index.js';
import { linView, type LinView } from '../../check/lin/html.js';
import { HistoryError, readHistory, type LinResult, type Op } from '../../check/lin/index.js';
import { checkSequential, type ScResult } from '../../check/sc/index.js';
import { protocolNamed } from '../../processors/registry.js';
import { RealClock } from '../../runtime/clock.js';
import type { RankSeries } from '../../runtime/protocol.js';
import { inputError } from '../check.js';
import { checkFile, DEFAULT_MEMORY_LIMIT_MIB } from '../lin.js';
import { corruptError, fromSystemError, usageError } from '../exit.js';
import {
  binCommits,
  binFor,
  capMessages,
  commitTimes,
  faultSpans,
  isRankMessage,
  kvView,
  MAX_MESSAGES,
  pairMessages,
  parseTrace,
  roleSpans,
  TraceError,
  withKills,
  type KvView,
  type ReportData,
  type ResolvedFault,
  type RuleView,
  type TraceEvent,
} from './model.js';

interface RunRecord {
  readonly ranks?: number;
  readonly t?: number;
  readonly protocol?: string;
  readonly seed?: string;
  readonly startAtMs?: number;
  readonly simulated?: boolean;
  readonly resolved?: readonly ResolvedFault[];
}

/** RankInput is what one rank left in the directory. */
interface RankInput {
  readonly lines: string[];
  readonly trace: TraceEvent[] | undefined;
}

/** readDir checks the directory and reads every rank's log and trace; a directory without any is a usage error. */
function readDir(dir: string): { run: RunRecord; ranks: RankInput[] } {
  try {
    if (!statSync(dir).isDirectory()) throw usageError(`${dir}: not a directory`);
    const names = readdirSync(dir);
    const run = names.includes('run.json') ? (JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord) : {};
    const found = names.map((n) => /^(?:instancelog|trace)(\d+)\.(?:log|ndjson)$/.exec(n)?.[1]).filter((r) => r !== undefined);
    if (found.length === 0) throw usageError(`${dir}: no instancelog<rank>.log or trace<rank>.ndjson files: not a run's log directory`);
    const n = Math.max(run.ranks ?? 0, ...found.map((r) => Number(r) + 1));
    const ranks = Array.from({ length: n }, (_, r) => {
      const log = join(dir, `instancelog${r}.log`);
      const trace = join(dir, `trace${r}.ndjson`);
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return {
        lines: text === '' ? [] : text.replace(/\n$/, '').split('\n'),
        trace: existsSync(trace) ? parseTrace(readFileSync(trace, 'utf8'), trace) : undefined,
      };
    });
    return { run, ranks };
  } catch (e) {
    if (e instanceof TraceError) throw corruptError(e.message);
    if (e instanceof SyntaxError) throw corruptError(`${join(dir, 'run.json')}: not JSON (${e.message})`);
    throw fromSystemError(e, dir) ?? e;
  }
}

/** HISTORY: the client history `csplab kv run` writes beside the logs (docs/history.md). */
const HISTORY = 'history.jsonl';

/** LIN_LIMIT_S bounds the report's own `check --lin` search: a page should not wait as long as a grade may. */
const LIN_LIMIT_S = 30;

/** KvReport is a KV run's part of the page: the data the script draws and the checker's own view, embedded as it renders it. */
export interface KvReport {
  readonly view: KvView;
  readonly lin: LinView;
}

/** CheckedHistory is dir's history.jsonl as `csplab check --lin` checks it, with its ops. */
interface CheckedHistory {
  readonly ops: readonly Op[];
  readonly result: LinResult;
}

/** checkHistory checks dir's history.jsonl as `csplab check --lin` does; undefined when the run left none. */
async function checkHistory(dir: string): Promise<CheckedHistory | undefined> {
  const path = join(dir, HISTORY);
  if (!existsSync(path)) return undefined;
  const limits = { clock: new RealClock(), limitS: LIN_LIMIT_S, memoryMiB: DEFAULT_MEMORY_LIMIT_MIB };
  const outcome = await checkFile(path, 'kv', limits, true);
  if ('error' in outcome) throw corruptError(outcome.error);
  return { ops: outcome.ops ?? [], result: outcome.result };
}

/** kvReport: the lanes' data and the checker's own view (the same fragment `check --lin --html` writes). */
function kvReport(h: CheckedHistory, endMs: number): KvReport {
  const lin = linView([{ file: HISTORY, result: h.result }], (_, key) => h.ops.filter((o) => o.key === key), 'lin-t');
  const tabs = new Map(lin.tabs.map((t) => [t.key, t.id]));
  return { view: kvView(HISTORY, h.ops, h.result, tabs, endMs), lin };
}

/** lastOpMs: the latest time the history names (a client's last op may end after the ranks' last trace line). */
function lastOpMs(h: CheckedHistory | undefined): number {
  let last = 0;
  for (const o of h?.ops ?? []) last = Math.max(last, o.completeTime ?? o.invokeTime ?? 0);
  return last;
}

/**
 * tracedCommits: a rank's commits from its trace. A kill that tore a commit line (`tornWord`) lost
 * that line: the restarted rank recovers without it and commits it again, so the step before the
 * kill counts one fewer, as the instance log does.
 */
function tracedCommits(trace: readonly TraceEvent[]): { atMs: number; n: number }[] {
  const out: { atMs: number; n: number }[] = [];
  for (const e of trace) {
    if (e.ev === 'commit') out.push({ atMs: e.t, n: typeof e.n === 'number' ? e.n : 1 });
    const last = out.at(-1);
    if (e.ev === 'fault' && e.fault === 'kill' && e.tornWord === 'commit' && last !== undefined) last.n--;
  }
  return out.filter((c) => c.n > 0);
}

/** buildReport reads dir and returns what the page shows, and a KV run's checker view. */
export async function buildReport(dir: string): Promise<ReportData & { linView?: LinView }> {
  const { run, ranks } = readDir(dir);
  let check: CheckResult;
  try {
    check = await checkDir(dir, { ranks: ranks.length });
  } catch (e) {
    throw inputError(e) ?? e;
  }
  const hasTraces = ranks.some((r) => r.trace !== undefined);
  const logTimes = ranks.map((r) => commitTimes(r.lines));
  const firstUs = Math.min(...logTimes.flatMap((ts) => ts.slice(0, 1).map((x) => x.atUs)));
  // Round 0 is run.json's start (a real run); the simulator starts at its epoch, which its first line is near.
  const originMs = run.startAtMs ?? (Number.isFinite(firstUs) ? Math.floor(firstUs / 1000) : 0);
  const commitMs = ranks.map((r, i) =>
    r.trace ? tracedCommits(r.trace) : (logTimes[i] ?? []).map((x) => ({ atMs: x.atUs / 1000 - originMs, n: 1 })),
  );
  // A loop, not Math.max(...): a long run has more commits than a call has room for arguments.
  let lastMs = (run.t ?? 0) * 1000;
  for (const c of commitMs) for (const x of c) lastMs = Math.max(lastMs, x.atMs);
  for (const r of ranks) lastMs = Math.max(lastMs, r.trace?.at(-1)?.t ?? 0);
  const history = await checkHistory(dir);
  lastMs = Math.max(lastMs, lastOpMs(history));
  const durationMs = Math.max(1, Math.ceil(lastMs));
  const binMs = binFor(durationMs);
  const n = ranks.length;
  const paired = pairMessages(ranks.map((r) => (r.trace ?? []).filter((e) => isRankMessage(e, n))));
  const clientMessages = ranks.reduce((c, r) => c + (r.trace ?? []).filter((e) => !isRankMessage(e, n)).length, 0);
  const messages = capMessages(paired.messages, MAX_MESSAGES);
  const notes: string[] = [];
  if (!hasTraces)
    notes.push('no trace<rank>.ndjson files: no space-time diagram or roles (csplab sim, or csplab run --trace, writes traces)');
  ranks.forEach((r, i) => notes.push(...truncationNotes(i, r.trace ?? [])));
  if (clientMessages > 0)
    notes.push(`${clientMessages} sends and receives between ranks and clients are not drawn (the client lanes show the ops)`);
  if (paired.unpaired > 0) notes.push(`${paired.unpaired} receives had no matching send (duplicates) and are not drawn`);
  if (messages.length < paired.messages.length)
    notes.push(`the page carries ${messages.length} of ${paired.messages.length} messages, evenly sampled (cap ${MAX_MESSAGES})`);
  const kv = history && kvReport(history, durationMs);
  notes.push(...kvNotes(kv));
  const graded = run.protocol === undefined ? undefined : protocolNamed(run.protocol)?.gradedBy;
  const sc = graded?.sc === true && history !== undefined ? await scOf(dir) : undefined;
  const byHistory = graded === undefined ? undefined : historyGrade(run.protocol ?? '', kv, sc);
  if (byHistory !== undefined) notes.push(byHistory.note);
  return {
    title: `${run.protocol ?? 'run'}${run.simulated ? ' (simulated)' : ''}, ${ranks.length} ranks${run.seed ? `, seed ${run.seed}` : ''} — ${basename(resolve(dir))}`,
    ranks: ranks.length,
    durationMs,
    binMs,
    commits: commitMs.map((c) => binCommits(c, durationMs, binMs)),
    totalCommits: commitMs.map((c) => c.reduce((s, x) => s + x.n, 0)),
    roles: ranks.flatMap((r, i) => (r.trace ? roleSpans(i, withKills(i, r.trace, run.resolved ?? []), durationMs) : [])),
    faults: faultSpans(run.resolved ?? [], durationMs),
    messages,
    drops: paired.drops,
    messageCount: paired.messages.length,
    types: [...new Set(paired.messages.map((m) => m.type))].sort(),
    hasTraces,
    // A KV run passes only if its history is linearizable too (unknown: the rules decide).
    verdict: byHistory?.verdict ?? (kv?.view.verdict === 'not linearizable' ? 'fail' : check.verdict),
    rules:
      byHistory?.rules ??
      ruleViews(check, dir, (node, line) => {
        const hit = logTimes[node]?.find((x) => x.lineNo === line);
        return hit === undefined ? null : hit.atUs / 1000 - originMs;
      }),
    notes,
    kv: kv?.view ?? null,
    overTime: overTimeOf(run, ranks, originMs),
    ...(kv ? { linView: kv.lin } : {}),
  };
}

/**
 * overTimeOf: the protocol's count per rank over the run (its registry entry's overTime: Vectory's
 * mastered shards per node) from the instance logs and run.json's kills, in ms after round 0.
 */
function overTimeOf(run: RunRecord, ranks: readonly RankInput[], originMs: number): RankSeries | null {
  const overTime = run.protocol === undefined ? undefined : protocolNamed(run.protocol)?.overTime;
  if (overTime === undefined) return null;
  const downs = (run.resolved ?? [])
    .filter((f) => f.action === 'kill' && f.ignored !== true && typeof f.rank === 'number')
    .map((f) => ({ rank: f.rank ?? -1, atMs: originMs + (f.appliedAtMs ?? f.atMs ?? 0) }));
  const series = overTime(
    ranks.map((r) => r.lines),
    downs,
  );
  if (series.points.length === 0) return null;
  return { title: series.title, points: series.points.map((p) => ({ ...p, atMs: p.atMs - originMs })) };
}

/** scOf checks dir's history as `csplab check --sc` does. */
async function scOf(dir: string): Promise<ScResult> {
  try {
    return checkSequential(await readHistory(join(dir, HISTORY), 'kv'));
  } catch (e) {
    throw e instanceof HistoryError ? corruptError(`${HISTORY}: ${e.message}`) : (inputError(e) ?? e);
  }
}

/**
 * historyGrade: the verdict of a protocol graded by its client history (its entry's gradedBy):
 * the checks that ran, each a row where the instance-log rules would be, and a note saying so.
 * No history, no check: the run passes on nothing, and the note says that too.
 */
function historyGrade(
  protocol: string,
  kv: KvReport | undefined,
  sc: ScResult | undefined,
): { verdict: 'pass' | 'fail'; rules: RuleView[]; note: string } {
  const rules: RuleView[] = [];
  if (kv !== undefined) {
    const failing = kv.view.badKeys.map((k) => ({ text: `key ${k.key}: ${k.verdict}`, where: HISTORY, jumpMs: k.fromMs }));
    rules.push({
      rule: 'check --lin',
      name: 'writes and master reads, per key',
      verdict: kv.view.verdict === 'not linearizable' ? 'fail' : 'pass',
      findings: failing,
    });
  }
  if (sc !== undefined) {
    const found = sc.violations.map((v) => ({ text: v.text, where: HISTORY, jumpMs: null }));
    if (sc.more > 0) found.push({ text: `and ${sc.more} more`, where: '', jumpMs: null });
    rules.push({
      rule: 'check --sc',
      name: 'the whole history, in vts order',
      verdict: sc.verdict === 'sequentially consistent' ? 'pass' : 'fail',
      findings: found,
    });
  }
  const ran = rules.map((r) => r.rule).join(' and ');
  const note =
    rules.length === 0
      ? `${protocol}: graded by its client history, and this run left none (no ${HISTORY}): no check ran`
      : `${protocol}: graded by its client history (${ran}); the instance-log rules do not read its log lines`;
  return { verdict: rules.some((r) => r.verdict === 'fail') ? 'fail' : 'pass', rules, note };
}

/** kvNotes says what the history lanes leave out. */
function kvNotes(kv: KvReport | undefined): string[] {
  if (kv === undefined) return [];
  const v = kv.view;
  const placed = v.ops.length;
  const out: string[] = [];
  if (placed === 0 && v.opCount > 0) out.push(`${HISTORY} has no \`time\` on its lines: no client history lanes`);
  else if (placed < v.opCount) out.push(`the page carries ${placed} of ${v.opCount} client ops, evenly sampled (and every failing op)`);
  return out;
}

/** ruleViews lists each rule's findings with file:line and the time of the first commit line it names (for the diagram's jump). */
function ruleViews(check: CheckResult, dir: string, timeOf: (node: number, line: number) => number | null): RuleView[] {
  // The checker names files by path; inside the page of one directory the file name is enough.
  const short = (text: string): string => text.split(`${join(dir, '/')}`).join('');
  return check.rules.map((r) => ({
    rule: r.rule,
    name: r.name,
    verdict: r.verdict,
    findings: r.groups.flatMap((g) =>
      g.examples.length === 0
        ? [{ text: short(g.summary), where: '', jumpMs: null }]
        : g.examples.map((ex) => {
            const first = ex.at[0];
            return {
              text: short(`${g.severity === 'warning' ? 'warning: ' : ''}${ex.message}`),
              where: ex.at.map((l) => `${basename(l.file)}:${l.line}`).join(' '),
              jumpMs: first === undefined ? null : timeOf(first.node, first.line),
            };
          }),
    ),
  }));
}

/** truncationNotes: where a rank's trace hit its byte budget (docs/trace.md), so the page says what it lacks from then on. */
function truncationNotes(rank: number, trace: readonly TraceEvent[]): string[] {
  return trace
    .filter((e) => e.ev === 'truncated')
    .map((e) =>
      e.dropping === 'all'
        ? `rank ${rank}'s trace ends at ${Math.round(e.t)} ms: its hard size limit (docs/trace.md)`
        : `rank ${rank}'s trace has no messages or persists after ${Math.round(e.t)} ms: its size budget (docs/trace.md)`,
    );
}
