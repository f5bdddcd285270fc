// Proves the `csplab report` page renders offline in a real browser: the built CLI writes the
// page for a fixture run whose rule 3 fails, headless Chromium (Debian's, driven by
// playwright-core) opens it with every other request aborted and recorded, and the page shows
// one lane per rank, an arrow per traced message, commit totals equal to the logs', the
// verdict per rule; unticking a message type hides its arrows, and the failing finding's link
// moves the diagram to the offending commit. It saves a screenshot to docs/img/report.png. A real
// KV run with one read broken shows its client lanes on the same time axis, check --lin's
// verdict and view, and a link that jumps to the failing window (docs/img/report-kv.png). A
// Vectory run's page draws mastered shards per node over time as steps (docs/img/report-balance.png).
// Without Chromium: a skip saying so, a failure under CI=true. Chromium runs at the suite's
// autogroup nice (runtime/driver/autogroup.ts), so a suite in a reniced session does not starve it.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defined } from '../../runtime/assert.js';
import { inOurAutogroup } from '../../runtime/driver/autogroup.js';
import { copyKvRun, writeFixture, writeVectoryFixture } from '../testing/report-fixture.js';
import { CLI, repoPath } from '../../scripts/repo.js';

const DOCS_PNG = repoPath('docs', 'img', 'report.png');
const DOCS_KV_PNG = repoPath('docs', 'img', 'report-kv.png');
const DOCS_BALANCE_PNG = repoPath('docs', 'img', 'report-balance.png');
/** CHROMIUM: CSPLAB_CHROMIUM when set (and nothing else then), else Debian's or Ubuntu's. */
const CHROMIUM = (process.env.CSPLAB_CHROMIUM ? [process.env.CSPLAB_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find(
  (p) => existsSync(p),
);

const NO_BROWSER = `${process.env.CSPLAB_CHROMIUM ? `CSPLAB_CHROMIUM=${process.env.CSPLAB_CHROMIUM} does not exist` : 'no chromium'}: apt-get install chromium, or set CSPLAB_CHROMIUM`;
const skip = CHROMIUM === undefined && process.env.CI !== 'true' ? NO_BROWSER : false;

/** openReport runs `csplab report <run> -o report.html` in dir, opens the page in Chromium and waits until it is drawn; script errors collect in `errors`. */
async function openReport(t: Test, dir: string, run: string): Promise<{ page: Page; errors: string[] }> {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'report', run, '-o', 'report.html'], {
    cwd: dir,
    encoding: 'utf8',
  });
  t.equal(r.status, 0, `report writes the page: ${r.stderr}`);
  const browser = await launch(dir);
  t.teardown(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1180, height: 900 }, offline: true })).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors };
}

