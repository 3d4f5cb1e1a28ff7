// krepro matrix: expand the cells, keep this shard's, run them through the
// suite's attempt runner (run/suite.ts's runRepeated) in VM slots, and write
// summary.json, junit.xml and report.html after every cell (a killed nightly keeps what it
// did). Artifacts are built once: the cache shares one build between
// concurrent cells of this process and locks each key against others.
import os from 'node:os';
import { join, resolve } from 'node:path';
import { writeAtomic, writeJsonAtomic } from '../results/atomic.js';
import { newRunId } from '../results/summary.js';
import { interrupted } from '../util/interrupt.js';
import { note } from '../util/progress.js';
import { expandMatrix } from './expand.js';
import { writeMatrixHtml } from './html.js';
import { bisectNewFailures } from './bisect-new.js';
import { runCell } from './cell.js';
import { readHistory, signaturesFirstSeen } from './history.js';
import { buildSummary, matrixJunit, readSummary, type CellFacts } from './report.js';
import { shardCells, type Shard } from './shard.js';
import { defaultJobs, memoryBudgetMiB, needMiB, runSlots, type HostSize } from './slots.js';
import type { CellSummary, Matrix, MatrixSummary } from './types.js';

export interface MatrixOptions {
  resultsDir: string;
  runId?: string;
  shard?: Shard;
  jobs?: number;
  /** A previous report (directory or summary.json): classes, and shard balance by its durations. */
  baseline?: string;
  /** Bisect each new failure between the baseline's and this run's source commits. */
  bisectNew?: boolean;
  /** A directory of earlier nights' reports (DIR/*\/summary.json): flake rates and first-seen dates. */
  history?: string;
  host?: HostSize;
}

export function hostSize(): HostSize {
  return { cores: os.availableParallelism(), totalMiB: Math.floor(os.totalmem() / 2 ** 20), freeMiB: Math.floor(os.freemem() / 2 ** 20) };
}

const today = () => new Date().toISOString().slice(0, 10);

/** Run the matrix (this shard of it) and write its reports; the summary says the exit status. */
export async function runMatrix(m: Matrix, opts: MatrixOptions): Promise<{ dir: string; summary: MatrixSummary }> {
  const dir = resolve(opts.resultsDir, opts.runId ?? newRunId());
  const { cells: all, impossible, notes } = expandMatrix(m);
  const base = opts.baseline === undefined ? undefined : await readSummary(opts.baseline);
  const baseline = base && { path: resolve(base.dir), cells: new Map(base.summary.cells.map((c): [string, CellSummary] => [c.id, c])) };
  const durations = baseline && new Map([...baseline.cells].map(([id, c]) => [id, c.durationMs]));
  const cells = opts.shard ? shardCells(all, opts.shard, durations) : all;
  const nights = opts.history === undefined ? [] : await readHistory(opts.history, m.name, { exclude: dir });
  const history = opts.history === undefined ? undefined : {
    info: { dir: resolve(opts.history), nights: nights.length, ...(nights.length ? { from: nights[0]!.date, to: nights.at(-1)!.date } : {}) },
    firstSeen: signaturesFirstSeen(nights),
  };
  if (history) note(`history: ${nights.length} earlier night(s) of ${m.name} in ${opts.history}${nights.length ? ` (${history.info.from} … ${history.info.to})` : ''}`);
  const host = opts.host ?? hostSize();
  const jobs = opts.jobs ?? defaultJobs(cells, host);
  const budgetMiB = memoryBudgetMiB(host);
  for (const i of impossible) note(`not a cell: ${i.scenario} × zfs ${i.values.join(', ')}: ${i.reason}`);
  for (const n of notes) note(n);
  note(`matrix ${m.name}: ${cells.length} of ${all.length} cells${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.total})` : ''}, ${jobs} at once → ${dir}`);

  const startedAt = new Date();
  const facts: CellFacts[] = [];
  const write = async (): Promise<MatrixSummary> => {
    const finishedAt = new Date();
    const summary = buildSummary(facts, {
      matrix: { file: m.file, name: m.name, cells: all.length, known: m.known },
      ...(opts.shard ? { shard: opts.shard } : {}),
      impossible, notes, ...(baseline ? { baseline } : {}), ...(history ? { history } : {}), today: today(),
      run: { startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime(), jobs },
    });
    await writeJsonAtomic(join(dir, 'summary.json'), summary);
    await writeAtomic(join(dir, 'junit.xml'), matrixJunit(summary));
    await writeMatrixHtml(dir, summary);
    return summary;
  };
  const cx = { dir, known: m.known, baseline: baseline?.cells, today: today(), retry: m.retry, bundle: m.bundle, nights };
  await runSlots(cells, { jobs, budgetMiB, need: needMiB, stop: () => interrupted.aborted }, async (cell) => {
    const f = await runCell(cell, cx);
    facts.push(f);
    note(`${f.verdict.toUpperCase().padEnd(6)} ${cell.id}: ${f.message.split('\n')[0]} [${f.rate}]${f.retried ? ` (retried ${f.retried}×)` : ''} (${(f.durationMs / 1000).toFixed(1)}s)`);
    await write();
  });
  let summary = await write();
  if (opts.bisectNew && baseline && !interrupted.aborted) {
    const found = await bisectNewFailures(summary.cells, { dir, baseline: baseline.cells, cells: new Map(cells.map((c) => [c.id, c])) });
    for (const f of facts) {
      const b = found.get(f.id);
      if (b) f.bisect = b;
    }
    if (found.size) summary = await write();
  } else if (opts.bisectNew) {
    note('--bisect-new: no baseline to compare with, nothing to bisect');
  }
  return { dir, summary };
}
