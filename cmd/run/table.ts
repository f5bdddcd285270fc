// table: the end-of-run summary, one row per rank; a rank that died unplanned fails the run.
// Beside the commits: the protocol's own columns (its registry entry's, from each rank's summary
// event: TRaft's out-of-order and held-back commits), a column per partition or cut with what each rank committed while it held, and a line per
// fault saying when it hit which rank (docs/faults.md).
import type { RankSeries, SummaryColumn } from '../../runtime/protocol.js';
import type { RankProc } from './launcher.js';

/** FaultWindow: one fault as it fired, with per-rank commits while it held (partitions and cuts). */
export interface FaultLine {
  action: string;
  target: string;
  rank: number | null;
  atMs: number;
  untilMs?: number;
  groups?: number[][];
  from?: number[];
  to?: number[];
  ignored?: true;
  /** during: per rank, commits logged while it held (partitions and cuts only). */
  during?: number[];
}

function statusOf(p: RankProc): { status: string; failed: boolean } {
  if (p.incarnation < 0) return { status: 'never started', failed: false };
  if (p.state === 'killed') return { status: 'killed (planned)', failed: false }; // only a fault kills
  if (p.exitCode === 0) return { status: 'ok', failed: false };
  const why = p.errorLine ?? p.lastLine; // its `csplab: …` line, not the "Try --help" after it
  return { status: p.signal ? `died: ${p.signal}` : `exit ${p.exitCode}${why ? ` — ${why}` : ''}`, failed: true };
}

/** describeFault is one fault in words, with the rank a leader/killed target resolved to. */
export function describeFault(f: FaultLine): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  const when = f.untilMs !== undefined ? `${s(f.atMs)}–${s(f.untilMs)}` : s(f.atMs);
  const who = f.groups
    ? f.groups.map((g) => g.join(',')).join(' | ')
    : f.from
      ? `${f.from.join(',')} > ${(f.to ?? []).join(',')}`
      : `rank ${f.rank ?? '?'}`;
  const resolved = f.target !== 'rank' ? ` (${f.target}${f.rank === null ? ': none known, skipped' : ` = rank ${f.rank}`})` : '';
  return `${when} ${f.action} ${who}${resolved}${f.ignored ? ' (ignored)' : ''}`;
}

export function formatTable(
  procs: readonly RankProc[],
  testSeconds: number,
  faults: readonly FaultLine[] = [],
  columns: readonly SummaryColumn[] = [],
): { table: string; failed: boolean } {
  let failed = false;
  const windows = faults.filter((f) => f.during !== undefined);
  const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '-');
  const rows = procs.map((p) => {
    const { status, failed: bad } = statusOf(p);
    failed ||= bad;
    const rate = (p.commits / testSeconds).toFixed(0);
    const extra = [
      ...columns.map((c) => num(p.summary?.[c.key]).padStart(c.header.length)),
      ...windows.map((w, i) => num(w.during?.[p.rank]).padStart(`during #${i + 1}`.length)),
    ];
    return [
      String(p.rank).padStart(4),
      String(p.incarnation < 0 ? '-' : p.incarnation).padStart(11),
      String(p.commits).padStart(8),
      rate.padStart(9),
      ...extra,
      status,
    ].join('  ');
  });
  const head = [
    'rank',
    'incarnation',
    ' commits',
    'commits/s',
    ...columns.map((c) => c.header),
    ...windows.map((_, i) => `during #${i + 1}`),
    'status',
  ].join('  ');
  const legend = faults.map((f) => `fault ${windows.includes(f) ? `#${windows.indexOf(f) + 1}` : '-'}: ${describeFault(f)}`);
  return { table: `${head}\n${rows.join('\n')}\n${legend.map((l) => `${l}\n`).join('')}`, failed };
}

/**
 * stallWarning: one line when the run's load window passed and no rank logged a single commit.
 * The run itself may be fine by the rules (an empty log breaks none of them, so `check` passes),
 * but a user reading "ok" on every row would miss that the cluster never made progress: ranks
 * starved of CPU for the whole window, a leader never elected, a schedule that cut every link.
 */
export function stallWarning(procs: readonly RankProc[], testSeconds: number): string | undefined {
  const started = procs.filter((p) => p.incarnation >= 0);
  if (testSeconds <= 0 || started.length === 0 || started.some((p) => p.commits > 0)) return undefined;
  return (
    `csplab: warning: no rank committed anything in ${testSeconds} s of load (empty logs break no rule, so check ` +
    'passes): was -t shorter than an election, were the ranks starved of CPU, or was every link cut?\n'
  );
}

/** SERIES_ROWS caps the series' rows in the end table (summary.json keeps every point). */
const SERIES_ROWS = 40;

/**
 * formatSeries: a protocol's count per rank over the run (RankSeries, times already ms after the
 * start), one row per 250 ms in which it changed, the state at that slice's end: compact enough to
 * read balance happening (Vectory: mastered shards per node) without a chart.
 */
export function formatSeries(series: RankSeries, ranks: number): string {
  const slices: RankSeries['points'][number][] = [];
  for (const p of series.points) {
    const last = slices.at(-1);
    if (last !== undefined && Math.floor(last.atMs / 250) === Math.floor(p.atMs / 250)) slices.pop();
    slices.push(p);
  }
  const rows = slices.map((p) => {
    const counts = Array.from({ length: ranks }, (_, r) => String(p.perRank[r] ?? 0).padStart(3)).join('');
    return `${(p.atMs / 1000).toFixed(2).padStart(8)} s ${counts}${p.none > 0 ? `   ${p.none} with none` : ''}`;
  });
  const shown =
    rows.length > SERIES_ROWS
      ? [...rows.slice(0, SERIES_ROWS - 1), `  … ${rows.length - SERIES_ROWS + 1} rows more in summary.json`]
      : rows;
  const head = `${series.title} over time (s after the start; rank ${Array.from({ length: ranks }, (_, r) => r).join(' ')}):`;
  return `${head}\n${shown.join('\n')}\n`;
}