t.test('the report page renders offline: lanes, arrows, filters, commits, verdict, jump', { skip }, async (t) => {
  if (CHROMIUM === undefined) {
    t.fail(`CI=true: ${NO_BROWSER}`);
    return;
  }
  const dir = t.testdir({ 'paxos-run': {} });
  const f = writeFixture(join(dir, 'paxos-run'), true);
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'report', 'paxos-run', '-o', 'report.html'], {
    cwd: dir,
    encoding: 'utf8',
  });
  t.equal(r.status, 0, `report writes the page of a failing run: ${r.stderr}`);

  const browser = await launch(dir);
  t.teardown(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1180, height: 900 }, offline: true });
  const page = await context.newPage();
  const url = pathToFileURL(join(dir, 'report.html')).href;
  const attempted: string[] = [];
  page.on('request', (q) => {
    if (q.url() !== url) attempted.push(q.url());
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  // Time from navigation to drawn, in the browser's clock: reported, not asserted (docs/report.md).
  t.comment(`page drawn ${Math.round(Number(await page.evaluate('performance.now()')))} ms after navigation`);

  t.same(await page.locator('#diagram text.lane').allTextContents(), ['rank 0', 'rank 1', 'rank 2'], 'one diagram lane per rank');
  t.equal(await page.locator('#roles text.lane').count(), 3, 'and one role lane per rank');
  t.equal(await page.locator('#diagram line.msg').count(), f.messages, 'an arrow per traced message');
  t.equal(await page.locator('#diagram line.msg.lost').count(), 1, 'the dropped one drawn as lost');
  const attrs = async (css: string, name: string): Promise<(string | null)[]> =>
    Promise.all((await page.locator(css).all()).map((l) => l.getAttribute(name)));
  const totals = (await attrs('#rate polyline.rate', 'data-total')).map(Number);
  const summary = JSON.parse(readFileSync(join(dir, 'paxos-run', 'summary.json'), 'utf8')) as { ranks: { commits: number }[] };
  t.same(
    totals,
    summary.ranks.map((x) => x.commits),
    'the plot holds each rank’s commits, as summary.json counts them',
  );
  t.ok((await page.locator('#roles rect.role-leader').count()) >= 2, 'leaders drawn in the role lanes');
  t.ok((await page.locator('#roles rect.fault-kill').count()) === 1, 'the kill shaded on its rank’s lane');
  t.equal(await page.locator('#verdict').textContent(), 'check: FAIL');
  t.same(await page.locator('#rules td.v-fail, #rules td.v-pass').allTextContents(), ['pass', 'fail', 'fail'], 'a verdict per rule');

  const strokes = await attrs('#diagram line.msg', 'stroke');
  const accepts = strokes.filter((c) => c === strokes[0]).length;
  t.ok(accepts > 0 && accepts < f.messages, 'two types, two colours');
  await page.locator('label.type', { hasText: 'Accepted' }).locator('input').uncheck();
  const left = await page.locator('#diagram line.msg').count();
  t.ok(left > 0 && left < f.messages, `unticking Accepted hides its arrows (${left} of ${f.messages} left)`);
  await page.locator('label.type', { hasText: 'Accepted' }).locator('input').check();
  t.equal(await page.locator('#diagram line.msg').count(), f.messages, 'ticking it again shows them');

  await page.locator('#rules a.jump').first().click();
  const v0 = Number(await page.locator('#diagram').getAttribute('data-v0'));
  const v1 = Number(await page.locator('#diagram').getAttribute('data-v1'));
  t.ok(v0 <= 805 && 805 <= v1 && v1 - v0 < f.durationMs, `the link zooms the diagram onto the commit at 805 ms (${v0}–${v1})`);
  t.equal(await page.locator('#diagram line.cursor').count(), 1, 'and marks it');

  // The last arrow drawn is on top of any it crosses: the pointer on it shows its fields.
  const last = page.locator('#diagram line.hit').last();
  const i = Number(await last.getAttribute('data-i'));
  await last.hover();
  t.match(
    await page.locator('#tip').textContent(),
    /^Accept(ed)?\s+\d → \d\nsent 0\.\d{3} s\nreceived 0\.\d{3} s \(\+\d\.\d{3} ms\)\nround 1/,
    `hover shows message ${i}’s fields`,
  );
  const screenshot = join(dir, 'report.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  mkdirSync(join(DOCS_PNG, '..'), { recursive: true });
  copyFileSync(screenshot, DOCS_PNG);
  t.same(errors, [], 'no script errors');
  t.same(attempted, [], 'nothing but the page itself was requested');
});

t.test('a big trace: the diagram draws at most 2000 arrows and says so, and all of them zoomed in', { skip }, async (t) => {
  if (CHROMIUM === undefined) {
    t.fail(`CI=true: ${NO_BROWSER}`);
    return;
  }
  const dir = t.testdir({ big: {} });
  const f = writeFixture(join(dir, 'big'), false, 1);
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, 'report', 'big', '-o', 'report.html'], {
    cwd: dir,
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  const browser = await launch(dir);
  t.teardown(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1180, height: 900 }, offline: true })).newPage();
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  await page.waitForSelector('body[data-ready="true"]');
  t.ok(f.messages > 2000, `${f.messages} messages traced`);
  t.equal(await page.locator('#diagram line.msg').count(), 2000, 'the whole run draws 2000 arrows');
  t.match(
    await page.locator('#diagram-status').textContent(),
    `2000 of ${f.messages} messages in view drawn (capped at 2000`,
    'and says so',
  );
  for (let i = 0; i < 3; i++) await page.click('#zoom-in');
  const status = (await page.locator('#diagram-status').textContent()) ?? '';
  const [, drawn, inView] = /: (\d+) of (\d+) messages in view drawn/.exec(status) ?? [];
  t.equal(drawn, inView, `zoomed in to an eighth, every message in view is drawn: ${status}`);
  t.notMatch(status, /capped/);
  t.equal(await page.locator('#diagram line.msg').count(), Number(drawn));
});

