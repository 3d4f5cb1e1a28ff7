// krepro merge-reports DIR…: shards' reports joined into the report one
// unsharded run would have written (Playwright's merge-reports): the cells in
// matrix order, signatures and totals recomputed, every cell's directory
// copied under the output so its relative paths stay true.
import { cp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeAtomic, writeJsonAtomic } from '../results/atomic.js';
import { InputError } from '../util/errors.js';
import { writeMatrixHtml } from './html.js';
import { assemble, matrixJunit, readSummary } from './report.js';
import type { MatrixSummary } from './types.js';

/** Join shard summaries (pure); throws InputError when they are not shards of one matrix. */
export function mergeSummaries(parts: MatrixSummary[], sources: string[] = []): MatrixSummary {
  const first = parts[0];
  if (!first) throw new InputError('merge-reports: name at least one report directory');
  const notes = [...first.notes];
  for (const p of parts) {
    if (p.matrix.file !== first.matrix.file) throw new InputError(`merge-reports: reports of different matrices (${first.matrix.file}, ${p.matrix.file})`);
    if (p.baseline !== first.baseline) throw new InputError(`merge-reports: shards compared with different baselines (${first.baseline ?? 'none'}, ${p.baseline ?? 'none'})`);
  }
  const total = first.shard?.total;
  const shards = parts.map((p) => p.shard?.index);
  if (total !== undefined) {
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !shards.includes(i));
    if (missing.length) notes.push(`merged without shard(s) ${missing.map((i) => `${i}/${total}`).join(', ')}: their cells are missing`);
  }
  const byId = new Map<string, MatrixSummary['cells'][number]>();
  for (const p of parts) {
    for (const c of p.cells) {
      if (byId.has(c.id)) throw new InputError(`merge-reports: cell ${c.id} is in two reports`);
      byId.set(c.id, c);
    }
  }
  const firstSeen = new Map<string, string>();
  for (const g of parts.flatMap((p) => p.signatures)) {
    if (g.firstSeen && !(firstSeen.get(g.signature)! <= g.firstSeen)) firstSeen.set(g.signature, g.firstSeen);
  }
  const started = parts.map((p) => p.run.startedAt).sort()[0]!;
  const finished = parts.map((p) => p.run.finishedAt).sort().at(-1)!;
  return assemble([...byId.values()], {
    matrix: first.matrix, impossible: first.impossible, notes,
    ...(first.baseline !== undefined ? { baseline: { path: first.baseline } } : {}),
    ...(first.history ? { history: { info: first.history, firstSeen } } : {}),
    run: { startedAt: started, finishedAt: finished, durationMs: parts.reduce((s, p) => s + p.run.durationMs, 0), merged: sources },
  });
}

/** Merge the reports in `dirs` into `out`: summary.json, junit.xml, report.html, every cell's attempt directories and bundles. */
export async function mergeReports(dirs: string[], out: string): Promise<MatrixSummary> {
  const parts = await Promise.all(dirs.map((d) => readSummary(d)));
  const merged = mergeSummaries(parts.map((p) => p.summary), parts.map((p) => resolve(p.dir)));
  for (const p of parts) {
    for (const c of p.summary.cells) {
      for (const d of c.dirs) await cp(join(p.dir, d), join(out, d), { recursive: true, errorOnExist: false, force: true });
      if (c.bundle) await cp(join(p.dir, c.bundle), join(out, c.bundle), { force: true });
      if (c.bisect?.dir) await cp(join(p.dir, c.bisect.dir), join(out, c.bisect.dir), { recursive: true, force: true });
    }
  }
  await writeJsonAtomic(join(out, 'summary.json'), merged);
  await writeAtomic(join(out, 'junit.xml'), matrixJunit(merged));
  await writeMatrixHtml(out, merged);
  return merged;
}
