// The step loop of an attempt: announce each step in the guest's /dev/kmsg,
// run it, record it; the first step that does not succeed ends the loop (the
// rest are recorded as skipped), and a timeout collects stuck-task stacks.
import { join } from 'node:path';
import { writeAtomic } from '../results/atomic.js';
import type { ScenarioResult } from '../results/types.js';
import { errorMessage } from '../util/errors.js';
import { task } from '../util/progress.js';
import { linkedController } from '../util/signals.js';
import type { RunContext } from './context.js';
import { collectHangDiagnostics, collectLostDiagnostics } from './diagnostics.js';
import { executeStep } from './steps/index.js';
import type { Outcome } from './verdict.js';

/** What is left of the scenario timeout for the steps: the attempt's time so far, less its artifact fetches and builds. */
export function stepsBudgetMs(timeoutMs: number, attemptMs: number, artifactsMs = 0): number {
  return Math.max(0, timeoutMs - (attemptMs - artifactsMs));
}

/** Run every step of the scenario; facts go to `outcome`, timings to `result`. */
export async function runSteps(ctx: RunContext, outcome: Outcome, result: ScenarioResult): Promise<void> {
  const { scenario: sc, rec } = ctx;
  const t0 = Date.now();
  // Aborted when the steps must end: the scenario timeout, or a step that did not succeed.
  const end = new AbortController();
  // `timeout` covers boot (or restore) + steps, so only what is left of it applies here. Fetching
  // and building artifacts is not the guest's time: a cold ZFS build under load (38 min once)
  // must not use up a scenario's timeout before it boots.
  const global = setTimeout(() => {
    outcome.hang ??= { step: rec.steps.at(-1)?.index ?? 0, message: `scenario timeout (${sc.timeoutMs / 1000}s) reached` };
    end.abort(new Error('scenario timeout'));
  }, stepsBudgetMs(sc.timeoutMs, rec.now(), result.timings.artifactsMs));
  ctx = { ...ctx, signal: linkedController(ctx.signal, end.signal).signal };
  let consoleFrom = ctx.console.lineCount;
  try {
    for (const step of sc.steps) {
      const base = { index: step.index, kind: step.kind, label: step.label, startedAt: rec.now() };
      if (ctx.signal.aborted) {
        rec.steps.push({ ...base, status: 'skipped', durationMs: 0 });
        continue;
      }
      // The console itself shows step boundaries, so a crash maps to its step even offline.
      await ctx.guest.exec('cat > /dev/kmsg', { stdin: `<5>krepro: step ${step.index}: ${step.label}\n`, timeoutMs: 15_000, signal: ctx.signal });
      const progress = task(`step ${step.index}: ${step.label}`);
      rec.event('step-start', { step: step.index });
      const from = consoleFrom;
      consoleFrom = ctx.console.lineCount;
      const started = Date.now();
      let o;
      try {
        o = await executeStep(ctx, step, from);
      } catch (e) {
        o = { status: 'failed' as const, message: errorMessage(e) };
      }
      rec.steps.push({ ...base, ...o, durationMs: Date.now() - started });
      rec.event('step-end', { step: step.index, status: o.status });
      if (o.status === 'ok') progress.done(o.exitCode !== undefined ? `exit ${o.exitCode}` : 'ok');
      else progress.fail(o.message ?? o.status);
      if (o.status === 'ok') continue;
      if (o.status === 'timeout') {
        outcome.hang = { step: step.index, message: `step ${step.index} (${step.label}): ${o.message}` };
        const diag = await collectHangDiagnostics(ctx.guest);
        await writeAtomic(join(rec.dir, 'steps', `${String(step.index).padStart(2, '0')}-hang-diagnostics.out`), diag);
        result.diagnostics = { ...result.diagnostics, stuckTasks: diag };
        await ctx.console.settle(1500, 5000);
      } else if (o.status === 'error') {
        outcome.harnessError ??= { reason: 'infra', message: `step ${step.index} (${step.label}): ${o.message ?? 'harness error'}` };
      } else if (o.status === 'lost') {
        outcome.lost = { step: step.index, message: o.message ?? 'SSH connection lost' };
        const diag = await collectLostDiagnostics(ctx.guest, ctx.machine, ctx.signal);
        await writeAtomic(join(rec.dir, 'steps', `${String(step.index).padStart(2, '0')}-lost-diagnostics.out`), diag);
        result.diagnostics = { ...result.diagnostics, lostSession: diag };
        await ctx.console.settle();
      }
      // Any step that did not succeed ends the attempt; the rest are recorded as skipped.
      end.abort(new Error(`step ${step.index} ${o.status}`));
    }
  } finally {
    clearTimeout(global);
    result.timings.stepsMs = Date.now() - t0;
  }
}
