// `wait: { jobs: [a, b], for: all|any }` — several background jobs at once.
import type { WaitJobsStep } from '../../scenario/types.js';
import type { Job, StepImpl } from '../context.js';
import { firstToEnd, judgeJob, summarize } from '../jobs.js';
import { deadline } from '../../util/signals.js';

export const waitJobsStep: StepImpl<WaitJobsStep> = async (ctx, step) => {
  const jobs: Job[] = [];
  for (const name of step.jobs) {
    const job = ctx.jobs.get(name);
    if (!job) return { status: 'failed', message: `no background job named ${name}` };
    jobs.push(job);
  }
  const timer = deadline(step.timeoutMs, ctx.signal);
  const signal = timer.signal;
  const pending = new Set(jobs);
  // The deadline's timer is a strong one: clear it, or it keeps krepro alive after the run.
  try {
    for (;;) {
      const ended = [...pending].filter((j) => j.done);
      for (const j of ended) {
        pending.delete(j);
        // A job that failed fails the wait at once, whether waiting for all or any.
        const o = judgeJob(j, j.done!);
        if (o.status !== 'ok') return o;
      }
      if (pending.size === 0 || (step.waitFor === 'any' && ended.length > 0)) {
        return { status: 'ok', message: summarize(jobs) };
      }
      // startJob's handler, registered first, has set job.done by the time this resolves.
      if (!(await firstToEnd([...pending], signal))) {
        return timer.timedOut() && !ctx.signal.aborted
          ? { status: 'timeout', message: `${summarize(jobs)} after ${step.timeoutMs / 1000}s` }
          : { status: 'interrupted' };
      }
    }
  } finally {
    timer.clear();
  }
};
