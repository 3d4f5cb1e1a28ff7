// Sharding, classification against a baseline, merging shard reports and the
// JUnit view, on hand-made cells and result files (no VM).
import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assignShards, parseShard } from '../../../harness/matrix/shard.js';
import { classify, matrixExitCode } from '../../../harness/matrix/classify.js';
import { buildSummary, factsOf, matrixJunit, type CellFacts } from '../../../harness/matrix/report.js';
import { mergeReports, mergeSummaries } from '../../../harness/matrix/merge.js';
import { defaultJobs, runSlots } from '../../../harness/matrix/slots.js';
import type { Cell, KnownFailure, MatrixSummary } from '../../../harness/matrix/types.js';

const ids = Array.from({ length: 23 }, (_, i) => `s${i % 5}/kernel=k${i % 3}/zfs=${i}`);

t.test('--shard i/n: every cell in exactly one shard, the same whatever the order, balanced', async (t) => {
  for (const n of [1, 2, 3, 7]) {
    const a = assignShards(ids, n);
    const b = assignShards([...ids].reverse(), n);
    t.same([...a].sort(), [...b].sort(), `${n} shards: independent of order`);
    const counts = Array.from({ length: n }, (_, i) => [...a.values()].filter((s) => s === i + 1).length);
    t.equal(counts.reduce((x, y) => x + y, 0), ids.length, 'every cell once');
    t.ok(Math.max(...counts) - Math.min(...counts) <= 1, `round-robin counts ${counts.join('/')}`);
  }
  // One long cell and many short ones: by durations the long one gets a shard to itself.
  const durations = new Map(ids.map((id, i) => [id, i === 0 ? 100_000 : 1000]));
  const by = assignShards(ids, 2, durations);
  const load = [1, 2].map((s) => ids.filter((id) => by.get(id) === s).reduce((x, id) => x + durations.get(id)!, 0));
  t.same(load.sort((x, y) => x - y), [22_000, 100_000], 'longest first onto the least loaded shard');
  t.same(parseShard('2/3'), { index: 2, total: 3 });
  t.throws(() => parseShard('0/2'), /--shard: expected i\/n/);
  t.throws(() => parseShard('3/2'), /--shard/);
});

function facts(id: string, verdicts: Array<'passed' | 'failed' | 'error'>, extra: Partial<CellFacts> = {}): CellFacts {
  const failures = verdicts.filter((v) => v === 'failed').length;
  return {
    id, index: 0, scenario: id.split('/')[0]!, name: id.split('/')[0]!, axes: {},
    verdict: verdicts.includes('failed') ? 'failed' : verdicts.at(-1)!, message: 'm',
    attempts: verdicts.length, failures, rate: `${failures}/${verdicts.length}`, attemptVerdicts: verdicts,
    durationMs: 1000, artifacts: {}, dirs: [`cells/${id}/1`], ...extra,
  };
}

const panic = { kind: 'spl-panic', title: 'SPL PANIC in zio_encrypt', signature: 'aaaa', step: 4 };
const known: KnownFailure[] = [
  { cell: 'zfs/replug/**', title: 'zio_encrypt', link: 'https://github.com/openzfs/zfs/issues/18394', intermittent: true },
  { cell: 'old/*', title: '.', link: 'https://example.org/old', intermittent: false, expires: '2026-01-31' },
];

