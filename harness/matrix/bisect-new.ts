// --bisect-new: a cell that newly fails, after its retries, is bisected between
// what the baseline ran and what this run ran — when the two differ by one git
// commit range of one builder's source (the kernel's, a module's or ZFS's tree, named in
// result.json as `git:REPO@REF(COMMIT)`). `krepro bisect` does the search; the
// cell records where its bisect.md is and what it named.
import { join, relative } from 'node:path';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { startBisection } from '../bisect/bisect.js';
import { answerOf } from '../bisect/oracle.js';
import { gitCommitsOf, type BundleArtifact } from '../bundle/manifest.js';
import { matrixScenarioText } from '../bundle/matrix-cell.js';
import { readResult } from '../bundle/pack.js';
import { errorMessage } from '../util/errors.js';
import { interrupted } from '../util/interrupt.js';
import { note } from '../util/progress.js';
import { fileSafeId } from './cell.js';
import type { Cell, CellSummary } from './types.js';

/** Builders `krepro bisect` can walk, by result.json artifact row. */
const BISECTABLE: Record<string, string> = { kernel: 'kernel', 'build:kmod': 'kmod', 'build:zfs': 'zfs' };

export type Range = { artifact: string; builder: string; repo: string; good: string; bad: string };

/** The one commit range between the baseline's and this run's artifacts, or why there is none to bisect. */
export function bisectRange(now: Record<string, BundleArtifact>, before: Record<string, BundleArtifact>): Range | { why: string } {
  const was = new Map(gitCommitsOf(before).map((g) => [`${g.artifact} ${g.repo}`, g]));
  const moved = gitCommitsOf(now).flatMap((g) => {
    const b = was.get(`${g.artifact} ${g.repo}`);
    return b && b.commit !== g.commit ? [{ artifact: g.artifact, repo: g.repo, good: b.commit, bad: g.commit }] : [];
  });
  if (moved.length === 0) return { why: 'no git source moved between the baseline and this run (the failure came with another input: a package, the kernel, the host)' };
  if (moved.length > 1) return { why: `more than one git source moved (${moved.map((m) => m.artifact).join(', ')}): bisect them one at a time` };
  const m = moved[0]!;
  const builder = BISECTABLE[m.artifact];
  if (!builder) return { why: `${m.artifact} moved (${m.good.slice(0, 12)}..${m.bad.slice(0, 12)}), and krepro bisect walks only kernel, module and ZFS trees` };
  return { ...m, builder };
}

export interface BisectNewContext {
  dir: string;
  baseline: Map<string, CellSummary>;
  cells: Map<string, Cell>;
}

/** Bisect one new failure; what goes into its cell's `bisect`. */
export async function bisectCell(c: CellSummary, cx: BisectNewContext): Promise<NonNullable<CellSummary['bisect']>> {
  const before = cx.baseline.get(c.id);
  const cell = cx.cells.get(c.id);
  if (!before || !cell) return { status: 'not-bisectable', why: 'no baseline cell to compare with' };
  const range = bisectRange(c.artifacts, before.artifacts);
  if ('why' in range) return { status: 'not-bisectable', why: range.why };
  const rangeOut = { artifact: range.artifact, good: range.good, bad: range.bad };
  try {
    const scenario = await scenarioFile(c, cell, cx.dir);
    note(`bisect-new ${c.id}: ${range.artifact} ${range.good.slice(0, 12)} (baseline, good) .. ${range.bad.slice(0, 12)} (bad)`);
    const o = await startBisection({
      scenario, good: range.good, bad: range.bad, builder: range.builder, repo: range.repo, paths: [],
      runs: cell.scenario.repeat, resultsDir: join(cx.dir, 'bisect'),
    });
    const dir = relative(cx.dir, o.dir);
    if (o.interrupted) return { status: 'interrupted', dir, range: rangeOut };
    const cul = o.state.culprit;
    const answer = answerOf(o.state);
    return cul && answer.found
      ? { status: 'found', dir, range: rangeOut, culprit: { commit: cul.commit, subject: cul.subject } }
      : { status: 'no-culprit', dir, range: rangeOut, why: cul ? answer.what : o.state.stopped ?? 'no single first bad commit' };
  } catch (e) {
    return { status: 'not-bisectable', range: rangeOut, why: errorMessage(e).split('\n')[0]! };
  }
}

/**
 * The scenario file the bisection runs: the cell's own file when the matrix set no axis,
 * else that text with the cell's axes written in (as bundles write it), kept in the report.
 */
async function scenarioFile(c: CellSummary, cell: Cell, dir: string): Promise<string> {
  if (Object.keys(c.axes).length === 0) return cell.scenario.file;
  const attempt = join(dir, c.dirs.find((_, i) => c.attemptVerdicts[i] === 'failed') ?? c.dirs[0]!);
  const text = await matrixScenarioText(attempt, await readResult(attempt), await readFile(cell.scenario.file, 'utf8'));
  if (!text) throw new Error(`${attempt} is not an attempt of this report`);
  const file = join(dir, 'bisect', 'scenarios', `${fileSafeId(c.id)}.yaml`);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text.text);
  return file;
}

/** Bisect every cell the report calls a new failure, one after another (each is a search of its own). */
export async function bisectNewFailures(cells: CellSummary[], cx: BisectNewContext): Promise<Map<string, NonNullable<CellSummary['bisect']>>> {
  const out = new Map<string, NonNullable<CellSummary['bisect']>>();
  for (const c of cells) {
    if (interrupted.aborted) break;
    if (c.class !== 'new-failure') continue;
    const b = await bisectCell(c, cx);
    note(`bisect-new ${c.id}: ${b.status}${b.culprit ? ` — first bad commit ${b.culprit.commit.slice(0, 12)} ${b.culprit.subject}` : b.why ? ` — ${b.why}` : ''}`);
    out.set(c.id, b);
  }
  return out;
}
