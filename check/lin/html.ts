// html: `--html out.html`, one self-contained page (inline CSS and SVG, no script, no network):
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
const LANE = 26;
const LEFT = 110;
const WIDTH = 1100;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Checked {
  readonly file: string;
  readonly result: LinResult;
}

/** renderHtml draws every checked file's keys on one page. */
export function renderHtml(files: readonly Checked[], all: (file: string, key: string) => readonly Op[] = () => []): string {
  const tabs: { id: string; label: string; body: string; bad: boolean }[] = [];
  for (const { file, result } of files) {
    const ranked = [...result.keys].sort((a, b) => Number(a.verdict === 'linearizable') - Number(b.verdict === 'linearizable'));
    for (const k of ranked.slice(0, MAX_TABS)) {
      const label = `${file}${k.key === '' ? '' : ` · ${k.key}`}`;
      tabs.push({ id: `t${tabs.length}`, label, body: keySection(result, k, all(file, k.key)), bad: k.verdict !== 'linearizable' });
    }
  }
  const inputs = tabs.map((t, i) => `<input type="radio" name="tab" id="${t.id}"${i === 0 ? ' checked' : ''}>`).join('');
  const labels = tabs.map((t) => `<label for="${t.id}" class="${t.bad ? 'bad' : 'good'}">${esc(t.label)}</label>`).join('');
  const bodies = tabs.map((t) => `<section class="${t.id}">${t.body}</section>`).join('\n');
  const show1 = tabs.map((t) => `#${t.id}:checked~.bodies .${t.id}`).join(',');
  const on = tabs.map((t) => `#${t.id}:checked~.labels label[for=${t.id}]`).join(',');
  return `<!doctype html><html><head><meta charset="utf-8"><title>csplab check --lin</title><style>
body{font:13px system-ui,sans-serif;margin:16px}input{display:none}section{display:none}
${show1 || 'x'}{display:block}.labels label{display:inline-block;padding:4px 8px;margin:2px;border:1px solid #999;cursor:pointer}
${on || 'x'}{background:#ddd}.bad{color:#b00;font-weight:bold}.good{color:#070}
rect.op{fill:#ccc;stroke:#666}rect.pre{fill:#9d9;stroke:#393}rect.fail{fill:#f99;stroke:#b00;stroke-width:2}
rect.maybe{stroke-dasharray:4 3;fill-opacity:.5}circle{fill:#060}text{font-size:11px}
</style></head><body><h1>csplab check --lin</h1>${inputs}<div class="labels">${labels}</div><div class="bodies">${bodies}</div>
<p>Bars run from invoke to completion in event order (line order); dashed bars may not have happened (:info or never completed).
Green: the longest linearizable prefix, its dots the linearization points in order. Red: a minimal set of ops that cannot be linearized.</p>
</body></html>
`;
}

function keySection(r: LinResult, k: KeyResult, allOps: readonly Op[]): string {
  const head = `<h2>${esc(k.key === '' ? 'register' : `key ${k.key}`)}: ${esc(k.verdict)}</h2>`;
  const ops = [...new Map([...allOps, ...k.order, ...k.failing].map((o) => [o.id, o])).values()].sort((a, b) => a.id - b.id);
  const note =
    k.verdict === 'linearizable'
      ? `<p>${k.ops} ops; ${k.path === 'fast' ? 'decided by the unique-values fast path (no linearization drawn)' : 'a linearization is drawn'}.</p>`
      : `<p>Longest linearizable prefix: ${k.order.length} ops, ending in state ${esc(showState(r.model, k.state))}.</p><ul>${k.failing
          .map((o) => `<li>${esc(describeOp(o))}</li>`)
          .join('')}</ul>`;
  return head + note + lanes(ops.slice(0, MAX_OPS), k);
}

function lanes(ops: readonly Op[], k: KeyResult): string {
  if (ops.length === 0) return '';
  const procs = [...new Set(ops.map((o) => String(o.process)))];
  const lo = Math.min(...ops.map((o) => o.invokeOrd));
  const hi = Math.max(...ops.map((o) => (o.completeOrd === Infinity ? o.invokeOrd : o.completeOrd))) + 1;
  const x = (ord: number): number => LEFT + ((Math.min(ord, hi) - lo) / Math.max(1, hi - lo)) * (WIDTH - LEFT - 10);
  const pre = new Set(k.order.map((o) => o.id));
  const failing = new Set(k.failing.map((o) => o.id));
  const parts: string[] = procs.map((p, i) => `<text x="4" y="${i * LANE + 17}">process ${esc(p)}</text>`);
  const yOf = (o: Op): number => procs.indexOf(String(o.process)) * LANE + 4;
  for (const o of ops) {
    const cls = `op${pre.has(o.id) ? ' pre' : ''}${failing.has(o.id) ? ' fail' : ''}${o.completeOrd === Infinity ? ' maybe' : ''}`;
    const x0 = x(o.invokeOrd),
      x1 = Math.max(x0 + 6, x(o.completeOrd === Infinity ? hi : o.completeOrd));
    const label = o.f === 'read' || o.f === 'get' ? `${o.f} ${show(o.output)}` : `${o.f} ${show(o.arg)}`;
    parts.push(
      `<rect class="${cls}" x="${x0.toFixed(1)}" y="${yOf(o)}" width="${(x1 - x0).toFixed(1)}" height="${LANE - 8}"><title>${esc(describeOp(o))}</title></rect>`,
      `<text x="${(x0 + 3).toFixed(1)}" y="${yOf(o) + 13}">${esc(label)}</text>`,
    );
  }
  // Linearization points: each op of the prefix at the earliest moment after its predecessor's.
  let at = -Infinity;
  for (const o of k.order) {
    at = Math.max(at, o.invokeOrd + 0.5);
    parts.push(`<circle cx="${x(at).toFixed(1)}" cy="${yOf(o) + (LANE - 8) / 2}" r="4"><title>${esc(describeOp(o))}</title></circle>`);
    at += 0.01;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${procs.length * LANE + 8}">${parts.join('')}</svg>`;
}
