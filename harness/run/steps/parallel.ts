// `parallel:` — "A while B": start every job at once, then join them by the
// block's policy. A job that ends with an unexpected status fails the step at
// once; jobs the policy ends (`first`, or a named job) are stopped, not judged.
import type { ParallelStep, RunStep } from '../../scenario/types.js';
import type { Job, StepImpl, StepOutcome } from '../context.js';
import { firstToEnd, judgeJob, startJob, stopJob, summarize } from '../jobs.js';
import { deadline } from '../../util/signals.js';

export const parallelStep: StepImpl<ParallelStep> = async (ctx, step) => {
  const jobs: Job[] = step.jobs.map((j) => {
    const run: RunStep = {
      index: step.index, pos: step.pos, kind: 'run', label: `${step.label} [${j.name}]`,
      command: j.command, background: j.name, expectExit: j.expectExit,
      ...(j.timeoutMs !== undefined ? { timeoutMs: j.timeoutMs } : {}),
      ...(j.stdin !== undefined ? { stdin: j.stdin } : {}),
    };
    return startJob(ctx, run, j.name);
  });
  const timer = deadline(step.timeoutMs, ctx.signal);
  const signal = timer.signal;
  const pending = new Set(jobs);
  const stopRest = async (): Promise<string> => {
    const stuck: string[] = [];
    for (const j of pending) if (!(await stopJob(ctx, j))) stuck.push(j.name);
    return stuck.length ? `; could not stop ${stuck.join(', ')}` : '';
  };

  // The deadline's timer is a strong one: clear it, or it keeps krepro alive after the run.
  try {
    while (pending.size > 0) {
      const first = await firstToEnd([...pending], signal);
      if (!first) {
        // A hang leaves the jobs running: their stacks are the evidence the runner collects next.
        return timer.timedOut() && !ctx.signal.aborted
          ? { status: 'timeout', message: `${summarize(jobs)} after ${step.timeoutMs / 1000}s` }
          : { status: 'interrupted' };
      }
      pending.delete(first.job);
      const o: StepOutcome = judgeJob(first.job, first.result);
      if (o.status !== 'ok') {
        const note = o.status === 'failed' ? await stopRest() : '';
        return { ...o, message: `${o.message}${note}` };
      }
      const ends = step.join === 'first' || (typeof step.join === 'object' && step.join.job === first.job.name);
      if (ends) {
        const note = await stopRest();
        // A job that outlives SIGKILL is stuck in the kernel: a hang, with its stack as evidence.
        return { status: note ? 'timeout' : 'ok', message: `${summarize(jobs)}${note}` };
      }
    }
    return { status: 'ok', message: summarize(jobs) };
  } finally {
    timer.clear();
  }
};