t.test('every cell gets one class; only news sets the exit status', async (t) => {
  const baseline = new Map([
    ['a', facts('a', ['passed'])], ['b', facts('b', ['failed'])], ['c', facts('c', ['failed'])], ['d', facts('d', ['passed'])],
    ['old/x', facts('old/x', ['failed'])],
  ]);
  const today = '2026-03-01';
  const cls = (f: CellFacts, b: typeof baseline | undefined = baseline) => classify(f, known, b, today).class;
  t.equal(cls(facts('a', ['failed'])), 'new-failure');
  t.equal(cls(facts('b', ['passed'])), 'fixed');
  t.equal(cls(facts('c', ['failed'])), 'still-failing');
  t.equal(cls(facts('d', ['passed'])), 'passing');
  t.equal(cls(facts('e', ['passed'])), 'new-cell');
  t.equal(cls(facts('a', ['passed', 'passed', 'failed'])), 'flaky', 'verdicts differ across attempts');
  t.equal(cls(facts('a', ['error'])), 'error');
  t.equal(cls(facts('zfs/replug/k=1', ['failed'], { crash: panic })), 'known');
  t.equal(cls(facts('zfs/replug/k=1', ['failed'], { crash: { ...panic, title: 'BUG in something_else' } })), 'new-cell', 'another crash in a known cell is news');
  t.equal(cls(facts('zfs/replug', ['passed'])), 'known', 'an intermittent known bug that did not show is no news');
  const expired = classify(facts('old/x', ['failed']), known, baseline, today);
  t.same(expired, { class: 'still-failing', baseline: { verdict: 'failed', rate: '1/1' }, expiredKnown: { link: 'https://example.org/old', expires: '2026-01-31' } }, 'an expired known failure is reported again');
  t.equal(classify(facts('old/x', ['failed']), known, baseline, '2026-01-31').class, 'known', 'not expired on its last day');
  t.equal(classify(facts('a', ['failed']), known, undefined, today).class, 'new-cell', 'no baseline: every cell is new');

  t.equal(matrixExitCode([{ class: 'still-failing', verdict: 'failed' }, { class: 'known', verdict: 'failed' }, { class: 'flaky', verdict: 'failed' }, { class: 'fixed', verdict: 'passed' }]), 0);
  t.equal(matrixExitCode([{ class: 'error', verdict: 'error' }, { class: 'passing', verdict: 'passed' }]), 3);
  t.equal(matrixExitCode([{ class: 'error', verdict: 'error' }, { class: 'new-failure', verdict: 'failed' }]), 1);
  t.equal(matrixExitCode([{ class: 'new-cell', verdict: 'failed' }]), 1, 'a failing cell nobody has seen is a new failure');
  t.equal(matrixExitCode([{ class: 'new-cell', verdict: 'passed' }]), 0);
});

const cellsOf = (n: number): CellFacts[] => Array.from({ length: n }, (_, i) => facts(`s/c=${i}`, i % 3 === 0 ? ['failed'] : ['passed'], {
  index: i, crash: i % 3 === 0 ? { ...panic, signature: i % 2 ? 'aaaa' : 'bbbb', title: `T${i % 2}` } : undefined,
}));
const input = (shard?: { index: number; total: number }) => ({
  matrix: { file: '/m.yaml', name: 'm', cells: 7, known: [] }, ...(shard ? { shard } : {}), impossible: [], notes: [], today: '2026-03-01',
  run: { startedAt: '2026-03-01T00:00:00.000Z', finishedAt: '2026-03-01T00:01:00.000Z', durationMs: 60_000, jobs: 1 },
});
const comparable = (s: MatrixSummary) => ({ ...s, run: undefined, cells: s.cells.map((c) => ({ ...c, durationMs: undefined })) });

t.test('shards merge into the report one unsharded run writes; signatures are counted across cells', async (t) => {
  const all = cellsOf(7);
  const whole = buildSummary(all, input());
  t.same(whole.signatures.map((g) => [g.signature, g.cells.length]), [['bbbb', 2], ['aaaa', 1]], 'one entry per signature, most cells first');
  const which = assignShards(all.map((c) => c.id), 2);
  const parts = [1, 2].map((i) => buildSummary(all.filter((c) => which.get(c.id) === i).reverse(), input({ index: i, total: 2 })));
  t.ok(parts.every((p) => p.cells.length > 0), 'both shards have cells');
  const merged = mergeSummaries([parts[1]!, parts[0]!]);
  t.same(comparable(merged), comparable(whole), 'merged = unsharded, timings aside');
  t.equal(merged.shard, undefined);
  t.match(mergeSummaries([parts[0]!]).notes, [/merged without shard\(s\) 2\/2/]);
  t.throws(() => mergeSummaries([parts[0]!, parts[0]!]), /is in two reports/);
  t.throws(() => mergeSummaries([parts[0]!, { ...parts[1]!, matrix: { ...parts[1]!.matrix, file: '/other.yaml' } }]), /different matrices/);
  // A merge keeps each shard's classes: re-deriving facts and classes gives the same.
  t.same(buildSummary(merged.cells.map(factsOf), input()).cells, whole.cells);
});

