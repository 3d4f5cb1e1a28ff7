// The CI job summary (merge-reports --summary-md): new / fixed / flaky / error
// rows of a real-shaped merged report, escaped for a markdown table, and never
// over GitHub's 1 MiB step-summary limit however many cells changed.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { mergeCommand } from '../../../harness/matrix/command.js';
import { mdCell, SUMMARY_MAX_BYTES, summaryMarkdown } from '../../../harness/matrix/markdown.js';
import type { CellSummary, MatrixSummary } from '../../../harness/matrix/types.js';
import { writeMergedReport } from './result-dirs.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const tableRows = (md: string) => md.split('\n').filter((l) => /^\| (new failure|fixed|flaky|error) \|/.test(l));

t.test('merge-reports --summary-md writes the table of what changed, news first', async (t) => {
  const root = t.testdir({});
  const { shards } = await writeMergedReport(path.join(root, 'r'));
  const file = path.join(root, 'step-summary.md');
  const code = await mergeCommand(shards, path.join(root, 'again'), sink(), { summaryMd: file });
  t.equal(code, 1, 'the exit status is the report\'s');
  const md = await readFile(file, 'utf8');
  t.match(md, /^## krepro nightly: 2 new failures\n/);
  t.match(md, /\*\*10\*\* of 10 cells: 2 passed, 7 failed, 1 error — 2 new, 0 fixed, 0 flaky, 3 still failing, 2 known; exit status 1; 1 h 0 min \(merged from 2 reports\)\./);
  t.same(tableRows(md).map((l) => l.split(' | ').slice(0, 3).join(' | ')), [
    '| new failure | btrfs/send-balance/kernel=6.1.0-56-amd64 | failed',
    '| new failure | smoke/hostile/kernel=6.1.0-56-amd64 | failed',
    '| error | zfs/pipe-receive/kernel=6.12.48+deb12-amd64/zfs=2.1.11 | error',
  ]);
  t.match(md, /\| new failure \| btrfs\/send-balance\/kernel=6\.1\.0-56-amd64 \| failed \| 1\/1 \| passed 0\/1 \| kernel BUG in read\\_node\\_slot \|/);
  t.match(md, /\| WARNING in &lt;script&gt;document.title='pwned'&lt;\/script&gt; &amp; "q" &lt;img src=x onerror=alert\(1\)&gt; \|/, 'markup from a console is text');
  t.notMatch(md, /more rows? not shown/);

  // One shard alone: the merge's note is said; an unwritable summary file is a clear error.
  const one = path.join(root, 'one.md');
  await mergeCommand([shards[0]!], path.join(root, 'one'), sink(), { summaryMd: one });
  t.match(await readFile(one, 'utf8'), /\n> merged without shard\(s\) 2\/2: their cells are missing\n/);
  await t.rejects(mergeCommand(shards, path.join(root, 'again2'), sink(), { summaryMd: path.join(root, 'no', 'such', 'dir.md') }),
    { name: 'InputError', message: /^--summary-md .*dir\.md: cannot write the job summary \(the report itself is written\): ENOENT/ });
});

t.test('a table cell holds one line, with no pipe or markup of its own', async (t) => {
  t.equal(mdCell('a | b\n  c <b>*x*</b> [l](u) `c` \\'), 'a \\| b c &lt;b&gt;\\*x\\*&lt;/b&gt; \\[l\\](u) \\`c\\` \\\\');
  t.equal(mdCell('x'.repeat(500)).length, 300, 'long titles are cut');
});

/** A merged nightly where `n` cells newly fail, each with a long (multi-byte) title. */
function huge(n: number): MatrixSummary {
  const cells: CellSummary[] = Array.from({ length: n }, (_, i) => ({
    id: `zfs/scenario-${i}/kernel=6.1.0-56-amd64/zfs=2.3.2`, index: i, scenario: `zfs/scenario-${i}`, name: 's', axes: {},
    verdict: 'failed', message: 'm', attempts: 3, failures: i % 2 ? 1 : 3, rate: i % 2 ? '1/3' : '3/3',
    attemptVerdicts: i % 2 ? ['passed', 'passed', 'failed'] : ['failed', 'failed', 'failed'],
    crash: { kind: 'spl-panic', title: `VERIFY3(… ≠ …) failed — ${'ü'.repeat(400)}`, signature: `s${i}`, step: 3 },
    durationMs: 1000, artifacts: {}, dirs: [], class: i % 2 ? 'flaky' : 'new-failure', baseline: { verdict: 'passed', rate: '0/1' },
  }));
  return {
    kind: 'krepro-matrix', version: 1, matrix: { file: 'm.yaml', name: 'nightly', cells: n, known: [] }, impossible: [], notes: [],
    cells, signatures: [], totals: { cells: n, passed: 0, failed: n, error: 0, classes: { 'new-failure': Math.ceil(n / 2), flaky: Math.floor(n / 2) } },
    exitCode: 1, run: { startedAt: '', finishedAt: '', durationMs: 1000 },
  };
}

t.test('the summary stays under the cap whatever the number of rows; the cut is said and counted', async (t) => {
  const s = huge(20_000);
  const md = summaryMarkdown(s);
  const bytes = Buffer.byteLength(md, 'utf8');
  t.ok(bytes <= SUMMARY_MAX_BYTES && SUMMARY_MAX_BYTES < 1024 * 1024, `${bytes} bytes ≤ ${SUMMARY_MAX_BYTES} < 1 MiB`);
  t.ok(bytes > SUMMARY_MAX_BYTES - 2000, 'the room is used, not wasted');
  const rows = tableRows(md);
  const left = Number(/\*\*(\d+) more rows not shown\*\*/.exec(md)?.[1]);
  t.equal(rows.length + left, 20_000, `${rows.length} rows shown + ${left} not shown = every row`);
  t.ok(rows.every((r) => r.endsWith(' |')), 'rows are cut whole');
  t.match(rows[0]!, /^\| new failure \|/, 'news first');
  t.match(rows.at(-1)!, /^\| new failure \|/, 'flaky rows give way to news');
  t.match(md, /report\.html beside summary\.json\.\n$/, 'the pointer to the full report survives the cut');

  for (const maxBytes of [4096, 50_000]) {
    const small = summaryMarkdown(s, { maxBytes });
    t.ok(Buffer.byteLength(small, 'utf8') <= maxBytes, `--max ${maxBytes}: ${Buffer.byteLength(small, 'utf8')} bytes`);
    t.match(small, /more rows not shown/);
  }
  const few = summaryMarkdown(huge(3));
  t.equal(tableRows(few).length, 3, 'a small report is whole');
  t.notMatch(few, /not shown/);
});
