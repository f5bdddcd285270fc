// report (browser): draws the page of `csplab report` from the JSON the command embeds in
// <script id="report-data">. A plain script with no imports, compiled by its own tsconfig (DOM
// lib) and inlined into the HTML, so the page needs no network. The data types mirror
// cmd/report/model.ts by hand (this file cannot import it). Everything is drawn as SVG: the
// space-time diagram draws at most MAX_DRAWN arrows of the window in view (level of detail),
// so a long run's page stays responsive while zooming and filtering.

interface Message {
  from: number;
  to: number;
  type: string;
  sendMs: number;
  recvMs: number | null;
  round?: number;
  seq?: [number, number];
  size?: number;
}
interface Span {
  rank: number;
  fromMs: number;
  toMs: number;
  role: string;
  round: number | null;
}
interface Fault {
  kind: string;
  rank: number | null;
  fromMs: number;
  toMs: number;
  note: string;
}
interface Finding {
  text: string;
  where: string;
  jumpMs: number | null;
}
interface ClientOp {
  process: string;
  f: string;
  key: string;
  value: string;
  outcome: 'ok' | 'fail' | 'info' | 'open';
  invokeMs: number;
  completeMs: number | null;
  failing: boolean;
}
interface LinKey {
  key: string;
  verdict: string;
  ops: number;
  failing: number;
  fromMs: number;
  toMs: number;
  tab: string | null;
}
interface Kv {
  file: string;
  verdict: 'linearizable' | 'not linearizable' | 'unknown';
  processes: string[];
  ops: ClientOp[];
  opCount: number;
  outcomes: Record<'ok' | 'fail' | 'info' | 'open', number>;
  keyCount: number;
  badKeys: LinKey[];
}
interface Data {
  title: string;
  ranks: number;
  durationMs: number;
  binMs: number;
  commits: number[][];
  totalCommits: number[];
  roles: Span[];
  faults: Fault[];
  messages: Message[];
  drops: { from: number; to: number; atMs: number; reason: string }[];
  messageCount: number;
  types: string[];
  hasTraces: boolean;
  verdict: 'pass' | 'fail';
  rules: { rule: number; name: string; verdict: 'pass' | 'fail'; findings: Finding[] }[];
  notes: string[];
  kv: Kv | null;
  overTime: Series | null;
}
/** Series: a count per rank over the run, from the logs (Vectory: mastered shards per node); `none`: what no rank holds. */
interface Series {
  title: string;
  points: { atMs: number; perRank: number[]; none: number }[];
}

/** MAX_DRAWN: arrows drawn at once; beyond it the window in view is sampled and the page says so. */
const MAX_DRAWN = 2000;
/** MAX_BARS: client ops drawn at once, likewise (the checker's failing ops always). */
const MAX_BARS = 3000;
const SVGNS = 'http://www.w3.org/2000/svg';
const WIDTH = 1100;
const LEFT = 80;
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const ROLE_FILL: Record<string, string> = {
  leader: '#f4a340',
  follower: '#a6cee3',
  candidate: '#ffe066',
  down: '#d0d0d0',
  stopped: '#ececec',
  up: '#e8e8e8',
};

function el<K extends keyof SVGElementTagNameMap>(
  parent: Element,
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function html<K extends keyof HTMLElementTagNameMap>(parent: Element, tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  parent.appendChild(e);
  return e;
}

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e;
}

function colorOf(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] ?? '#000';
}