t.test('merge-reports copies every cell directory so the merged report links resolve', async (t) => {
  const root = t.testdir({});
  const all = cellsOf(4);
  const which = assignShards(all.map((c) => c.id), 2);
  const dirs: string[] = [];
  for (const i of [1, 2]) {
    const d = path.join(root, `shard-${i}`);
    const mine = all.filter((c) => which.get(c.id) === i);
    for (const c of mine) {
      await mkdir(path.join(d, c.dirs[0]!), { recursive: true });
      await writeFile(path.join(d, c.dirs[0]!, 'result.json'), JSON.stringify({ id: c.id }));
    }
    await writeFile(path.join(d, 'summary.json'), JSON.stringify(buildSummary(mine, input({ index: i, total: 2 }))));
    dirs.push(d);
  }
  const out = path.join(root, 'merged');
  const merged = await mergeReports(dirs, out);
  t.equal(merged.cells.length, 4);
  for (const c of merged.cells) t.ok(existsSync(path.join(out, c.dirs[0]!, 'result.json')), `${c.dirs[0]} copied`);
  t.same(JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')).cells.map((c: { id: string }) => c.id), all.map((c) => c.id));
  t.match(await readFile(path.join(out, 'junit.xml'), 'utf8'), /tests="4" failures="2"/);
  await t.rejects(mergeReports([path.join(root, 'nope')], out), /not a matrix report/);
});

t.test('JUnit: one testcase per cell with kernel, zfs, attempts and signature; a known failure is skipped with its link', async (t) => {
  const s = buildSummary([
    facts('zfs/replug/kernel=6.1/zfs=2.3.2', ['passed', 'failed'], { index: 0, axes: { kernel: '6.1', zfs: '2.3.2' }, crash: panic }),
    facts('smoke/boot', ['failed'], { index: 1, reason: 'step-failed', message: 'step 1 exited 1' }),
  ], { ...input(), matrix: { ...input().matrix, known } });
  const xml = matrixJunit(s);
  t.match(xml, /<testsuite name="krepro" tests="2" failures="1" errors="0" skipped="1"/);
  t.match(xml, /<property name="kernel" value="6\.1"\/>\s*<property name="zfs" value="2\.3\.2"\/>\s*<property name="attempts" value="2"\/>\s*<property name="rate" value="1\/2"\/>\s*<property name="class" value="known"\/>\s*<property name="signature" value="aaaa"\/>/);
  t.match(xml, /<skipped message="known failure: https:\/\/github.com\/openzfs\/zfs\/issues\/18394"\/>/);
  t.match(xml, /<failure type="step-failed" message="step 1 exited 1">/);
});

t.test('VM slots: the default from cores and memory; a cell starts only when it fits', async (t) => {
  const cell = (cpus: number, memoryMiB: number) => ({ scenario: { machine: { cpus, memoryMiB } } }) as unknown as Cell;
  t.equal(defaultJobs([cell(2, 1024)], { cores: 2, totalMiB: 24_000, freeMiB: 17_000 }), 1, '2 cores, 2 vCPUs: one VM');
  t.equal(defaultJobs([cell(1, 1024), cell(1, 1024)], { cores: 2, totalMiB: 24_000, freeMiB: 17_000 }), 2);
  t.equal(defaultJobs([cell(1, 2048), cell(1, 2048), cell(1, 2048)], { cores: 8, totalMiB: 8_000, freeMiB: 6_000 }), 2, 'memory: (6000-512) / (2048+256)');
  const order: string[] = [];
  let live = 0;
  let most = 0;
  const need = new Map([['a', 300], ['b', 300], ['c', 300], ['big', 5000]]);
  await runSlots(['a', 'b', 'c', 'big'], { jobs: 3, budgetMiB: 700, need: (x) => need.get(x)! }, async (x) => {
    live++;
    most = Math.max(most, live);
    order.push(`start ${x}`);
    await new Promise((r) => setTimeout(r, 10));
    order.push(`end ${x}`);
    live--;
  });
  t.equal(most, 2, 'jobs 3, but 700 MiB hold two 300 MiB cells');
  t.ok(order.indexOf('start big') > order.lastIndexOf('end c') - 1 && order.filter((o) => o.startsWith('end')).length === 4, 'the big cell ran alone, after the others');
});