/**
 * launch starts Chromium headless. Playwright starts it in a session of its own, which Linux's
 * autogroups would schedule apart from the suite's: it runs through a script in dir that gives
 * that session the suite's nice (runtime/driver/autogroup.ts).
 */
async function launch(dir: string): Promise<Browser> {
  const executablePath = inOurAutogroup(defined(CHROMIUM, 'a test without Chromium fails before launching it'), dir);
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
}

t.test('a KV run: client lanes on the run’s time axis, check --lin’s view, a jump to the failing window', { skip }, async (t) => {
  if (CHROMIUM === undefined) {
    t.fail(`CI=true: ${NO_BROWSER}`);
    return;
  }
  const dir = t.testdir({ 'kv-run': {} });
  const f = copyKvRun(join(dir, 'kv-run'), true);
  const broken = f.broken;
  if (broken === undefined) throw new Error('the fixture has no broken read');
  const { page, errors } = await openReport(t, dir, 'kv-run');

  t.equal(await page.locator('#history text.lane').count(), f.processes, 'a lane per client process');
  t.equal(await page.locator('#history rect.cop').count(), f.ops, 'a bar per op');
  t.equal(await page.locator('#history rect.cop.info').count(), f.info, 'the :info ops marked as such');
  t.equal(await page.locator('#history rect.cop.failing').count(), 1, 'the broken read is the failing set');
  t.equal(await page.locator('#diagram text.lane').count(), 5, 'the message diagram too');
  t.equal(await page.locator('#verdict').textContent(), 'check: FAIL');
  t.match(await page.locator('#rules tr.fail').last().textContent(), `key ${broken.key}: not linearizable`, 'a row for check --lin');
  t.match(
    await page.locator('#lin-view section:visible h2').textContent(),
    `key ${broken.key}: not linearizable`,
    'its view opens on that key',
  );
  t.equal(await page.locator('#lin-view section:visible rect.fail').count(), 1, 'drawn as the checker draws it');

  const axis = async (id: string): Promise<number[]> =>
    Promise.all(['data-v0', 'data-v1'].map(async (a) => Number(await page.locator(id).getAttribute(a))));
  await page.click('#zoom-in');
  t.same(await axis('#history'), await axis('#diagram'), 'zooming moves the lanes and the diagram together');
  await page.click('#zoom-all');
  await page.locator('#lin-view label').last().click();
  t.notMatch(await page.locator('#lin-view section:visible h2').textContent(), broken.key, 'another key’s tab');

  await page.locator('#rules a.lin-jump').click();
  const [v0 = NaN, v1 = NaN] = await axis('#history');
  t.ok(
    v0 <= broken.invokeMs && broken.completeMs <= v1 && v1 - v0 < f.lastMs / 2,
    `the link zooms onto the broken read (${broken.invokeMs}–${broken.completeMs} ms in ${v0}–${v1})`,
  );
  t.same(await axis('#diagram'), [v0, v1], 'the diagram with it');
  t.equal(await page.locator('#history rect.window').count(), 1, 'the window shaded');
  t.match(await page.locator('#lin-view section:visible h2').textContent(), `key ${broken.key}`, 'and the checker’s view back on the key');
  await page.locator('#history rect.cop.failing').hover();
  t.match(await page.locator('#tip').textContent(), `get key ${broken.key} → nobody wrote this`, 'hover shows the op');

  const png = join(dir, 'report-kv.png');
  // Boxes are relative to the viewport, which the link scrolled; the clip is in page coordinates.
  await page.evaluate('window.scrollTo(0, 0)');
  const top = (await page.locator('#diagram-box').boundingBox())?.y ?? 0;
  const box = await page.locator('#history-box').boundingBox();
  await page.screenshot({
    path: png,
    fullPage: true,
    clip: { x: 0, y: top, width: 1180, height: (box?.y ?? 0) + (box?.height ?? 0) - top },
  });
  t.ok(statSync(png).size < 200_000, `the screenshot stays small (${statSync(png).size} B)`);
  copyFileSync(png, DOCS_KV_PNG);
  t.same(errors, [], 'no script errors');
});

