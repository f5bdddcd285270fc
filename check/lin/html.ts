// html: `--html out.html`, one self-contained page (inline CSS and SVG, no script, no network),
// and the same view as a fragment that `csplab report` embeds for a KV run (linView):
// a tab per key (CSS radio tabs), a lane per process, each op a bar from invoke to completion on
// the event axis, the longest linearizable prefix green with its linearization points, the
// failing ops red, ops that may not have happened (:info, never completed) dashed to the end.
import { show, type Op } from './history.js';
import type { KeyResult, LinResult } from './index.js';
import { describeOp } from './report.js';
import { showState } from './models.js';

/** MAX_TABS and MAX_OPS keep the page small: failing keys first, then the rest up to the cap. */
const MAX_TABS = 60;
const MAX_OPS = 3000;
const LANE = 30;
const LEFT = 110;
const WIDTH = 1100;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface Checked {
  readonly file: string;
  readonly result: LinResult;
}

/** LinView is the checker's view as a fragment, for `--html`'s own page or another page (csplab report) to embed. */
export interface LinView {
  /** css: every rule scoped to `.lin`, so a host page's own styles and controls are left alone. */
  readonly css: string;
  readonly html: string;
  /** tabs: which radio input (by id) shows which file's key, so a host page can switch to a key. */
  readonly tabs: readonly { readonly file: string; readonly key: string; readonly id: string; readonly bad: boolean }[];
}

const CSS = `.lin input{display:none}.lin section{display:none}
.lin .labels label{display:inline-block;padding:4px 8px;margin:2px;border:1px solid #999;cursor:pointer}
.lin .bad{color:#b00;font-weight:bold}.lin .good{color:#070}
.lin rect.op{fill:#ccc;stroke:#666}.lin rect.pre{fill:#9d9;stroke:#393}.lin rect.fail{fill:#f99;stroke:#b00;stroke-width:2}
.lin rect.maybe{stroke-dasharray:4 3;fill-opacity:.5}.lin circle{fill:#060;stroke:#fff;stroke-width:1.5}.lin text{font-size:11px}
.lin rect.stripe{fill:#fff}.lin rect.stripe:nth-of-type(2n){fill:#f4f4f4}.lin text.lane{font-weight:bold}.lin .axis line{stroke:#888}.lin .axis text{fill:#555}
.lin .lin-legend{color:#333}.lin .lin-legend .sw{display:inline-block;width:22px;height:11px;margin:0 4px 0 12px;background:#ccc;border:1px solid #666;vertical-align:-1px}
.lin .lin-legend .sw.pre{background:#9d9;border-color:#393}.lin .lin-legend .sw.fail{background:#f99;border:2px solid #b00}.lin .lin-legend .sw.maybe{border-style:dashed;background:#e6e6e6}
.lin .lin-legend .dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:#060;margin:0 4px 0 12px}`;

/** linView draws every checked file's keys as tabs (failing keys first); idPrefix keeps its ids apart from a host page's. */
export function linView(files: readonly Checked[], all: (file: string, key: string) => readonly Op[] = () => [], idPrefix = 't'): LinView {
  const tabs: { file: string; key: string; id: string; label: string; body: string; bad: boolean }[] = [];
  for (const { file, result } of files) {
    const ranked = [...result.keys].sort((a, b) => Number(a.verdict === 'linearizable') - Number(b.verdict === 'linearizable'));
    for (const k of ranked.slice(0, MAX_TABS)) {
      const label = `${file}${k.key === '' ? '' : ` · ${k.key}`}`;
      const bad = k.verdict !== 'linearizable';
      tabs.push({ file, key: k.key, id: `${idPrefix}${tabs.length}`, label, body: keySection(result, k, all(file, k.key)), bad });
    }
  }
  const inputs = tabs.map((t, i) => `<input type="radio" name="${idPrefix}tab" id="${t.id}"${i === 0 ? ' checked' : ''}>`).join('');
  const labels = tabs.map((t) => `<label for="${t.id}" class="${t.bad ? 'bad' : 'good'}">${esc(t.label)}</label>`).join('');
  const bodies = tabs.map((t) => `<section class="${t.id}">${t.body}</section>`).join('\n');
  const show1 = tabs.map((t) => `.lin #${t.id}:checked~.bodies .${t.id}`).join(',');
  const on = tabs.map((t) => `.lin #${t.id}:checked~.labels label[for=${t.id}]`).join(',');
  return {
    css: `${CSS}\n${show1 || 'x'}{display:block}${on || 'x'}{background:#ddd}`,
    html: `<div class="lin">${inputs}<div class="labels">${labels}</div><div class="bodies">${bodies}</div>
<p>Bars run from invoke to completion in event order (line order); hover a bar for its op, lines and times.
Red: a set of ops that cannot be linearized together (minimal unless the report says otherwise).</p></div>`,
    tabs: tabs.map(({ file, key, id, bad }) => ({ file, key, id, bad })),
  };
}

/** renderHtml is `--html`'s page: the view alone. */
export function renderHtml(files: readonly Checked[], all: (file: string, key: string) => readonly Op[] = () => []): string {
  const v = linView(files, all);
  return `<!doctype html><html><head><meta charset="utf-8"><title>csplab check --lin</title><style>
body{font:13px system-ui,sans-serif;margin:16px}
${v.css}
</style></head><body><h1>csplab check --lin</h1>${v.html}
</body></html>
`;
}

function failingHead(k: KeyResult): string {
  if (k.failing.length === 0)
    return k.verdict === 'unknown' ? `<p>Undecided: the search reached its ${esc(k.limit ?? 'time limit')}.</p>` : '';
  const minimal = k.minimal ? '' : ' (shrinking ran out of its budget: the set may not be minimal)';
  return `<p>${k.failing.length === 1 ? 'This op cannot be linearized' : `These ${k.failing.length} ops cannot be linearized together`}${minimal}:</p>`;
}

