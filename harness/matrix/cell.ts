// One matrix cell: its attempts; if it fails as news (a regression against the
// baseline, or a new cell that fails), more attempts before it is called one —
// a single pass makes it flaky — and a bug bundle of the failing attempt.
import { join } from 'node:path';
import { bundleAttempt } from '../bundle/pack.js';
import { runRepeated, summarise } from '../run/suite.js';
import { interrupted } from '../util/interrupt.js';
import { errorMessage } from '../util/errors.js';
import { note } from '../util/progress.js';
import { classify } from './classify.js';
import { cellHistory, type Night } from './history.js';
import { cellFacts, type CellFacts } from './report.js';
import type { Cell, CellSummary, KnownFailure } from './types.js';

export interface CellContext {
  /** The report's directory; the cell's attempts go under cells/ID, its bundle under bundles/. */
  dir: string;
  known: KnownFailure[];
  baseline: Map<string, CellSummary> | undefined;
  today: string;
  retry: number;
  bundle: boolean;
  /** Earlier nights (--history), oldest first; empty without. */
  nights?: Night[];
  /** The attempt runner (a seam for tests; the suite's runRepeated). */
  run?: typeof runRepeated;
}

/** Would this cell page someone? Only against a baseline: without one every cell is new. */
export function isNews(f: CellFacts, cx: Pick<CellContext, 'known' | 'baseline' | 'today'>): boolean {
  if (!cx.baseline || f.verdict !== 'failed') return false;
  const c = classify(f, cx.known, cx.baseline, cx.today).class;
  return c === 'new-failure' || c === 'new-cell';
}

/** A cell id as one flat file name (ids hold '/', '=' and ','). */
export const fileSafeId = (id: string): string => id.replace(/[^A-Za-z0-9._=,+-]+/g, '_');

export const bundleName = (id: string): string => `${fileSafeId(id)}.bundle.tar.gz`;

export async function runCell(cell: Cell, cx: CellContext): Promise<CellFacts> {
  const prefix = `cells/${cell.id}`;
  const run = cx.run ?? runRepeated;
  const first = await run(cell.scenario, join(cx.dir, prefix), (n) => String(n));
  const withHistory = (f: CellFacts): CellFacts => {
    const h = cx.nights?.length ? cellHistory(cell.id, f, cx.nights) : undefined;
    return h ? { ...f, history: h } : f;
  };
  let facts = withHistory(cellFacts(cell, first.summary, first.attempts, prefix));
  if (!isNews(facts, cx)) return facts;

  const attempts = [...first.attempts];
  const dirs = [...first.summary.dirs];
  let retried = 0;
  for (let k = 1; k <= cx.retry && !interrupted.aborted; k++) {
    note(`retry ${k}/${cx.retry} of ${cell.id} before calling it a regression`);
    const r = await run({ ...cell.scenario, repeat: 1 }, join(cx.dir, prefix), () => `retry-${k}`);
    attempts.push(...r.attempts);
    dirs.push(...r.summary.dirs);
    retried = k;
    if (r.attempts.some((a) => a.verdict === 'passed')) break; // one pass: flaky, no more proof needed
  }
  if (retried) facts = { ...withHistory(cellFacts(cell, summarise(cell.scenario, attempts, dirs), attempts, prefix)), retried };
  if (!cx.bundle || !isNews(facts, cx)) return facts;

  const failing = facts.dirs[attempts.findIndex((a) => a.verdict === 'failed')]!;
  const rel = `bundles/${bundleName(cell.id)}`;
  try {
    await bundleAttempt(join(cx.dir, failing), { out: join(cx.dir, rel) });
    return { ...facts, bundle: rel };
  } catch (e) {
    note(`bundle of ${cell.id} failed (the cell's result stands): ${errorMessage(e)}`);
    return facts;
  }
}