t.test('a KV run without traces: the client lanes and their zoom stay, the empty diagram goes', { skip }, async (t) => {
  if (CHROMIUM === undefined) {
    t.fail(`CI=true: ${NO_BROWSER}`);
    return;
  }
  const dir = t.testdir({ 'kv-run': {} });
  const f = copyKvRun(join(dir, 'kv-run'));
  for (let r = 0; r < 5; r++) rmSync(join(dir, 'kv-run', `trace${r}.ndjson`));
  const { page } = await openReport(t, dir, 'kv-run');
  t.equal(await page.locator('#history rect.cop').count(), f.ops, 'a bar per op');
  t.notOk(await page.locator('#diagram').isVisible(), 'no diagram without traces');
  t.ok(await page.locator('#zoom-in').isVisible(), 'but the zoom, for the lanes');
  const width = async (): Promise<number> =>
    Number(await page.locator('#history').getAttribute('data-v1')) - Number(await page.locator('#history').getAttribute('data-v0'));
  const before = await width();
  await page.click('#zoom-in');
  t.equal(await width(), before / 2, 'zoom in halves the window');
});

t.test('a Vectory run: mastered shards per node over time, a step line per node, the kill shaded', { skip }, async (t) => {
  if (CHROMIUM === undefined) {
    t.fail(`CI=true: ${NO_BROWSER}`);
    return;
  }
  const dir = t.testdir({ 'vectory-run': {} });
  const f = writeVectoryFixture(join(dir, 'vectory-run'));
  // the page grades Vectory by its client history (none here: no check ran, docs/report.md); the chart is what is tested here
  const { page, errors } = await openReport(t, dir, 'vectory-run');
  t.ok(await page.locator('#series').isVisible(), 'the chart is shown');
  t.equal(await page.locator('#series-title').textContent(), 'mastered shards per node over time (from the logs)');
  const attrs = async (css: string, name: string): Promise<(string | null)[]> =>
    Promise.all((await page.locator(css).all()).map((l) => l.getAttribute(name)));
  t.same((await attrs('#series polyline.step:not(.none)', 'data-last')).map(Number), f.last, 'a step line per node, ending at its shards');
  t.same(await attrs('#series polyline.step.none', 'data-last'), ['0'], 'and one for shards without a master, at 0 by the end');
  t.equal(await page.locator('#series rect.fault-kill').count(), 1, 'the kill shaded where node 3 was down');
  const points = ((await page.locator('#series polyline.step').nth(4).getAttribute('points')) ?? '').split(' ');
  t.ok(points.length >= 2 * 4, `node 3's line steps at each change (${points.length} points)`);
  const png = join(dir, 'report-balance.png');
  await page.locator('#series-box').screenshot({ path: png });
  t.ok(statSync(png).size < 100_000, `the screenshot stays small (${statSync(png).size} B)`);
  copyFileSync(png, DOCS_BALANCE_PNG);
  t.same(errors, [], 'no script errors');
});