function typeColor(data: Data, type: string): string {
  return colorOf(data.types.indexOf(type));
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 1)} s`;

/** Scale maps ms in [v0, v1] to x in [LEFT, WIDTH]. */
interface Scale {
  v0: number;
  v1: number;
}
/** RIGHT leaves room for the last tick's label. */
const RIGHT = WIDTH - 30;
const xOf = (s: Scale, ms: number): number => LEFT + ((ms - s.v0) / Math.max(1e-9, s.v1 - s.v0)) * (RIGHT - LEFT);

function timeAxis(svg: SVGSVGElement, s: Scale, y: number): void {
  const span = s.v1 - s.v0;
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000].find((d) => span / d <= 10) ?? 120_000;
  for (let t = Math.ceil(s.v0 / step) * step; t <= s.v1; t += step) {
    const x = xOf(s, t);
    el(svg, 'line', { x1: x, x2: x, y1: y, y2: y + 4, stroke: '#666' });
    el(svg, 'text', { x, y: y + 15, 'text-anchor': 'middle', class: 'tick' }).textContent = fmtS(t);
  }
}

/** faultBands shades each fault over the lanes it hit (every lane for a network fault). */
function faultBands(
  svg: SVGSVGElement,
  data: Data,
  s: Scale,
  laneY: (rank: number) => [number, number] | null,
  top: number,
  bottom: number,
): void {
  for (const f of data.faults) {
    const lane = f.rank === null ? null : laneY(f.rank);
    const [y0, y1] = lane ?? [top, bottom];
    const x0 = xOf(s, Math.max(s.v0, f.fromMs));
    const x1 = Math.max(x0 + 2, xOf(s, Math.min(s.v1, f.toMs)));
    if (f.toMs < s.v0 || f.fromMs > s.v1) continue;
    const r = el(svg, 'rect', { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: `fault fault-${f.kind}` });
    el(r, 'title', {}).textContent = `${f.kind} ${f.note} ${fmtS(f.fromMs)} – ${fmtS(f.toMs)}`;
  }
}

function drawVerdict(data: Data): void {
  const box = byId('verdict');
  box.className = `verdict ${data.verdict}`;
  box.textContent = `check: ${data.verdict.toUpperCase()}`;
  const table = byId('rules');
  for (const r of data.rules) {
    const row = html(table, 'tr', undefined, r.verdict);
    html(row, 'td', typeof r.rule === 'number' ? `rule ${r.rule}` : r.rule);
    html(row, 'td', r.name);
    html(row, 'td', r.verdict, `v-${r.verdict}`);
    const cell = html(row, 'td');
    for (const f of r.findings) {
      const line = html(cell, 'div', `${f.text} `);
      if (f.where !== '') html(line, 'code', f.where);
      if (f.jumpMs !== null) {
        const a = html(line, 'a', ` show at ${fmtS(f.jumpMs)}`, 'jump');
        a.href = '#diagram';
        a.dataset.ms = String(f.jumpMs);
      }
    }
  }
  if (data.kv !== null) linRow(table, data.kv);
  const notes = byId('notes');
  for (const n of data.notes) html(notes, 'li', n);
}

const ONE_LINE = (k: LinKey): string =>
  k.failing === 0
    ? `key ${k.key}: ${k.verdict} (${k.ops} ops)`
    : `key ${k.key}: ${k.verdict}, ${k.failing === 1 ? 'an op that cannot be linearized' : `${k.failing} ops that cannot be linearized together`}`;

/** jumpLink is a link that moves the time axis onto a key's failing window and opens its tab of the checker's view. */
function jumpLink(parent: HTMLElement, k: LinKey): void {
  const a = html(parent, 'a', ` show ${fmtS(k.fromMs)} – ${fmtS(k.toMs)}`, 'lin-jump');
  a.href = '#history-box';
  a.dataset.from = String(k.fromMs);
  a.dataset.to = String(k.toMs);
  if (k.tab !== null) a.dataset.tab = k.tab;
}

/** linRow is `check --lin`'s verdict as one more row of the rules table. */
function linRow(table: HTMLElement, kv: Kv): void {
  const v = kv.verdict === 'linearizable' ? 'pass' : kv.verdict === 'unknown' ? 'unknown' : 'fail';
  const row = html(table, 'tr', undefined, v);
  html(row, 'td', 'history');
  html(row, 'td', `${kv.file} (check --lin)`);
  html(row, 'td', kv.verdict, `v-${v}`);
  const cell = html(row, 'td');
  if (kv.badKeys.length === 0) html(cell, 'div', `${kv.keyCount} keys, ${kv.opCount} ops: linearizable`);
  for (const k of kv.badKeys) jumpLink(html(cell, 'div', ONE_LINE(k)), k);
}

function drawRates(data: Data): void {
  const svg = byId('rate') as unknown as SVGSVGElement;
  const H = 220;
  const rates = data.commits.map((bins) => bins.map((c) => (c * 1000) / data.binMs));
  const max = Math.max(1, ...rates.flat());
  const s = { v0: 0, v1: data.durationMs };
  const yOf = (r: number): number => H - 30 - (r / max) * (H - 50);
  faultBands(svg, data, s, () => null, 10, H - 30);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    el(svg, 'line', { x1: LEFT, x2: RIGHT, y1: yOf(v), y2: yOf(v), class: 'grid' });
    el(svg, 'text', { x: LEFT - 6, y: yOf(v) + 4, 'text-anchor': 'end', class: 'tick' }).textContent =
      v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
  }
  rates.forEach((rs, rank) => {
    const pts = rs.map((r, i) => `${xOf(s, (i + 0.5) * data.binMs).toFixed(1)},${yOf(r).toFixed(1)}`).join(' ');
    const line = el(svg, 'polyline', { points: pts, fill: 'none', stroke: colorOf(rank), 'stroke-width': 1.5, class: 'rate' });
    line.dataset.rank = String(rank);
    line.dataset.total = String(data.totalCommits[rank] ?? 0);
  });
  timeAxis(svg, s, H - 30);
  const legend = byId('rate-legend');
  data.totalCommits.forEach((n, rank) => {
    const item = html(legend, 'span', `rank ${rank}: ${n} commits`, 'legend');
    item.style.borderColor = colorOf(rank);
  });
}

/**
 * drawSeries: the protocol's count per rank as step lines (a value holds until the next change),
 * each rank a little apart so equal counts stay visible, and what no rank holds in grey dashes.
 */
function drawSeries(data: Data): void {
  const series = data.overTime;
  if (series === null || series.points.length === 0) return;
  byId('series-box').hidden = false;
  byId('series-title').textContent = `${series.title} over time (from the logs)`;
  const svg = byId('series') as unknown as SVGSVGElement;
  const H = 200;
  const s = { v0: 0, v1: data.durationMs };
  const max = Math.max(1, ...series.points.flatMap((p) => [...p.perRank, p.none]));
  const yOf = (v: number, lane: number): number => H - 30 - (v / max) * (H - 50) - lane * 1.5;
  faultBands(svg, data, s, () => null, 10, H - 30);
  for (let v = 0; v <= max; v += Math.max(1, Math.ceil(max / 5))) {
    el(svg, 'line', { x1: LEFT, x2: RIGHT, y1: yOf(v, 0), y2: yOf(v, 0), class: 'grid' });
    el(svg, 'text', { x: LEFT - 6, y: yOf(v, 0) + 4, 'text-anchor': 'end', class: 'tick' }).textContent = String(v);
  }
  const step = (value: (p: Series['points'][number]) => number, lane: number): string => {
    const pts: string[] = [];
    series.points.forEach((p, i) => {
      const x = xOf(s, Math.max(0, p.atMs)).toFixed(1);
      if (i > 0) pts.push(`${x},${yOf(value(series.points[i - 1] ?? p), lane).toFixed(1)}`);
      pts.push(`${x},${yOf(value(p), lane).toFixed(1)}`);
    });
    const last = series.points[series.points.length - 1];
    if (last !== undefined) pts.push(`${xOf(s, data.durationMs).toFixed(1)},${yOf(value(last), lane).toFixed(1)}`);
    return pts.join(' ');
  };
  const ranks = series.points[0]?.perRank.length ?? 0;
  const none = el(svg, 'polyline', {
    points: step((p) => p.none, 0),
    fill: 'none',
    stroke: '#999',
    'stroke-dasharray': '4 3',
    class: 'step none',
  });
  none.dataset.last = String(series.points[series.points.length - 1]?.none ?? 0);
  const legend = byId('series-legend');
  for (let rank = 0; rank < ranks; rank++) {
    const line = el(svg, 'polyline', {
      points: step((p) => p.perRank[rank] ?? 0, rank + 1),
      fill: 'none',
      stroke: colorOf(rank),
      'stroke-width': 1.5,
      class: 'step',
    });
    line.dataset.rank = String(rank);
    line.dataset.last = String(series.points[series.points.length - 1]?.perRank[rank] ?? 0);
    html(legend, 'span', `rank ${rank}`, 'legend').style.borderColor = colorOf(rank);
  }
  html(legend, 'span', 'none (no rank holds it)', 'legend').style.borderColor = '#999';
  timeAxis(svg, s, H - 30);
}

function drawRoles(data: Data): void {
  const svg = byId('roles') as unknown as SVGSVGElement;
  if (!data.hasTraces) {
    byId('roles-box').hidden = true;
    return;
  }
  const lane = 26;
  const s = { v0: 0, v1: data.durationMs };
  svg.setAttribute('height', String(data.ranks * lane + 40));
  const laneY = (r: number): [number, number] => [10 + r * lane, 10 + r * lane + lane - 4];
  for (let r = 0; r < data.ranks; r++)
    el(svg, 'text', { x: LEFT - 8, y: laneY(r)[0] + 15, 'text-anchor': 'end', class: 'lane' }).textContent = `rank ${r}`;
  for (const sp of data.roles) {
    const [y0, y1] = laneY(sp.rank);
    const x0 = xOf(s, sp.fromMs);
    const w = Math.max(0.5, xOf(s, sp.toMs) - x0);
    const rect = el(svg, 'rect', {
      x: x0,
      y: y0,
      width: w,
      height: y1 - y0,
      fill: ROLE_FILL[sp.role] ?? '#c9b3e6',
      class: `role role-${sp.role}`,
    });
    const label = `${sp.role}${sp.round === null ? '' : ` r${sp.round}`}`;
    el(rect, 'title', {}).textContent = `rank ${sp.rank}: ${label}, ${fmtS(sp.fromMs)} – ${fmtS(sp.toMs)}`;
    if (w > 8 * label.length) el(svg, 'text', { x: x0 + 3, y: y0 + 15, class: 'span-label' }).textContent = label;
  }
  faultBands(svg, data, s, laneY, 10, 10 + data.ranks * lane);
  timeAxis(svg, s, 10 + data.ranks * lane);
}

/** Diagram holds the space-time view's state: the window in view and the filters. */
interface Diagram {
  data: Data;
  view: Scale;
  types: Set<string>;
  ranks: Set<number>;
  cursorMs: number | null;
  /** window: a failing key's window, shaded on the client lanes after a jump. */
  window: { fromMs: number; toMs: number } | null;
}

/** visible lists the indexes of the messages the filters keep that cross the window in view. */
function visible(d: Diagram): number[] {
  const { v0, v1 } = d.view;
  const out: number[] = [];
  d.data.messages.forEach((m, i) => {
    if (d.types.has(m.type) && d.ranks.has(m.from) && d.ranks.has(m.to) && m.sendMs <= v1 && (m.recvMs ?? m.sendMs) >= v0) out.push(i);
  });
  return out;
}

function renderDiagram(d: Diagram): void {
  const svg = byId('diagram') as unknown as SVGSVGElement;
  const { data, view } = d;
  const lane = Math.max(40, Math.min(90, 420 / Math.max(1, data.ranks)));
  const yOf = (r: number): number => 20 + r * lane;
  const H = yOf(data.ranks - 1) + 40;
  svg.replaceChildren();
  svg.setAttribute('height', String(H));
  svg.dataset.v0 = String(view.v0);
  svg.dataset.v1 = String(view.v1);
  const defs = el(svg, 'defs', {});
  const marker = el(defs, 'marker', {
    id: 'head',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 6,
    markerHeight: 6,
    orient: 'auto-start-reverse',
  });
  el(marker, 'path', { d: 'M0,0 L10,5 L0,10 z', fill: '#444' });
  // Arrows that cross the window's edge are cut at the plot, not drawn over the lane labels.
  el(el(defs, 'clipPath', { id: 'plot' }), 'rect', { x: LEFT, y: 0, width: RIGHT - LEFT + 6, height: H });
  faultBands(svg, data, view, (r) => [yOf(r) - 12, yOf(r) + 12], 10, H - 25);
  for (let r = 0; r < data.ranks; r++) {
    el(svg, 'line', { x1: LEFT, x2: RIGHT, y1: yOf(r), y2: yOf(r), class: d.ranks.has(r) ? 'lane-line' : 'lane-line off' });
    el(svg, 'text', { x: LEFT - 8, y: yOf(r) + 4, 'text-anchor': 'end', class: 'lane' }).textContent = `rank ${r}`;
  }
  const shown = visible(d);
  const drawn = Math.min(shown.length, MAX_DRAWN);
  const arrows = el(svg, 'g', { 'clip-path': 'url(#plot)' });
  for (let k = 0; k < drawn; k++) {
    const i = shown[Math.floor((k * shown.length) / drawn)] ?? -1;
    const m = data.messages[i];
    if (m === undefined) break;
    const x1 = xOf(view, m.sendMs);
    const x2 = xOf(view, m.recvMs ?? Math.min(view.v1, m.sendMs + (view.v1 - view.v0) / 50));
    const line = el(arrows, 'line', {
      x1,
      y1: yOf(m.from),
      x2,
      y2: yOf(m.to),
      stroke: typeColor(data, m.type),
      class: m.recvMs === null ? 'msg lost' : 'msg',
    });
    line.setAttribute('marker-end', 'url(#head)');
    // A wide transparent twin on top takes the pointer: a 1 px diagonal is too thin to hover.
    el(arrows, 'line', { x1, y1: yOf(m.from), x2, y2: yOf(m.to), class: 'hit', 'data-i': i });
  }
  for (const dr of data.drops)
    if (dr.atMs >= view.v0 && dr.atMs <= view.v1 && d.ranks.has(dr.from))
      el(svg, 'text', { x: xOf(view, dr.atMs), y: yOf(dr.from) + 4, class: 'drop', 'text-anchor': 'middle' }).textContent = '×';
  if (d.cursorMs !== null) el(svg, 'line', { x1: xOf(view, d.cursorMs), x2: xOf(view, d.cursorMs), y1: 5, y2: H - 25, class: 'cursor' });
  timeAxis(svg, view, H - 25);
  const total = data.messageCount > data.messages.length ? ` (the page holds ${data.messages.length} of ${data.messageCount} traced)` : '';
  byId('diagram-status').textContent =
    `${fmtS(view.v0)} – ${fmtS(view.v1)}: ${drawn} of ${shown.length} messages in view drawn` +
    (drawn < shown.length ? ` (capped at ${MAX_DRAWN}, evenly sampled: zoom in to see all)` : '') +
    total;
}

/** historyInView lists the client ops crossing the window in view, sampled to MAX_BARS, failing ops always kept (drawn last, on top). */
function historyInView(kv: Kv, view: Scale, endMs: number): { drawn: number[]; inView: number } {
  const inView: number[] = [];
  kv.ops.forEach((o, i) => {
    if (o.invokeMs <= view.v1 && (o.completeMs ?? endMs) >= view.v0) inView.push(i);
  });
  const n = Math.min(inView.length, MAX_BARS);
  const drawn = new Set<number>();
  for (let k = 0; k < n; k++) drawn.add(inView[Math.floor((k * inView.length) / n)] ?? -1);
  for (const i of inView) if (kv.ops[i]?.failing === true) drawn.add(i);
  drawn.delete(-1);
  const order = [...drawn].sort((a, b) => Number(kv.ops[a]?.failing) - Number(kv.ops[b]?.failing) || a - b);
  return { drawn: order, inView: inView.length };
}

/** renderHistory draws the client lanes on the diagram's time axis: the same window, zoomed and panned together. */
function renderHistory(d: Diagram): void {
  const kv = d.data.kv;
  if (kv === null) return;
  const svg = byId('history') as unknown as SVGSVGElement;
  const { view } = d;
  const lane = Math.max(6, Math.min(22, 440 / Math.max(1, kv.processes.length)));
  const laneOf = new Map(kv.processes.map((p, i) => [p, i]));
  const yOf = (p: string): number => 10 + (laneOf.get(p) ?? 0) * lane;
  const H = 10 + kv.processes.length * lane + 25;
  svg.replaceChildren();
  svg.setAttribute('height', String(H));
  svg.dataset.v0 = String(view.v0);
  svg.dataset.v1 = String(view.v1);
  el(el(el(svg, 'defs', {}), 'clipPath', { id: 'hplot' }), 'rect', { x: LEFT, y: 0, width: RIGHT - LEFT + 6, height: H });
  faultBands(svg, d.data, view, () => null, 10, H - 25);
  kv.processes.forEach((p, i) => {
    if (lane >= 10)
      el(svg, 'text', { x: LEFT - 8, y: 10 + i * lane + lane * 0.7, 'text-anchor': 'end', class: 'lane' }).textContent = `client ${p}`;
  });
  const bars = el(svg, 'g', { 'clip-path': 'url(#hplot)' });
  if (d.window !== null) {
    const x0 = xOf(view, d.window.fromMs);
    el(bars, 'rect', { x: x0, y: 5, width: Math.max(2, xOf(view, d.window.toMs) - x0), height: H - 30, class: 'window' });
  }
  const { drawn, inView } = historyInView(kv, view, d.data.durationMs);
  for (const i of drawn) {
    const o = kv.ops[i];
    if (o === undefined) continue;
    const x0 = xOf(view, o.invokeMs);
    const x1 = Math.max(x0 + 1.5, xOf(view, o.completeMs ?? d.data.durationMs));
    el(bars, 'rect', {
      x: x0,
      y: yOf(o.process) + 2,
      width: x1 - x0,
      height: Math.max(2, lane - 4),
      class: `cop ${o.outcome}${o.failing ? ' failing' : ''}`,
      'data-o': i,
    });
  }
  if (d.cursorMs !== null) el(svg, 'line', { x1: xOf(view, d.cursorMs), x2: xOf(view, d.cursorMs), y1: 5, y2: H - 25, class: 'cursor' });
  timeAxis(svg, view, H - 25);
  const held = kv.opCount > kv.ops.length ? ` (the page holds ${kv.ops.length} of ${kv.opCount})` : '';
  byId('history-status').textContent =
    `${fmtS(view.v0)} – ${fmtS(view.v1)}: ${drawn.length} of ${inView} client ops in view drawn` +
    (drawn.length < inView ? ` (capped at ${MAX_BARS}, evenly sampled, failing ops always: zoom in to see all)` : '') +
    held;
}

function describeOp(o: ClientOp): string {
  const done =
    o.completeMs === null ? 'never completed' : `${o.outcome} at ${fmtS(o.completeMs)} (+${(o.completeMs - o.invokeMs).toFixed(1)} ms)`;
  const lines = [`${o.f} key ${o.key}${o.value === '' ? '' : o.f === 'get' ? ` → ${o.value}` : ` ${o.value}`}`, `client ${o.process}`];
  lines.push(`invoked ${fmtS(o.invokeMs)}`, done);
  if (o.failing) lines.push('in the failing set of check --lin');
  return lines.join('\n');
}

/** render redraws everything on the shared time axis. */
function render(d: Diagram): void {
  if (d.data.hasTraces) renderDiagram(d);
  renderHistory(d);
}

/** zoom scales the window by factor around ms, kept inside the run. */
function zoom(d: Diagram, factor: number, ms: number): void {
  const full = d.data.durationMs;
  const w = Math.min(full, Math.max(0.05, (d.view.v1 - d.view.v0) * factor));
  let v0 = ms - (ms - d.view.v0) * (w / (d.view.v1 - d.view.v0));
  v0 = Math.max(0, Math.min(full - w, v0));
  d.view = { v0, v1: v0 + w };
  render(d);
}

function pan(d: Diagram, dms: number): void {
  const w = d.view.v1 - d.view.v0;
  const v0 = Math.max(0, Math.min(d.data.durationMs - w, d.view.v0 + dms));
  d.view = { v0, v1: v0 + w };
  render(d);
}

function checkboxes(box: HTMLElement, labels: string[], cls: string, onChange: (i: number, on: boolean) => void): void {
  labels.forEach((label, i) => {
    const l = html(box, 'label', undefined, cls);
    const c = html(l, 'input');
    c.type = 'checkbox';
    c.checked = true;
    c.value = label;
    c.addEventListener('change', () => onChange(i, c.checked));
    l.append(` ${label}`);
  });
}

function describe(m: Message): string {
  const lines = [`${m.type}  ${m.from} → ${m.to}`, `sent ${fmtS(m.sendMs)}`];
  lines.push(m.recvMs === null ? 'no receive traced' : `received ${fmtS(m.recvMs)} (+${(m.recvMs - m.sendMs).toFixed(3)} ms)`);
  if (m.round !== undefined) lines.push(`round ${m.round}`);
  if (m.seq) lines.push(`seq ${m.seq[0]}..${m.seq[1]}`);
  if (m.size !== undefined) lines.push(`size ${m.size} B`);
  return lines.join('\n');
}

function wireFilters(d: Diagram): void {
  checkboxes(byId('type-filter'), d.data.types, 'type', (i, on) => {
    const t = d.data.types[i];
    if (t !== undefined) void (on ? d.types.add(t) : d.types.delete(t));
    render(d);
  });
  checkboxes(
    byId('rank-filter'),
    Array.from({ length: d.data.ranks }, (_, r) => `rank ${r}`),
    'rank',
    (r, on) => {
      void (on ? d.ranks.add(r) : d.ranks.delete(r));
      render(d);
    },
  );
}

/** wirePanZoom: wheel zooms and drag pans either drawing; both follow, as they share the axis. */
function wirePanZoom(d: Diagram, svg: HTMLElement): void {
  const msAt = (clientX: number): number => {
    const box = svg.getBoundingClientRect();
    const x = ((clientX - box.left) / box.width) * WIDTH;
    return d.view.v0 + ((x - LEFT) / (RIGHT - LEFT)) * (d.view.v1 - d.view.v0);
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoom(d, e.deltaY > 0 ? 1.25 : 0.8, msAt(e.clientX));
  });
  let dragX: number | null = null;
  svg.addEventListener('mousedown', (e) => (dragX = e.clientX));
  window.addEventListener('mouseup', () => (dragX = null));
  svg.addEventListener('mousemove', (e) => {
    if (dragX !== null) {
      pan(d, msAt(dragX) - msAt(e.clientX));
      dragX = e.clientX;
    }
  });
}

/** wireTip shows the fields of what the pointer is over: a message (data-i) or a client op (data-o). */
function wireTip(d: Diagram): void {
  const tip = byId('tip');
  document.addEventListener('mouseover', (e) => {
    const target = e.target as Element;
    const i = target.getAttribute('data-i');
    const o = target.getAttribute('data-o');
    const m = i === null ? undefined : d.data.messages[Number(i)];
    const op = o === null ? undefined : d.data.kv?.ops[Number(o)];
    tip.hidden = m === undefined && op === undefined;
    if (tip.hidden) return;
    tip.textContent = m !== undefined ? describe(m) : op !== undefined ? describeOp(op) : '';
    tip.style.left = `${Math.min(e.pageX + 12, window.scrollX + window.innerWidth - 280)}px`;
    tip.style.top = `${e.pageY + 12}px`;
  });
}

/** show moves the window in view onto [fromMs, toMs], padded, and redraws. */
function show(d: Diagram, fromMs: number, toMs: number, minMs: number): void {
  const w = Math.min(d.data.durationMs, Math.max(minMs, (toMs - fromMs) * 1.5));
  const v0 = Math.max(0, Math.min(d.data.durationMs - w, (fromMs + toMs) / 2 - w / 2));
  d.view = { v0, v1: v0 + w };
  render(d);
}

function wireJumps(d: Diagram): void {
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('a.jump')))
    a.addEventListener('click', () => {
      d.cursorMs = Number(a.dataset.ms);
      show(d, d.cursorMs, d.cursorMs, 200);
    });
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('a.lin-jump')))
    a.addEventListener('click', () => {
      d.window = { fromMs: Number(a.dataset.from), toMs: Number(a.dataset.to) };
      d.cursorMs = null;
      const tab = a.dataset.tab === undefined ? null : document.getElementById(a.dataset.tab);
      if (tab instanceof HTMLInputElement) tab.checked = true;
      show(d, d.window.fromMs, d.window.toMs, 20);
    });
}

function wireDiagram(d: Diagram): void {
  wireFilters(d);
  wirePanZoom(d, byId('diagram'));
  wirePanZoom(d, byId('history'));
  wireTip(d);
  const mid = (): number => (d.view.v0 + d.view.v1) / 2;
  byId('zoom-in').addEventListener('click', () => zoom(d, 0.5, mid()));
  byId('zoom-out').addEventListener('click', () => zoom(d, 2, mid()));
  byId('zoom-all').addEventListener('click', () => zoom(d, Infinity, 0));
  wireJumps(d);
}

function main(): void {
  const data = JSON.parse(byId('report-data').textContent ?? '{}') as Data;
  byId('title').textContent = data.title;
  drawVerdict(data);
  drawRates(data);
  drawSeries(data);
  drawRoles(data);
  if (data.kv !== null) {
    byId('history-box').hidden = false;
    drawKvSummary(data.kv);
  }
  document.body.dataset.ready = 'true';
  if (!data.hasTraces) {
    // Without traces a KV run still has its client lanes: the diagram's controls stay for them.
    if (data.kv === null) {
      byId('diagram-box').hidden = true;
      return;
    }
    // The attribute, not the property: an <svg> has no `hidden` property (the page's CSS honours [hidden]).
    for (const e of Array.from(document.querySelectorAll('#diagram, #diagram-status, #diagram-box .filters, #diagram-box h2')))
      e.setAttribute('hidden', '');
  }
  const d: Diagram = {
    data,
    view: { v0: 0, v1: data.durationMs },
    types: new Set(data.types),
    ranks: new Set(Array.from({ length: data.ranks }, (_, r) => r)),
    cursorMs: null,
    window: null,
  };
  wireDiagram(d);
  render(d);
}

/** drawKvSummary: the history's size and outcomes above its lanes. */
function drawKvSummary(kv: Kv): void {
  const o = kv.outcomes;
  byId('history-summary').textContent =
    `${kv.file}: ${kv.opCount} ops by ${kv.processes.length} clients on ${kv.keyCount} keys — ${o.ok} ok, ${o.fail} fail, ` +
    `${o.info} info, ${o.open} never completed; check --lin: ${kv.verdict}. Times are ms after round 0, as the traces' (docs/report.md).`;
}

main();
