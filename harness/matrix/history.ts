// Earlier nights of the same matrix (a directory of reports, e.g. results/ or a CI
// cache of summary.json files): how often each cell failed lately and since when a
// failure has been seen, so flake rates and "first seen" come from real runs. A
// cell that fails now after passing last night is flaky, not new, when it has
// failed in the window before.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSummary } from './report.js';
import type { CellCrash, CellSummary, MatrixSummary } from './types.js';

/** Nights looked at (the most recent ones). */
export const HISTORY_WINDOW = 14;

export interface Night {
  /** YYYY-MM-DD of its start. */
  date: string;
  startedAt: string;
  dir: string;
  cells: Map<string, Pick<CellSummary, 'verdict' | 'crash' | 'message'>>;
  signatures: string[];
}

/** A cell across the window. */
export interface CellHistory {
  /** Nights the cell ran in. */
  nights: number;
  /** Of those, nights it failed. */
  failed: number;
  /** The first night in the window with the failure it has now (same crash signature; no crash: any failure). */
  firstSeen?: string;
  /** The last night it passed. */
  lastPassed?: string;
}

/** Reports of the matrix named `name` under `dir` (DIR/*\/summary.json), oldest first, the last `window`; `exclude` is this run's own directory. */
export async function readHistory(dir: string, name: string, opts: { exclude?: string; window?: number } = {}): Promise<Night[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nights: Night[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const d = resolve(dir, e.name);
    if (opts.exclude && d === resolve(opts.exclude)) continue;
    let s: MatrixSummary;
    try {
      s = (await readSummary(join(d, 'summary.json'))).summary;
    } catch {
      continue; // not a report (a run of krepro run, a half-written night): not history
    }
    if (s.matrix.name !== name) continue;
    nights.push(nightOf(s, d));
  }
  nights.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return nights.slice(-(opts.window ?? HISTORY_WINDOW));
}

export function nightOf(s: MatrixSummary, dir: string): Night {
  return {
    date: s.run.startedAt.slice(0, 10), startedAt: s.run.startedAt, dir,
    cells: new Map(s.cells.map((c) => [c.id, { verdict: c.verdict, ...(c.crash ? { crash: c.crash } : {}), message: c.message }])),
    signatures: s.signatures.map((g) => g.signature),
  };
}

const sameFailure = (a: { crash?: CellCrash }, b: { crash?: CellCrash }): boolean => (a.crash?.signature ?? '') === (b.crash?.signature ?? '');

/** The cell `id` across `nights`, with `now` its current facts (undefined: it never ran in the window). */
export function cellHistory(id: string, now: Pick<CellSummary, 'verdict' | 'crash'>, nights: Night[]): CellHistory | undefined {
  const seen = nights.flatMap((n) => {
    const c = n.cells.get(id);
    return c ? [{ date: n.date, ...c }] : [];
  });
  if (seen.length === 0) return undefined;
  const failed = seen.filter((c) => c.verdict === 'failed');
  const first = now.verdict === 'failed' ? failed.find((c) => sameFailure(c, now)) : undefined;
  const lastPassed = seen.filter((c) => c.verdict === 'passed').at(-1);
  return {
    nights: seen.length, failed: failed.length,
    ...(first ? { firstSeen: first.date } : {}),
    ...(lastPassed ? { lastPassed: lastPassed.date } : {}),
  };
}

/** The first night each crash signature appeared in (signatures never seen before are absent). */
export function signaturesFirstSeen(nights: Night[]): Map<string, string> {
  const first = new Map<string, string>();
  for (const n of nights) for (const s of n.signatures) if (!first.has(s)) first.set(s, n.date);
  return first;
}
