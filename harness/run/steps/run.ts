// `run:` — a command over SSH, in the foreground or as a named background job.
import type { RunStep } from '../../scenario/types.js';
import { closeStream } from '../recorder.js';
import { judgeExec, type StepImpl } from '../context.js';

export const runStep: StepImpl<RunStep> = async (ctx, step) => {
  const { path, stream } = ctx.rec.output(step.index, step.background ? `run-${step.background}` : 'run');
  const exec = ctx.guest.exec(step.command, {
    stdin: step.stdin,
    timeoutMs: step.timeoutMs,
    signal: ctx.signal,
    onStdout: (b) => stream.write(b),
    onStderr: (b) => stream.write(b),
  });
  const result = exec.then(async (r) => {
    await closeStream(stream);
    return r;
  });
  if (step.background) {
    const job = { name: step.background, step, result };
    void result.then((r) => {
      Object.assign(job, { done: r });
      ctx.rec.event('job-exit', { job: step.background, code: r.code, timedOut: r.timedOut });
    });
    ctx.jobs.set(step.background, job);
    return { status: 'ok', output: path, job: step.background };
  }
  return { ...judgeExec(await result, step.expectExit, 'command'), output: path };
};
