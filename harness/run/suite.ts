// Several scenarios, each repeated up to `repeat` times (stopping at the first
// failure), into one results/<run-id>/ directory with summary.json and junit.xml.
import { join, resolve } from 'node:path';
import { writeAtomic, writeJsonAtomic } from '../results/atomic.js';
import { junitXml } from '../results/junit.js';
import { exitCodeFor, newRunId } from '../results/summary.js';
import type { ScenarioResult, ScenarioSummary } from '../results/types.js';
import type { Scenario } from '../scenario/types.js';
import { note } from '../util/progress.js';
import { interrupted } from '../util/interrupt.js';
import { runAttempt } from './attempt.js';

export interface SuiteOptions {
  resultsDir: string;
  runId?: string;
}

export interface SuiteResult {
  dir: string;
  summaries: ScenarioSummary[];
  exitCode: number;
}

export function summarise(sc: Scenario, attempts: ScenarioResult[], dirs: string[]): ScenarioSummary {
  const failed = attempts.filter((r) => r.verdict === 'failed');
  const last = failed[0] ?? attempts.at(-1)!;
  const rate = sc.repeat > 1 ? ` [reproduced ${failed.length}/${attempts.length}]` : '';
  return {
    scenario: sc.name, file: sc.file, verdict: last.verdict, reason: last.reason,
    message: `${last.message}${rate}`, attempts: attempts.length, failures: failed.length, dirs,
    durationMs: attempts.reduce((s, r) => s + (r.timings.totalMs ?? 0), 0),
  };
}

/**
 * Run one scenario up to `repeat` times, stopping at the first failure; attempt n goes
 * into join(dir, subdir(n)). The summary's dirs are those subdirs. Shared by suites and matrix cells.
 */
export async function runRepeated(
  sc: Scenario, dir: string, subdir: (n: number) => string,
): Promise<{ summary: ScenarioSummary; attempts: ScenarioResult[] }> {
  const attempts: ScenarioResult[] = [];
  const dirs: string[] = [];
  for (let n = 1; n <= sc.repeat; n++) {
    const sub = subdir(n);
    dirs.push(sub);
    const r = await runAttempt(sc, join(dir, sub), n);
    attempts.push(r);
    if (r.verdict !== 'passed' || interrupted.aborted) break;
  }
  return { summary: summarise(sc, attempts, dirs), attempts };
}

/** Run every scenario, write the run-level reports, and return the exit code. */
export async function runSuite(scenarios: Scenario[], opts: SuiteOptions): Promise<SuiteResult> {
  const dir = resolve(opts.resultsDir, opts.runId ?? newRunId());
  const all: ScenarioResult[] = [];
  const summaries: ScenarioSummary[] = [];
  const names = new Map<string, number>();
  for (const sc of scenarios) {
    if (interrupted.aborted) break;
    // Two scenarios with the same name in one run must not share a directory.
    const seen = names.get(sc.name) ?? 0;
    names.set(sc.name, seen + 1);
    const base = seen ? `${sc.name}~${seen + 1}` : sc.name;
    const { summary: s, attempts } = await runRepeated(sc, dir, (n) => (sc.repeat > 1 ? `${base}-${n}` : base));
    all.push(...attempts);
    summaries.push(s);
    note(`${s.verdict.toUpperCase().padEnd(6)} ${sc.name}: ${s.message.split('\n')[0]} (${(s.durationMs / 1000).toFixed(1)}s) → ${join(dir, s.dirs.at(-1)!)}`);
    await writeJsonAtomic(join(dir, 'summary.json'), { dir, scenarios: summaries });
    await writeAtomic(join(dir, 'junit.xml'), junitXml(all));
  }
  return { dir, summaries, exitCode: exitCodeFor(summaries.map((s) => s.verdict)) };
}