function keySection(r: LinResult, k: KeyResult, allOps: readonly Op[]): string {
  const head = `<h2>${esc(k.key === '' ? 'register' : `key ${k.key}`)}: ${esc(k.verdict)}</h2>`;
  const ops = [...new Map([...allOps, ...k.order, ...k.failing].map((o) => [o.id, o])).values()].sort((a, b) => a.id - b.id);
  const note =
    k.verdict === 'linearizable'
      ? `<p>${k.ops} ops; ${k.path === 'fast' ? 'decided by the unique-values fast path (no linearization drawn)' : 'a linearization is drawn'}.</p>`
      : `<p>Longest linearizable prefix: ${k.order.length} ops, ending in state ${esc(showState(r.model, k.state))}.</p>${failingHead(k)}<ul>${k.failing
          .map((o) => `<li>${esc(describeOp(o))}</li>`)
          .join('')}</ul>`;
  return head + note + lanes(ops.slice(0, MAX_OPS), k);
}

/** LEGEND says what the drawing's colours and marks mean, above every key's lanes. */
const LEGEND =
  '<p class="lin-legend"><span class="sw pre"></span>longest linearizable prefix <span class="sw fail"></span>failing set ' +
  '<span class="sw"></span>other ops <span class="sw maybe"></span>may not have happened (:info, open) ' +
  '<span class="dot"></span>linearization point</p>';

/** CHAR_PX: the width of one character of a bar's label (11px system-ui), to cut labels to their bar. */
const CHAR_PX = 6.4;

function fit(label: string, px: number): string {
  const n = Math.floor((px - 6) / CHAR_PX);
  return n >= label.length ? label : n < 2 ? '' : `${label.slice(0, n - 1)}…`;
}

/** byProcess orders lanes by process: numerically when both are numbers. */
function byProcess(a: string, b: string): number {
  const na = Number(a),
    nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

function lanes(ops: readonly Op[], k: KeyResult): string {
  if (ops.length === 0) return '';
  const procs = [...new Set(ops.map((o) => String(o.process)))].sort(byProcess);
  const lo = Math.min(...ops.map((o) => o.invokeOrd));
  const hi = Math.max(...ops.map((o) => (o.completeOrd === Infinity ? o.invokeOrd : o.completeOrd))) + 1;
  const x = (ord: number): number => LEFT + ((Math.min(ord, hi) - lo) / Math.max(1, hi - lo)) * (WIDTH - LEFT - 10);
  const pre = new Set(k.order.map((o) => o.id));
  const failing = new Set(k.failing.map((o) => o.id));
  const parts: string[] = procs.map(
    (p, i) =>
      `<rect class="stripe" x="0" y="${i * LANE}" width="${WIDTH}" height="${LANE}"/><text class="lane" x="4" y="${i * LANE + 19}">process ${esc(p)}</text>`,
  );
  const yOf = (o: Op): number => procs.indexOf(String(o.process)) * LANE + 5;
  for (const o of ops) {
    const cls = `op${pre.has(o.id) ? ' pre' : ''}${failing.has(o.id) ? ' fail' : ''}${o.completeOrd === Infinity ? ' maybe' : ''}`;
    const x0 = x(o.invokeOrd),
      x1 = Math.max(x0 + 6, x(o.completeOrd === Infinity ? hi : o.completeOrd));
    const label = fit(o.f === 'read' || o.f === 'get' ? `${o.f} ${show(o.output)}` : `${o.f} ${show(o.arg)}`, x1 - x0);
    parts.push(
      `<rect class="${cls}" x="${x0.toFixed(1)}" y="${yOf(o)}" width="${(x1 - x0).toFixed(1)}" height="${LANE - 10}"><title>${esc(describeOp(o))}</title></rect>`,
      label === '' ? '' : `<text x="${(x0 + 3).toFixed(1)}" y="${yOf(o) + 14}">${esc(label)}</text>`,
    );
  }
  // Linearization points: each op of the prefix at the earliest moment after its predecessor's,
  // drawn on the bar's top edge so they do not cover its label.
  let at = -Infinity;
  for (const o of k.order) {
    at = Math.max(at, o.invokeOrd + 0.5);
    parts.push(`<circle cx="${x(at).toFixed(1)}" cy="${yOf(o)}" r="3.5"><title>${esc(describeOp(o))}</title></circle>`);
    at += 0.01;
  }
  const height = procs.length * LANE;
  return `${LEGEND}<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + 34}">${parts.join('')}${axis(ops, x, height)}</svg>`;
}

/** axis: the history's line numbers under the lanes, at up to 10 event positions. */
function axis(ops: readonly Op[], x: (ord: number) => number, y: number): string {
  const lineAt = new Map<number, number>();
  for (const o of ops) {
    lineAt.set(o.invokeOrd, o.invokeLine);
    if (o.completeOrd !== Infinity && o.completeLine !== undefined) lineAt.set(o.completeOrd, o.completeLine);
  }
  const ords = [...lineAt.keys()].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(ords.length / 10));
  const ticks = ords
    .filter((_, i) => i % every === 0)
    .map(
      (ord) =>
        `<line x1="${x(ord).toFixed(1)}" x2="${x(ord).toFixed(1)}" y1="${y}" y2="${y + 5}"/><text x="${x(ord).toFixed(1)}" y="${y + 17}" text-anchor="middle">${lineAt.get(ord) ?? ''}</text>`,
    );
  return `<g class="axis"><line x1="${LEFT}" x2="${WIDTH - 10}" y1="${y}" y2="${y}"/>${ticks.join('')}<text x="4" y="${y + 17}">history line →</text></g>`;
}
