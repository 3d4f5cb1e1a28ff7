// --history: earlier nights' reports on disk → per-cell failed-nights rates,
// first-seen dates, and a failure that comes and goes classified flaky rather
// than new (and so not retried). Reports are the matrix's own buildSummary output.
import t, { type Test } from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSummary, type CellFacts } from '../../../harness/matrix/report.js';
import { cellHistory, readHistory, signaturesFirstSeen } from '../../../harness/matrix/history.js';
import { runCell } from '../../../harness/matrix/cell.js';
import { summarise } from '../../../harness/run/suite.js';
import type { Cell, CellCrash, CellSummary, MatrixSummary } from '../../../harness/matrix/types.js';
import type { ScenarioResult } from '../../../harness/results/types.js';
import type { Scenario } from '../../../harness/scenario/types.js';

const s1: CellCrash = { kind: 'spl-panic', title: 'SPL PANIC in zio_encrypt', signature: 'sig-s1', step: 16 };
const s2: CellCrash = { kind: 'bug', title: 'kernel BUG at fs/btrfs/send.c', signature: 'sig-s2', step: 7 };

function facts(id: string, verdict: 'passed' | 'failed', crash?: CellCrash): CellFacts {
  return {
    id, index: id === 'a' ? 0 : 1, scenario: id, name: id, axes: {}, verdict, message: crash?.title ?? 'ok',
    attempts: 1, failures: verdict === 'failed' ? 1 : 0, rate: verdict === 'failed' ? '1/1' : '0/1', attemptVerdicts: [verdict],
    ...(crash ? { crash } : {}), durationMs: 1000, artifacts: {}, dirs: [`cells/${id}/1`],
  };
}

function night(date: string, cells: CellFacts[], name = 'nightly'): MatrixSummary {
  return buildSummary(cells, {
    matrix: { file: '/m/nightly.yaml', name, cells: cells.length, known: [] }, impossible: [], notes: [], today: date,
    run: { startedAt: `${date}T02:00:00.000Z`, finishedAt: `${date}T03:00:00.000Z`, durationMs: 3_600_000 },
  });
}

async function historyDir(t: Test): Promise<string> {
  const dir = t.testdir({ 'not-a-report': { 'result.json': '{}' }, 'half-written': { 'summary.json': '{"kind":"krepro-mat' } });
  const nights: Array<[string, MatrixSummary]> = [
    ['n1', night('2026-11-29', [facts('a', 'failed', s1), facts('b', 'passed')])],
    ['n2', night('2026-11-30', [facts('a', 'passed'), facts('b', 'passed')])],
    ['n3', night('2026-12-01', [facts('a', 'failed', s2), facts('b', 'passed')])],
    ['n4', night('2026-12-02', [facts('a', 'passed'), facts('b', 'passed')])],
    ['other', night('2026-12-02', [facts('a', 'failed', s1)], 'another-matrix')],
  ];
  for (const [d, s] of nights) {
    await mkdir(join(dir, d));
    await writeFile(join(dir, d, 'summary.json'), JSON.stringify(s));
  }
  return dir;
}

t.test('earlier nights of the same matrix, oldest first, within the window', async (t) => {
  const dir = await historyDir(t);
  const all = await readHistory(dir, 'nightly');
  t.same(all.map((n) => n.date), ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'], 'another matrix, a non-report and a half-written report are not history');
  t.same((await readHistory(dir, 'nightly', { window: 2 })).map((n) => n.date), ['2026-12-01', '2026-12-02']);
  t.same((await readHistory(dir, 'nightly', { exclude: join(dir, 'n4') })).map((n) => n.date), ['2026-11-29', '2026-11-30', '2026-12-01'], "this run's own directory is not its history");
  t.same(await readHistory(join(dir, 'missing'), 'nightly'), [], 'no history directory yet: no nights');
  t.same([...signaturesFirstSeen(all)], [['sig-s1', '2026-11-29'], ['sig-s2', '2026-12-01']]);
});

t.test('a cell across the nights: failed nights, first seen for the failure it has now, last passed', async (t) => {
  const nights = await readHistory(await historyDir(t), 'nightly');
  t.same(cellHistory('a', { verdict: 'failed', crash: s1 }, nights), { nights: 4, failed: 2, firstSeen: '2026-11-29', lastPassed: '2026-12-02' });
  t.same(cellHistory('a', { verdict: 'failed', crash: s2 }, nights), { nights: 4, failed: 2, firstSeen: '2026-12-01', lastPassed: '2026-12-02' }, 'first seen is per failure');
  t.same(cellHistory('b', { verdict: 'failed', crash: s2 }, nights), { nights: 4, failed: 0, lastPassed: '2026-12-02' }, 'never failed before: no first seen');
  t.equal(cellHistory('c', { verdict: 'passed' }, nights), undefined, 'a cell never run before has no history');
});

t.test('through runCell: a failure that came and went is flaky and not retried; a first failure is new and retried', async (t) => {
  const nights = await readHistory(await historyDir(t), 'nightly');
  const baseline = new Map<string, CellSummary>([['a', { verdict: 'passed', rate: '0/1' } as CellSummary], ['b', { verdict: 'passed', rate: '0/1' } as CellSummary]]);
  const scenario = { name: 'x', file: '/m/x.yaml', repeat: 1 } as Scenario;
  const ran: string[] = [];
  const run = async (sc: Scenario, dir: string, subdir: (n: number) => string) => {
    ran.push(`${dir.split('/').pop()}/${subdir(1)}`);
    const r = { scenario: 'x', file: '/m/x.yaml', attempt: 1, verdict: 'failed', reason: 'crash', message: 'crash', crashes: [], steps: [], timings: { totalMs: 1 }, artifacts: {}, host: {}, timeline: [], startedAt: '', finishedAt: '' } as ScenarioResult;
    return { summary: summarise(sc, [r], [subdir(1)]), attempts: [r] };
  };
  const cx = { dir: '/r', known: [], baseline, today: '2026-12-03', retry: 1, bundle: false, nights, run };
  const cellOf = (id: string): Cell => ({ id, index: id === 'a' ? 0 : 1, scenarioId: id, axes: {}, scenario });
  const a = await runCell(cellOf('a'), cx);
  const b = await runCell(cellOf('b'), cx);
  t.same(ran, ['a/1', 'b/1', 'b/retry-1'], 'only b, failing for the first time, is retried');
  const report = buildSummary([a, b], {
    matrix: { file: '/m/nightly.yaml', name: 'nightly', cells: 2, known: [] }, impossible: [], notes: [], today: '2026-12-03',
    baseline: { path: '/r/n4', cells: baseline },
    history: { info: { dir: '/h', nights: nights.length }, firstSeen: signaturesFirstSeen(nights) },
    run: { startedAt: '2026-12-03T02:00:00.000Z', finishedAt: '2026-12-03T03:00:00.000Z', durationMs: 1 },
  });
  t.same(report.cells.map((c) => [c.id, c.class, c.history?.failed, c.history?.nights]), [['a', 'flaky', 2, 4], ['b', 'new-failure', 0, 4]]);
  t.equal(report.exitCode, 1, 'b still pages');
});
