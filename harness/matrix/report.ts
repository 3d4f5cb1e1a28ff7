// The matrix's reports: summary.json (one entry per cell, crash signatures
// deduplicated across cells, classes against a baseline) and junit.xml (one
// testcase per cell). Built from cell facts alone, so a merge of shards
// produces the same report as one unsharded run.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { junitCases } from '../results/junit.js';
import type { ScenarioResult, ScenarioSummary } from '../results/types.js';
import { InputError, errorMessage } from '../util/errors.js';
import { classify, matrixExitCode } from './classify.js';
import type { Cell, CellSummary, KnownFailure, MatrixSummary, SignatureGroup } from './types.js';

/** What one cell's run says, before classification. */
export type CellFacts = Omit<CellSummary, 'class' | 'known' | 'expiredKnown' | 'baseline'>;

/** The crash that decided a failed attempt: the one its message names, else its first. */
function decidingCrash(r: ScenarioResult): CellSummary['crash'] {
  if (r.reason !== 'crash') return undefined;
  const c = r.crashes.find((x) => r.message.includes(x.title)) ?? r.crashes[0];
  return c && { kind: c.kind, title: c.title, signature: c.signature, step: c.step };
}

/** A cell's facts from its attempts; `prefix` makes attempt dirs relative to the report's directory. */
export function cellFacts(cell: Cell, s: ScenarioSummary, attempts: ScenarioResult[], prefix: string): CellFacts {
  const decider = attempts.find((r) => r.verdict === 'failed') ?? attempts.at(-1);
  const crash = decider && decidingCrash(decider);
  const artifacts = Object.fromEntries(Object.entries(decider?.artifacts ?? {}).map(([k, a]) => [k, { ...(a.identity !== undefined ? { identity: a.identity } : {}), hash: a.hash }]));
  return {
    id: cell.id, index: cell.index, scenario: cell.scenarioId, name: cell.scenario.name, axes: cell.axes,
    verdict: s.verdict, ...(s.reason ? { reason: s.reason } : {}),
    // The suite appends the rate to the message; the cell has it as a field.
    message: s.message.replace(/ \[reproduced \d+\/\d+\]$/, ''),
    attempts: s.attempts, failures: s.failures, rate: `${s.failures}/${s.attempts}`,
    attemptVerdicts: attempts.map((r) => r.verdict),
    ...(crash ? { crash } : {}),
    durationMs: s.durationMs, artifacts,
    dirs: s.dirs.map((d) => `${prefix}/${d}`),
  };
}

/** Crash signatures across cells: "this panic in 7 cells", most cells first. */
export function signatureGroups(cells: Pick<CellSummary, 'id' | 'crash'>[]): SignatureGroup[] {
  const groups = new Map<string, SignatureGroup>();
  for (const c of cells) {
    if (!c.crash) continue;
    const g = groups.get(c.crash.signature) ?? { signature: c.crash.signature, kind: c.crash.kind, title: c.crash.title, cells: [] };
    g.cells.push(c.id);
    groups.set(c.crash.signature, g);
  }
  return [...groups.values()].sort((a, b) => b.cells.length - a.cells.length || a.signature.localeCompare(b.signature));
}

export interface ReportInput {
  matrix: MatrixSummary['matrix'];
  /** --history: what was read, and each known signature's first night. */
  history?: { info: NonNullable<MatrixSummary['history']>; firstSeen: Map<string, string> };
  shard?: MatrixSummary['shard'];
  impossible: MatrixSummary['impossible'];
  notes: string[];
  baseline?: { path: string; cells: Map<string, CellSummary> };
  today: string;
  run: MatrixSummary['run'];
}

/** The whole report from cell facts: classes, signature groups, totals, exit status. */
export function buildSummary(facts: CellFacts[], input: ReportInput): MatrixSummary {
  return assemble(facts.map((f): CellSummary => ({ ...f, ...classify(f, input.matrix.known, input.baseline?.cells, input.today) })), input);
}

/** The report from cells already classified (a merge keeps what each shard decided). */
export function assemble(classified: CellSummary[], input: Omit<ReportInput, 'baseline' | 'today'> & { baseline?: { path: string } }): MatrixSummary {
  const cells = [...classified].sort((a, b) => a.index - b.index);
  const classes: MatrixSummary['totals']['classes'] = {};
  for (const c of cells) classes[c.class] = (classes[c.class] ?? 0) + 1;
  return {
    kind: 'krepro-matrix', version: 1,
    matrix: input.matrix,
    ...(input.shard ? { shard: input.shard } : {}),
    impossible: input.impossible, notes: input.notes,
    ...(input.baseline ? { baseline: input.baseline.path } : {}),
    ...(input.history ? { history: input.history.info } : {}),
    cells,
    signatures: signatureGroups(cells).map((g) => (input.history
      ? { ...g, firstSeen: input.history.firstSeen.get(g.signature) ?? input.run.startedAt.slice(0, 10) }
      : g)),
    totals: {
      cells: cells.length,
      passed: cells.filter((c) => c.verdict === 'passed').length,
      failed: cells.filter((c) => c.verdict === 'failed').length,
      error: cells.filter((c) => c.verdict === 'error').length,
      classes,
    },
    exitCode: matrixExitCode(cells),
    run: input.run,
  };
}

/** Only the facts of a cell (what a merge or a re-classification starts from). */
export function factsOf(c: CellSummary): CellFacts {
  const { class: _c, known: _k, expiredKnown: _e, baseline: _b, ...facts } = c;
  return facts;
}

/** junit.xml: one testcase per cell; a known failure is <skipped> with its link. */
export function matrixJunit(s: MatrixSummary): string {
  return junitCases(s.cells.map((c) => ({
    classname: c.scenario,
    name: c.id,
    timeMs: c.durationMs,
    verdict: c.verdict,
    reason: c.reason,
    message: c.message,
    detail: c.crash ? `${c.crash.title} (${c.crash.kind}, step ${c.crash.step}, signature ${c.crash.signature})` : '',
    properties: {
      ...(c.axes.kernel !== undefined ? { kernel: c.axes.kernel } : {}),
      ...(c.axes.zfs !== undefined ? { zfs: c.axes.zfs } : {}),
      ...(c.axes.cmdline !== undefined ? { cmdline: c.axes.cmdline.join(' ') } : {}),
      attempts: String(c.attempts),
      rate: c.rate,
      class: c.class,
      ...(c.crash ? { signature: c.crash.signature } : {}),
      ...(c.known ? { known: c.known.link } : {}),
    },
    ...(c.class === 'known' && c.verdict !== 'passed' ? { skipped: `known failure: ${c.known!.link}` } : {}),
  })));
}

/** A matrix report from its directory (or its summary.json). */
export async function readSummary(p: string): Promise<{ dir: string; summary: MatrixSummary }> {
  const isDir = await stat(p).then((s) => s.isDirectory(), () => false);
  const file = isDir ? join(p, 'summary.json') : p;
  let summary: MatrixSummary;
  try {
    summary = JSON.parse(await readFile(file, 'utf8')) as MatrixSummary;
  } catch (e) {
    throw new InputError(`${file}: not a matrix report: ${errorMessage(e)}`, { cause: e });
  }
  if (summary.kind !== 'krepro-matrix') throw new InputError(`${file}: not a matrix report (kind is ${JSON.stringify(summary.kind)})`);
  return { dir: isDir ? p : join(file, '..'), summary };
}
