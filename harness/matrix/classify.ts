// A cell against the previous run, the earlier nights and the known failures: is
// this news? Only news pages people: a new failure (or a failing cell nobody has
// seen before) makes the exit status 1; known, still-failing and flaky cells do not.
import { globMatch } from './glob.js';
import type { CellClass, CellSummary, KnownFailure } from './types.js';

export type Judged = Pick<CellSummary, 'class' | 'known' | 'expiredKnown' | 'baseline'>;
type Facts = Pick<CellSummary, 'id' | 'verdict' | 'attemptVerdicts' | 'crash' | 'message' | 'rate' | 'history'>;

/** The known entry for a failed cell: its id matches the pattern and its crash title (or, with no crash, its message) the regex. */
function knownFor(cell: Facts, known: KnownFailure[]): KnownFailure | undefined {
  const text = cell.crash?.title ?? cell.message;
  return known.find((k) => globMatch(k.cell, cell.id) && new RegExp(k.title).test(text));
}

const expired = (k: KnownFailure, today: string) => k.expires !== undefined && today > k.expires;

/** Classify one cell; `baseline` is the previous report's cells by id (undefined: no baseline, every cell is new). */
export function classify(cell: Facts, known: KnownFailure[], baseline: Map<string, Facts> | undefined, today: string): Judged {
  const before = baseline?.get(cell.id);
  const base = before ? { baseline: { verdict: before.verdict, rate: before.rate } } : {};
  const as = (c: CellClass, extra: Partial<Judged> = {}): Judged => ({ class: c, ...base, ...extra });
  if (cell.verdict === 'error') return as('error');
  let expiredKnown: Judged['expiredKnown'];
  const failedAny = cell.attemptVerdicts.includes('failed');
  if (failedAny) {
    const k = knownFor(cell, known);
    const info = k && { link: k.link, title: k.title, intermittent: k.intermittent, ...(k.expires ? { expires: k.expires } : {}) };
    if (k && !expired(k, today)) return as('known', { known: info });
    if (k) expiredKnown = { link: k.link, expires: k.expires! };
  } else {
    // An intermittent bug that did not show this time is no news either.
    const k = known.find((x) => x.intermittent && !expired(x, today) && globMatch(x.cell, cell.id));
    if (k) return as('known', { known: { link: k.link, title: k.title, intermittent: true, ...(k.expires ? { expires: k.expires } : {}) } });
  }
  const extra = expiredKnown ? { expiredKnown } : {};
  if (failedAny && cell.attemptVerdicts.includes('passed')) return as('flaky', extra);
  // Failing now, and on some earlier night of the history too: it comes and goes.
  const failedLately = cell.verdict === 'failed' && (cell.history?.failed ?? 0) > 0;
  if (!before) return as(failedLately ? 'flaky' : 'new-cell', extra);
  const failedBefore = before.verdict === 'failed';
  if (cell.verdict === 'failed') return as(failedBefore ? 'still-failing' : failedLately ? 'flaky' : 'new-failure', extra);
  return as(failedBefore ? 'fixed' : 'passing', extra);
}

/** 1 when any cell is a new failure (or a new cell that failed), else 3 when any errored, else 0. */
export function matrixExitCode(cells: Pick<CellSummary, 'class' | 'verdict'>[]): number {
  if (cells.some((c) => c.class === 'new-failure' || (c.class === 'new-cell' && c.verdict === 'failed'))) return 1;
  if (cells.some((c) => c.class === 'error')) return 3;
  return 0;
}
