// The work behind `krepro matrix` and `krepro merge-reports` (cli.ts only parses).
import type { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { loadMatrix } from './load.js';
import { summaryMarkdown } from './markdown.js';
import { mergeReports } from './merge.js';
import { runMatrix } from './run.js';
import { parseShard } from './shard.js';
import type { MatrixSummary } from './types.js';
import { errorMessage, InputError } from '../util/errors.js';

export interface MatrixCommand {
  file: string;
  resultsDir: string;
  shard?: string;
  jobs?: string;
  baseline?: string;
  history?: string;
  bisectNew?: boolean;
  /** Also write the CI job summary (markdown, size-capped) to this file. */
  summaryMd?: string;
}

function jobsOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--jobs: expected a whole number ≥ 1, got '${s}'`);
  return n;
}

/** One line per class with cells in it, then where the reports are. */
export function describe(s: MatrixSummary, dir: string): string {
  const classes = Object.entries(s.totals.classes).map(([k, n]) => `${n} ${k}`).join(', ');
  const lines = [`${s.totals.cells} cells: ${s.totals.passed} passed, ${s.totals.failed} failed, ${s.totals.error} error (${classes || 'none'})`];
  for (const c of s.cells.filter((x) => x.class === 'new-failure' || (x.class === 'new-cell' && x.verdict === 'failed'))) {
    lines.push(`  NEW ${c.id}: ${c.crash?.title ?? c.message.split('\n')[0]} [${c.rate}${c.retried ? `, retried ${c.retried}×` : ''}]`);
    if (c.bundle) lines.push(`      bundle: ${resolve(dir, c.bundle)}`);
    if (c.bisect) {
      const b = c.bisect;
      lines.push(`      bisect: ${b.culprit ? `first bad commit ${b.culprit.commit.slice(0, 12)} ${b.culprit.subject}` : b.status}${b.why ? ` (${b.why})` : ''}${b.dir ? ` — ${resolve(dir, b.dir, 'bisect.md')}` : ''}`);
    }
  }
  for (const g of s.signatures) lines.push(`  signature ${g.signature} ${g.title}: ${g.cells.length} cell(s)`);
  lines.push(`report: ${resolve(dir, 'summary.json')}`);
  lines.push(`html: ${resolve(dir, 'report.html')}`);
  return `${lines.join('\n')}\n`;
}

/** Run a matrix file (ScenarioError/InputError on bad input); returns the exit status. */
export async function matrixCommand(o: MatrixCommand, out: Writable): Promise<number> {
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const jobs = jobsOf(o.jobs);
  const m = await loadMatrix(o.file);
  const { dir, summary } = await runMatrix(m, { resultsDir: o.resultsDir, ...(shard ? { shard } : {}), ...(jobs ? { jobs } : {}), ...(o.baseline ? { baseline: o.baseline } : {}), ...(o.history ? { history: o.history } : {}), ...(o.bisectNew ? { bisectNew: true } : {}) });
  out.write(describe(summary, dir));
  if (o.summaryMd) await writeSummaryMd(o.summaryMd, summary);
  return summary.exitCode;
}

export async function mergeCommand(dirs: string[], outDir: string, out: Writable, o: { summaryMd?: string } = {}): Promise<number> {
  const merged = await mergeReports(dirs, outDir);
  out.write(describe(merged, outDir));
  if (o.summaryMd) await writeSummaryMd(o.summaryMd, merged);
  return merged.exitCode;
}

/** The job summary, written in place (a CI runner may watch that very file, e.g. $GITHUB_STEP_SUMMARY). */
async function writeSummaryMd(file: string, s: MatrixSummary): Promise<void> {
  await writeFile(resolve(file), summaryMarkdown(s)).catch((e: unknown) => {
    throw new InputError(`--summary-md ${file}: cannot write the job summary (the report itself is written): ${errorMessage(e)}`, { cause: e });
  });
}
