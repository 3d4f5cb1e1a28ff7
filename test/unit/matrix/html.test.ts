// report.html from a merged nightly report on disk (result-dirs.ts: real
// consoles triaged, two shards merged): every cell in the grid at its
// scenario × kernel × ZFS place, signatures counted across cells, every
// relative link an existing file, text escaped, nothing loaded from elsewhere.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { esc, matrixHtml, readEvidence, relHref } from '../../../harness/matrix/html.js';
import { buildSummary, type CellFacts } from '../../../harness/matrix/report.js';
import { HOSTILE_TITLE, PLANS, writeMergedReport } from './result-dirs.js';

/** Every href in the page that is not an anchor or a web link: relative file links. */
const fileLinks = (html: string) => [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => m[1]!).filter((h) => !/^https?:/.test(h));
const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

t.test('merge-reports writes report.html: one grid cell per matrix cell, at its scenario × kernel × zfs place', async (t) => {
  const { dir, summary } = await writeMergedReport(t.testdir({}));
  const html = await readFile(path.join(dir, 'report.html'), 'utf8');
  const cells = [...html.matchAll(/<td class="cell[^"]*"[^>]*data-cell="([^"]+)"/g)].map((m) => unesc(m[1]!));
  t.same(cells.sort(), summary.cells.map((c) => c.id).sort(), 'every cell once');
  t.equal(summary.cells.length, PLANS.length);
  // Columns: each kernel × {no zfs axis, then its ZFS versions in matrix order}; rows: the 6 scenarios.
  t.match(html, /<th colspan="3" data-kernel="6\.1\.0-56-amd64">6\.1\.0-56-amd64<\/th><th colspan="3" data-kernel="6\.12\.48\+deb12-amd64">/);
  t.match(html, /<tr><th data-kernel="6\.1\.0-56-amd64"><span class="dim">no zfs axis<\/span><\/th><th data-kernel="6\.1\.0-56-amd64">zfs 2\.3\.2<\/th><th data-kernel="6\.1\.0-56-amd64">zfs 2\.1\.11<\/th><th data-kernel="6\.12\.48\+deb12-amd64"><span class="dim">no zfs axis<\/span><\/th><th data-kernel="6\.12\.48\+deb12-amd64">zfs 2\.1\.11<\/th><th data-kernel="6\.12\.48\+deb12-amd64">zfs 2\.3\.2<\/th><\/tr>/);
  const rows = html.split('<tbody>')[1]!.split('</tbody>')[0]!.trim().split('\n');
  t.equal(rows.length, 6, 'one row per scenario');
  const btrfs = rows.find((r) => r.includes('btrfs/send-balance'))!;
  t.equal((btrfs.match(/<td class="none"/g) ?? []).length, 4, 'btrfs has no zfs axis: blanks under the zfs columns');
  t.match(btrfs, /class="cell v-failed c-new-failure"[^>]*data-news="1"/, 'passed last night, fails now: news');
  t.match(html, /c-known[^>]*data-cell="zfs\/raw-send-usb-replug\/kernel=6\.1\.0-56-amd64\/zfs=2\.1\.11"[\s\S]*?<span class="rate"[^>]*>1\/2<\/span>/, 'reproduction rate k/n');
  t.match(html, /known: <a href="https:\/\/github\.com\/openzfs\/zfs\/issues\/18394">/);
  t.match(html, /<b>kernel BUG in read_node_slot<\/b> <span class="dim">kernel-bug, signature \w+<\/span> — in <b>2<\/b> cells: <a href="#cell-4">/, 'the btrfs BUG deduplicated: in 2 cells');
  t.match(html, /10<\/b> of 10 cells: 2 passed, 7 failed, 1 error \(1 new failure, 3 still failing, 2 known, 1 new cell, 2 passing, 1 error\); exit status 1/);
  t.match(html, /merged from 2 shard reports/);
  t.match(html, /not a cell: smoke\/boot × zfs 2\.3\.2, 2\.1\.11/);
  t.match(html, /<div class="dim">1 min 34 s /, 'each cell says how long it took');
});

t.test('every link in the page is relative and resolves to a file of the report directory', async (t) => {
  const { dir, summary } = await writeMergedReport(t.testdir({}));
  const html = await readFile(path.join(dir, 'report.html'), 'utf8');
  const links = fileLinks(html);
  const attempts = summary.cells.reduce((n, c) => n + c.dirs.length, 0);
  // console + result + qmp + 2 step outputs per attempt, but the build failure has only result.json.
  t.equal(links.length, (attempts - 1) * 5 + 1, 'console, result.json, qmp.jsonl and step outputs of every attempt');
  for (const l of links) {
    t.notMatch(l, /^\/|^[a-z]+:/, `${l} is relative`);
    t.ok(existsSync(path.join(dir, decodeURIComponent(unesc(l)))), `${l} resolves`);
  }
  const build = html.slice(html.indexOf('data-cell="zfs/pipe-receive/kernel=6.12'));
  t.match(build.slice(0, build.indexOf('</td>')), /no console\.log/, 'a missing console.log is said, not linked');
  // A file that disappears is no longer linked.
  await rm(path.join(dir, summary.cells[0]!.dirs[0]!, 'console.log'));
  const again = matrixHtml(summary, await readEvidence(dir, summary));
  t.equal(fileLinks(again).length, links.length - 1);
});

t.test('crash titles and messages are text: no markup from a console reaches the page', async (t) => {
  const { dir } = await writeMergedReport(t.testdir({}));
  const html = await readFile(path.join(dir, 'report.html'), 'utf8');
  t.equal(html.match(/<script/g)?.length, 1, 'only the page\'s own script');
  t.notMatch(html, /<img/);
  t.ok(html.includes(esc(HOSTILE_TITLE)), 'the title is there, escaped');
  t.match(html, /does not build for 6\.12: configure: error: &lt;linux\/blkdev\.h&gt; &amp; friends/);
  t.equal(esc('a\u001b[31mb'), 'a\ufffd[31mb', 'control characters from a console are neutralised');
  t.equal(relHref('cells/zfs/x/cmdline=spl.spl_panic_halt=1 a#b/1/console.log'), 'cells/zfs/x/cmdline%3Dspl.spl_panic_halt%3D1%20a%23b/1/console.log');
});

t.test('the page is self-contained: no stylesheet, script or image from elsewhere', async (t) => {
  const { dir } = await writeMergedReport(t.testdir({}));
  const html = await readFile(path.join(dir, 'report.html'), 'utf8');
  t.notMatch(html, /<link\b|<[^>]+\ssrc=|@import|url\(/);
  const web = [...html.matchAll(/href="(https?:[^"]+)"/g)].map((m) => m[1]);
  t.same([...new Set(web)], ['https://github.com/openzfs/zfs/issues/18394'], 'only the known failure\'s upstream link');
});

t.test('a cmdline axis makes rows: one per scenario × cmdline variant, said under the scenario', async (t) => {
  const cell = (index: number, cmdline: string[], verdict: 'passed' | 'failed'): CellFacts => ({
    id: `smoke/boot/cmdline=${cmdline.join(',')}`, index, scenario: 'smoke/boot', name: 'boot', axes: { cmdline },
    verdict, message: verdict === 'passed' ? 'ok' : 'step 2 exited 1', attempts: 1, failures: verdict === 'failed' ? 1 : 0,
    rate: verdict === 'failed' ? '1/1' : '0/1', attemptVerdicts: [verdict], durationMs: 5000, artifacts: {}, dirs: [],
  });
  const s = buildSummary([cell(0, [], 'passed'), cell(1, ['spl.spl_panic_halt=1', 'x<y'], 'failed')], {
    matrix: { file: 'm.yaml', name: 'm', cells: 2, known: [] }, impossible: [], notes: [], today: '2026-12-03',
    run: { startedAt: '', finishedAt: '', durationMs: 5000 },
  });
  const html = matrixHtml(s, new Map());
  const rows = html.split('<tbody>')[1]!.split('</tbody>')[0]!.trim().split('\n');
  t.equal(rows.length, 2);
  t.match(rows[0]!, /<div>smoke\/boot<\/div><div class="dim">cmdline: \(none\)<\/div>/);
  t.match(rows[1]!, /cmdline: spl\.spl_panic_halt=1 x&lt;y<\/div>[\s\S]*data-verdict="failed"/);
  t.match(html, /<th colspan="1" data-kernel="">scenario&#39;s kernel<\/th>/, 'no kernel axis: the scenario\'s own kernel');
  t.match(html, /step-failed|step 2 exited 1/);
});
