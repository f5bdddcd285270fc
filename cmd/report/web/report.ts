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
}

/** MAX_DRAWN: arrows drawn at once; beyond it the window in view is sampled and the page says so. */
const MAX_DRAWN = 2000;
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
    html(row, 'td', `rule ${r.rule}`);
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
  const notes = byId('notes');
  for (const n of data.notes) html(notes, 'li', n);
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

/** zoom scales the window by factor around ms, kept inside the run. */
function zoom(d: Diagram, factor: number, ms: number): void {
  const full = d.data.durationMs;
  const w = Math.min(full, Math.max(0.05, (d.view.v1 - d.view.v0) * factor));
  let v0 = ms - (ms - d.view.v0) * (w / (d.view.v1 - d.view.v0));
  v0 = Math.max(0, Math.min(full - w, v0));
  d.view = { v0, v1: v0 + w };
  renderDiagram(d);
}

function pan(d: Diagram, dms: number): void {
  const w = d.view.v1 - d.view.v0;
  const v0 = Math.max(0, Math.min(d.data.durationMs - w, d.view.v0 + dms));
  d.view = { v0, v1: v0 + w };
  renderDiagram(d);
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

function wireDiagram(d: Diagram): void {
  const svg = byId('diagram');
  const tip = byId('tip');
  checkboxes(byId('type-filter'), d.data.types, 'type', (i, on) => {
    const t = d.data.types[i];
    if (t !== undefined) void (on ? d.types.add(t) : d.types.delete(t));
    renderDiagram(d);
  });
  checkboxes(
    byId('rank-filter'),
    Array.from({ length: d.data.ranks }, (_, r) => `rank ${r}`),
    'rank',
    (r, on) => {
      void (on ? d.ranks.add(r) : d.ranks.delete(r));
      renderDiagram(d);
    },
  );
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
  svg.addEventListener('mouseover', (e) => {
    const i = (e.target as Element).getAttribute('data-i');
    const m = i === null ? undefined : d.data.messages[Number(i)];
    tip.hidden = m === undefined;
    if (m === undefined) return;
    tip.textContent = describe(m);
    tip.style.left = `${Math.min(e.pageX + 12, window.scrollX + window.innerWidth - 280)}px`;
    tip.style.top = `${e.pageY + 12}px`;
  });
  const mid = (): number => (d.view.v0 + d.view.v1) / 2;
  byId('zoom-in').addEventListener('click', () => zoom(d, 0.5, mid()));
  byId('zoom-out').addEventListener('click', () => zoom(d, 2, mid()));
  byId('zoom-all').addEventListener('click', () => zoom(d, Infinity, 0));
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('a.jump')))
    a.addEventListener('click', () => {
      const ms = Number(a.dataset.ms);
      d.cursorMs = ms;
      const w = Math.min(d.data.durationMs, 200);
      d.view = { v0: Math.max(0, ms - w / 2), v1: Math.max(0, ms - w / 2) + w };
      renderDiagram(d);
    });
}

function main(): void {
  const data = JSON.parse(byId('report-data').textContent ?? '{}') as Data;
  byId('title').textContent = data.title;
  drawVerdict(data);
  drawRates(data);
  drawRoles(data);
  document.body.dataset.ready = 'true';
  if (!data.hasTraces) {
    byId('diagram-box').hidden = true;
    return;
  }
  const d: Diagram = {
    data,
    view: { v0: 0, v1: data.durationMs },
    types: new Set(data.types),
    ranks: new Set(Array.from({ length: data.ranks }, (_, r) => r)),
    cursorMs: null,
  };
  wireDiagram(d);
  renderDiagram(d);
}

main();
