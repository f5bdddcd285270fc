// html: the report as one self-contained HTML file: the page's CSS, the data as JSON and the
// compiled browser script (web/report.ts → dist/cmd/report/web/report.js) all inline, so it
// opens offline from a file:// URL or an e-mail attachment.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from '../exit.js';
import type { LinView } from '../../check/lin/html.js';
import type { ReportData } from './model.js';

// Loaded from source (tap runs the .ts files), the compiled script is in dist/, not beside us.
const SCRIPT = new URL(import.meta.url.endsWith('.ts') ? '../../dist/cmd/report/web/report.js' : './web/report.js', import.meta.url);

const CSS = `
body { font: 14px system-ui, sans-serif; margin: 16px 24px; color: #222; }
[hidden] { display: none !important; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 22px 0 6px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: bold; color: #fff; }
.verdict.pass { background: #2e7d32; } .verdict.fail { background: #c62828; }
table#rules { border-collapse: collapse; margin-top: 8px; } #rules td { border-top: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
.v-pass { color: #2e7d32; font-weight: bold; } .v-fail { color: #c62828; font-weight: bold; } .v-unknown { color: #e65100; font-weight: bold; }
#notes { color: #555; } svg { display: block; width: 1100px; background: #fff; user-select: none; }
.tick { font-size: 10px; fill: #555; } .lane { font-size: 12px; fill: #222; } .span-label { font-size: 10px; fill: #222; pointer-events: none; }
.grid { stroke: #eee; } .fault { fill: rgba(220, 40, 40, 0.13); stroke: rgba(200, 40, 40, 0.5); stroke-dasharray: 3 2; }
.lane-line { stroke: #999; } .lane-line.off { stroke: #e4e4e4; }
.msg { stroke-width: 1.3; } .hit { stroke: transparent; stroke-width: 8; } .hit:hover { stroke: rgba(0, 0, 0, 0.25); } .msg.lost { stroke-dasharray: 2 2; }
.drop { fill: #c62828; font-size: 14px; font-weight: bold; } .cursor { stroke: #c62828; stroke-width: 1.5; }
#rate-legend .legend, #series-legend .legend { border-left: 14px solid; padding: 0 10px 0 4px; margin-right: 6px; font-size: 12px; }
.filters label { margin-right: 10px; font-size: 12px; } .filters { margin: 4px 0; }
#diagram { cursor: grab; border: 1px solid #ddd; }
#tip { position: absolute; background: #fffbe6; border: 1px solid #aaa; padding: 4px 8px; white-space: pre; font: 12px monospace; pointer-events: none; }
button { margin-right: 4px; } #diagram-status, #history-status { font-size: 12px; color: #555; margin: 4px 0; }
.cop { stroke-width: 1; } .cop.ok { fill: #9ccc9c; stroke: #2e7d32; } .cop.fail { fill: #bdbdbd; stroke: #616161; }
.cop.info, .cop.open { fill: #ffd180; stroke: #e65100; stroke-dasharray: 3 2; } .cop.failing { stroke: #b00; stroke-width: 2.5; }
.window { fill: rgba(198, 40, 40, 0.10); stroke: #c62828; stroke-dasharray: 4 3; } #history { cursor: grab; border: 1px solid #ddd; }
.hsw { display: inline-block; width: 20px; height: 10px; margin: 0 4px 0 12px; border: 1px solid; vertical-align: -1px; }
.hsw.ok { background: #9ccc9c; border-color: #2e7d32; } .hsw.fail { background: #bdbdbd; border-color: #616161; }
.hsw.info { background: #ffd180; border: 1px dashed #e65100; } .hsw.failing { background: #fff; border: 2.5px solid #b00; }
`;

const BODY = `
<h1 id="title"></h1>
<div id="verdict"></div>
<table id="rules"></table>
<ul id="notes"></ul>
<h2>Commits per second, per rank</h2>
<div id="rate-legend"></div>
<svg id="rate" width="1100" height="220"></svg>
<div id="series-box" hidden><h2 id="series-title"></h2><div id="series-legend"></div><svg id="series" width="1100" height="200"></svg></div>
<div id="roles-box"><h2>Roles and rounds, per rank</h2><svg id="roles" width="1100"></svg></div>
<div id="diagram-box">
<h2>Messages (space-time diagram)</h2>
<div class="filters">types: <span id="type-filter"></span></div>
<div class="filters">ranks: <span id="rank-filter"></span></div>
<div><button id="zoom-in">zoom in</button><button id="zoom-out">zoom out</button><button id="zoom-all">whole run</button>
<span style="font-size:12px;color:#555">wheel: zoom at the pointer · drag: pan · hover an arrow for its fields</span></div>
<div id="diagram-status"></div>
<svg id="diagram" width="1100"></svg>
</div>
<div id="history-box" hidden>
<h2>Client history (one lane per client process)</h2>
<div id="history-summary"></div>
<div style="font-size:12px"><span class="hsw ok"></span>ok<span class="hsw fail"></span>fail<span class="hsw info"></span>info or never completed (may have happened)<span class="hsw failing"></span>in a set check --lin cannot linearize</div>
<div id="history-status"></div>
<svg id="history" width="1100"></svg>
<h2>check --lin: the history per key</h2>
<div id="lin-view">LIN_VIEW</div>
</div>
<div id="tip" hidden></div>
`;

/** escapeJson keeps the data from closing its <script> element: `<` never appears raw. */
function escapeJson(data: Omit<ReportData, 'linView'>): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** renderHtml builds the page; a missing compiled script is a broken build, not bad input. */
export function renderHtml(report: ReportData & { linView?: LinView }): string {
  // The checker's view is HTML already (check/lin/html.ts renders it for `check --lin --html`): it goes in as is, not through the JSON.
  const { linView, ...data } = report;
  let script: string;
  try {
    script = readFileSync(SCRIPT, 'utf8');
  } catch {
    throw new CliError(EXIT.internal, `${fileURLToPath(SCRIPT)} is missing: build with \`npm run build\``);
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>csplab report: ${escapeText(data.title)}</title>`,
    `<style>${CSS}${linView?.css ?? ''}</style></head><body>`,
    BODY.replace('LIN_VIEW', () => linView?.html ?? ''),
    `<script id="report-data" type="application/json">${escapeJson(data)}</script>`,
    `<script>${script.replace(/<\/script/gi, '<\\/script')}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
