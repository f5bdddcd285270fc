// Proves the `--html` page renders in a real browser with no network: the built CLI writes the
// page for a failing kv history, headless Chromium (Debian's, driven by playwright-core) opens
// it offline with every request aborted and recorded, and the page shows a lane per process, a
// bar per op, the failing ops in red, and tabs that switch keys. It saves a screenshot (the
// test's directory, and docs/img/lin-report.png for the README). scripts/ensure.sh installs
// chromium (npm test, as root); without one this test fails saying so. Chromium runs at the suite's
// autogroup nice (runtime/driver/autogroup.ts), so a suite in a reniced session does not starve it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { inOurAutogroup } from '../../runtime/driver/autogroup.js';
import { generateHistory } from '../../scripts/bench/gen-history.js';
import { CLI, repoPath } from '../../scripts/repo.js';

const DOCS_PNG = repoPath('docs', 'img', 'lin-report.png');
/** CHROMIUM: CSPLAB_CHROMIUM when set (and nothing else then), else Debian's or Ubuntu's. */
const CHROMIUM = (process.env.CSPLAB_CHROMIUM ? [process.env.CSPLAB_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find(
  (p) => existsSync(p),
);

/** history: 4 clients over 3 keys with appends; key k0's last ok get is altered to a value nobody wrote. */
function history(): { text: string; processes: Map<string, Set<string>>; ops: Map<string, number> } {
  const lines: string[] = [];
  const o = { model: 'kv', format: 'jsonl', processes: 4, ops: 36, keys: 3, values: 4, append: 0.3, info: 0.1 } as const;
  const stats = generateHistory({ ...o, seed: 'html-browser' }, (l) => lines.push(l));
  const reads = stats.okReads.filter((n) => (JSON.parse(lines[n - 1] ?? '{}') as { key?: unknown }).key === 'k0');
  const at = (reads[reads.length - 1] ?? 1) - 1;
  lines[at] = JSON.stringify({ ...(JSON.parse(lines[at] ?? '{}') as object), value: 'nobody wrote this' });
  const processes = new Map<string, Set<string>>();
  const invokes = new Map<string, number>();
  for (const l of lines) {
    const e = JSON.parse(l) as { process: number; type: string; key: string };
    const k = `key ${e.key}`;
    processes.set(k, (processes.get(k) ?? new Set()).add(String(e.process)));
    if (e.type === 'invoke') invokes.set(k, (invokes.get(k) ?? 0) + 1);
  }
  return { text: `${lines.join('\n')}\n`, processes, ops: invokes };
}

/** shown: what the visible tab draws (the page's tabs are CSS: one section displayed at a time). */
async function shown(page: Page) {
  const section = page.locator('section:visible');
  const rects = await section.locator('rect.op').all();
  const boxes = await Promise.all(rects.map((r) => r.boundingBox()));
  // Runs in the page: the DOM's types are not in this project's lib, so it names what it uses.
  const style = (e: unknown): string =>
    (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(e).fill;
  const fill = async (css: string): Promise<string> =>
    (await section.locator(css).count()) === 0 ? '' : await section.locator(css).first().evaluate(style);
  return {
    heading: (await section.locator('h2').textContent()) ?? '',
    lanes: await section.locator('text.lane').allTextContents(),
    bars: rects.length,
    drawn: boxes.filter((b) => b !== null && b.width > 0 && b.height > 0).length,
    failing: await section.locator('rect.fail').count(),
    failFill: await fill('rect.fail'),
    barFill: await fill('rect.op:not(.fail)'),
  };
}

t.test('the --html page renders offline in Chromium: lanes, bars, failing ops, tabs', async (t) => {
  if (CHROMIUM === undefined) {
    const named = process.env.CSPLAB_CHROMIUM ? `CSPLAB_CHROMIUM=${process.env.CSPLAB_CHROMIUM} does not exist` : 'no chromium';
    t.fail(
      `${named}: run \`npm test\` as root (scripts/ensure.sh installs it with apt-get), apt-get install chromium, or set CSPLAB_CHROMIUM`,
    );
    return;
  }
  const dir = t.testdir();
  const h = history();
  writeFileSync(join(dir, 'kv.jsonl'), h.text);
  const r = spawnSync(process.execPath, [CLI, 'check', '--lin', 'kv.jsonl', '--html', 'report.html'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1, `exit 1, not linearizable: ${r.stdout}${r.stderr}`);

  // Playwright starts Chromium in a session of its own, which Linux's autogroups schedule apart
  // from the suite's: the script in dir gives it the suite's nice (runtime/driver/autogroup.ts).
  const browser = await chromium.launch({ executablePath: inOurAutogroup(CHROMIUM, dir), headless: true });
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1180, height: 700 }, offline: true });
  const page = await context.newPage();
  const page_ = pathToFileURL(join(dir, 'report.html')).href;
  const attempted: string[] = [];
  page.on('request', (q) => {
    if (q.url() !== page_) attempted.push(q.url());
  });
  await context.route('**/*', (route) => (route.request().url() === page_ ? route.continue() : route.abort()));
  await page.goto(page_);

  const first = await shown(page);
  t.match(first.heading, /^key k0: not linearizable/, 'the failing key is the first tab');
  t.same(new Set(first.lanes), new Set([...(h.processes.get('key k0') ?? [])].map((p) => `process ${p}`)), 'one lane per process');
  t.equal(first.lanes.length, h.processes.get('key k0')?.size, 'and no lane twice');
  t.equal(first.bars, h.ops.get('key k0'), 'a bar per op of the key');
  t.equal(first.drawn, first.bars, 'every bar has a size on screen');
  t.ok(first.failing > 0, 'failing ops are marked');
  t.equal(first.failFill, 'rgb(255, 153, 153)', 'in red');
  t.not(first.barFill, first.failFill, 'unlike the others');
  const screenshot = join(dir, 'lin-report.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  mkdirSync(join(DOCS_PNG, '..'), { recursive: true });
  copyFileSync(screenshot, DOCS_PNG);

  await page.click('label:has-text("k1")');
  const second = await shown(page);
  t.match(second.heading, /^key k1: /, 'a click on a tab shows that key');
  t.equal(second.bars, h.ops.get('key k1'));
  t.same(attempted, [], 'nothing but the page itself was requested');
});
