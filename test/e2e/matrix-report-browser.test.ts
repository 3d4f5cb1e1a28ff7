// report.html in a real browser: Debian's Chromium (the `test` requirement
// group; `krepro doctor --install` installs it), driven headless by
// playwright-core over the DevTools protocol. The report is merge-reports'
// output for a two-shard nightly written to disk (test/unit/matrix/
// result-dirs.ts: real-shaped attempt directories, crashes from the seed
// consoles), opened from file:// as a person opens a downloaded artifact.
// Checks: every cell renders, the filters change what is visible, every
// evidence link resolves (as the browser resolves it) to a file, a console
// title's markup stays text.
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isNews } from '../../harness/matrix/html.js';
import { HOSTILE_TITLE, writeMergedReport } from '../unit/matrix/result-dirs.js';

const CHROMIUM = process.env.KREPRO_CHROMIUM ?? '/usr/bin/chromium';

/** The visible cells' ids, in page order. */
async function visibleCells(page: Page): Promise<string[]> {
  const ids: string[] = [];
  for (const td of await page.locator('td.cell').all()) if (await td.isVisible()) ids.push((await td.getAttribute('data-cell'))!);
  return ids;
}

t.test('the matrix report in Chromium: every cell, the filters, the links', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} exists (the test requirement group: krepro doctor --install)`);
  if (!existsSync(CHROMIUM)) return;
  const { dir, summary } = await writeMergedReport(t.testdir({}));
  const byKernel = (k: string) => summary.cells.filter((c) => c.axes.kernel === k).map((c) => c.id);

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(path.join(dir, 'report.html')).href;
  await page.goto(url);

  // Every cell renders, with its verdict and rate; the crash title's markup is text.
  t.same(await visibleCells(page), summary.cells.map((c) => c.id), 'every cell of the summary is visible, in matrix order (rows, then kernel × zfs columns)');
  for (const c of summary.cells) {
    const text = await page.locator(`td.cell[id="cell-${c.index}"]`).innerText();
    t.match(text, new RegExp(`${c.verdict.toUpperCase()}\\s+${c.rate.replace('/', '\\/')}`), `${c.id}: verdict and rate`);
    if (c.crash) t.ok(text.includes(c.crash.title), `${c.id}: crash title shown`);
  }
  t.equal(await page.title(), 'krepro matrix: nightly', 'no script from a console title ran');
  t.ok((await page.locator('td.cell[data-cell^="smoke/hostile"] .what').innerText()).includes(HOSTILE_TITLE), 'the hostile title reads as written');
  t.equal(await page.locator('td.cell img').count(), 0, 'no element made from a title');
  t.match(await page.locator('li.sig').first().innerText(), /in 2 cells:/, 'signatures counted across cells');
  t.equal(await page.locator('#shown').innerText(), `${summary.cells.length} of ${summary.cells.length} cells shown`);

  // Filters.
  const failing = summary.cells.filter((c) => c.verdict !== 'passed').map((c) => c.id);
  await page.check('#f-failing');
  t.same(await visibleCells(page), failing, 'failing only');
  t.equal(await page.locator('#shown').innerText(), `${failing.length} of ${summary.cells.length} cells shown`);
  await page.check('#f-news');
  const news = summary.cells.filter(isNews).map((c) => c.id);
  t.ok(news.length >= 1 && news.length < failing.length, `some news: ${news.join(', ')}`);
  t.same(await visibleCells(page), news, 'new failures only');
  t.equal(await page.locator('table.grid tbody tr:visible').count(), new Set(summary.cells.filter(isNews).map((c) => c.scenario)).size, 'rows with nothing to show are hidden');
  await page.uncheck('#f-news');
  await page.uncheck('#f-failing');
  const k612 = '6.12.48+deb12-amd64';
  await page.selectOption('#f-kernel', k612);
  t.same(await visibleCells(page), byKernel(k612), 'one kernel: its cells only');
  t.notOk(await page.locator('th[data-kernel="6.1.0-56-amd64"]').first().isVisible(), 'the other kernel\'s columns are gone');
  await page.selectOption('#f-kernel', '*');
  t.same(await visibleCells(page), summary.cells.map((c) => c.id), 'all again');

  // Links: every evidence link, as the browser resolves it, is a file of the report.
  const hrefs = await page.locator('a.ev').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
  t.ok(hrefs.length >= summary.cells.length * 3, `${hrefs.length} evidence links`);
  const broken = hrefs.filter((h) => !h.startsWith('file:') || !existsSync(fileURLToPath(h)));
  t.same(broken, [], 'every evidence link resolves to an existing file');
  t.ok(hrefs.every((h) => fileURLToPath(h).startsWith(dir + path.sep)), 'and stays inside the report directory');
  const anchors = await page.locator('a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!.slice(1)));
  for (const id of new Set(anchors)) t.equal(await page.locator(`[id="${id}"]`).count(), 1, `#${id} points at a cell`);
  // Follow one for real: the btrfs cell's console shows the BUG.
  const btrfs = summary.cells.find((c) => c.id.startsWith('btrfs/send-balance/kernel=6.1.'))!;
  await page.locator(`td.cell[id="cell-${btrfs.index}"] a.ev`, { hasText: 'console' }).click();
  t.match(await page.locator('body').innerText(), /kernel BUG at fs\/btrfs\/ctree\.c/, 'the console link opens the cell\'s console.log');
  await page.goBack();
  // A step output, behind its <details>.
  await page.locator(`td.cell[id="cell-${btrfs.index}"] summary`).click();
  await page.locator(`td.cell[id="cell-${btrfs.index}"] a.ev`, { hasText: 'trigger.sh' }).click();
  t.match(await page.locator('body').innerText(), /output of run: \.\/trigger\.sh/, 'a step output link opens that step\'s output');

  t.same(problems, [], 'no script error in the page');
  t.same([...new Set(requests.map((r) => new URL(r).protocol))], ['file:'], 'nothing loaded from the network');
});
